import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../../src/app.ts";
import { createTenant } from "../../../src/auth/tenants.ts";
import { loadConfig } from "../../../src/config.ts";
import { readMigrations } from "../../../src/db/migrate.ts";
import { TEST_REDIS_URL } from "../../support/env.ts";

/** The embedded default: no DATABASE_URL means PGlite under the data directory, same schema and code. */
const dataDir = mkdtempSync(path.join(tmpdir(), "syncline-pglite-"));
const config = () =>
  loadConfig({
    NODE_ENV: "test",
    SYNCLINE_DATA_DIR: dataDir,
    REDIS_URL: TEST_REDIS_URL,
    SYNCLINE_REDIS_PREFIX: `test:pglite:${process.pid}`,
    LOG_LEVEL: "silent",
  });

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function graphql(app: App, token: string, query: string, variables: object = {}) {
  const response = await app.yoga.fetch("http://syncline.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json() as Promise<{ data: Record<string, unknown>; errors?: unknown[] }>;
}

describe("syncline on PGlite", () => {
  it("migrates, serves the API, and keeps its data across restarts", async () => {
    const first = await startApp(config(), []);
    let token: string;
    try {
      expect(first.db.kind).toBe("pglite");
      ({ token } = await createTenant(first.db.prisma, { name: "Embedded" }));
      const platforms = await graphql(first, token, "{ platforms { key } }");
      expect(platforms).toEqual({
        data: { platforms: [{ key: "XPM" }, { key: "XERO_ACCOUNTING" }, { key: "PSA" }] },
      });
      const connected = await graphql(
        first,
        token,
        `mutation($input: ConnectIntegrationInput!) {
          connectIntegration(input: $input) { __typename ... on IntegrationPayload { integration { status } syncRun { kind } } }
        }`,
        {
          input: {
            platform: "PSA",
            name: "Helpdesk",
            remoteTenantId: "psa-1",
            credentials: { accessToken: "k" },
          },
        },
      );
      expect(connected.data.connectIntegration).toEqual({
        __typename: "IntegrationPayload",
        integration: { status: "PENDING" },
        syncRun: { kind: "INITIAL" },
      });
    } finally {
      await first.stop();
    }

    // A second start applies no migration twice and finds the same rows.
    const second = await startApp(config(), []);
    try {
      const session = await second.db.session();
      const applied = await session.query<{ migration_name: string }>(
        `SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name`,
      );
      expect(applied.map((row) => row.migration_name)).toEqual(readMigrations().map((m) => m.name));
      const list = await graphql(second, token, "{ integrations { totalCount edges { node { name } } } }");
      expect(list.data.integrations).toEqual({ totalCount: 1, edges: [{ node: { name: "Helpdesk" } }] });
    } finally {
      await second.stop();
    }
  });
});
