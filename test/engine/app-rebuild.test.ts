import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { engineStore } from "../../src/db/engine-store.ts";
import { CallBudget, type Grant } from "../../src/engine/rate-limit/budget.ts";
import type { CallLimits } from "../../src/engine/rate-limit/limits.ts";
import type { CallLedger } from "../../src/engine/store.ts";
import type { PlatformKey } from "../../src/platforms/catalog.ts";
import { redisKeys } from "../../src/redis/keys.ts";
import { timeScale } from "../../src/time.ts";
import { TEST_REDIS_URL } from "../support/env.ts";
import { integrationRow, startTestApp, type TestApp, type TestTenant } from "../support/harness.ts";
import { ledgerWith } from "../support/ledger.ts";

/**
 * The app's window (Xero's: every XPM and Xero Accounting integration of the deployment) rebuilt from the
 * durable call ledger after Redis lost it, against a real Redis whose keys are deleted for real and the
 * ledger in PostgreSQL. A "minute" of 2 seconds; the app allows 10 calls a minute.
 */
const time = timeScale(2000);
const prefix = `test:app-rebuild:${process.pid}:${randomUUID()}`;
const CALL_TIMEOUT_MS = 1000;
const APP_PER_MINUTE = 10;
let t: TestApp;
let tenant: TestTenant;
let redis: Redis;
const budgets: CallBudget[] = [];
const clients: Redis[] = [];
const used: string[] = [];

beforeAll(async () => {
  t = await startTestApp();
  tenant = await t.createTenant("App rebuild");
  redis = new Redis(TEST_REDIS_URL);
});
afterEach(async () => {
  // Each test starts with no recent call in the ledger and no app window.
  const ledger = engineStore(t.app.db.sql).ledger;
  for (const id of used.splice(0)) await ledger.forget(id);
  await redis.del(...Object.values(redisKeys(prefix).appBudget("xero")));
});
afterAll(async () => {
  await Promise.all(budgets.map((b) => b.close()));
  for (const client of clients) client.disconnect();
  redis.disconnect();
  await t.close();
});

function budget(
  ledger: CallLedger = engineStore(t.app.db.sql).ledger,
  scale = { time, callTimeoutMs: CALL_TIMEOUT_MS },
) {
  const client = new Redis(TEST_REDIS_URL);
  clients.push(client);
  const b = new CallBudget(client, { prefix, guardMs: 0, leaseTtlMs: 5000, ledger, ...scale });
  budgets.push(b);
  return b;
}

/** Roomy per-integration caps, so only the app's binds; PSA has no app cap. */
function limits(platform: PlatformKey): CallLimits {
  return {
    caps: { concurrent: 100, perMinute: 1000, perDay: 100_000 },
    exportReserve: { perMinute: 1000, perDay: 100_000 },
    app:
      platform === "PSA" ? null : { app: "xero", perMinute: APP_PER_MINUTE, laneHeadroom: 0, paced: false },
  };
}

/** An integration row: the app's rebuild finds its calls by the integration's platform. */
async function integration(platform: PlatformKey): Promise<string> {
  const row = await integrationRow(t, tenant.id, platform);
  used.push(row.id);
  return row.id;
}

/** One call made and ended. */
async function call(b: CallBudget, id: string, platform: PlatformKey) {
  const grant = await b.acquire(id, limits(platform), "FREQUENT");
  if (!grant.granted) throw new Error(`denied: ${grant.reason}`);
  await grant.recorded;
  await b.release(id, grant.leaseId, limits(platform));
}

/** Deletes the app's keys, as a flushed or failed-over Redis would have lost them. */
async function wipeApp() {
  await redis.del(...Object.values(redisKeys(prefix).appBudget("xero")));
}

