import { print } from "graphql";
import type { Client } from "graphql-ws";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../../src/graphql/ids.ts";
import { subscribersClosedSlow } from "../../../src/observability/metrics.ts";
import { packetTransitionsAfter } from "../../../src/push/packet-log.ts";
import type { PacketLogSubscription as PacketLog } from "../../generated/graphql.ts";
import {
  EnqueueExportsMutation,
  IngestOrdersMutation,
  PacketLogSubscription,
  QueueDrainSubscription,
  StartAccountingSyncMutation,
  UpsertMappingRuleMutation,
  ViewerQuery,
} from "../../operations.ts";
import {
  connectedXero,
  connectedXpm,
  type EngineHarness,
  startEngineHarness,
  until,
} from "../../support/engine.ts";
import { TEST_REDIS_URL } from "../../support/env.ts";
import type { TestTenant } from "../../support/harness.ts";
import { retailOrder } from "../../support/orders.ts";
import { wsClient as connect, RawSubscriber, sseSubscribe, subscribe } from "../../support/subscribers.ts";

/**
 * Live subscriptions under load, against a listening API node with a worker, real WebSockets and SSE,
 * Redis and PostgreSQL: a subscriber that stops reading is closed and can resume while the others get
 * everything; many subscribers on a drain all end on its final state; late, reconnecting and resuming
 * subscribers get every packet transition exactly once, even across a lost Redis subscription.
 */
const MINUTE_MS = 1000;
/** Caps lifted in syncline and the sandboxes: these tests are about what subscribers see, not the caps. */
const LIFTED = {
  concurrent: 10,
  perMinute: 1_000_000_000,
  perDay: 1_000_000_000,
  exportPerMinute: 1_000_000_000,
  exportPerDay: 1_000_000_000,
};
const BUFFER = 50;

let h: EngineHarness;
let tenant: TestTenant;
let api: string;

beforeAll(async () => {
  h = await startEngineHarness({
    minuteMs: MINUTE_MS,
    // The scheduler's sweep serves again an integration whose activation lapsed on a busy machine.
    roles: ["api", "worker", "scheduler"],
    env: {
      SYNCLINE_LIVE_BUFFER: String(BUFFER),
      // Long enough for the test to read the slow subscriber's socket again and see its close.
      SYNCLINE_LIVE_CLOSE_GRACE_MS: "120000",
      SYNCLINE_LIVE_STATE_INTERVAL_MS: "100",
    },
  });
  for (const sandbox of [h.xpm, h.xero])
    sandbox.caps.setLimits({ concurrent: 100, perMinute: 1_000_000_000, perDay: 1_000_000_000 });
  tenant = await h.t.createTenant("Live");
  api = h.t.app.api!.url;
}, 120_000);
afterAll(() => h.close());

const clients: Client[] = [];
/** A graphql-ws client of its own (its own socket), closed after the test. */
function wsClient(url: string, token: string): Client {
  const client = connect(url, token);
  clients.push(client);
  return client;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});

/** A Xero integration with its rules and `count` orders ingested: a push of `count` packets, started. */
async function startPush(count: number) {
  const { integration } = await connectedXero(h, {
    tenantId: tenant.id,
    override: LIFTED,
    syncMode: "ONE_OFF",
  });
  const id = globalId("Integration", integration.id);
  for (const [sourceType, sourceValue, targetType, targetValue] of [
    ["REVENUE_CATEGORY", "Retail", "ACCOUNT_CODE", "200"],
    ["TAX_RATE", "GST 15%", "TAX_TYPE", "OUTPUT"],
    ["PAYMENT_METHOD", "CARD", "ACCOUNT_CODE", "090"],
  ] as const) {
    const { upsertMappingRule } = await h.t.data(
      UpsertMappingRuleMutation,
      { input: { integrationId: id, sourceType, sourceValue, targetType, targetValue } },
      tenant.admin,
    );
    expect(upsertMappingRule.__typename).toBe("MappingRulePayload");
  }
  const orders = Array.from({ length: count }, (_, n) =>
    retailOrder(
      `L-${integration.id.slice(0, 8)}-${n}`,
      new Date(Date.UTC(2026, 10, 1) + n * 60_000).toISOString(),
    ),
  );
  const { ingestOrders } = await h.t.data(
    IngestOrdersMutation,
    { input: { integrationId: id, orders } },
    tenant.admin,
  );
  expect(ingestOrders).toMatchObject({ created: count });
  const { startAccountingSync } = await h.t.data(
    StartAccountingSyncMutation,
    { integrationId: id },
    tenant.owner,
  );
  if (startAccountingSync.__typename !== "StartAccountingSyncPayload")
    throw new Error(startAccountingSync.__typename);
  const runGlobalId = startAccountingSync.syncRun.id;
  const runId = Buffer.from(runGlobalId, "base64").toString().split(":")[1]!;
  return { integration, runId, runGlobalId };
}

