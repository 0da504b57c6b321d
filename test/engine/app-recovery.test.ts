import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisKeys } from "../../src/redis/keys.ts";
import {
  connectedXpm,
  type EngineHarness,
  isJobUpdate,
  queueJobBudgets,
  startEngineHarness,
  until,
} from "../support/engine.ts";
import { TEST_REDIS_URL } from "../support/env.ts";
import type { TestTenant } from "../support/harness.ts";
import { type RecordingProxy, startRecordingProxy } from "../support/proxy.ts";
import { startWorkerProcess, stopAllWorkers } from "../support/workers.ts";

/**
 * Redis loses the app-wide cap's window mid-drain (Xero's 10,000 a minute across every tenant, scaled
 * down to a scarce 30 that the sandbox enforces too), while two worker processes share it. Rebuilt from
 * the call ledger (the calls of every integration of the app) before any call of the app is admitted, it
 * holds across the loss: without the rebuild, each worker would admit a whole app minute again while the
 * platform still counts the last. The sandbox's log is the judge, and it ignores Idempotency-Key, so a
 * write sent twice would show. A "minute" is 1.5 s.
 */
const MINUTE_MS = 1500;
const APP_PER_MINUTE = 30;
const PRACTICES = 4;
const JOBS = 40;
let h: EngineHarness;
let tenant: TestTenant;
const proxies: RecordingProxy[] = [];

beforeAll(async () => {
  // Two slots each, so the practices' activations spread over both processes (an activation that must
  // wait rests in place on its process while that has slots to spare).
  const env = { SYNCLINE_XERO_APP_PER_MINUTE: String(APP_PER_MINUTE), SYNCLINE_WORKER_CONCURRENCY: "2" };
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["scheduler"], heartbeatLapseMs: 1500, env });
  h.xpm.caps.setAppLimit(APP_PER_MINUTE);
  h.xpm.caps.setIdempotency(false);
  tenant = await h.t.createTenant("App recovery");
  // Each worker reaches the sandbox through a proxy of its own, which tells whose calls are whose.
  proxies.push(...(await Promise.all([0, 1].map(() => startRecordingProxy(h.xpm.url)))));
  await Promise.all(proxies.map((proxy) => startWorkerProcess(h.t, { ...env, SYNCLINE_XPM_URL: proxy.url })));
}, 60_000);
afterAll(async () => {
  await stopAllWorkers();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await h.close();
});

const sent = (integrationId: string) =>
  h.t.app.db.prisma.exportItem.count({ where: { integrationId, status: "SENT" } });

/** Deletes every key under `pattern`, as a flushed or failed-over Redis would have lost them. */
async function wipe(pattern: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL);
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== "0");
  redis.disconnect();
  return deleted;
}

/** Calls the sandbox admitted within the last platform minute, across the app. */
const inAppMinute = () => h.xpm.caps.accepted().filter((c) => c.startedAt > Date.now() - MINUTE_MS).length;

/**
 * Practices with JOBS edits each, queued at once: the app is asked for 4 × 30 a minute and allows 30.
 * Once the app's minute is full, `lose` deletes keys; then the drain runs to its end.
 */
async function drainAcrossALoss(value: number, lose: () => Promise<number>) {
  // The window goes on from the last test's calls, as the platform's does; only the judge's log starts anew.
  h.xpm.caps.clear();
  const practices = await Promise.all(
    Array.from({ length: PRACTICES }, () =>
      connectedXpm(h, { tenantId: tenant.id, syncMode: "ONE_OFF", seed: { jobs: JOBS, clients: 2 } }),
    ),
  );
  for (const { integration, practice } of practices) {
    await queueJobBudgets(h, integration.id, [...practice.jobs.keys()], value);
  }
  // Past the first minute, with the app's window full at the platform.
  await until(
    "a minute of calls, the app's window full",
    () => h.xpm.caps.accepted().length >= APP_PER_MINUTE + 10 && inAppMinute() >= APP_PER_MINUTE - 2,
    40 * MINUTE_MS,
  );
  expect(await lose()).toBeGreaterThan(0);
  await until(
    "every export sent",
    async () =>
      (await Promise.all(practices.map(({ integration }) => sent(integration.id)))).every((n) => n === JOBS),
    60 * MINUTE_MS,
  );
  return practices;
}

/** Across the loss: neither cap passed at the platform, every edit applied exactly once. */
function expectHeldAndExactlyOnce(practices: Awaited<ReturnType<typeof drainAcrossALoss>>, value: number) {
  const { caps } = h.xpm;
  expect(caps.violations()).toEqual({ tenant: 0, app: 0 });
  expect(caps.log.filter((c) => c.status === 429)).toHaveLength(0);
  expect(caps.maxInSlidingWindow(undefined, MINUTE_MS)).toBeLessThanOrEqual(APP_PER_MINUTE);
  for (const { remoteTenantId, practice } of practices) {
    const applied = new Map<string, number>();
    for (const call of caps.accepted(remoteTenantId).filter((c) => isJobUpdate(c) && c.applied))
      applied.set(call.idempotencyKey!, (applied.get(call.idempotencyKey!) ?? 0) + 1);
    expect(applied.size).toBe(JOBS);
    expect([...applied.values()].every((count) => count === 1)).toBe(true);
    expect([...practice.jobs.values()].every((job) => job.dto.budget === value)).toBe(true);
  }
}

describe("the app's window lost mid-drain", () => {
  it("when Redis loses the app's keys: rebuilt from the ledger, the app's cap holds", async () => {
    const keys = Object.values(redisKeys(h.t.config.redisPrefix).appBudget("xero"));
    const practices = await drainAcrossALoss(11, async () => {
      const redis = new Redis(TEST_REDIS_URL);
      const deleted = await redis.del(...keys);
      redis.disconnect();
      return deleted;
    });
    expectHeldAndExactlyOnce(practices, 11);
    // Both processes served.
    const tenants = new Set(practices.map((p) => p.remoteTenantId));
    for (const proxy of proxies)
      expect(proxy.calls.filter((c) => isJobUpdate(c) && tenants.has(c.tenantId!)).length).toBeGreaterThan(0);
  }, 120_000);

  it("when Redis loses every key of the deployment (locks, queue, every window): nothing lost or sent twice", async () => {
    const practices = await drainAcrossALoss(12, () => wipe(`${h.t.config.redisPrefix}:*`));
    expectHeldAndExactlyOnce(practices, 12);
  }, 120_000);
});
