import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../../src/graphql/ids.ts";
import { type ApiServer, startApiServer } from "../../../src/graphql/server.ts";
import {
  EnqueueExportsMutation,
  IngestOrdersMutation,
  StartAccountingSyncMutation,
  UpsertMappingRuleMutation,
} from "../../operations.ts";
import {
  connectedXero,
  connectedXpm,
  type EngineHarness,
  startEngineHarness,
  until,
} from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";
import { retailOrder } from "../../support/orders.ts";

/**
 * The monitor page in a real browser (Debian's Chromium, driven by playwright-core; no browser is ever
 * downloaded) against a running syncline (API, worker and scheduler roles) and the sandboxes. Nothing on
 * the page polls: every figure that moves here arrives by subscription, and the page is never reloaded.
 * Screenshots go to test/output/monitor/ (not committed).
 */
const CHROMIUM = "/usr/bin/chromium";
const OUT = new URL("../../output/monitor/", import.meta.url).pathname;
/** A platform minute of 3 s: XPM's export reserve (30 a minute) sends 10 exports a second. */
const MINUTE_MS = 3000;
const EXPORTS = 90;

let h: EngineHarness;
let tenant: TestTenant;
let browser: Browser;
let url: string;
let xpmName: string;
let xeroName: string;
let xeroId: string;
let xpmId: string;
let jobs: string[];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  // The page as its sources are now (npm install built it once; a test must not run an old build).
  execFileSync("npx", ["vite", "build", "web", "--logLevel", "warn"], { stdio: "inherit" });
  mkdirSync(OUT, { recursive: true });
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["api", "worker", "scheduler"] });
  tenant = await h.t.createTenant("Monitor practice");
  const xpm = await connectedXpm(h, { tenantId: tenant.id, seed: { jobs: EXPORTS } });
  xpmName = xpm.integration.name;
  xpmId = globalId("Integration", xpm.integration.id);
  jobs = [...xpm.practice.jobs.keys()];
  const xero = await connectedXero(h, { tenantId: tenant.id, syncMode: "ONE_OFF" });
  xeroName = xero.integration.name;
  xeroId = globalId("Integration", xero.integration.id);
  url = h.t.app.api!.monitorUrl;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** Opens the page, signs in with `token`, and waits for the integrations; reports how long each took. */
async function signIn(context: BrowserContext, token: string): Promise<{ page: Page; figures: string }> {
  const page = await context.newPage();
  const started = performance.now();
  await page.goto(url);
  await page.getByLabel("Token").waitFor();
  const formShown = performance.now() - started;
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    return { domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd };
  });
  const submitted = performance.now();
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("integration-card").first().waitFor();
  await page.getByTestId("connection").and(page.locator("[data-state=live]")).waitFor();
  const live = performance.now() - submitted;
  // A reload would lose this mark: the tests check it is still there at their end.
  await page.evaluate(() => {
    (window as unknown as { monitorMark: number }).monitorMark = 1;
  });
  return {
    page,
    figures: `page load ${timing.load.toFixed(0)} ms (DOMContentLoaded ${timing.domContentLoaded.toFixed(0)} ms), sign-in form shown after ${formShown.toFixed(0)} ms, signed in and live after ${live.toFixed(0)} ms`,
  };
}

const notReloaded = (page: Page) =>
  page.evaluate(() => (window as unknown as { monitorMark?: number }).monitorMark === 1);

const card = (page: Page, name: string) =>
  page.getByTestId("integration-card").and(page.locator(`[data-name="${name}"]`));

