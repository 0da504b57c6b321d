import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { appKeep, CallBudget, type Grant } from "../../src/engine/rate-limit/budget.ts";
import type { CallLimits } from "../../src/engine/rate-limit/limits.ts";
import { timeScale } from "../../src/time.ts";
import { TEST_REDIS_URL } from "../support/env.ts";

/**
 * The app-wide cap in the Lua call budget against a real Redis, in compressed time (a "minute" of
 * 400 ms): one window shared by every integration of an app, lanes ranked across them, fair shares.
 */
const time = timeScale(400);
const prefix = `test:app-budget:${process.pid}:${randomUUID()}`;
const clients: Redis[] = [];
function budget() {
  const redis = new Redis(TEST_REDIS_URL);
  clients.push(redis);
  return new CallBudget(redis, { prefix, time, guardMs: 4 });
}
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
});

/**
 * Roomy per-integration caps, so only the app's binds. Unpaced unless asked: each test looks at one
 * mechanism, and the pace has its own.
 */
const limits = (app: string, perMinute: number, laneHeadroom = 0, paced = false): CallLimits => ({
  caps: { concurrent: 100, perMinute: 1000, perDay: 100_000 },
  exportReserve: { perMinute: 1000, perDay: 100_000 },
  app: { app, perMinute, laneHeadroom, paced },
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Four integrations drain exports against the app for `ms`, each coming back when told; returns the
 * Redis times of the grants.
 */
async function drainFor(b: CallBudget, caps: CallLimits, ms: number): Promise<number[]> {
  const grants: number[] = [];
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      const id = randomUUID();
      while (Date.now() < until) {
        const grant = await b.acquire(id, caps, "EXPORT");
        if (grant.granted) grants.push(grant.at);
        else await sleep(Math.min(grant.waitMs, until - Date.now()));
      }
    }),
  );
  return grants.sort((x, y) => x - y);
}

/** The most grants in any span of `ms`. */
const densest = (times: number[], ms: number) =>
  Math.max(0, ...times.map((at, i) => times.filter((other, j) => j >= i && other < at + ms).length));

const granted = (grant: Grant) => grant.granted;

