import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../src/graphql/ids.ts";
import type { CallLogEntry } from "../../src/sandbox/kit/call-log.ts";
import { TriggerSyncMutation } from "../operations.ts";
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
 * Call slots come back after a long wait. An export backlog spends the minute's reserve and must wait
 * longer than an activation sleeps in place; a forced pull arrives meanwhile and keeps one slot busy page
 * after page. The slots that were told to wait rest instead of leaving, and serve exports again once
 * the window frees, beside the pull and after it: the drain does not fall to one slot. In compressed
 * time, a "minute" of 6 seconds (each export takes a quarter of a second at the platform, each page one).
 */
const MINUTE_MS = 6000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS });
  tenant = await h.t.createTenant("Slots");
});
afterAll(() => h.close());

/** The most calls in flight at once among `calls` (from the sandbox's log intervals). */
function mostAtOnce(calls: CallLogEntry[]): number {
  const events = calls.flatMap((c): [number, number][] => [
    [c.startedAt, 1],
    [c.endedAt ?? Date.now(), -1],
  ]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let most = 0;
  for (const [, delta] of events) {
    current += delta;
    most = Math.max(most, current);
  }
  return most;
}

describe("call slots", () => {
  it("come back after a long wait, beside a forced pull and after it", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 120, clients: 10, staff: 3, timeEntries: 10 },
      syncMode: "ONE_OFF",
    });
    h.xpm.caps.setLatency((entry) => (entry.method === "GET" ? 1000 : 250), remoteTenantId);
    const jobs = [...practice.jobs.keys()];
    await queueJobBudgets(h, integration.id, jobs, 11);
    const log = () => h.xpm.caps.accepted(remoteTenantId);
    // The first minute's 30 exports spend the reserve: the slots must now wait over three seconds.
    await until("the minute's reserve spent", () => log().filter(isJobUpdate).length >= 30, 5 * MINUTE_MS);
    const { triggerSync } = await h.t.data(
      TriggerSyncMutation,
      { input: { integrationId: globalId("Integration", integration.id), kind: "FORCE" } },
      tenant.admin,
    );
    expect(triggerSync.__typename).toBe("TriggerSyncPayload");
    const pages = () => log().filter((c) => c.method === "GET");
    await until("the pull under way", () => pages().length > 0, MINUTE_MS);
    const pullStarted = pages()[0]!.startedAt;
    // Another minute and a half of exports after the pull started.
    await until(
      "exports after the pull started",
      () => log().filter((c) => isJobUpdate(c) && c.startedAt > pullStarted).length >= 40,
      6 * MINUTE_MS,
    );

    const after = log().filter((c) => isJobUpdate(c) && c.startedAt > pullStarted);
    // Exports went on beside the pull with more than one slot, not with the pull's slot alone.
    expect(mostAtOnce(after)).toBeGreaterThanOrEqual(2);
    const run = await h.t.app.db.prisma.syncRun.findFirstOrThrow({
      where: { integrationId: integration.id, kind: "FORCE" },
    });
    expect(["RUNNING", "SUCCEEDED"]).toContain(run.status);
    // Never more in flight than the cap, pull pages and exports together.
    expect(h.xpm.caps.maxConcurrency(remoteTenantId)).toBeLessThanOrEqual(3);
  }, 90_000);
});
