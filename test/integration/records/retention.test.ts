import { randomUUID } from "node:crypto";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptSecret } from "../../../src/auth/secrets.ts";
import { globalId } from "../../../src/graphql/ids.ts";
import { pruneTombstones } from "../../../src/records/retention.ts";
import { reconcileDeletions, upsertRecords } from "../../../src/sync/records.ts";
import { until } from "../../support/engine.ts";
import { startTestApp, type TestApp, type TestTenant } from "../../support/harness.ts";

/**
 * Retention, run by the scheduler in compressed time: a "minute" is 3 ms, so a platform day is 4.3 s and
 * both retentions are one day. Tombstones older than that are pruned (in batches, walking the change
 * stream), and a reader whose cursor lies below a pruned one is told CURSOR_EXPIRED instead of silently
 * missing the deletion; webhook deliveries that are over are deleted with their attempts, those still
 * waiting are kept.
 */
const MINUTE_MS = 3;
const DAY_MS = MINUTE_MS * 1440;
let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await startTestApp({
    roles: ["scheduler"],
    env: {
      SYNCLINE_MINUTE_MS: String(MINUTE_MS),
      SYNCLINE_SWEEP_INTERVAL_MS: "100",
      SYNCLINE_TOMBSTONE_RETENTION_DAYS: "1",
      SYNCLINE_WEBHOOK_RETENTION_DAYS: "1",
    },
  });
  tenant = await t.createTenant("Retention");
});
afterAll(() => t.close());

/** An integration whose scheduled pulls never come due here (one-off, and no worker runs them). */
async function integration() {
  return t.app.db.prisma.integration.create({
    data: {
      tenantId: tenant.id,
      platform: "XPM",
      name: "Practice",
      remoteTenantId: `practice-${randomUUID()}`,
      syncMode: "ONE_OFF",
      status: "CONNECTED",
      credentialsEncrypted: encryptSecret(t.config.encryptionKey, JSON.stringify({ accessToken: "x" })),
    },
  });
}

/** A pull's page of clients, then (with `keep`) a complete listing that no longer has the others. */
async function pull(integrationId: string, ids: string[], keep?: string[]) {
  const prisma = t.app.db.prisma;
  const target = { integrationId, entity: "client", runId: randomUUID() };
  await prisma.$transaction((tx) =>
    upsertRecords(
      tx,
      target,
      ids.map((id) => ({ remoteId: id, data: { UUID: id, Name: `Client ${id}` } })),
    ),
  );
  if (!keep) return;
  const listing = { ...target, runId: randomUUID() };
  await prisma.$transaction(async (tx) => {
    await upsertRecords(
      tx,
      listing,
      keep.map((id) => ({ remoteId: id, data: { UUID: id, Name: `Client ${id}` } })),
    );
    await reconcileDeletions(tx, listing);
  });
}

const Records: TypedDocumentNode<
  {
    integration: {
      records:
        | {
            __typename: "RecordConnection";
            cursor: string;
            edges: { node: { remoteId: string; deleted: boolean } }[];
          }
        | {
            __typename: "CursorExpiredError";
            code: string;
            entity: string;
            prunedAt: string;
            message: string;
          };
    };
  },
  { id: string; after?: string | null; filter?: { includeDeleted?: boolean } }
> = parse(`
  query ($id: ID!, $after: String, $filter: RecordFilter) {
    integration(id: $id) {
      ... on Integration {
        records(entity: "client", after: $after, first: 1000, filter: $filter) {
          __typename
          ... on RecordConnection { cursor edges { node { remoteId deleted } } }
          ... on CursorExpiredError { code entity prunedAt message }
          ... on ValidationError { message }
        }
      }
    }
  }
`);

async function read(integrationId: string, after: string | null, filter?: { includeDeleted?: boolean }) {
  const { integration } = await t.data(
    Records,
    { id: globalId("Integration", integrationId), after, ...(filter ? { filter } : {}) },
    tenant.viewer,
  );
  return integration.records;
}

/**
 * Reads until `count` changes are there: a change is readable once every older transaction on the server
 * has ended (src/records/position.ts), a moment after its commit on a busy server.
 */
async function readSettled(integrationId: string, after: string | null, count: number) {
  let page = await read(integrationId, after);
  await until(
    `${count} changes readable`,
    async () => {
      page = await read(integrationId, after);
      return page.__typename !== "RecordConnection" || page.edges.length >= count;
    },
    10_000,
  );
  if (page.__typename !== "RecordConnection") throw new Error(page.__typename);
  return page;
}

const tombstones = (integrationId: string) =>
  t.app.db.prisma.syncedRecord.count({ where: { integrationId, deleted: true } });

