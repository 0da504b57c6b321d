import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { globalId } from "../../../src/graphql/ids.ts";
import { enqueueEdits } from "../../../src/sync/export.ts";
import { TriggerSyncMutation, UpdateIntegrationSettingsMutation } from "../../operations.ts";
import { connectedXpm, type EngineHarness, startEngineHarness, until } from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";

/**
 * /metrics on an API node that also works (API and worker roles): what the process counted (provider calls
 * by platform, lane and outcome; 429s by problem; run outcomes and durations; subscriptions open) and the
 * fleet's state read when scraped (budgets per window, lane depths, the outbox), in Prometheus' format.
 */
const MINUTE_MS = 1000;
let h: EngineHarness;
let tenant: TestTenant;
let base: string;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["api", "worker"] });
  tenant = await h.t.createTenant("Metrics");
  base = new URL(h.t.app.api!.url).origin;
});
afterAll(() => h.close());

async function scrape(): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  return response.text();
}

/** The value of one sample, by name and labels (all given labels must match), or null. */
function sample(text: string, name: string, labels: Record<string, string>): number | null {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
      return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return null;
}

describe("/metrics", () => {
  it("counts provider calls and 429s, reads budgets, lanes and the outbox, and times runs", async () => {
    // The platform answers two calls with a 429 ("minute"), whatever the counts.
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 80 },
      syncMode: "ONE_OFF",
    });
    h.xpm.caps.injectFaults(remoteTenantId, [
      { kind: "rateLimit", problem: "minute", retryAfterSeconds: 0.1 },
      { kind: "rateLimit", problem: "minute", retryAfterSeconds: 0.1 },
    ]);
    const jobs = [...practice.jobs.keys()];
    await h.t.app.db.prisma.$transaction((tx) =>
      enqueueEdits(
        tx,
        integration.id,
        jobs.map((job, i) => ({ entity: "job", remoteId: job, field: "budget", value: i })),
      ),
    );
    const labels = { integration_id: integration.id, platform: "XPM" };
    const waiting = await scrape();
    expect(sample(waiting, "syncline_outbox_items", { ...labels, status: "pending" })).toBe(80);
    expect(sample(waiting, "syncline_lane_depth", { ...labels, lane: "EXPORT" })).toBe(80);
    expect(sample(waiting, "syncline_budget_limit", { ...labels, window: "exportMinute" })).toBe(30);
    expect(sample(waiting, "syncline_budget_limit", { ...labels, window: "day" })).toBe(5000);

    await h.t.app.engine.notify(integration.id, { preempt: false });
    const sent = () =>
      h.t.app.db.prisma.exportItem.count({ where: { integrationId: integration.id, status: "SENT" } });
    await until("all 80 exports sent", async () => (await sent()) === 80, 30_000);

    const drained = await scrape();
    const ok = sample(drained, "syncline_provider_calls_total", {
      platform: "XPM",
      lane: "EXPORT",
      outcome: "ok",
    });
    expect(ok).toBeGreaterThanOrEqual(80);
    const limited = sample(drained, "syncline_provider_calls_total", {
      platform: "XPM",
      lane: "EXPORT",
      outcome: "rateLimited",
    });
    const sandbox429s = h.xpm.caps.log.filter((call) => call.status === 429).length;
    expect(sandbox429s).toBe(2);
    expect(limited).toBe(sandbox429s);
    expect(sample(drained, "syncline_rate_limited_total", { platform: "XPM", problem: "minute" })).toBe(
      sandbox429s,
    );
    expect(
      sample(drained, "syncline_provider_call_duration_seconds_count", { platform: "XPM", lane: "EXPORT" }),
    ).toBe(ok! + limited!);
    expect(sample(drained, "syncline_outbox_items", { ...labels, status: "pending" })).toBe(0);
    expect(
      sample(drained, "syncline_budget_used", { ...labels, window: "exportDay" }),
    ).toBeGreaterThanOrEqual(80);
    expect(sample(drained, "nodejs_eventloop_lag_seconds", {})).not.toBeNull();
    // Defined for the connections and webhooks code, which count them.
    expect(drained).toContain("# TYPE syncline_token_refreshes_total counter");
    expect(drained).toContain("# TYPE syncline_webhook_deliveries_total counter");

    // A forced sync: its end is counted and timed by kind and status.
    const { triggerSync } = await h.t.data(
      TriggerSyncMutation,
      { input: { integrationId: globalId("Integration", integration.id), kind: "FORCE" } },
      tenant.admin,
    );
    expect(triggerSync.__typename).toBe("TriggerSyncPayload");
    await until(
      "the forced run ended",
      async () =>
        (await h.t.app.db.prisma.syncRun.count({
          where: { integrationId: integration.id, finishedAt: { not: null } },
        })) > 0,
      30_000,
    );
    const run = await h.t.app.db.prisma.syncRun.findFirstOrThrow({
      where: { integrationId: integration.id },
    });
    const ran = await scrape();
    expect(sample(ran, "syncline_sync_runs_finished_total", { kind: "FORCE", status: run.status })).toBe(1);
    expect(
      sample(ran, "syncline_sync_run_duration_seconds_count", { kind: "FORCE", status: run.status }),
    ).toBe(1);
    expect(
      sample(ran, "syncline_provider_calls_total", { platform: "XPM", lane: "DAILY", outcome: "ok" }),
    ).toBeGreaterThan(0);
  }, 60_000);

  it("shows an ADAPTIVE integration's export limits as the engine applied them: the whole minute while no pull is due", async () => {
    // One-off: no pull is scheduled, so ADAPTIVE exports may use the whole minute cap (60, not the 30 kept).
    const { integration, practice } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 20 },
      syncMode: "ONE_OFF",
    });
    const { updateIntegrationSettings } = await h.t.data(
      UpdateIntegrationSettingsMutation,
      { input: { integrationId: globalId("Integration", integration.id), exportReserveMode: "ADAPTIVE" } },
      tenant.admin,
    );
    expect(updateIntegrationSettings.__typename).toBe("IntegrationSettingsPayload");
    const labels = { integration_id: integration.id, platform: "XPM" };
    // No export has asked yet: the strict reserve's figures.
    const before = await scrape();
    expect(sample(before, "syncline_budget_limit", { ...labels, window: "exportMinute" })).toBe(30);
    expect(sample(before, "syncline_budget_limit", { ...labels, window: "exportDay" })).toBe(4500);

    await h.t.app.db.prisma.$transaction((tx) =>
      enqueueEdits(
        tx,
        integration.id,
        [...practice.jobs.keys()].map((job) => ({ entity: "job", remoteId: job, field: "budget", value: 5 })),
      ),
    );
    await h.t.app.engine.notify(integration.id, { preempt: false });
    await until(
      "all 20 exports sent",
      async () =>
        (await h.t.app.db.prisma.exportItem.count({
          where: { integrationId: integration.id, status: "SENT" },
        })) === 20,
      30_000,
    );
    const after = await scrape();
    expect(sample(after, "syncline_budget_limit", { ...labels, window: "exportMinute" })).toBe(60);
    // No pull left today: the day cap less what pulls used (none) is the exports' too.
    expect(sample(after, "syncline_budget_limit", { ...labels, window: "exportDay" })).toBe(5000);
    expect(sample(after, "syncline_budget_limit", { ...labels, window: "minute" })).toBe(60);
  }, 60_000);

  it("counts subscriptions open by transport and field while they are open", async () => {
    const { integration } = await connectedXpm(h, { tenantId: tenant.id, syncMode: "ONE_OFF" });
    const field = { transport: "ws", field: "queueProgress" };
    const before = sample(await scrape(), "syncline_subscriptions_open", field) ?? 0;
    const client = createClient({
      url: h.t.app.api!.url.replace("http", "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${tenant.viewer}` },
      lazy: false,
    });
    const stops = [1, 2].map(() =>
      client.subscribe(
        {
          query: "subscription ($id: ID!) { queueProgress(integrationId: $id) { at } }",
          variables: { id: globalId("Integration", integration.id) },
        },
        { next: () => {}, error: () => {}, complete: () => {} },
      ),
    );
    await until(
      "two subscriptions counted",
      async () => sample(await scrape(), "syncline_subscriptions_open", field) === before + 2,
      10_000,
    );
    for (const stop of stops) stop();
    await until(
      "both ended",
      async () => sample(await scrape(), "syncline_subscriptions_open", field) === before,
      10_000,
    );
    await client.dispose();
  });
});
