import pg from "pg";
import { migrate } from "../../src/db/migrate.ts";
import { openPostgresSession } from "../../src/db/sql.ts";
import { adminUrl, databaseUrl, TEMPLATE_DATABASE } from "./env.ts";

/**
 * Builds one migrated template database per test run; each test file then gets its own copy
 * (CREATE DATABASE … TEMPLATE), so files run in parallel without seeing each other's rows.
 */
export default async function setup() {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const session = await openPostgresSession(databaseUrl(TEMPLATE_DATABASE));
  try {
    await migrate(session);
  } finally {
    await session.close();
  }
}
