import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { budgetRefusals } from "../../src/observability/metrics.ts";
import {
  connectedXpm,
  type EngineHarness,
  isJobUpdate,
  queueJobBudgets,
  startEngineHarness,
  until,
} from "../support/engine.ts";
import type { TestTenant } from "../support/harness.ts";

/**
 * The budget's refusals as an activation's call slots share them (engine/dispatcher.ts, Activation.refused):
 * a refusal about the integration as a whole (its minute, its app) holds for every slot until it ends, so
 * a backlog asks once per wait; one about a single slot (a call in flight elsewhere took the concurrency)
 * holds that slot only. In compressed time, a "minute" of 6 seconds.
 */
const MINUTE_MS = 6000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS });
  tenant = await h.t.createTenant("Refusals");
});
afterAll(() => h.close());

/** The refusals of XPM's EXPORT lane counted so far in this process, by reason. */
async function exportRefusals(reason: string): Promise<number> {
  return (await budgetRefusals.get()).values
    .filter((v) => v.labels.platform === "XPM" && v.labels.lane === "EXPORT" && v.labels.reason === reason)
    .reduce((sum, v) => sum + v.value, 0);
}

describe("the budget's refusals", () => {
  it("are shared by the slots: a backlog waiting for its minute asks once per wait, not once per slot", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 90, clients: 2, staff: 1, timeEntries: 1 },
      syncMode: "ONE_OFF",
    });
    const before = await exportRefusals("exportMinute");
    await queueJobBudgets(h, integration.id, [...practice.jobs.keys()], 12);
    const sent = () => h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
    await until("the backlog drained", () => sent().length >= 90, 5 * MINUTE_MS);

    // 60 exports waited for the minute's reserve to free. With each slot asking for itself (the engine
    // before, measured with the sharing switched off), the budget refused more looks than that, 97 and
    // 105 in two runs: every slot heard each wait. Shared, the slots wake together when the wait ends
    // and the first takes the freed unit, so each refusal is followed by a call: at most one per export
    // that waited (29 to 46 in five runs), with two to spare for the first and the last.
    const refused = (await exportRefusals("exportMinute")) - before;
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThanOrEqual(60 + 2);
    // The reserve held: never more than 30 exports in a minute.
    expect(h.xpm.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS, isJobUpdate)).toBeLessThanOrEqual(30);
  }, 60_000);

  it("of one slot are not shared: a live read in flight holds one slot back, the backlog goes on in the others", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 20, clients: 2, staff: 1, timeEntries: 1 },
      syncMode: "ONE_OFF",
    });
    // The read takes 1.5 s at the platform; each export a tenth of a second.
    h.xpm.caps.setLatency((entry) => (entry.method === "GET" ? 1500 : 100), remoteTenantId);
    const reading = h.t.app.engine.live.read(integration, { method: "GET", path: "v3.1/staff.api/list" });
    const read = () => h.xpm.caps.accepted(remoteTenantId).find((e) => e.method === "GET");
    await until("the read in flight", () => read() !== undefined, MINUTE_MS);
    const before = await exportRefusals("concurrent");
    await queueJobBudgets(h, integration.id, [...practice.jobs.keys()], 13);
    expect((await reading).kind).toBe("ok");

    // The read held one of the three concurrent calls: a slot was refused for it ("concurrent", told to
    // wait until the read's lease lapses) while the two others sent exports throughout the read.
    const { endedAt } = read()!;
    const during = h.xpm.caps
      .accepted(remoteTenantId)
      .filter((e) => isJobUpdate(e) && e.startedAt < (endedAt ?? Date.now()));
    expect(await exportRefusals("concurrent")).toBeGreaterThan(before);
    expect(during.length).toBeGreaterThanOrEqual(10);
    expect(h.xpm.caps.maxConcurrency(remoteTenantId)).toBeLessThanOrEqual(3);
  }, 60_000);
});
