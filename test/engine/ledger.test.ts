import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineStore } from "../../src/db/engine-store.ts";
import { type CallBudget as Budget, CallBudget } from "../../src/engine/rate-limit/budget.ts";
import type { CallLimits } from "../../src/engine/rate-limit/limits.ts";
import { redisKeys } from "../../src/redis/keys.ts";
import { timeScale } from "../../src/time.ts";
import { TEST_REDIS_URL } from "../support/env.ts";
import { startTestApp, type TestApp } from "../support/harness.ts";

/**
 * The call budget with its durable ledger (PostgreSQL) against a real Redis whose keys are deleted for
 * real, and the heartbeat that renews the leases of calls in flight. A "minute" of 2 seconds.
 */
const time = timeScale(2000);
const prefix = `test:ledger:${process.pid}:${randomUUID()}`;
const CALL_TIMEOUT_MS = 1000;
let t: TestApp;
let redis: Redis;
const budgets: Budget[] = [];

beforeAll(async () => {
  t = await startTestApp();
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  await Promise.all(budgets.map((b) => b.close()));
  redis.disconnect();
  await t.close();
});

function budget(options: { ledger?: boolean; leaseTtlMs?: number; renewEveryMs?: number } = {}) {
  const client = new Redis(TEST_REDIS_URL);
  const b = new CallBudget(client, {
    prefix,
    time,
    guardMs: 0,
    leaseTtlMs: options.leaseTtlMs ?? 5000,
    ...(options.renewEveryMs ? { renewEveryMs: options.renewEveryMs } : {}),
    ...(options.ledger === false ? {} : { ledger: engineStore(t.app.db.sql).ledger }),
    callTimeoutMs: CALL_TIMEOUT_MS,
  });
  budgets.push(b);
  const close = b.close.bind(b);
  b.close = async () => {
    await close();
    client.disconnect();
  };
  return b;
}

const limits: CallLimits = {
  caps: { concurrent: 3, perMinute: 60, perDay: 5000 },
  exportReserve: { perMinute: 3, perDay: 4 },
};

/** Deletes every budget key of the integration, as a flushed Redis would have lost them. */
async function wipe(integrationId: string) {
  const keys = Object.values(redisKeys(prefix).budget(integrationId));
  await redis.del(...keys);
}

async function call(b: Budget, integrationId: string, lane: "EXPORT" | "DAILY" = "EXPORT") {
  const grant = await b.acquire(integrationId, limits, lane);
  if (!grant.granted) throw new Error(`denied: ${grant.reason}`);
  await grant.recorded;
  return grant;
}

describe("the call ledger", () => {
  it("rebuilds the windows Redis lost before admitting another call: the export sub-caps hold", async () => {
    const id = randomUUID();
    const b = budget();
    for (let i = 0; i < 3; i++) await b.release(id, (await call(b, id)).leaseId, limits);
    expect(await b.acquire(id, limits, "EXPORT")).toMatchObject({ granted: false, reason: "exportMinute" });

    await wipe(id);
    // Without the ledger, an empty Redis would grant a fourth export inside the same minute.
    expect(await b.acquire(id, limits, "EXPORT")).toMatchObject({ granted: false, reason: "exportMinute" });
    const snapshot = await b.snapshot(id, limits);
    expect(snapshot.exportMinute.used).toBe(3);
    expect(snapshot.exportDay.used).toBe(3);
    expect(snapshot.day.used).toBe(3);
    // Other lanes still go (the minute has room), and the day's export reserve is remembered too.
    await b.release(id, (await call(b, id, "DAILY")).leaseId, limits);
    await new Promise((resolve) => setTimeout(resolve, time.minuteMs + 50));
    await wipe(id);
    await b.release(id, (await call(b, id)).leaseId, limits);
    expect(await b.acquire(id, limits, "EXPORT")).toMatchObject({ granted: false, reason: "exportDay" });
  });

  it("rebuilds when Redis lost one window only (an eviction), keeping what the others hold", async () => {
    const id = randomUUID();
    const b = budget();
    for (let i = 0; i < 3; i++) await b.release(id, (await call(b, id)).leaseId, limits);
    await redis.del(redisKeys(prefix).budget(id).exportMinute);
    expect(await b.acquire(id, limits, "EXPORT")).toMatchObject({ granted: false, reason: "exportMinute" });
    const snapshot = await b.snapshot(id, limits);
    expect(snapshot).toMatchObject({
      minute: { used: 3 },
      exportMinute: { used: 3 },
      exportDay: { used: 3 },
    });
  });

  it("gives a call still in flight its lease back, so the concurrency cap holds across the loss", async () => {
    const id = randomUUID();
    const b = budget();
    const inFlight = [await call(b, id, "DAILY"), await call(b, id, "DAILY")];
    await wipe(id);
    await call(b, id, "DAILY");
    expect(await b.acquire(id, limits, "DAILY")).toMatchObject({ granted: false, reason: "concurrent" });
    await b.release(id, inFlight[0]!.leaseId, limits);
    expect((await b.acquire(id, limits, "DAILY")).granted).toBe(true);
  });

  it("forgets an integration's calls on reset, and prunes old rows", async () => {
    const id = randomUUID();
    const b = budget();
    await b.release(id, (await call(b, id)).leaseId, limits);
    const ledger = engineStore(t.app.db.sql).ledger;
    await ledger.flush();
    const rows = () => t.app.db.prisma.callLedger.count({ where: { integrationId: id } });
    expect(await rows()).toBe(1);
    await b.reset(id);
    expect(await rows()).toBe(0);
    await b.release(id, (await call(b, id)).leaseId, limits);
    expect(await ledger.prune(Date.now() + 60_000)).toBeGreaterThanOrEqual(1);
    expect(await rows()).toBe(0);
  });
});

describe("the heartbeat", () => {
  it("renews the leases of calls in flight, so a short TTL frees only a dead holder's slots", async () => {
    const id = randomUUID();
    const holder = budget({ ledger: false, leaseTtlMs: 300, renewEveryMs: 100 });
    const other = budget({ ledger: false, leaseTtlMs: 300 });
    for (let i = 0; i < 3; i++) await call(holder, id, "DAILY");
    // Three TTLs later the live holder's calls still hold their slots.
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(await other.acquire(id, limits, "DAILY")).toMatchObject({ granted: false, reason: "concurrent" });
    // The holder dies (no more heartbeats): its slots free within one TTL.
    await holder.close();
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await other.acquire(id, limits, "DAILY")).granted).toBe(true);
  });
});

describe("the platform's own figures", () => {
  it("are kept as the platform said them, next to syncline's count", async () => {
    const id = randomUUID();
    const b = budget({ ledger: false });
    const grant = await call(b, id, "DAILY");
    const before = Date.now();
    await b.release(id, grant.leaseId, limits, { minute: 41, day: 278 });
    const snapshot = await b.snapshot(id, limits);
    expect(snapshot.platform.minute?.remaining).toBe(41);
    expect(snapshot.platform.day?.remaining).toBe(278);
    expect(snapshot.platform.day!.seenAt).toBeGreaterThanOrEqual(before - 1000);
    // syncline's count is raised to what the platform says was used (5000 − 278), never lowered.
    expect(snapshot.day.used).toBe(5000 - 278);
    expect(snapshot.minute.used).toBe(60 - 41);
  });
});