describe("app-wide cap", () => {
  it("admits no more than the app's minute across integrations and processes, then frees as calls leave it", async () => {
    const app = `app-${randomUUID()}`;
    const caps = limits(app, 10);
    const processes = [budget(), budget()];
    const integrations = Array.from({ length: 5 }, () => randomUUID());
    const grants = await Promise.all(
      Array.from({ length: 30 }, (_, i) => processes[i % 2]!.acquire(integrations[i % 5]!, caps, "FREQUENT")),
    );
    expect(grants.filter(granted)).toHaveLength(10);
    const denied = grants.find((g) => !g.granted);
    expect(denied?.granted).toBe(false);
    if (!denied || denied.granted) return;
    expect(["appMinute", "appShare", "appLane"]).toContain(denied.reason);
    expect(denied.waitMs).toBeLessThanOrEqual(2 * (time.minuteMs + 4));
    expect((await processes[0]!.appUsage(app)).used).toBe(10);
    // A platform without an app cap (PSA) is untouched by it.
    expect((await processes[0]!.acquire(randomUUID(), { ...caps, app: null }, "FREQUENT")).granted).toBe(
      true,
    );
    await new Promise((resolve) => setTimeout(resolve, time.minuteMs + 10));
    expect((await processes[1]!.acquire(integrations[0]!, caps, "FREQUENT")).granted).toBe(true);
  });

  it("takes X-AppMinLimit-Remaining as calls of the app it did not make", async () => {
    const app = `app-${randomUUID()}`;
    const caps = limits(app, 10);
    const b = budget();
    const id = randomUUID();
    const grant = await b.acquire(id, caps, "FREQUENT");
    if (!grant.granted) throw new Error("denied");
    // Another client of the app used 7 more: the platform says 2 remain.
    await b.release(id, grant.leaseId, caps, { app: 2 });
    expect((await b.appUsage(app)).used).toBe(8);
    expect((await b.acquire(id, caps, "FREQUENT")).granted).toBe(true);
    expect((await b.acquire(id, caps, "FREQUENT")).granted).toBe(true);
    expect(await b.acquire(randomUUID(), caps, "FREQUENT")).toMatchObject({ granted: false });
  });

  it("blocks every integration of the app after an appminute 429, until Retry-After", async () => {
    const app = `app-${randomUUID()}`;
    const caps = limits(app, 1000);
    const b = budget();
    await b.blockApp(app, 150);
    for (const lane of ["INTERACTIVE", "DAILY", "EXPORT"] as const) {
      expect(await b.acquire(randomUUID(), caps, lane)).toMatchObject({
        granted: false,
        reason: "appBlocked",
      });
    }
    // Another app is not blocked.
    expect((await b.acquire(randomUUID(), limits(`app-${randomUUID()}`, 1000), "EXPORT")).granted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 160));
    expect((await b.acquire(randomUUID(), caps, "EXPORT")).granted).toBe(true);
  });

  it("gives a waiting higher lane of any integration the next free unit, before other integrations' exports", async () => {
    const app = `app-${randomUUID()}`;
    const caps = limits(app, 4);
    const b = budget();
    const exporter = randomUUID();
    const puller = randomUUID();
    for (let i = 0; i < 2; i++) expect((await b.acquire(exporter, caps, "EXPORT")).granted).toBe(true);
    for (let i = 0; i < 2; i++) expect((await b.acquire(puller, caps, "FREQUENT")).granted).toBe(true);
    // Full: the pull waits in line by its lane…
    const pull = await b.acquire(puller, caps, "DAILY");
    expect(pull).toMatchObject({ granted: false, reason: "appMinute" });
    await new Promise((resolve) => setTimeout(resolve, time.minuteMs + 10));
    // …so once units free, the other integration's exports hold back until it has had one.
    expect(await b.acquire(exporter, caps, "EXPORT")).toMatchObject({ granted: false, reason: "appLane" });
    expect((await b.acquire(puller, caps, "DAILY")).granted).toBe(true);
    expect((await b.acquire(exporter, caps, "EXPORT")).granted).toBe(true);
  });

  it("spreads exports evenly over the app's minute, so a pull arriving behind them waits one pace interval, not for a burst to leave", async () => {
    // 40 a minute of 400 ms: paced, a unit every ~10 ms.
    const paced = limits(`app-${randomUUID()}`, 40, 0, true);
    const unpaced = limits(`app-${randomUUID()}`, 40, 0, false);
    const b = budget();
    const [spread, bursts] = await Promise.all([drainFor(b, paced, 900), drainFor(b, unpaced, 900)]);
    // Neither goes past the app's minute, and both keep draining (how near the full minute each gets
    // depends on how promptly the drains come back, which a loaded machine slows: bench:fleet measures it)…
    for (const grants of [spread, bursts]) {
      expect(densest(grants, time.minuteMs)).toBeLessThanOrEqual(40);
      expect(grants.length).toBeGreaterThanOrEqual(40);
    }
    // …but unpaced, the fleet takes a window in one burst; paced, about four units in any 40 ms.
    expect(densest(bursts, 40)).toBeGreaterThanOrEqual(20);
    expect(densest(spread, 40)).toBeLessThanOrEqual(6);
    // A pull arriving now, with the paced window full, is told to wait about one interval (the next unit
    // leaving the window is its); unpaced, until the last burst leaves.
    const pull = await b.acquire(randomUUID(), paced, "DAILY");
    expect(pull.granted ? 0 : pull.waitMs).toBeLessThanOrEqual(25);
  });

  it("judges a pull's fair share on the integration's pulls, not on the exports that already yield to it", async () => {
    const app = `app-${randomUUID()}`;
    // 20 a minute; exports leave the lanes above them 10, DAILY leaves 5.
    const caps = limits(app, 20, 0.5);
    const b = budget();
    const backlog = randomUUID();
    const other = randomUUID();
    for (let i = 0; i < 10; i++) expect((await b.acquire(backlog, caps, "EXPORT")).granted).toBe(true);
    // Another integration's pull takes the DAILY headroom and waits for more, under its share (20 / 2).
    for (let i = 0; i < 5; i++) expect((await b.acquire(other, caps, "DAILY")).granted).toBe(true);
    expect(await b.acquire(other, caps, "DAILY")).toMatchObject({ granted: false, reason: "appMinute" });
    expect((await b.appUsage(app)).starving).toBe(1);
    // The backlog's own pull has made no call: its ten exports do not put it at its share.
    expect(await b.acquire(backlog, caps, "DAILY")).toMatchObject({ granted: false, reason: "appMinute" });
    // Its exports are still judged on everything it sent.
    expect(await b.acquire(backlog, caps, "EXPORT")).toMatchObject({ granted: false, reason: "appLane" });
  });

  it("leaves the lanes above EXPORT a headroom of the app's minute", async () => {
    const app = `app-${randomUUID()}`;
    const caps = limits(app, 100, 0.08);
    expect(appKeep(caps.app!, "EXPORT")).toBe(8);
    expect(appKeep(caps.app!, "INTERACTIVE")).toBe(0);
    const b = budget();
    const exporter = randomUUID();
    let exports = 0;
    while ((await b.acquire(exporter, caps, "EXPORT")).granted) exports++;
    expect(exports).toBe(92);
    // A pull arriving now starts at once.
    expect((await b.acquire(randomUUID(), caps, "DAILY")).granted).toBe(true);
  });

  it("shares a scarce app fairly: an integration at its share holds back while one under it waits", async () => {
    const app = `app-${randomUUID()}`;
    const caps = limits(app, 10);
    const b = budget();
    const big = randomUUID();
    const small = randomUUID();
    // The big backlog takes the whole minute while it is alone, half of it now, half a moment later.
    for (let i = 0; i < 5; i++) expect((await b.acquire(big, caps, "EXPORT")).granted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    for (let i = 0; i < 5; i++) expect((await b.acquire(big, caps, "EXPORT")).granted).toBe(true);
    // The small one arrives: its share is 10 / 2 = 5, it has none, and waits first in line.
    const first = await b.acquire(small, caps, "EXPORT");
    expect(first).toMatchObject({ granted: false, reason: "appMinute" });
    expect((await b.appUsage(app)).starving).toBe(1);
    if (first.granted) return;
    // The first half leaves the window: five units are free, but the big one still has its share (5)
    // in the window while the small one waits, so they are the small one's.
    await new Promise((resolve) => setTimeout(resolve, first.waitMs + 10));
    expect(await b.acquire(big, caps, "EXPORT")).toMatchObject({ granted: false, reason: "appShare" });
    for (let i = 0; i < 3; i++) expect((await b.acquire(small, caps, "EXPORT")).granted).toBe(true);
    // With nobody waiting under its share, whoever has work uses what is free (nothing is wasted).
    expect((await b.appUsage(app)).starving).toBe(0);
    expect((await b.acquire(big, caps, "EXPORT")).granted).toBe(true);
  });
});
