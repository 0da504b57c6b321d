import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectedXpm,
  type EngineHarness,
  isJobUpdate,
  queueJobBudgets,
  startEngineHarness,
  until,
} from "../support/engine.ts";
import type { TestTenant } from "../support/harness.ts";
import { type RecordingProxy, startRecordingProxy } from "../support/proxy.ts";
import { startWorkerProcess, stopAllWorkers, type WorkerProcess } from "../support/workers.ts";

/**
 * Xero's app-wide cap (10,000 calls a minute across every tenant of one app), scaled down to a scarce
 * 30 a minute that both the sandbox and syncline enforce, with two worker processes sharing it (the
 * test process only schedules). The sandbox's log is the judge. A "minute" is 1.5 s.
 */
const MINUTE_MS = 1500;
const APP_PER_MINUTE = 30;
let h: EngineHarness;
let tenant: TestTenant;
const proxies: RecordingProxy[] = [];
let workers: WorkerProcess[] = [];

beforeAll(async () => {
  const env = { SYNCLINE_XERO_APP_PER_MINUTE: String(APP_PER_MINUTE) };
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["scheduler"], heartbeatLapseMs: 1500, env });
  h.xpm.caps.setAppLimit(APP_PER_MINUTE);
  tenant = await h.t.createTenant("App cap");
  // Each worker reaches the sandbox through a proxy of its own, which tells whose calls are whose.
  proxies.push(...(await Promise.all([0, 1].map(() => startRecordingProxy(h.xpm.url)))));
  workers = await Promise.all(
    // Two slots each, so the practices' activations spread over both processes (an activation that must
    // wait rests in place on its process while that has slots to spare).
    proxies.map((proxy) =>
      startWorkerProcess(h.t, { ...env, SYNCLINE_XPM_URL: proxy.url, SYNCLINE_WORKER_CONCURRENCY: "2" }),
    ),
  );
}, 60_000);
afterAll(async () => {
  await stopAllWorkers();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await h.close();
});

const caps = () => h.xpm.caps;

const sent = (integrationId: string) =>
  h.t.app.db.prisma.exportItem.count({ where: { integrationId, status: "SENT" } });

/** Practices with `jobs` jobs each, all queued at once; resolves once every export is sent. */
async function drain(count: number, jobs: number) {
  const practices = await Promise.all(
    Array.from({ length: count }, () =>
      connectedXpm(h, { tenantId: tenant.id, syncMode: "ONE_OFF", seed: { jobs, clients: 2 } }),
    ),
  );
  for (const { integration, practice } of practices)
    await queueJobBudgets(h, integration.id, [...practice.jobs.keys()], 7);
  await until(
    "every export sent",
    async () =>
      (await Promise.all(practices.map(({ integration }) => sent(integration.id)))).every((n) => n === jobs),
    40 * MINUTE_MS,
  );
  return practices;
}

