import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallLogEntry } from "../../../src/sandbox/kit/call-log.ts";
import { enqueueEdits } from "../../../src/sync/export.ts";
import {
  connectedXpm,
  type EngineHarness,
  isJobRead,
  isJobUpdate,
  startEngineHarness,
  until,
} from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";
import { startWorkerProcess, stopAllWorkers } from "../../support/workers.ts";

/**
 * A worker process killed with SIGKILL while its calls are in flight, as it can die in production,
 * against a stand-in XPM that ignores Idempotency-Key (its contract declares none): a resend of a write
 * the platform already applied would apply it twice. The restarted worker finds the dead one's items in
 * doubt, reads each job back (through the budget) and settles it by what is there, so every edit is
 * applied exactly once; and the dead worker's locks and budget leases lapse with its heartbeat, so the
 * restarted worker calls within seconds, not after the leases' old TTL of two call timeouts.
 * The test process only schedules (it serves no activation); the sandbox's log is the judge.
 */
const MINUTE_MS = 1000;
/** Long enough that waiting out the old lease TTL (two call timeouts) would be plain to see. */
const CALL_TIMEOUT_MS = 8000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["scheduler"], heartbeatLapseMs: 1500 });
  tenant = await h.t.createTenant("Worker crash");
  h.xpm.caps.setIdempotency(false);
});
afterAll(async () => {
  await stopAllWorkers();
  await h.close();
});

const sent = (integrationId: string) =>
  h.t.app.db.prisma.exportItem.count({ where: { integrationId, status: "SENT" } });

describe("a worker process killed mid-call", () => {
  it("applies every edit exactly once, and the restarted worker calls within seconds", async () => {
    const jobsCount = 30;
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: jobsCount },
    });
    const jobs = [...practice.jobs.keys()];
    const env = { SYNCLINE_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS) };
    const ofTenant = (c: CallLogEntry) => c.tenantId === remoteTenantId;
    // Calls take 1.5 s at the platform, so the kill finds all three slots' calls in flight.
    h.xpm.caps.setLatency(1500, remoteTenantId);
    const first = await startWorkerProcess(h.t, env);
    await h.t.app.db.prisma.$transaction((tx) =>
      enqueueEdits(
        tx,
        integration.id,
        jobs.map((job, i) => ({ entity: "job", remoteId: job, field: "budget", value: 500 + i })),
      ),
    );
    await h.t.app.engine.notify(integration.id, { preempt: false });
    await until(
      "three calls in flight",
      () => h.xpm.caps.log.filter((c) => ofTenant(c) && isJobUpdate(c) && c.endedAt === null).length === 3,
      20 * MINUTE_MS,
    );
    const killedAt = Date.now();
    await first.kill("SIGKILL");

    h.xpm.caps.setLatency(0, remoteTenantId);
    const second = await startWorkerProcess(h.t, env);
    const restartedAt = Date.now();
    await until("all sent", async () => (await sent(integration.id)) === jobsCount, 60 * MINUTE_MS);
    await second.kill("SIGTERM");

    const log = h.xpm.caps.accepted(remoteTenantId);
    const writes = log.filter(isJobUpdate);
    // Applied: the platform's handling of the write ran, whether or not its answer reached anyone.
    const appliedPerKey = new Map<string, number>();
    for (const call of writes.filter((c) => c.applied))
      appliedPerKey.set(call.idempotencyKey!, (appliedPerKey.get(call.idempotencyKey!) ?? 0) + 1);
    expect(appliedPerKey.size).toBe(jobsCount);
    expect([...appliedPerKey.values()].every((count) => count === 1)).toBe(true);
    expect(jobs.every((job, i) => practice.jobs.get(job)!.dto.budget === 500 + i)).toBe(true);

    // The kill cut the writes in flight off (three were when it was decided; one may have ended in the
    // moment before the kill landed): the platform applied them all the same. Each was read back, found
    // applied, and never written again.
    const cutOff = writes.filter((c) => c.startedAt < killedAt && c.clientAborted);
    expect(cutOff.length).toBeGreaterThanOrEqual(2);
    expect(cutOff.length).toBeLessThanOrEqual(3);
    for (const call of cutOff) {
      expect(writes.filter((c) => c.idempotencyKey === call.idempotencyKey)).toHaveLength(1);
    }
    expect(log.filter((c) => isJobRead(c) && c.startedAt > killedAt).length).toBeGreaterThanOrEqual(3);
    const items = await h.t.app.db.prisma.exportItem.findMany({ where: { integrationId: integration.id } });
    expect(items.every((item) => item.status === "SENT")).toBe(true);

    // The dead worker's lock and budget leases lapsed with its heartbeat (1.5 s): the restarted worker
    // called at once, not after the leases' old TTL of two call timeouts (16 s here).
    const nextCall = Math.min(...log.filter((c) => c.startedAt > killedAt).map((c) => c.startedAt));
    expect(nextCall - restartedAt).toBeLessThan(5000);
  }, 90_000);
});
