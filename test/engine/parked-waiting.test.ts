import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { budgetRefusals, claimsPutBack } from "../../src/observability/metrics.ts";
import {
  connectedXpm,
  type EngineHarness,
  isJobUpdate,
  queuedActivations,
  queueJobBudgets,
  startEngineHarness,
} from "../support/engine.ts";
import type { TestTenant } from "../support/harness.ts";

/**
 * An activation that parks with exports the budget refused says so in the job that wakes the
 * integration: the next activation's export session says at once that its work waits, so the budget is
 * asked before anything is claimed, and a refusal costs no claim put back (engine/dispatcher.ts,
 * budgetWaitOf; WorkSource.open). The harness's process
 * serves no queue: the test serves the integration itself, one activation at a time, with the jobs the
 * engine enqueued; with no resting in place allowed (SYNCLINE_RESTING_ACTIVATIONS=0) an activation parks. In
 * compressed time, a "minute" of 60 seconds: every step below happens inside the first one.
 */
const MINUTE_MS = 60_000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({
    minuteMs: MINUTE_MS,
    roles: ["api"],
    env: { SYNCLINE_RESTING_ACTIVATIONS: "0" },
  });
  tenant = await h.t.createTenant("Parked");
});
afterAll(() => h.close());

/** The put-backs counted for XPM's EXPORT lane. */
async function putBacks(): Promise<number> {
  return (await claimsPutBack.get()).values
    .filter((v) => v.labels.platform === "XPM" && v.labels.lane === "EXPORT")
    .reduce((sum, v) => sum + v.value, 0);
}

/** The refusals of XPM's EXPORT lane for its minute's export reserve. */
async function minuteRefusals(): Promise<number> {
  return (await budgetRefusals.get()).values
    .filter(
      (v) => v.labels.platform === "XPM" && v.labels.lane === "EXPORT" && v.labels.reason === "exportMinute",
    )
    .reduce((sum, v) => sum + v.value, 0);
}

describe("an activation parked with exports the budget refused", () => {
  it("tells the next one, which asks the budget before it claims; without the word it claims and puts back", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 3, clients: 1, staff: 1, timeEntries: 1 },
      syncMode: "ONE_OFF",
      // One export a minute: the first edit goes, the others wait for the next minute.
      override: { exportPerMinute: 1 },
    });
    await queueJobBudgets(h, integration.id, [...practice.jobs.keys()], 7);
    const { dispatcher } = h.t.app.engine;
    const items = () =>
      h.t.app.db.prisma.exportItem.findMany({
        where: { integrationId: integration.id },
        select: { status: true, attempts: true, updatedAt: true },
      });

    // The first activation sends one edit; the next is refused for the minute before it is claimed (the
    // session knew more was due), and the activation parks, its wake-up saying the exports wait.
    await dispatcher.serve(integration.id);
    expect(h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate)).toHaveLength(1);
    const waiting = (await items()).filter((item) => item.status === "PENDING");
    expect(waiting).toHaveLength(2);
    const [first] = await queuedActivations(h, integration.id, ["delayed"]);
    expect(first?.budgetWait?.source).toBe("exports");

    // Woken by that job, the next activation asks the budget first: refused, nothing claimed.
    const putBack = await putBacks();
    const refused = await minuteRefusals();
    await dispatcher.serve(integration.id, { budgetWait: first!.budgetWait });
    expect(await minuteRefusals()).toBe(refused + 1);
    expect(await putBacks()).toBe(putBack);
    // Untouched: neither claimed nor put back.
    expect((await items()).filter((item) => item.status === "PENDING")).toEqual(waiting);

    // Not told (an activation started by an announcement or the sweep), it claims the next edit, hears
    // the same refusal and puts the edit back.
    await dispatcher.serve(integration.id);
    expect(await minuteRefusals()).toBe(refused + 2);
    expect(await putBacks()).toBe(putBack + 1);
    expect((await items()).filter((item) => item.status === "PENDING")).toHaveLength(2);
    // Still one call in the minute: the reserve held throughout.
    expect(h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate)).toHaveLength(1);
  }, 30_000);
});