describe("the app-wide cap", () => {
  it("is shared by two worker processes and never exceeded, counted by the sandbox", async () => {
    h.xpm.caps.clear();
    const started = Date.now();
    // 4 practices × 30 a minute ask 120 a minute of an app that allows 30.
    const practices = await drain(4, 40);
    const elapsed = Date.now() - started;

    const { caps } = h.xpm;
    expect(caps.violations()).toEqual({ tenant: 0, app: 0 });
    expect(caps.log.filter((c) => c.status === 429)).toHaveLength(0);
    expect(caps.maxInSlidingWindow(undefined, MINUTE_MS)).toBeLessThanOrEqual(APP_PER_MINUTE);
    for (const { remoteTenantId, practice } of practices) {
      expect(caps.accepted(remoteTenantId).filter((c) => isJobUpdate(c) && c.status === 200)).toHaveLength(
        40,
      );
      expect([...practice.jobs.values()].every((job) => job.dto.budget === 7)).toBe(true);
    }
    // 160 calls at 30 a minute: at least 5 minutes, however fast the machine.
    expect(elapsed).toBeGreaterThanOrEqual(5 * MINUTE_MS);
    // Both processes served.
    const tenants = new Set(practices.map((p) => p.remoteTenantId));
    const perWorker = proxies.map(
      (proxy) => proxy.calls.filter((c) => isJobUpdate(c) && tenants.has(c.tenantId!)).length,
    );
    expect(perWorker.every((n) => n > 0)).toBe(true);
    expect(workers).toHaveLength(2);
  }, 120_000);

  it("blocks every integration of the app after an appminute 429, until its Retry-After", async () => {
    await h.t.app.engine.budget.resetApp("xero");
    h.xpm.caps.clear();
    const practices = await Promise.all(
      [0, 1, 2].map(() =>
        connectedXpm(h, { tenantId: tenant.id, syncMode: "ONE_OFF", seed: { jobs: 20, clients: 2 } }),
      ),
    );
    // The first practice's first call is refused for the app, for 60 platform seconds: one minute.
    h.xpm.caps.injectFaults(practices[0]!.remoteTenantId, {
      kind: "rateLimit",
      problem: "appminute",
      retryAfterSeconds: 60,
    });
    // Watch for the block as the engine writes it.
    const block = { seenAt: 0, until: 0 };
    const watching = until(
      "the app blocked",
      async () => {
        const { blockedUntil } = await h.t.app.engine.budget.appUsage("xero");
        if (blockedUntil !== null) Object.assign(block, { seenAt: Date.now(), until: blockedUntil });
        return blockedUntil !== null;
      },
      20 * MINUTE_MS,
    );
    for (const { integration, practice } of practices)
      await queueJobBudgets(h, integration.id, [...practice.jobs.keys()], 3);
    await until(
      "every export sent",
      async () =>
        (await Promise.all(practices.map(({ integration }) => sent(integration.id)))).every((n) => n === 20),
      40 * MINUTE_MS,
    );
    const { caps } = h.xpm;
    const refused = caps.log.filter((c) => c.status === 429);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ problem: "appminute", forced: true });
    const at = refused[0]!.startedAt;
    await watching;
    const { seenAt, until: blockedUntil } = block;
    // Blocked for the Retry-After (a minute) from when the 429 came back.
    expect(blockedUntil - at).toBeGreaterThanOrEqual(MINUTE_MS);
    // From when the block was seen until it ended, the budget charged no call for any practice of the app
    // (the call ledger's starts: Redis time, the same clock here). Calls charged before it may still
    // arrive after it (a practice has 3 slots), so the ledger, not the sandbox's arrivals, is the judge.
    const charged = await h.t.app.db.prisma.callLedger.findMany({
      where: {
        integrationId: { in: practices.map((p) => p.integration.id) },
        startedAt: { gte: BigInt(seenAt), lt: BigInt(blockedUntil) },
      },
    });
    expect(charged).toHaveLength(0);
    expect(
      caps.log.filter((c) => c.startedAt >= seenAt + 250 && c.startedAt < blockedUntil).length,
    ).toBeLessThanOrEqual(3 * practices.length);
    // Then all three resume.
    for (const { remoteTenantId } of practices)
      expect(caps.accepted(remoteTenantId).some((c) => c.startedAt >= blockedUntil)).toBe(true);
    expect(caps.violations()).toEqual({ tenant: 0, app: 0 });
  }, 120_000);

  it("shares a scarce app fairly: a 10-edit backlog finishes long before a 5,000-edit one, at its fair share", async () => {
    await h.t.app.engine.budget.resetApp("xero");
    h.xpm.caps.clear();
    const big = await connectedXpm(h, {
      tenantId: tenant.id,
      syncMode: "ONE_OFF",
      seed: { jobs: 5000, clients: 2 },
    });
    const small = await connectedXpm(h, {
      tenantId: tenant.id,
      syncMode: "ONE_OFF",
      seed: { jobs: 10, clients: 2 },
    });
    await queueJobBudgets(h, big.integration.id, [...big.practice.jobs.keys()], 5);
    // The big backlog has the app to itself for a minute and fills it.
    await until(
      "the big backlog fills the app",
      () => caps().accepted(big.remoteTenantId).length >= 25,
      10 * MINUTE_MS,
    );
    await new Promise((resolve) => setTimeout(resolve, MINUTE_MS));
    const queuedAt = Date.now();
    await queueJobBudgets(h, small.integration.id, [...small.practice.jobs.keys()], 5);
    await until(
      "the small backlog sent",
      async () => (await sent(small.integration.id)) === 10,
      10 * MINUTE_MS,
    );
    const finishedAt = Date.now();

    expect(await sent(big.integration.id)).toBeLessThan(5000);
    // Its fair share is 30 / 2 = 15 a minute, more than its 10: it is served as soon as units free, so
    // its last call goes out within about a minute (the minute the big one had filled) of its arrival.
    const smallCalls = caps().accepted(small.remoteTenantId).filter(isJobUpdate);
    expect(smallCalls).toHaveLength(10);
    expect(Math.max(...smallCalls.map((c) => c.startedAt)) - queuedAt).toBeLessThan(1.6 * MINUTE_MS);
    // Meanwhile the big one had no more than the rest of the app's minute.
    const bigMeanwhile = caps()
      .accepted(big.remoteTenantId)
      .filter((c) => c.startedAt >= queuedAt && c.startedAt <= finishedAt).length;
    expect(bigMeanwhile).toBeLessThanOrEqual(APP_PER_MINUTE * ((finishedAt - queuedAt) / MINUTE_MS + 1) - 10);
    expect(caps().violations()).toEqual({ tenant: 0, app: 0 });
    expect(caps().maxInSlidingWindow(undefined, MINUTE_MS)).toBeLessThanOrEqual(APP_PER_MINUTE);
  }, 120_000);
});
