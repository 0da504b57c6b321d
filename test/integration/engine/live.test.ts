import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../../src/graphql/ids.ts";
import type {
  QueueProgressSubscription as Progress,
  IntegrationSyncRunsSubscription as RunsUpdate,
  SyncRunUpdatedSubscription as RunUpdate,
} from "../../generated/graphql.ts";
import {
  EnqueueExportsMutation,
  IntegrationSyncRunsSubscription,
  QueueProgressSubscription,
  SyncRunUpdatedSubscription,
  TriggerSyncMutation,
} from "../../operations.ts";
import { connectedXpm, type EngineHarness, startEngineHarness } from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";
import { readServerSentEvents, waitForRedisSubscribers } from "../../support/live.ts";

/** The engine's live streams, over server-sent events through yoga, as a monitor would read them. */
const MINUTE_MS = 1000;
let h: EngineHarness;
let tenant: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS });
  tenant = await h.t.createTenant("Live");
  other = await h.t.createTenant("Other");
});
afterAll(() => h.close());

async function subscribe<T>(query: string, variables: object, token: string) {
  const controller = new AbortController();
  const response = await h.t.app.yoga.fetch("http://syncline.test/graphql", {
    method: "POST",
    signal: controller.signal,
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  type Event = { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  return { events: readServerSentEvents<Event>(response), stop: () => controller.abort() };
}

function queueDailyRun(tenantId: string, integrationId: string) {
  return h.t.app.db.prisma.syncRun.create({
    data: { tenantId, integrationId, kind: "DAILY", trigger: "USER", lane: "DAILY" },
  });
}

const channel = (topic: string, id: string) => `${h.t.config.redisPrefix}:events:${topic}:${id}`;

describe("live streams", () => {
  it("syncRunUpdated streams a pull run from queued to succeeded, with its counts", async () => {
    const { integration, practice } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { clients: 12, jobs: 4 },
    });
    const run = await queueDailyRun(tenant.id, integration.id);
    const stream = await subscribe<RunUpdate>(
      print(SyncRunUpdatedSubscription),
      { id: globalId("SyncRun", run.id) },
      tenant.viewer,
    );
    const first = stream.events.next();
    await waitForRedisSubscribers(channel("syncRunUpdated", run.id));
    await h.t.app.engine.notify(integration.id);

    const seen: NonNullable<RunUpdate["syncRunUpdated"]>[] = [];
    let next = first;
    for (;;) {
      const { value, done } = await next;
      if (done || !value?.data) throw new Error(`stream ended: ${JSON.stringify(value)}`);
      seen.push(value.data.syncRunUpdated);
      if (value.data.syncRunUpdated.status === "SUCCEEDED") break;
      next = stream.events.next();
    }
    stream.stop();
    // The run as it was when the subscription started, then its changes.
    expect(seen[0]!.status).toBe("QUEUED");
    expect(seen.map((run) => run.status)).toContain("RUNNING");
    expect(seen.at(-1)).toMatchObject({
      status: "SUCCEEDED",
      fetchedCount: 12 + practice.currentJobs().length,
      createdCount: 12 + practice.currentJobs().length,
    });
    // Counts only grow while the run goes on.
    for (let i = 1; i < seen.length; i++)
      expect(seen[i]!.fetchedCount).toBeGreaterThanOrEqual(seen[i - 1]!.fetchedCount);
  });

  it("queueProgress streams the outbox draining", async () => {
    const { integration } = await connectedXpm(h, { tenantId: tenant.id, seed: { jobs: 5 } });
    const id = globalId("Integration", integration.id);
    const stream = await subscribe<Progress>(
      print(QueueProgressSubscription),
      { integrationId: id },
      tenant.viewer,
    );
    const first = stream.events.next();
    await waitForRedisSubscribers(channel("queueProgress", integration.id));
    const items = ["J000001", "J000002", "J000003", "J000004", "J000005"].map((job) => ({
      entity: "job",
      remoteId: job,
      field: "budget",
      value: 42,
    }));
    await h.t.data(EnqueueExportsMutation, { input: { integrationId: id, items } }, tenant.admin);

    let next = first;
    const sent: number[] = [];
    for (;;) {
      const { value, done } = await next;
      if (done || !value?.data) throw new Error(`stream ended: ${JSON.stringify(value)}`);
      expect(value.data.queueProgress.integrationId).toBe(id);
      sent.push(value.data.queueProgress.exportQueue.sent);
      if (value.data.queueProgress.exportQueue.sent === 5) break;
      next = stream.events.next();
    }
    stream.stop();
    expect(sent.at(-1)).toBe(5);
    expect([...sent].sort((a, b) => a - b)).toEqual(sent);
  });

  it("integrationSyncRuns streams a forced sync from queued to succeeded, with its log lines", async () => {
    const { integration } = await connectedXpm(h, { tenantId: tenant.id, seed: { clients: 3, jobs: 2 } });
    const id = globalId("Integration", integration.id);
    const stream = await subscribe<RunsUpdate>(
      print(IntegrationSyncRunsSubscription),
      { integrationId: id },
      tenant.viewer,
    );
    const first = stream.events.next();
    await waitForRedisSubscribers(channel("integrationSyncRuns", integration.id));
    await h.t.data(TriggerSyncMutation, { input: { integrationId: id, kind: "FORCE" } }, tenant.admin);

    const statuses: string[] = [];
    const entityStates = new Set<string>();
    let last: RunsUpdate["integrationSyncRuns"] | undefined;
    for (let next = first; ; next = stream.events.next()) {
      const { value, done } = await next;
      if (done || !value?.data) throw new Error(`stream ended: ${JSON.stringify(value)}`);
      last = value.data.integrationSyncRuns;
      statuses.push(last.status);
      for (const e of last.entities) entityStates.add(`${e.entity}:${e.state}`);
      if (last.status === "SUCCEEDED") break;
    }
    stream.stop();
    expect(statuses[0]).toBe("QUEUED");
    expect(statuses).toContain("RUNNING");
    expect(last!.logs.edges.map((e) => e.node.message)).toContain(
      "client: fetched 3, created 3, updated 0, unchanged 0",
    );
    // Counts per entity travel with each update: the stream saw entities move on, and ends with all done.
    expect(entityStates).toContain("client:DONE");
    expect([...entityStates].some((s) => s.endsWith(":PULLING"))).toBe(true);
    expect(last!.entities.find((e) => e.entity === "client")).toEqual({
      entity: "client",
      state: "DONE",
      fetched: 3,
    });
  });

  it("refuses to stream another tenant's run or queue", async () => {
    const { integration } = await connectedXpm(h, { tenantId: other.id, seed: { jobs: 1 } });
    const run = await queueDailyRun(other.id, integration.id);
    const runStream = await subscribe<RunUpdate>(
      print(SyncRunUpdatedSubscription),
      { id: globalId("SyncRun", run.id) },
      tenant.viewer,
    );
    const runResult = await runStream.events.next();
    expect(runResult.value?.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/not found/),
      extensions: { code: "NOT_FOUND" },
    });
    const queueStream = await subscribe<Progress>(
      print(QueueProgressSubscription),
      { integrationId: globalId("Integration", integration.id) },
      tenant.viewer,
    );
    const queueResult = await queueStream.events.next();
    expect(queueResult.value?.data ?? null).toBeNull();
    expect(queueResult.value?.errors?.[0]?.extensions).toEqual({ code: "NOT_FOUND" });
  });
});
