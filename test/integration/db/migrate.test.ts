import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, readMigrations } from "../../../src/db/migrate.ts";
import { openPostgresSession, type SqlSession } from "../../../src/db/sql.ts";
import { adminQuery, databaseUrl } from "../../support/env.ts";

const name = `syncline_test_migrate_${randomBytes(4).toString("hex")}`;

beforeAll(() => adminQuery(`CREATE DATABASE ${name}`));
afterAll(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));

describe("migration runner", () => {
  it("applies each migration exactly once when several processes start together", async () => {
    const sessions: SqlSession[] = await Promise.all(
      [1, 2, 3].map(() => openPostgresSession(databaseUrl(name))),
    );
    try {
      const results = await Promise.all(sessions.map((session) => migrate(session)));
      const appliedEverywhere = results.flat();
      expect(appliedEverywhere.sort()).toEqual(readMigrations().map((m) => m.name));
      const rows = await sessions[0]!.query<{ migration_name: string; checksum: string; finished_at: Date }>(
        `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"`,
      );
      expect(rows.map((r) => r.migration_name)).toEqual(readMigrations().map((m) => m.name));
      expect(rows.every((r) => r.finished_at instanceof Date && /^[0-9a-f]{64}$/.test(r.checksum))).toBe(
        true,
      );
      expect(await migrate(sessions[1]!)).toEqual([]);
    } finally {
      await Promise.all(sessions.map((session) => session.close()));
    }
  });

  it("refuses to run when an applied migration was edited", async () => {
    const session = await openPostgresSession(databaseUrl(name));
    try {
      const edited = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: "0".repeat(64) } : m));
      await expect(migrate(session, edited)).rejects.toThrow(/was changed after it was applied/);
    } finally {
      await session.close();
    }
  });

  it("rolls a failing migration back whole, recording nothing", async () => {
    const session = await openPostgresSession(databaseUrl(name));
    try {
      const broken = {
        name: "99999999999999_broken",
        sql: `CREATE TABLE "half_done" (id int); SELECT * FROM "no_such_table";`,
        checksum: "f".repeat(64),
      };
      await expect(migrate(session, [...readMigrations(), broken])).rejects.toThrow(
        /99999999999999_broken failed/,
      );
      const [table] = await session.query<{ exists: boolean }>(
        `SELECT to_regclass('half_done') IS NOT NULL AS exists`,
      );
      expect(table?.exists).toBe(false);
      const recorded = await session.query(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = $1`, [
        broken.name,
      ]);
      expect(recorded).toEqual([]);
    } finally {
      await session.close();
    }
  });
});
