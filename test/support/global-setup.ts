import { migrate } from "../../src/db/migrate.ts";
import { openPostgresSession } from "../../src/db/sql.ts";
import { adminQuery, databaseUrl } from "./env.ts";

/**
 * Builds one migrated template database per test run; each test file then gets its own copy
 * (CREATE DATABASE … TEMPLATE), so files run in parallel without seeing each other's rows. The
 * template is named after this run, so two runs on one server (a developer's and CI's) never collide.
 */
export default async function setup() {
  // Vitest runs the global setup once per project that names it (integration, engine), all
  // in this one process: the first call builds the template (and drops it at the end), the next uses it.
  if (process.env.SYNCLINE_TEST_TEMPLATE) return;
  const template = `syncline_test_template_${process.pid}`;
  process.env.SYNCLINE_TEST_TEMPLATE = template;
  await adminQuery(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${template}`);
  const session = await openPostgresSession(databaseUrl(template));
  try {
    await migrate(session);
  } finally {
    await session.close();
  }
  return async () => {
    await adminQuery(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  };
}