describe("the monitor page", () => {
  it("shows an export backlog drain live, lane depth and budget gauges moving, without a reload", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page, figures } = await signIn(context, tenant.admin);
    console.log(`monitor page, first load: ${figures}`);
    await card(page, xpmName).click();
    await page
      .getByTestId("integration-detail")
      .and(page.locator(`[data-name="${xpmName}"]`))
      .waitFor();
    await page.getByTestId("sync-now").waitFor();

    // Record every outbox figure the page shows, as it shows it.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { pendingSeen: number[] }).pendingSeen = seen;
      const read = () => {
        const value = Number(
          document.querySelector("[data-testid=outbox-pending]")?.textContent?.replace(/,/g, ""),
        );
        if (!Number.isNaN(value) && seen[seen.length - 1] !== value) seen.push(value);
      };
      new MutationObserver(read).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
      });
      read();
    });

    const { enqueueExports } = await h.t.data(
      EnqueueExportsMutation,
      {
        input: {
          integrationId: xpmId,
          items: jobs.map((job, i) => ({ entity: "job", remoteId: job, field: "budget", value: 1000 + i })),
        },
      },
      tenant.admin,
    );
    expect(enqueueExports.__typename).toBe("EnqueueExportsPayload");

    // The backlog appears, drains under the export reserve, and the page follows it to the end.
    await page.waitForFunction(
      (n) => Number(document.querySelector("[data-testid=outbox-pending]")?.textContent) >= n / 2,
      EXPORTS,
      { timeout: 20_000 },
    );
    await expect
      .poll(async () => Number(await page.getByTestId("gauge-export-minute").getAttribute("data-used")), {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);
    await page.screenshot({ path: `${OUT}export-draining.png`, fullPage: true });
    await page.waitForFunction(
      (n) => document.querySelector("[data-testid=outbox-sent]")?.textContent === String(n),
      EXPORTS,
      { timeout: 60_000 },
    );
    await page.getByTestId("outbox-pending").and(page.locator(":text-is('0')")).waitFor();
    expect(await page.getByTestId("drain-estimate").textContent()).toBe("Nothing waiting to go out.");
    await page.screenshot({ path: `${OUT}export-drained.png`, fullPage: true });

    const seen = await page.evaluate(() => (window as unknown as { pendingSeen: number[] }).pendingSeen);
    // Several figures on the way down, ending at zero: the drain was watched, not just its result.
    expect(Math.max(...seen)).toBeGreaterThanOrEqual(EXPORTS / 2);
    expect(seen.filter((n) => n > 0 && n < EXPORTS).length).toBeGreaterThanOrEqual(3);
    expect(seen[seen.length - 1]).toBe(0);
    expect(await notReloaded(page)).toBe(true);
    await context.close();
  }, 120_000);

  it("follows a push's packets to SENT and shows the run's log, without a reload", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1100 } });
    const { page } = await signIn(context, tenant.owner);
    await card(page, xeroName).click();
    await page
      .getByTestId("integration-detail")
      .and(page.locator(`[data-name="${xeroName}"]`))
      .waitFor();

    const rules: [string, string | undefined, string, string][] = [
      ["REVENUE_CATEGORY", "Retail", "ACCOUNT_CODE", "200"],
      ["TAX_RATE", "GST 15%", "TAX_TYPE", "OUTPUT"],
      ["PAYMENT_METHOD", undefined, "ACCOUNT_CODE", "090"],
    ];
    for (const [sourceType, sourceValue, targetType, targetValue] of rules) {
      await h.t.data(
        UpsertMappingRuleMutation,
        {
          input: {
            integrationId: xeroId,
            sourceType,
            ...(sourceValue ? { sourceValue } : {}),
            targetType,
            targetValue,
          },
        } as never,
        tenant.owner,
      );
    }
    const orders = [1, 2, 3].map((n) =>
      retailOrder(`M-${n}`, new Date(Date.UTC(2026, 10, 20 + n, 1)).toISOString()),
    );
    await h.t.data(IngestOrdersMutation, { input: { integrationId: xeroId, orders } } as never, tenant.owner);
    // Each journal takes a second at the platform, so the packets are seen on their way.
    h.xero.caps.setLatency(1000);
    const { startAccountingSync } = await h.t.data(
      StartAccountingSyncMutation,
      { integrationId: xeroId },
      tenant.owner,
    );
    if (startAccountingSync.__typename !== "StartAccountingSyncPayload")
      throw new Error(startAccountingSync.__typename);

    // The run appears by subscription; its details show the packets moving.
    const run = page.getByTestId("run").and(page.locator("[data-kind=PUSH]"));
    await run.first().waitFor({ timeout: 20_000 });
    await run.first().getByRole("button").click();
    const detail = page.getByTestId("run-detail").and(page.locator("[data-kind=PUSH]"));
    await detail.waitFor();
    await page.getByTestId("packet").first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: `${OUT}push-sending.png`, fullPage: true });
    await until(
      "every packet SENT on the page",
      async () => (await page.locator("[data-testid=packet][data-state=SENT]").count()) === 3,
      30_000,
    );
    await detail.and(page.locator("[data-status=SUCCEEDED]")).waitFor({ timeout: 20_000 });
    expect(await page.locator("[data-testid=packet]").count()).toBe(3);
    expect(await page.getByTestId("packet-counts").textContent()).toBe("3 SENT");
    expect(await page.getByTestId("logs").locator("li").count()).toBeGreaterThan(0);
    // Nothing failed, so there is nothing to retry.
    expect(await page.getByTestId("retry-failed").count()).toBe(0);
    expect(await notReloaded(page)).toBe(true);
    await page.screenshot({ path: `${OUT}push-sent.png`, fullPage: true });
    h.xero.caps.setLatency(0);
    await context.close();
  }, 120_000);

  it("shows a VIEWER the same figures and no action at all", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page } = await signIn(context, tenant.viewer);
    expect(await page.getByTestId("role").textContent()).toBe("VIEWER");
    for (const name of [xpmName, xeroName]) {
      await card(page, name).click();
      await page
        .getByTestId("integration-detail")
        .and(page.locator(`[data-name="${name}"]`))
        .waitFor();
      const runs = page.getByTestId("run");
      if ((await runs.count()) > 0) {
        await runs.first().getByRole("button").click();
        await page.getByTestId("run-detail").waitFor();
      }
      for (const action of [
        "sync-now",
        "pause",
        "resume",
        "cancel-run",
        "retry-failed",
        "integration-actions",
      ])
        expect(await page.getByTestId(action).count(), `${action} on ${name}`).toBe(0);
      await page.getByTestId("gauge-minute").waitFor();
    }
    await page.screenshot({ path: `${OUT}viewer.png`, fullPage: true });
    await context.close();
  }, 60_000);

  it("says when the connection drops, reconnects by itself, and is live again", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const { page } = await signIn(context, tenant.admin);
    const api = h.t.app.api!;
    const port = Number(new URL(api.url).port);
    await api.close(1000);
    await page.getByTestId("connection").and(page.locator("[data-state=reconnecting]")).waitFor();
    expect(await page.getByTestId("connection").textContent()).toContain("reconnecting");
    await page.screenshot({ path: `${OUT}reconnecting.png` });
    let again: ApiServer | undefined;
    try {
      again = await startApiServer({ yoga: h.t.app.yoga, host: "127.0.0.1", port, ready: async () => ({}) });
      await page
        .getByTestId("connection")
        .and(page.locator("[data-state=live]"))
        .waitFor({ timeout: 30_000 });
      expect(await page.getByTestId("connection").textContent()).toContain("Reconnected");
      // Live again: a status change made now reaches the page by subscription.
      await card(page, xpmName).click();
      await page.getByTestId("pause").click();
      await card(page, xpmName)
        .getByTestId("integration-status")
        .and(page.locator(":text-is('PAUSED')"))
        .waitFor();
      await page.getByTestId("resume").click();
      await card(page, xpmName)
        .getByTestId("integration-status")
        .and(page.locator(":not(:text-is('PAUSED'))"))
        .waitFor();
      expect(await notReloaded(page)).toBe(true);
      await page.screenshot({ path: `${OUT}reconnected.png` });
    } finally {
      await context.close();
      await again?.close(1000);
    }
  }, 90_000);
});
