import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  activationsResting,
  activationsServing,
  activationsStarted,
} from "../../src/observability/metrics.ts";
import { redisKeys } from "../../src/redis/keys.ts";
import {
  connectedXpm,
  type EngineHarness,
  isJobUpdate,
  queuedActivations,
  queueJobBudgets,
  startEngineHarness,
  until,
} from "../support/engine.ts";
import type { TestTenant } from "../support/harness.ts";
import { startWorkerProcess, stopAllWorkers } from "../support/workers.ts";

/**
 * An activation told to wait up to a platform minute for its budget rests in place: it keeps its
 * integration's lock and its sessions, and hands its worker slot back, so a backlog that waits for its
 * minute again and again is served by one activation, not by a new one (a delayed job, the lock, a
 * fencing token, a servable read) after every wait (engine/dispatcher.ts, serveRounds). Side by side with
 * resting turned off (SYNCLINE_RESTING_ACTIVATIONS=0), where every wait parks.
 */

/** Activations this process has started so far (the counter is the process's, shared by every harness). */
async function started(): Promise<number> {
  return (await activationsStarted.get()).values.reduce((sum, v) => sum + v.value, 0);
}

async function restingNow(): Promise<number> {
  return (await activationsResting.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** Activations holding one of this process's seats now. */
async function servingNow(): Promise<number> {
  return (await activationsServing.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/**
 * The most practices with a call in flight at the same moment, from the sandbox's log (at equal times an
 * end goes before a start, as in CallLog.maxConcurrency).
 */
function mostPracticesInFlight(h: EngineHarness, remotes: readonly string[]): number {
  const events: [at: number, delta: number, remote: string][] = [];
  for (const remote of remotes)
    for (const e of h.xpm.caps.accepted(remote))
      events.push([e.startedAt, 1, remote], [e.endedAt!, -1, remote]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const inFlight = new Map<string, number>();
  let most = 0;
  for (const [, delta, remote] of events) {
    inFlight.set(remote, (inFlight.get(remote) ?? 0) + delta);
    most = Math.max(most, [...inFlight.values()].filter((n) => n > 0).length);
  }
  return most;
}

/**
 * Two practices, each with six edits at two exports a minute: three minutes of waiting for budget.
 * `latencyMs`: how long each practice's calls take at the sandbox (none by default).
 */
async function drainTwoBacklogs(
  h: EngineHarness,
  tenant: TestTenant,
  minuteMs: number,
  latencyMs: readonly [number, number] = [0, 0],
) {
  const practices = await Promise.all(
    [0, 1].map(() =>
      connectedXpm(h, {
        tenantId: tenant.id,
        seed: { jobs: 6, clients: 1, staff: 1, timeEntries: 1 },
        syncMode: "ONE_OFF",
        override: { exportPerMinute: 2 },
      }),
    ),
  );
  for (const [i, { remoteTenantId }] of practices.entries())
    h.xpm.caps.setLatency(latencyMs[i], remoteTenantId);
  const before = await started();
  let mostResting = 0;
  let mostServing = 0;
  for (const { integration, practice } of practices)
    await queueJobBudgets(h, integration.id, [...practice.jobs.keys()], 31);
  await until(
    "every edit sent",
    async () => {
      mostResting = Math.max(mostResting, await restingNow());
      mostServing = Math.max(mostServing, await servingNow());
      const sent = await h.t.app.db.prisma.exportItem.count({
        where: { integrationId: { in: practices.map((p) => p.integration.id) }, status: "SENT" },
      });
      return sent === 12;
    },
    10 * minuteMs,
  );
  for (const { remoteTenantId, practice } of practices) {
    const writes = h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
    expect(writes.filter((c) => c.status === 200 && !c.replayed)).toHaveLength(6);
    expect(h.xpm.caps.maxInSlidingWindow(remoteTenantId, minuteMs, isJobUpdate)).toBeLessThanOrEqual(2);
    expect([...practice.jobs.values()].every((job) => job.dto.budget === 31)).toBe(true);
  }
  const remotes = practices.map((p) => p.remoteTenantId);
  return { activations: (await started()) - before, mostResting, mostServing, remotes };
}

describe("an activation waiting for its minute's budget", () => {
  const MINUTE_MS = 2000;

  describe("with resting in place (the default)", () => {
    let h: EngineHarness;
    let tenant: TestTenant;
    beforeAll(async () => {
      // One worker slot: both backlogs are served by it, each activation handing it back while it rests.
      h = await startEngineHarness({ minuteMs: MINUTE_MS, env: { SYNCLINE_WORKER_CONCURRENCY: "1" } });
      tenant = await h.t.createTenant("Resting");
    });
    afterAll(() => h.close());

    it("rests without its worker slot: one activation per backlog through every wait", async () => {
      const { activations, mostResting } = await drainTwoBacklogs(h, tenant, MINUTE_MS);
      // Both backlogs waited at once on a single worker slot.
      expect(mostResting).toBe(2);
      // One activation each (a third at most, should a busy machine let a lock lapse).
      expect(activations).toBeLessThanOrEqual(3);
      await until("no activation resting", async () => (await restingNow()) === 0, 5 * MINUTE_MS);
    }, 60_000);

    it("serves one activation at a time on one seat: a rest that ends while the other serves waits for it", async () => {
      // The first practice's calls take 600 ms, the second's 100 ms: the second's minute frees while the
      // first's calls of the next minute are still in flight. Woken, it waits for the seat.
      const { activations, mostResting, mostServing, remotes } = await drainTwoBacklogs(
        h,
        tenant,
        MINUTE_MS,
        [600, 100],
      );
      expect(mostResting).toBe(2);
      expect(activations).toBeLessThanOrEqual(3);
      expect(mostServing).toBeLessThanOrEqual(1);
      // Counted by the sandbox: never a call of both practices in flight at once.
      expect(mostPracticesInFlight(h, remotes)).toBe(1);
      await until("no activation serving", async () => (await servingNow()) === 0, 5 * MINUTE_MS);
    }, 60_000);

    it("lets a run's activation (the urgent queue's) serve on after its rests without waiting for the seat", async () => {
      // The only seat is taken throughout by a backlog with its caps lifted, each call 300 ms.
      const busy = await connectedXpm(h, {
        tenantId: tenant.id,
        seed: { jobs: 240, clients: 1, staff: 1, timeEntries: 1 },
        syncMode: "ONE_OFF",
        override: { perMinute: 10_000, exportPerMinute: 10_000 },
      });
      h.xpm.caps.setLatency(300, busy.remoteTenantId);
      // A practice whose initial sync makes two calls a minute: it rests between its pages.
      const slow = await connectedXpm(h, {
        tenantId: tenant.id,
        seed: { jobs: 2, clients: 2, staff: 2, timeEntries: 2 },
        syncMode: "ONE_OFF",
        override: { perMinute: 2 },
      });
      await queueJobBudgets(h, busy.integration.id, [...busy.practice.jobs.keys()], 53);
      const busyWrites = () => h.xpm.caps.accepted(busy.remoteTenantId).filter(isJobUpdate);
      await until("the backlog flowing", () => busyWrites().length >= 3, 10 * MINUTE_MS);
      const run = await h.t.app.db.prisma.syncRun.create({
        data: {
          tenantId: tenant.id,
          integrationId: slow.integration.id,
          kind: "INITIAL",
          trigger: "CONNECT",
          lane: "INITIAL",
        },
      });
      await h.t.app.engine.notify(slow.integration.id);
      await until(
        "the run done",
        async () =>
          (await h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } })).status ===
          "SUCCEEDED",
        30 * MINUTE_MS,
      );
      const runCalls = h.xpm.caps.accepted(slow.remoteTenantId);
      // More calls than one minute allows: the run rested at least once.
      expect(runCalls.length).toBeGreaterThan(2);
      // It ended while the backlog still held the seat (the backlog sends on after it): it did not wait
      // for the seat, which the backlog gives up only once it is done.
      const runEnded = Math.max(...runCalls.map((c) => c.endedAt ?? Number.POSITIVE_INFINITY));
      await until(
        "the backlog sending after the run",
        () => busyWrites().some((c) => c.startedAt > runEnded),
        MINUTE_MS,
      );
      expect(h.xpm.caps.maxInSlidingWindow(slow.remoteTenantId, MINUTE_MS)).toBeLessThanOrEqual(2);
    }, 120_000);
  });

  describe("with resting turned off", () => {
    let h: EngineHarness;
    let tenant: TestTenant;
    beforeAll(async () => {
      h = await startEngineHarness({
        minuteMs: MINUTE_MS,
        env: { SYNCLINE_WORKER_CONCURRENCY: "1", SYNCLINE_RESTING_ACTIVATIONS: "0" },
      });
      tenant = await h.t.createTenant("Parking");
    });
    afterAll(() => h.close());

    it("parks at every wait and comes back as a new activation each time", async () => {
      const { activations, mostResting } = await drainTwoBacklogs(h, tenant, MINUTE_MS);
      expect(mostResting).toBe(0);
      // Each backlog's first activation, and one after each of its two waits at least.
      expect(activations).toBeGreaterThanOrEqual(6);
    }, 60_000);
  });
});

describe("a worker stopped with SIGTERM while activations rest in place", () => {
  // A long minute: the rest would last many seconds, and the stop must not wait it out.
  const MINUTE_MS = 20_000;
  let h: EngineHarness;
  let tenant: TestTenant;
  let redis: Redis;
  beforeAll(async () => {
    // The test process only schedules: the worker processes serve.
    h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["scheduler"] });
    tenant = await h.t.createTenant("Resting stop");
    redis = new Redis(h.t.app.redisUrl);
  });
  afterAll(async () => {
    redis.disconnect();
    await stopAllWorkers();
    await h.close();
  });

  it("ends the rests at once, hands the integration back, and the next worker sends the rest, each once", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 4, clients: 1, staff: 1, timeEntries: 1 },
      syncMode: "ONE_OFF",
      override: { exportPerMinute: 2 },
    });
    const keys = redisKeys(h.t.app.config.redisPrefix);
    const first = await startWorkerProcess(h.t);
    await queueJobBudgets(h, integration.id, [...practice.jobs.keys()], 47);
    const writes = () => h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
    await until("the minute's two exports", () => writes().length === 2, MINUTE_MS);
    // Resting in place: the integration's lock is held, and it is not parked (no delayed job to wake it).
    await until(
      "the activation resting",
      async () =>
        (await redis.exists(keys.activationLock(integration.id))) === 1 &&
        (await redis.exists(keys.activationParked(integration.id))) === 0,
      MINUTE_MS / 4,
    );

    await first.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    // It did not wait out the rest: it exited before the first export left the sliding minute, the
    // earliest its rest could have ended.
    expect(Date.now()).toBeLessThan(writes()[0]!.startedAt + MINUTE_MS);
    // Its lock released, the integration handed back to the queue for the next worker (no process serves
    // the queue now: the job waits there).
    expect(await redis.exists(keys.activationLock(integration.id))).toBe(0);
    expect(
      (await queuedActivations(h, integration.id, ["waiting", "delayed"])).length,
    ).toBeGreaterThanOrEqual(1);
    expect(writes()).toHaveLength(2);

    const second = await startWorkerProcess(h.t);
    await until(
      "every edit sent",
      async () =>
        (await h.t.app.db.prisma.exportItem.count({
          where: { integrationId: integration.id, status: "SENT" },
        })) === 4,
      5 * MINUTE_MS,
    );
    await second.kill("SIGTERM");
    const applied = writes().filter((c) => c.status === 200);
    expect(applied).toHaveLength(4);
    expect(new Set(applied.map((c) => c.idempotencyKey)).size).toBe(4);
    expect(applied.some((c) => c.replayed)).toBe(false);
    expect(h.xpm.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS, isJobUpdate)).toBeLessThanOrEqual(2);
    expect([...practice.jobs.values()].every((job) => job.dto.budget === 47)).toBe(true);
  }, 180_000);
});