async function redisNow(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

const grantedOf = (grants: { granted: boolean }[]) => grants.filter((g) => g.granted).length;

/**
 * Waits until the granted calls are in the ledger. A test that leaves them in flight awaits this before it
 * ends: a row written after afterEach forgot the test's calls would stay, an open call inside the next
 * test's minute, and its rebuild would count it (seen once under CI's load: "denied: appMinute").
 */
async function recorded(grants: Grant[]): Promise<void> {
  await Promise.all(grants.map((g) => (g.granted ? g.recorded : undefined)));
}

describe("the app's window after Redis lost it", () => {
  it("is rebuilt from the ledger calls of every integration of the app, and of no other platform", async () => {
    const b = budget();
    const [xpm, accounting, psa] = await Promise.all([
      integration("XPM"),
      integration("XERO_ACCOUNTING"),
      integration("PSA"),
    ]);
    for (let i = 0; i < 4; i++) await call(b, xpm, "XPM");
    for (let i = 0; i < 4; i++) await call(b, accounting, "XERO_ACCOUNTING");
    for (let i = 0; i < 5; i++) await call(b, psa, "PSA");
    expect((await b.appUsage("xero")).used).toBe(8);

    await wipeApp();
    // Without the rebuild, an empty app window would admit ten more calls inside the same minute.
    const newcomer = await integration("XPM");
    const grants = [];
    for (let i = 0; i < 5; i++) grants.push(await b.acquire(newcomer, limits("XPM"), "FREQUENT"));
    expect(grantedOf(grants)).toBe(2);
    expect(grants.at(-1)).toMatchObject({ granted: false, reason: "appMinute" });
    const usage = await b.appUsage("xero");
    expect(usage.used).toBe(APP_PER_MINUTE);
    // The integrations with calls in the window are counted for fair shares again, and the newcomer.
    expect(usage.active).toBe(3);
    await recorded(grants);
  });

  it("dates each call as the integration's rebuild does: at its end, or a call timeout after its start while open", async () => {
    // A minute of 10 s and a call timeout of 3 s here, so the seconds the test takes change no date.
    const minuteMs = 10_000;
    const callTimeoutMs = 3000;
    const ledger = engineStore(t.app.db.sql).ledger;
    const b = budget(ledger, { time: timeScale(minuteMs), callTimeoutMs });
    const id = await integration("XPM");
    const now = await redisNow();
    const row = (startedAt: number) => ({
      id: randomUUID(),
      integrationId: id,
      lane: "FREQUENT" as const,
      export: false,
      startedAt,
    });
    const calls = {
      // Ended inside the window: counted, at its end.
      endedInside: row(now - 9000),
      // Ended before the window: not counted, however recent its start.
      endedBefore: row(now - 15_000),
      // Open, younger than a call timeout: its worker may still be making it, and the platform may count it
      // as late as a call timeout after its start: counted there, as a granted call is dated.
      open: row(now - 500),
      // Open, older: its worker died; counted at the latest it could have ended (start + 3 s), inside.
      abandoned: row(now - 9000),
      // Open and so old that even its latest end is before the window: not counted.
      longAbandoned: row(now - 14_000),
    };
    for (const c of Object.values(calls)) await ledger.begin(c);
    ledger.end(calls.endedInside.id, now - 100);
    ledger.end(calls.endedBefore.id, now - 12_000);
    await ledger.flush();

    const app = { app: "xero", perMinute: APP_PER_MINUTE, laneHeadroom: 0, paced: false };
    const usage = await b.appSnapshot(app, { rebuild: true });
    expect(usage.minute).toMatchObject({ limit: APP_PER_MINUTE, used: 3, remaining: APP_PER_MINUTE - 3 });
    // The oldest is the abandoned call, dated at start + call timeout; the window lets it go a minute later.
    expect(usage.minute.resetsAt).toBe(calls.abandoned.startedAt + callTimeoutMs + minuteMs);
    const scores = await redis.zrange(redisKeys(prefix).appBudget("xero").minute, 0, -1, "WITHSCORES");
    const dated = new Map<string, number>();
    for (let i = 0; i < scores.length; i += 2) dated.set(scores[i]!, Number(scores[i + 1]));
    expect(dated.get(calls.endedInside.id)).toBe(now - 100);
    expect(dated.get(calls.open.id)).toBe(calls.open.startedAt + callTimeoutMs);
    expect(dated.has(calls.endedBefore.id)).toBe(false);
    expect(dated.has(calls.longAbandoned.id)).toBe(false);
  });

  it("is rebuilt once by concurrent processes: every call counted once, the cap held", async () => {
    const processes = [budget(), budget()];
    const old = await integration("XPM");
    for (let i = 0; i < 6; i++) await call(processes[i % 2]!, old, "XPM");
    await wipeApp();
    const fresh = await Promise.all(Array.from({ length: 4 }, () => integration("XERO_ACCOUNTING")));
    const grants = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        processes[i % 2]!.acquire(fresh[i % 4]!, limits("XERO_ACCOUNTING"), "FREQUENT"),
      ),
    );
    expect(grantedOf(grants)).toBe(APP_PER_MINUTE - 6);
    expect((await processes[0]!.appUsage("xero")).used).toBe(APP_PER_MINUTE);
    await recorded(grants);
  });

  it("keeps a call granted before the loss whose ledger row was written after the rebuild read it", async () => {
    const real = engineStore(t.app.db.sql).ledger;
    // The first row this ledger writes waits until the test lets it go.
    let letGo: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    let gated = false;
    const slow = ledgerWith(real, {
      begin: async (c) => {
        if (!gated) {
          gated = true;
          await gate;
        }
        return real.begin(c);
      },
    });
    const late = budget(slow);
    const other = budget();
    const id = await integration("XPM");
    const grant = await late.acquire(id, limits("XPM"), "FREQUENT");
    if (!grant.granted) throw new Error("denied");
    // Redis loses the app's window while the grant's row is not written yet, and another process
    // rebuilds it from a ledger without that call, then fills the app's minute.
    await wipeApp();
    for (let i = 0; i < APP_PER_MINUTE; i++) await call(other, await integration("XPM"), "XPM");
    expect((await other.appUsage("xero")).used).toBe(APP_PER_MINUTE);
    // Its row is written: before it goes out, the call is back in the app's window (over the cap by that
    // one call, which the platform counts too), so the next unit waits for it to leave.
    letGo();
    await grant.recorded;
    expect((await other.appUsage("xero")).used).toBe(APP_PER_MINUTE + 1);
    await late.release(id, grant.leaseId, limits("XPM"));
  });

  it("is read as it stands for metrics (no ledger read), and rebuilt when shown in GraphQL", async () => {
    const b = budget();
    const id = await integration("XPM");
    for (let i = 0; i < 3; i++) await call(b, id, "XPM");
    await wipeApp();
    const app = { app: "xero", perMinute: APP_PER_MINUTE, laneHeadroom: 0, paced: false };
    expect((await b.appSnapshot(app, { rebuild: false })).minute.used).toBe(0);
    expect(await redis.exists(redisKeys(prefix).appBudget("xero").minute)).toBe(0);
    expect((await b.appSnapshot(app, { rebuild: true })).minute.used).toBe(3);
  });

  it("starts clean after resetApp, not rebuilt from the ledger's recent calls", async () => {
    const b = budget();
    const id = await integration("XPM");
    for (let i = 0; i < 3; i++) await call(b, id, "XPM");
    await b.resetApp("xero");
    expect((await b.appUsage("xero")).used).toBe(0);
    await call(b, id, "XPM");
    expect((await b.appUsage("xero")).used).toBe(1);
  });
});
