import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { CallBudget } from "../../src/engine/rate-limit/budget.ts";
import type { CallLimits } from "../../src/engine/rate-limit/limits.ts";
import { redisKeys } from "../../src/redis/keys.ts";
import { timeScale } from "../../src/time.ts";
import { TEST_REDIS_URL } from "../support/env.ts";

/** The Lua call budget against a real Redis, in compressed time (a "minute" of 400 ms). */
const time = timeScale(400);
const prefix = `test:budget:${process.pid}:${randomUUID()}`;
const clients: Redis[] = [];
function budget(leaseTtlMs?: number) {
  const redis = new Redis(TEST_REDIS_URL);
  clients.push(redis);
  return new CallBudget(redis, { prefix, time, guardMs: 4, leaseTtlMs });
}
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
});

const limits = (
  over: Partial<CallLimits["caps"]> = {},
  reserve = { perMinute: 30, perDay: 4500 },
): CallLimits => ({
  caps: { concurrent: 3, perMinute: 60, perDay: 5000, ...over },
  exportReserve: reserve,
});

describe("call budget", () => {
  it("grants exactly `concurrent` leases across processes, and frees one on release", async () => {
    const id = randomUUID();
    const processes = [budget(), budget(), budget()];
    const grants = await Promise.all(
      Array.from({ length: 12 }, (_, i) => processes[i % 3]!.acquire(id, limits(), "DAILY")),
    );
    const granted = grants.filter((g) => g.granted);
    expect(granted).toHaveLength(3);
    const denied = grants.find((g) => !g.granted);
    expect(denied).toMatchObject({ granted: false, reason: "concurrent" });
    const first = granted[0]!;
    if (!first.granted) throw new Error("unreachable");
    await processes[0]!.release(id, first.leaseId);
    expect((await processes[1]!.acquire(id, limits(), "DAILY")).granted).toBe(true);
  });

  it("keeps a call slow on its way in the minute until it ends, not a minute after its grant", async () => {
    // The platform counts a call when it arrives: one granted long ago but still in flight may arrive
    // now, so it must not leave the window while it is out (it did: a slow call let one too many in).
    const redis = new Redis(TEST_REDIS_URL);
    clients.push(redis);
    const b = new CallBudget(redis, { prefix, time, guardMs: 4, callTimeoutMs: 5_000 });
    const id = randomUUID();
    const caps = limits({ perMinute: 2 });
    const grants = [await b.acquire(id, caps, "DAILY"), await b.acquire(id, caps, "DAILY")];
    expect(grants.every((g) => g.granted)).toBe(true);
    // A minute and more later both are still out: no third call.
    await new Promise((resolve) => setTimeout(resolve, time.minuteMs + 50));
    expect(await b.acquire(id, caps, "DAILY")).toMatchObject({ granted: false, reason: "minute" });
    // They end: each is dated at its end, a minute from now.
    for (const grant of grants) if (grant.granted) await b.release(id, grant.leaseId, caps);
    expect(await b.acquire(id, caps, "DAILY")).toMatchObject({ granted: false, reason: "minute" });
    await new Promise((resolve) => setTimeout(resolve, time.minuteMs + 50));
    expect((await b.acquire(id, caps, "DAILY")).granted).toBe(true);
  });

  it("lets a crashed holder's lease expire", async () => {
    const id = randomUUID();
    const shortLeases = budget(150);
    for (let i = 0; i < 3; i++) expect((await shortLeases.acquire(id, limits(), "DAILY")).granted).toBe(true);
    const denied = await shortLeases.acquire(id, limits(), "DAILY");
    expect(denied).toMatchObject({ granted: false, reason: "concurrent" });
    if (denied.granted) return;
    await new Promise((resolve) => setTimeout(resolve, denied.waitMs + 5));
    expect((await shortLeases.acquire(id, limits(), "DAILY")).granted).toBe(true);
  });

  it("caps calls in a sliding minute and says how long until one frees", async () => {
    const id = randomUUID();
    const b = budget();
    const caps = limits({ concurrent: 100, perMinute: 10 });
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      const grant = await b.acquire(id, caps, "DAILY");
      expect(grant.granted).toBe(true);
      if (grant.granted) await b.release(id, grant.leaseId);
    }
    const denied = await b.acquire(id, caps, "DAILY");
    expect(denied).toMatchObject({ granted: false, reason: "minute" });
    if (denied.granted) return;
    expect(denied.waitMs).toBeGreaterThan(0);
    expect(denied.waitMs).toBeLessThanOrEqual(time.minuteMs + 4);
    await new Promise((resolve) => setTimeout(resolve, denied.waitMs + 5));
    expect((await b.acquire(id, caps, "DAILY")).granted).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(time.minuteMs);
  });

  it("keeps the export reserve as a sub-cap: exports stop at it while a pull lane still has headroom", async () => {
    const id = randomUUID();
    const b = budget();
    const caps = limits({ concurrent: 100, perMinute: 8 }, { perMinute: 5, perDay: 100 });
    for (let i = 0; i < 5; i++) expect((await b.acquire(id, caps, "EXPORT")).granted).toBe(true);
    expect(await b.acquire(id, caps, "EXPORT")).toMatchObject({ granted: false, reason: "exportMinute" });
    for (let i = 0; i < 3; i++) expect((await b.acquire(id, caps, "DAILY")).granted).toBe(true);
    expect(await b.acquire(id, caps, "DAILY")).toMatchObject({ granted: false, reason: "minute" });
    const snapshot = await b.snapshot(id, caps);
    expect(snapshot.minute).toMatchObject({ limit: 8, used: 8, remaining: 0 });
    expect(snapshot.exportMinute).toMatchObject({ limit: 5, used: 5, remaining: 0 });
    expect(snapshot.exportDay).toMatchObject({ limit: 100, used: 5 });
    expect(snapshot.day.used).toBe(8);
  });

  it("tells its readers the allowance the last export asked under, and a day keep only on its own day", async () => {
    const b = budget();
    const id = randomUUID();
    expect((await b.snapshot(id, limits())).exportAllowance).toBeNull();
    await b.acquire(id, limits(), "EXPORT", null, { perMinute: 60, dayKeep: 120 });
    expect((await b.snapshot(id, limits())).exportAllowance).toEqual({ perMinute: 60, dayKeep: 120 });
    // STRICT: the reserve's minute, no day keep.
    await b.acquire(id, limits(), "EXPORT");
    expect((await b.snapshot(id, limits())).exportAllowance).toEqual({ perMinute: 30, dayKeep: -1 });
    // A pull lane's call leaves it as it was.
    await b.acquire(id, limits(), "DAILY");
    expect((await b.snapshot(id, limits())).exportAllowance).toEqual({ perMinute: 30, dayKeep: -1 });

    // Recorded yesterday: the keep was yesterday's schedule's, so readers get none (the reserve's figure).
    const other = randomUUID();
    await b.acquire(other, limits(), "EXPORT", null, { perMinute: 60, dayKeep: 120 });
    const redis = new Redis(TEST_REDIS_URL);
    clients.push(redis);
    const counters = redisKeys(prefix).budget(other).day;
    expect(await redis.hexists(counters, "keepDay")).toBe(1);
    await redis.hincrby(counters, "keepDay", -1);
    expect((await b.snapshot(other, limits())).exportAllowance).toEqual({ perMinute: 60, dayKeep: -1 });
  });

  it("stops at the day cap until the next day", async () => {
    const id = randomUUID();
    const b = budget();
    const caps = limits({ concurrent: 100, perMinute: 1000, perDay: 4 }, { perMinute: 1000, perDay: 3 });
    for (let i = 0; i < 3; i++) expect((await b.acquire(id, caps, "EXPORT")).granted).toBe(true);
    const exportDenied = await b.acquire(id, caps, "EXPORT");
    expect(exportDenied).toMatchObject({ granted: false, reason: "exportDay" });
    if (exportDenied.granted) return;
    expect(exportDenied.waitMs).toBeLessThanOrEqual(time.dayMs);
    expect((await b.acquire(id, caps, "DAILY")).granted).toBe(true);
    expect(await b.acquire(id, caps, "DAILY")).toMatchObject({ granted: false, reason: "day" });
  });

  it("blocks every lane after a 429 until Retry-After", async () => {
    const id = randomUUID();
    const b = budget();
    await b.blockFor(id, 120);
    const denied = await b.acquire(id, limits(), "INTERACTIVE");
    expect(denied).toMatchObject({ granted: false, reason: "blocked" });
    expect((await b.snapshot(id, limits())).blockedUntil).not.toBeNull();
    if (denied.granted) return;
    await new Promise((resolve) => setTimeout(resolve, denied.waitMs + 5));
    expect((await b.acquire(id, limits(), "INTERACTIVE")).granted).toBe(true);
  });

  it("gives the next free unit to a waiting INTERACTIVE caller, ahead of every other lane", async () => {
    const id = randomUUID();
    const b = budget();
    const one = limits({ concurrent: 1 });
    const waiter = { waiterId: randomUUID(), waiterTtlMs: 1_000 };
    const export1 = await b.acquire(id, one, "EXPORT");
    expect(export1.granted).toBe(true);
    // The user's read finds the only slot taken and registers as a waiter.
    expect(await b.acquire(id, one, "INTERACTIVE", waiter)).toMatchObject({
      granted: false,
      reason: "concurrent",
    });
    if (!export1.granted) return;
    await b.release(id, export1.leaseId, one);
    // The slot is free, but the lanes below hold back for the waiter…
    expect(await b.acquire(id, one, "INITIAL")).toMatchObject({ granted: false, reason: "interactive" });
    expect(await b.acquire(id, one, "EXPORT")).toMatchObject({ granted: false, reason: "interactive" });
    // …which gets it, and is no longer waiting.
    const read = await b.acquire(id, one, "INTERACTIVE", waiter);
    expect(read.granted).toBe(true);
    if (!read.granted) return;
    await b.release(id, read.leaseId, one);
    expect((await b.acquire(id, one, "EXPORT")).granted).toBe(true);
  });

  it("stops holding the lanes back for a waiter that withdrew or expired", async () => {
    const id = randomUUID();
    const b = budget();
    const one = limits({ concurrent: 1 });
    const first = await b.acquire(id, one, "DAILY");
    if (!first.granted) throw new Error("denied");
    await b.acquire(id, one, "INTERACTIVE", { waiterId: "gave-up", waiterTtlMs: 10_000 });
    await b.acquire(id, one, "INTERACTIVE", { waiterId: "expires", waiterTtlMs: 50 });
    await b.release(id, first.leaseId, one);
    await b.withdraw(id, "gave-up");
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await b.acquire(id, one, "DAILY")).granted).toBe(true);
  });

  it("lowers its counts to the platform's remaining figures, never raises them", async () => {
    const id = randomUUID();
    const b = budget();
    const caps = limits({ concurrent: 100 });
    const call = async (remaining: { minute: number; day: number }) => {
      const grant = await b.acquire(id, caps, "DAILY");
      if (!grant.granted) throw new Error("denied");
      await b.release(id, grant.leaseId, caps, remaining);
    };
    await call({ minute: 50, day: 4000 });
    let snapshot = await b.snapshot(id, caps);
    expect(snapshot.minute.remaining).toBe(50);
    expect(snapshot.day.remaining).toBe(4000);
    await b.release(id, "no-such-lease", caps, { minute: 59, day: 4999 });
    snapshot = await b.snapshot(id, caps);
    expect(snapshot.minute.remaining).toBe(50);
    expect(snapshot.day.remaining).toBe(4000);
  });

  it("never grants more than the caps to two processes hammering one integration", async () => {
    const id = randomUUID();
    const [a, b] = [budget(), budget()];
    const caps = limits({ concurrent: 1000, perMinute: 25 });
    const grantedAt: number[] = []; // Redis times of the charges
    const deadline = Date.now() + time.minuteMs * 2.5;
    await Promise.all(
      [a, b].map(async (process) => {
        while (Date.now() < deadline) {
          const grant = await process.acquire(id, caps, "FREQUENT");
          if (grant.granted) grantedAt.push(grant.at);
          else await new Promise((resolve) => setTimeout(resolve, Math.min(grant.waitMs, 10)));
        }
      }),
    );
    grantedAt.sort((x, y) => x - y);
    let worst = 0;
    for (let i = 0; i < grantedAt.length; i++) {
      let j = i;
      while (j < grantedAt.length && grantedAt[j]! - grantedAt[i]! < time.minuteMs) j++;
      worst = Math.max(worst, j - i);
    }
    expect(worst).toBeLessThanOrEqual(25);
    expect(grantedAt.length).toBeGreaterThanOrEqual(50);
  });
});
