import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limitsFor } from "../../../src/engine/rate-limit/limits.ts";
import { globalId } from "../../../src/graphql/ids.ts";
import type { PlatformKey } from "../../../src/platforms/catalog.ts";
import { redisKeys } from "../../../src/redis/keys.ts";
import { AppBudgetQuery } from "../../operations.ts";
import { TEST_REDIS_URL } from "../../support/env.ts";
import { integrationRow, startTestApp, type TestApp, type TestTenant } from "../../support/harness.ts";

/**
 * The app-wide cap's figures (Xero's app, here allowing 20 calls a minute), as a tenant sees them beside
 * its integration's budget in GraphQL and as /metrics reports them by app. The calls are charged by the
 * engine's own budget (real Redis, the call ledger in PostgreSQL), in real time: a minute is a minute, so
 * the figures stand still while the test reads them.
 */
const APP_PER_MINUTE = 20;
let t: TestApp;
let base: string;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  t = await startTestApp({ roles: ["api"], env: { SYNCLINE_XERO_APP_PER_MINUTE: String(APP_PER_MINUTE) } });
  base = new URL(t.app.api!.url).origin;
  [a, b] = await Promise.all([t.createTenant("Practice A"), t.createTenant("Practice B")]);
});
afterAll(() => t.close());

async function integration(tenant: TestTenant, platform: PlatformKey): Promise<string> {
  const row = await integrationRow(t, tenant.id, platform);
  return row.id;
}

/** Calls charged as the engine charges them (the deployment's app figure), made and ended. */
async function calls(id: string, platform: PlatformKey, count: number) {
  const limits = limitsFor(platform, null, t.config.engine.apps);
  for (let i = 0; i < count; i++) {
    const grant = await t.app.engine.budget.acquire(id, limits, "FREQUENT");
    if (!grant.granted) throw new Error(`denied: ${grant.reason}`);
    await grant.recorded;
    await t.app.engine.budget.release(id, grant.leaseId, limits);
  }
}

async function appOf(id: string, token: string) {
  const result = await t.execute(AppBudgetQuery, { id: globalId("Integration", id) }, token);
  expect(result.errors).toBeUndefined();
  const node = result.data!.integration;
  if (node.__typename !== "Integration") throw new Error(node.__typename);
  return { app: node.rateBudget.app, body: JSON.stringify(result) };
}

async function scrape(): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of one sample, by name and labels, or null. */
function sample(text: string, name: string, labels: Record<string, string>): number | null {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
      return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return null;
}

describe("the app-wide cap's figures", () => {
  it("are shown beside an integration's budget in GraphQL and in /metrics by app, as figures only", async () => {
    const [xpm, accounting, psa] = await Promise.all([
      integration(a, "XPM"),
      integration(b, "XERO_ACCOUNTING"),
      integration(a, "PSA"),
    ]);
    const started = Date.now();
    await calls(xpm, "XPM", 3);
    await calls(accounting, "XERO_ACCOUNTING", APP_PER_MINUTE - 3);
    await calls(psa, "PSA", 4);
    // The app is full: tenant A's integration, under its fair share (20 / 2 = 10), waits first in line.
    const limits = limitsFor("XPM", null, t.config.engine.apps);
    expect(await t.app.engine.budget.acquire(xpm, limits, "FREQUENT")).toMatchObject({
      granted: false,
      reason: "appMinute",
    });

    const { app, body } = await appOf(xpm, a.viewer);
    expect(app).toMatchObject({
      app: "xero",
      minute: { limit: APP_PER_MINUTE, used: APP_PER_MINUTE, remaining: 0 },
      activeIntegrations: 2,
      waitingIntegrations: 1,
      starvingIntegrations: 1,
      blockedUntil: null,
    });
    // The next unit frees a minute after the first call ended, no sooner.
    expect(Date.parse(app!.minute.resetsAt)).toBeGreaterThanOrEqual(started + t.config.time.minuteMs);
    // The app is shared with tenant B, but nothing of B's is shown to A.
    expect(body).not.toContain(accounting);
    expect(body).not.toContain(globalId("Integration", accounting));
    expect(body).not.toContain(b.id);
    // Tenant B sees the same app; a platform without an app cap (PSA) has none.
    expect((await appOf(accounting, b.viewer)).app?.minute.used).toBe(APP_PER_MINUTE);
    expect((await appOf(psa, a.viewer)).app).toBeNull();

    const metrics = await scrape();
    const labels = { app: "xero" };
    expect(sample(metrics, "syncline_app_budget_used", labels)).toBe(APP_PER_MINUTE);
    expect(sample(metrics, "syncline_app_budget_limit", labels)).toBe(APP_PER_MINUTE);
    expect(sample(metrics, "syncline_app_integrations_active", labels)).toBe(2);
    expect(sample(metrics, "syncline_app_integrations_waiting", labels)).toBe(1);
    expect(sample(metrics, "syncline_app_integrations_starving", labels)).toBe(1);
    expect(sample(metrics, "syncline_app_budget_blocked_seconds", labels)).toBe(0);
    // Labelled by app only.
    for (const line of metrics.split("\n").filter((l) => l.startsWith("syncline_app_")))
      expect(line).not.toContain("integration_id");

    // The platform's appminute 429 blocks the whole app for a minute.
    await t.app.engine.budget.blockApp("xero", t.config.time.minuteMs);
    const blocked = (await appOf(xpm, a.viewer)).app!;
    expect(Date.parse(blocked.blockedUntil!)).toBeGreaterThan(Date.now());
    const seconds = sample(await scrape(), "syncline_app_budget_blocked_seconds", labels)!;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(t.config.time.minuteMs / 1000);
  });

  it("after Redis lost the app's window: GraphQL shows it rebuilt from the ledger, /metrics as it stands", async () => {
    const id = await integration(a, "XPM");
    const redis = new Redis(TEST_REDIS_URL);
    await redis.del(...Object.values(redisKeys(t.config.redisPrefix).appBudget("xero")));
    redis.disconnect();
    // Read as it stands: no ledger read on a scrape.
    expect(sample(await scrape(), "syncline_app_budget_used", { app: "xero" })).toBe(0);
    // The last test's calls are in the ledger, inside the (real) minute.
    expect((await appOf(id, a.viewer)).app?.minute.used).toBe(APP_PER_MINUTE);
    expect(sample(await scrape(), "syncline_app_budget_used", { app: "xero" })).toBe(APP_PER_MINUTE);
  });
});