describe("tombstone retention", () => {
  it("prunes old tombstones from the scheduler, and a cursor below them expires instead of missing them", async () => {
    const { id } = await integration();
    await pull(id, ["a", "b", "c", "d", "e"]);
    const start = await readSettled(id, null, 5);
    expect(start.edges).toHaveLength(5);
    const beforeDeletions = start.cursor;

    // A complete listing without d and e: two tombstones; a reader that keeps up sees them.
    await pull(id, [], ["a", "b", "c"]);
    const caughtUp = await readSettled(id, beforeDeletions, 2);
    expect(caughtUp.edges.map((e) => [e.node.remoteId, e.node.deleted])).toEqual([
      ["d", true],
      ["e", true],
    ]);
    const afterDeletions = caughtUp.cursor;

    // Younger than the retention they stay (the scheduler prunes every platform hour, 180 ms).
    await new Promise((resolve) => setTimeout(resolve, DAY_MS / 4));
    expect(await tombstones(id)).toBe(2);
    await until("the tombstones pruned", async () => (await tombstones(id)) === 0, 3 * DAY_MS);
    expect(await t.app.db.prisma.syncedRecord.count({ where: { integrationId: id } })).toBe(3);

    // A reader who had not read the deletions is told to resync, not handed a stream without them.
    const lagging = await read(id, beforeDeletions);
    expect(lagging).toMatchObject({
      __typename: "CursorExpiredError",
      code: "CURSOR_EXPIRED",
      entity: "client",
    });
    if (lagging.__typename !== "CursorExpiredError") throw new Error(lagging.__typename);
    expect(lagging.message).toMatch(/resync from a zero cursor/);
    // A reader of live records only needs no tombstone.
    expect((await read(id, beforeDeletions, { includeDeleted: false })).__typename).toBe("RecordConnection");
    // The reader who had read them goes on, and sees later deletions.
    const current = await read(id, afterDeletions);
    expect(current).toMatchObject({ __typename: "RecordConnection", edges: [] });
    await pull(id, [], ["a", "b"]);
    const next = await readSettled(id, afterDeletions, 1);
    expect(next.edges.map((e) => [e.node.remoteId, e.node.deleted])).toEqual([["c", true]]);
    // A resync from a zero cursor gets every record that exists (and the tombstone still kept).
    const resync = await readSettled(id, null, 3);
    expect(resync.edges.map((e) => [e.node.remoteId, e.node.deleted])).toEqual([
      ["a", false],
      ["b", false],
      ["c", true],
    ]);
  }, 60_000);

  it("walks in batches, deleting only tombstones, and keeps where it stopped", async () => {
    const { id } = await integration();
    const ids = Array.from({ length: 9 }, (_, i) => `r${i}`);
    await pull(id, ids, ["r0", "r2", "r4"]);
    expect(await tombstones(id)).toBe(6);
    // A cutoff ahead of now: everything counts as old for this call (the scheduler's cutoff is a day back).
    const cutoff = new Date(Date.now() + 60_000);
    await until(
      "the batches",
      async () => {
        await pruneTombstones(t.app.db.sql, cutoff, { batch: 2 });
        return (await tombstones(id)) === 0;
      },
      5_000,
    );
    const left = await t.app.db.prisma.syncedRecord.findMany({
      where: { integrationId: id },
      orderBy: { remoteId: "asc" },
    });
    expect(left.map((r) => r.remoteId)).toEqual(["r0", "r2", "r4"]);
    const mark = await t.app.db.prisma.recordPruneMark.findUniqueOrThrow({
      where: { integrationId_entity: { integrationId: id, entity: "client" } },
    });
    // Walked past every change, and the newest pruned tombstone is the last deletion.
    const newest = await t.app.db.sql.query<{ xid: string; seq: string }>(
      `SELECT max("changeXid")::text AS xid, max("changeSeq")::text AS seq FROM "SyncedRecord" WHERE "integrationId" = $1::uuid`,
      [id],
    );
    expect(BigInt(mark.walkedXid)).toBeGreaterThanOrEqual(BigInt(newest[0]!.xid));
    expect(mark.prunedXid).toBeGreaterThan(0n);
    // Nothing more to do: a second pass deletes nothing.
    expect(await pruneTombstones(t.app.db.sql, cutoff, { batch: 2 })).toEqual({ deleted: 0, done: true });
  });
});

describe("webhook delivery retention", () => {
  it("deletes deliveries delivered or given up over a day ago, with their attempts, and keeps the rest", async () => {
    const prisma = t.app.db.prisma;
    const endpoint = await prisma.webhookEndpoint.create({
      data: {
        tenantId: tenant.id,
        url: "https://hooks.example.com/syncline",
        events: ["RUN_FINISHED"],
        secretEncrypted: encryptSecret(t.config.encryptionKey, "whsec_test"),
      },
    });
    const old = new Date(Date.now() - 2 * DAY_MS);
    const delivery = async (status: "PENDING" | "DELIVERED" | "FAILED", at: Date) => {
      const row = await prisma.webhookDelivery.create({
        data: {
          endpointId: endpoint.id,
          eventId: randomUUID(),
          eventType: "RUN_FINISHED",
          body: "{}",
          status,
          createdAt: at,
          lastAttemptAt: status === "PENDING" ? null : at,
          deliveredAt: status === "DELIVERED" ? at : null,
          attemptCount: 1,
          attempts: {
            create: {
              attemptedAt: at,
              responseStatus: status === "DELIVERED" ? 200 : 500,
              responseTimeMs: 5,
            },
          },
        },
      });
      return row.id;
    };
    const delivered = await delivery("DELIVERED", old);
    const failed = await delivery("FAILED", old);
    const waiting = await delivery("PENDING", old);
    const recent = await delivery("DELIVERED", new Date());

    await until(
      "the old deliveries pruned",
      async () => (await prisma.webhookDelivery.count({ where: { id: { in: [delivered, failed] } } })) === 0,
      3 * DAY_MS,
    );
    const kept = await prisma.webhookDelivery.findMany({ where: { endpointId: endpoint.id } });
    expect(kept.map((d) => d.id).sort()).toEqual([waiting, recent].sort());
    expect(await prisma.webhookAttempt.count({ where: { deliveryId: { in: [delivered, failed] } } })).toBe(0);
    expect(await prisma.webhookAttempt.count({ where: { deliveryId: { in: [waiting, recent] } } })).toBe(2);
  }, 30_000);
});