/** The run's whole log once it has ended (its last move logged). */
async function finishedLog(runId: string) {
  const prisma = h.t.app.db.prisma;
  await until(
    "push run finished",
    async () => (await prisma.syncRun.findUniqueOrThrow({ where: { id: runId } })).status === "SUCCEEDED",
    120_000,
  );
  const log = await packetTransitionsAfter(prisma, runId, 0, 1_000_000);
  return log;
}

/** Subscribers this process's API node closed for being too slow (its metric, as /metrics shows it). */
async function closedSlow(): Promise<number> {
  const metric = await subscribersClosedSlow.get();
  return metric.values.reduce((sum, value) => sum + value.value, 0);
}

const sequencesOf = (results: { data?: PacketLog | null }[]) =>
  results.map((result) => result.data?.packetStateChanged.eventSequence);

const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("packet transitions", () => {
  it("reach a subscriber that starts late, one that reconnects with its sequence, and one on SSE that reconnects with Last-Event-ID, each exactly once, across a lost Redis subscription", async () => {
    const { runId, runGlobalId } = await startPush(60);
    const total = (log: { eventSequence: number }[]) => log.length;

    // From the start (subscribed right after startAccountingSync returned: nothing is missed).
    const first = subscribe(wsClient(api, tenant.viewer), PacketLogSubscription, { runId: runGlobalId });
    // One that drops its connection after 30 moves and comes back with the last sequence it saw.
    const dropping = wsClient(api, tenant.viewer);
    const before = subscribe(dropping, PacketLogSubscription, { runId: runGlobalId });
    await before.reached((results) => results.length >= 30);
    await dropping.dispose();
    // What it saw when it dropped the connection (results still in flight then are not its to keep).
    const seenBefore = [...before.results];
    const resumeAfter = seenBefore.at(-1)!.data!.packetStateChanged.eventSequence;

    // Redis drops the API node's subscriptions while moves keep coming.
    await first.reached((results) => results.length >= 40);
    const redis = new Redis(TEST_REDIS_URL);
    const clients = (await redis.client("LIST")) as string;
    const feed = clients
      .split("\n")
      .find((line) => line.includes(`name=syncline-feed:${h.t.config.redisPrefix} `));
    expect(feed).toBeDefined();
    await redis.client("KILL", "ID", /id=(\d+)/.exec(feed!)![1]!);
    redis.disconnect();

    const after = subscribe(wsClient(api, tenant.viewer), PacketLogSubscription, {
      runId: runGlobalId,
      afterSequence: resumeAfter,
    });

    // Over SSE: 25 events, then the connection is dropped and reopened with the last event's id.
    const sse = await sseSubscribe(api, tenant.viewer, PacketLogSubscription, { runId: runGlobalId });
    const sseSeen: { id: string | null; sequence: number }[] = [];
    for await (const event of sse.events) {
      sseSeen.push({ id: event.id, sequence: event.data.data!.packetStateChanged.eventSequence });
      if (sseSeen.length === 25) break;
    }
    sse.stop();
    expect(sseSeen.every((event) => event.id === String(event.sequence))).toBe(true);
    const log = await finishedLog(runId);
    const resumed = await sseSubscribe(
      api,
      tenant.viewer,
      PacketLogSubscription,
      { runId: runGlobalId },
      sseSeen.at(-1)!.id!,
    );
    for await (const event of resumed.events) {
      sseSeen.push({ id: event.id, sequence: event.data.data!.packetStateChanged.eventSequence });
      if (sseSeen.length === total(log)) break;
    }
    resumed.stop();

    // Late: the run has ended; the whole log is replayed.
    const late = subscribe(wsClient(api, tenant.viewer), PacketLogSubscription, { runId: runGlobalId });

    const all = oneToN(total(log));
    await Promise.all(
      [first, after, late].map((s) =>
        s.reached((results) => results.length >= all.length - (s === after ? resumeAfter : 0)),
      ),
    );
    // 60 packets: each created PENDING, mapped, sent, and sent: at least 4 moves apiece.
    expect(total(log)).toBeGreaterThanOrEqual(240);
    expect(sequencesOf(first.results)).toEqual(all);
    expect(sequencesOf(late.results)).toEqual(all);
    expect([...sequencesOf(seenBefore), ...sequencesOf(after.results)]).toEqual(all);
    expect(sseSeen.map((event) => event.sequence)).toEqual(all);
    // What they got is the log: each move as PostgreSQL has it, every packet's moves a chain ending SENT.
    expect(
      first.results.map((r) => `${r.data!.packetStateChanged.from}>${r.data!.packetStateChanged.to}`),
    ).toEqual(log.map((entry) => `${entry.from}>${entry.to}`));
    const chains = new Map<string, string[]>();
    for (const entry of log)
      chains.set(entry.packetId, [...(chains.get(entry.packetId) ?? []), `${entry.from}>${entry.to}`]);
    expect(chains.size).toBe(60);
    for (const chain of chains.values()) {
      expect(chain[0]).toBe("null>PENDING");
      for (let i = 1; i < chain.length; i++)
        expect(chain[i]!.split(">")[0]).toBe(chain[i - 1]!.split(">")[1]);
      expect(chain.at(-1)).toBe("SENDING>SENT");
    }
    for (const s of [first, after, late]) s.stop();
  }, 180_000);

  it("closes a subscriber whose socket stops reading (4008, with where to resume) while the others keep everything, and the node keeps serving", async () => {
    const closedBefore = await closedSlow();
    const { integration, runId, runGlobalId } = await startPush(250);
    const healthy = [0, 1].map(() =>
      subscribe(wsClient(api, tenant.viewer), PacketLogSubscription, { runId: runGlobalId }),
    );
    const queue = subscribe(wsClient(api, tenant.viewer), QueueDrainSubscription, {
      integrationId: globalId("Integration", integration.id),
    });

    // The slow one: ten subscriptions on one socket, each result padded with aliases, then it stops reading.
    const slow = await RawSubscriber.connect(api, tenant.viewer);
    const padding = Array.from({ length: 25 }, (_, i) => `p${i}: packetId`).join(" ");
    const query = `subscription Slow($runId: ID!) { packetStateChanged(runId: $runId) { eventSequence ${padding} } }`;
    // It stops reading at once, while the kernel's buffer for it is still small.
    slow.stopReading();
    for (let n = 1; n <= 10; n++) slow.subscribe(String(n), query, { runId: runGlobalId });
    // The node closes it once it has stopped taking events more than its limit behind.
    await until("the slow subscriber closed", async () => (await closedSlow()) > closedBefore, 60_000);
    // Reading again, it finds what was queued for it, then the close frame and its reason.
    slow.readAgain();

    const log = await finishedLog(runId);
    await Promise.all(healthy.map((s) => s.reached((results) => results.length >= log.length)));
    for (const s of healthy) expect(sequencesOf(s.results)).toEqual(oneToN(log.length));
    // State streams on the same node kept going too: the queue's last figures say the push is done.
    await queue.reached((results) => results.at(-1)?.data?.queueProgress.exportQueue.inFlight === 0);

    // The node is up and answers, over HTTP, as before.
    const answer = await fetch(api, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.viewer}` },
      body: JSON.stringify({ query: print(ViewerQuery) }),
    });
    expect(((await answer.json()) as { data: { viewer: { role: string } } }).data.viewer.role).toBe("VIEWER");

    await slow.until(() => slow.closed !== null, 60_000);
    expect(slow.closed!.code).toBe(4008);
    expect(slow.closed!.reason).toMatch(/too slow.*afterSequence \d+/);
    const mine = slow.messages
      .filter((m) => m.id === "1" && m.type === "next")
      .map(
        (m) =>
          (m.payload as { data: { packetStateChanged: { eventSequence: number } } }).data.packetStateChanged
            .eventSequence,
      );
    expect(mine.length).toBeLessThan(log.length);
    expect(mine).toEqual(oneToN(mine.length));
    // Resuming from its last sequence, it gets the rest, each once.
    const rest = subscribe(wsClient(api, tenant.viewer), PacketLogSubscription, {
      runId: runGlobalId,
      afterSequence: mine.at(-1) ?? 0,
    });
    await rest.reached((results) => results.length >= log.length - mine.length);
    expect([...mine, ...sequencesOf(rest.results)]).toEqual(oneToN(log.length));
    for (const s of [...healthy, queue, rest]) s.stop();
  }, 180_000);
});

describe("queue progress", () => {
  it("brings every one of many subscribers to the final state of a 1,000-item drain", async () => {
    const { integration, practice } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 1000, clients: 5 },
      override: LIFTED,
      syncMode: "ONE_OFF",
    });
    const integrationId = globalId("Integration", integration.id);
    const subscribers = Array.from({ length: 150 }, () =>
      subscribe(wsClient(api, tenant.viewer), QueueDrainSubscription, { integrationId }),
    );
    const sse = await Promise.all(
      Array.from({ length: 10 }, () =>
        sseSubscribe(api, tenant.viewer, QueueDrainSubscription, { integrationId }),
      ),
    );
    const sseLast: { pending: number; sent: number }[] = sse.map(() => ({ pending: -1, sent: -1 }));
    const sseDone = sse.map(async (stream, i) => {
      try {
        for await (const event of stream.events) {
          sseLast[i] = event.data.data!.queueProgress.exportQueue;
          if (sseLast[i]!.sent === 1000 && sseLast[i]!.pending === 0) break;
        }
      } finally {
        stream.stop();
      }
    });
    // Every subscriber has its first figures (the snapshot): all are listening.
    await Promise.all(subscribers.map((s) => s.reached((results) => results.length >= 1)));
    expect(subscribers.every((s) => s.results[0]!.data!.queueProgress.exportQueue.sent === 0)).toBe(true);

    const items = [...practice.jobs.keys()].map((job, i) => ({
      entity: "job",
      remoteId: job,
      field: "budget",
      value: 2000 + i,
    }));
    const { enqueueExports } = await h.t.data(
      EnqueueExportsMutation,
      { input: { integrationId, items } },
      tenant.admin,
    );
    expect(enqueueExports).toMatchObject({ added: 1000 });

    const final = (
      results: {
        data?: { queueProgress: { exportQueue: { pending: number; inFlight: number; sent: number } } } | null;
      }[],
    ) => {
      const last = results.at(-1)?.data?.queueProgress.exportQueue;
      return last?.sent === 1000 && last.pending === 0 && last.inFlight === 0;
    };
    await Promise.all(subscribers.map((s) => s.reached(final)));
    await Promise.all(sseDone);
    for (const s of subscribers) {
      const sent = s.results.map((r) => r.data!.queueProgress.exportQueue.sent);
      // Conflated, never stale: each subscriber's figures only move forward.
      expect([...sent].sort((a, b) => a - b)).toEqual(sent);
      s.stop();
    }
    expect(sseLast.every((last) => last.sent === 1000 && last.pending === 0)).toBe(true);
  }, 180_000);
});
