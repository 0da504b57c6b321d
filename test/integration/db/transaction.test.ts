import { afterEach, describe, expect, it } from "vitest";
import { createTenant } from "../../../src/auth/tenants.ts";
import { type Database, openDatabase } from "../../../src/db/client.ts";
import { startTestApp, type TestApp } from "../../support/harness.ts";

/**
 * Database.transaction: raw statements that commit together (a pull's page), on PostgreSQL's pool and on
 * PGlite. What it must do: commit when the work resolves, undo everything when it throws (a failed
 * statement included), and leave the database serving statements afterwards.
 */
async function transactionsHold(db: Database) {
  const { tenantId } = await createTenant(db.prisma, { name: "Before" });
  const rename = (name: string) => `UPDATE "Tenant" SET name = '${name}' WHERE id = $1::uuid`;
  const nameNow = async () => (await db.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).name;

  // Committed: both writes.
  await db.transaction(async (tx) => {
    await tx.query(rename("First"), [tenantId]);
    await tx.query(rename("Committed"), [tenantId], { prepared: true });
  });
  expect(await nameNow()).toBe("Committed");

  // The work throws after a write: the write is undone, and the error reaches the caller as it was.
  const refused = new Error("the work changed its mind");
  await expect(
    db.transaction(async (tx) => {
      await tx.query(rename("Undone"), [tenantId]);
      throw refused;
    }),
  ).rejects.toBe(refused);
  expect(await nameNow()).toBe("Committed");

  // A statement fails inside: the transaction is rolled back, the failure reported.
  await expect(
    db.transaction(async (tx) => {
      await tx.query(rename("Undone too"), [tenantId]);
      await tx.query(`SELECT 1 FROM "NoSuchTable"`);
    }),
  ).rejects.toThrow(/NoSuchTable/);
  expect(await nameNow()).toBe("Committed");

  // Every connection came back usable: more transactions than the pool has connections, side by side.
  await Promise.all(
    Array.from({ length: 8 }, (_, n) =>
      db.transaction((tx) => tx.query(`SELECT $1::int AS n`, [n], { prepared: true })),
    ),
  );
  expect(await db.sql.query<{ n: number }>(`SELECT 1 AS n`)).toEqual([{ n: 1 }]);
}

describe("a raw transaction", () => {
  let test: TestApp | undefined;
  afterEach(async () => {
    await test?.close();
    test = undefined;
  });

  it("commits, rolls back and gives its connection back on PostgreSQL", async () => {
    test = await startTestApp();
    await transactionsHold(test.app.db);
    // Its statements run under a minute's limit, set for the transaction alone (SET LOCAL): others have none.
    const limit = () => test!.app.db.sql.query<{ statement_timeout: string }>("SHOW statement_timeout");
    const inside = await test.app.db.transaction((tx) =>
      tx.query<{ statement_timeout: string }>("SHOW statement_timeout"),
    );
    expect(inside).toEqual([{ statement_timeout: "1min" }]);
    expect(await limit()).toEqual([{ statement_timeout: "0" }]);
  });

  it("commits, rolls back and gives the instance back on PGlite", async () => {
    const db = await openDatabase({ kind: "pglite", dir: "memory://" });
    try {
      await transactionsHold(db);
    } finally {
      await db.close();
    }
  });
});
