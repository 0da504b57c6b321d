import pg from "pg";

/** Where the tests find PostgreSQL and Redis (the machine's own servers unless overridden). */
export const TEST_POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/** Set by the global setup for the test files it starts (see global-setup.ts). */
export function templateDatabase(): string {
  const name = process.env.SYNCLINE_TEST_TEMPLATE;
  if (!name) throw new Error("SYNCLINE_TEST_TEMPLATE is not set: run the tests through vitest (npm test)");
  return name;
}

export function adminUrl(): string {
  return TEST_POSTGRES_URL;
}

export function databaseUrl(name: string): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one statement on the server's admin database (CREATE/DROP DATABASE for test isolation). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
