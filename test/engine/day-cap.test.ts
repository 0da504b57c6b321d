import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueEdits } from "../../src/sync/export.ts";
import { connectedXpm, type EngineHarness, startEngineHarness, until } from "../support/engine.ts";
import type { TestTenant } from "../support/harness.ts";

/**
 * The day's export reserve in compressed time: a "minute" is 5 ms, so a day is 7.2 s. The minute caps
 * are lifted so that only the day binds, and the day figures are set a tenth of XPM's (500 calls a day,
 * 450 of them for exports) through the integration's rate-limit override: one process sends a few
 * hundred calls a second here, not the 4,500 in 7 s the real figures would need.
 */
const MINUTE_MS = 5;
const DAY_MS = MINUTE_MS * 1440;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS });
  tenant = await h.t.createTenant("Day cap");
});
afterAll(() => h.close());

const exportsSent = (integrationId: string) =>
  h.t.app.db.prisma.exportItem.count({ where: { integrationId, status: "SENT" } });

describe("the export reserve's day cap", () => {
  it("sends 450 of 510 exports in a day (a tenth of 4,500 of 5,100), and the rest after the reset", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 510, clients: 1, timeEntries: 0 },
      override: { perMinute: 1_000_000, exportPerMinute: 1_000_000, perDay: 500, exportPerDay: 450 },
      // In a 7-second day the 10-minute schedule would fire every 50 ms: exports only here.
      syncMode: "ONE_OFF",
    });
    h.xpm.caps.setLimits({ perMinute: 1_000_000, perDay: 500 }, remoteTenantId);
    const jobs = [...practice.jobs.keys()];

    // Start at the top of a day, so the first day's 4,500 all fall inside it.
    await new Promise((resolve) => setTimeout(resolve, DAY_MS - (Date.now() % DAY_MS) + 5));
    const day = Math.floor(Date.now() / DAY_MS);
    await h.t.app.db.prisma.$transaction(
      (tx) =>
        enqueueEdits(
          tx,
          integration.id,
          jobs.map((job) => ({ entity: "job", remoteId: job, field: "budget", value: 5 })),
        ),
      { timeout: 30_000 },
    );
    await h.t.app.engine.notify(integration.id);

    await until("the day's 450 exports", async () => (await exportsSent(integration.id)) === 450, DAY_MS);
    const calls = () => h.xpm.caps.accepted(remoteTenantId).filter((c) => c.method === "PUT");
    expect(Math.floor(Date.now() / DAY_MS)).toBe(day);
    expect(calls().filter((c) => Math.floor(c.startedAt / DAY_MS) === day)).toHaveLength(450);
    // Waiting (one may be claimed for a moment while its slot asks the budget, then put back).
    const waiting = await h.t.app.db.prisma.exportItem.count({
      where: { integrationId: integration.id, status: { in: ["PENDING", "SENDING"] } },
    });
    expect(waiting).toBe(60);

    await until(
      "the rest after the reset",
      async () => (await exportsSent(integration.id)) === 510,
      2 * DAY_MS,
    );
    const nextDay = calls().filter((c) => Math.floor(c.startedAt / DAY_MS) === day + 1);
    expect(nextDay).toHaveLength(60);
    expect(h.xpm.caps.log.filter((c) => c.tenantId === remoteTenantId && c.status === 429)).toHaveLength(0);
    expect(calls().filter((c) => c.replayed)).toHaveLength(0);
  }, 60_000);
});
