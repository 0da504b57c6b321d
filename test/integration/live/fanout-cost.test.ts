import type { Client } from "graphql-ws";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encryptSecret } from "../../../src/auth/secrets.ts";
import { publishEvents } from "../../../src/events.ts";
import { globalId } from "../../../src/graphql/ids.ts";
import { logPacketMoves } from "../../../src/push/packet-log.ts";
import { PacketLogSubscription, QueueDrainSubscription } from "../../operations.ts";
import { startTestApp, type TestApp, type TestTenant } from "../../support/harness.ts";
import { waitForRedisSubscribers } from "../../support/live.ts";
import { type Received, subscribe, wsClient } from "../../support/subscribers.ts";

/**
 * What an event costs an API node, counted in the statements it sends to PostgreSQL
 * (`Database.queryCount`), with 0, 10 and 100 subscribers over real WebSockets. The changes and the events
 * come from outside the node, as a worker's would: through a connection of the test's own, and Redis.
 */
const ROUNDS = 10;
let t: TestApp;
let tenant: TestTenant;
let outside: pg.Pool;
const clients: Client[] = [];

beforeAll(async () => {
  t = await startTestApp({ roles: ["api"] });
  tenant = await t.createTenant("Fan-out");
  outside = new pg.Pool({ connectionString: t.databaseUrl, max: 2 });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});
afterAll(async () => {
  await outside.end();
  await t.close();
});

function subscribers<T, V>(count: number, document: Parameters<typeof subscribe<T, V>>[1], variables: V) {
  return Array.from({ length: count }, () => {
    const client = wsClient(t.app.api!.url, tenant.viewer);
    clients.push(client);
    return subscribe(client, document, variables);
  });
}

async function integration() {
  return t.app.db.prisma.integration.create({
    data: {
      tenantId: tenant.id,
      platform: "XPM",
      name: "Watched",
      remoteTenantId: `practice-${Math.random()}`,
      syncMode: "ONE_OFF",
      status: "CONNECTED",
      credentialsEncrypted: encryptSecret(t.config.encryptionKey, JSON.stringify({ accessToken: "x" })),
    },
  });
}

/** Statements the node sent per round, over ROUNDS rounds of `round` (which waits for every subscriber). */
async function perEvent(round: (n: number) => Promise<void>): Promise<number> {
  const before = t.app.db.queryCount();
  for (let n = 1; n <= ROUNDS; n++) await round(n);
  return (t.app.db.queryCount() - before) / ROUNDS;
}

describe("database work per event", () => {
  it("does not grow with the number of queueProgress subscribers: the figures are read once per change", async () => {
    const costs: Record<number, number> = {};
    for (const count of [0, 10, 100]) {
      const watched = await integration();
      const integrationId = globalId("Integration", watched.id);
      const streams = subscribers(count, QueueDrainSubscription, { integrationId });
      // Each has its first figures: every one is listening.
      await Promise.all(streams.map((s) => s.reached((results) => results.length >= 1)));
      costs[count] = await perEvent(async (n) => {
        await outside.query(
          `INSERT INTO "ExportItem" (id, "integrationId", entity, "remoteId", field, value, status, "idempotencyKey", "updatedAt")
           VALUES (gen_random_uuid(), $1, 'job', $2, 'budget', '1', 'PENDING', gen_random_uuid()::text, now())`,
          [watched.id, `J${n}`],
        );
        publishEvents(t.app.events.pubSub, [{ topic: "queueProgress", integrationId: watched.id }]);
        await Promise.all(
          streams.map((s: Received<{ queueProgress: { exportQueue: { pending: number } } }>) =>
            s.reached((results) => results.at(-1)?.data?.queueProgress.exportQueue.pending === n),
          ),
        );
      });
      for (const s of streams) s.stop();
    }
    // Nobody listening: nothing read. Listening: one read of the figures per change, for 10 as for 100.
    expect(costs[0]).toBe(0);
    expect(costs[10]).toBeGreaterThan(0);
    expect(costs[10]).toBeLessThanOrEqual(5);
    expect(costs[100]).toBeLessThanOrEqual(costs[10]!);
  });

  it("is nothing at all for packetStateChanged subscribers: a transition travels in its event", async () => {
    const costs: Record<number, number> = {};
    for (const count of [10, 100]) {
      const watched = await integration();
      const run = await t.app.db.prisma.syncRun.create({
        data: {
          tenantId: tenant.id,
          integrationId: watched.id,
          kind: "PUSH",
          trigger: "USER",
          lane: "EXPORT",
        },
      });
      const packet = await t.app.db.prisma.syncPacket.create({
        data: {
          runId: run.id,
          integrationId: watched.id,
          sequence: 1,
          state: "MAPPED",
          idempotencyKey: `key-${run.id}`,
          label: "O-1",
        },
      });
      const streams = subscribers(count, PacketLogSubscription, { runId: globalId("SyncRun", run.id) });
      await waitForRedisSubscribers(`${t.config.redisPrefix}:events:packetStateChanged:${run.id}`);
      // Moves made and logged outside the node, as the worker makes them, then published.
      const move = async (to: "SENDING" | "MAPPED") => {
        await outside.query(`UPDATE "SyncPacket" SET state = $2::"PacketState" WHERE id = $1`, [
          packet.id,
          to,
        ]);
        const sql = {
          query: async <R>(text: string, params?: unknown[]) =>
            (await outside.query(text, params)).rows as R[],
        };
        publishEvents(t.app.events.pubSub, await logPacketMoves(sql, [{ id: packet.id, to }]));
      };
      await move("SENDING");
      await Promise.all(streams.map((s) => s.reached((results) => results.length >= 1)));
      costs[count] = await perEvent(async (n) => {
        await move(n % 2 === 1 ? "MAPPED" : "SENDING");
        await Promise.all(streams.map((s) => s.reached((results) => results.length >= n + 1)));
      });
      for (const s of streams) {
        expect(s.results.map((r) => r.data?.packetStateChanged.eventSequence)).toEqual(
          Array.from({ length: ROUNDS + 1 }, (_, i) => i + 1),
        );
        s.stop();
      }
    }
    expect(costs[10]).toBe(0);
    expect(costs[100]).toBe(0);
  });
});

describe("a subscriber of yoga's own pub/sub that stops reading", () => {
  it("loses its events past 1,024 waiting, and nobody else's: the process keeps serving", async () => {
    const topic = "recordsChanged" as const;
    const stuck = t.app.events.pubSub.subscribe(topic, "stuck-test");
    void stuck.next();
    const reading = t.app.events.pubSub.subscribe(topic, "stuck-test");
    let received = 0;
    const done = (async () => {
      for await (const _ of reading) if (++received === 1100) break;
    })();
    await waitForRedisSubscribers(`${t.config.redisPrefix}:events:${topic}:stuck-test`);
    for (let i = 0; i < 1100; i++)
      t.app.events.pubSub.publish(topic, "stuck-test", { integrationId: "stuck-test" } as never);
    await done;
    expect(received).toBe(1100);
    await stuck.return?.(undefined);
  });
});
