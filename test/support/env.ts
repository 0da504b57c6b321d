/** Where the tests find PostgreSQL and Redis (the machine's own servers unless overridden). */
export const TEST_POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const TEMPLATE_DATABASE = "syncline_test_template";

export function adminUrl(): string {
  return TEST_POSTGRES_URL;
}

export function databaseUrl(name: string): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
