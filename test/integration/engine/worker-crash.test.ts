import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueEdits } from "../../../src/sync/export.ts";
import { connectedXpm, type EngineHarness, startEngineHarness, until } from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";
import { startWorkerProcess, stopAllWorkers } from "../../support/workers.ts";

/**
 * A worker process killed with SIGKILL while its calls are in flight, as it can die in production: the
 * next worker picks the work up, and the sandbox's log shows nothing lost and nothing applied twice.
 * The test process only schedules (it serves no activation). Nothing here measures a rate, so the file
 * runs beside the others (test/engine/processes.test.ts measures the caps two processes keep).
 */
const MINUTE_MS = 1000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["scheduler"], lockTtlMs: 1500 });
  tenant = await h.t.createTenant("Worker crash");
});
afterAll(async () => {
  await stopAllWorkers();
  await h.close();
});

const isJobUpdate = (e: { method: string; path: string }) =>
  e.method === "PUT" && e.path === "/v3.1/job.api/update";

const sent = (integrationId: string) =>
  h.t.app.db.prisma.exportItem.count({ where: { integrationId, status: "SENT" } });

describe("a worker process killed mid-call", () => {
  it("loses nothing and sends nothing twice", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 40 },
    });
    const jobs = [...practice.jobs.keys()];
    // Calls take 1.5 s at the platform (under the 2 s call timeout), so the kill finds some in flight
    // even on a busy machine.
    h.xpm.caps.setLatency(1500);
    const first = await startWorkerProcess(h.t);
    await h.t.app.db.prisma.$transaction((tx) =>
      enqueueEdits(
        tx,
        integration.id,
        jobs.map((job, i) => ({ entity: "job", remoteId: job, field: "budget", value: 500 + i })),
      ),
    );
    await h.t.app.engine.notify(integration.id, { preempt: false });
    await until(
      "calls in flight",
      () => h.xpm.caps.log.some((c) => c.tenantId === remoteTenantId && c.endedAt === null),
      10 * MINUTE_MS,
    );
    await first.kill("SIGKILL");

    h.xpm.caps.setLatency(0);
    const second = await startWorkerProcess(h.t);
    await until("all 40 sent", async () => (await sent(integration.id)) === 40, 30 * MINUTE_MS);
    await second.kill("SIGTERM");

    const writes = h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
    const applied = writes.filter((c) => c.status === 200 && !c.replayed);
    const appliedPerKey = new Map<string, number>();
    for (const call of applied)
      appliedPerKey.set(call.idempotencyKey!, (appliedPerKey.get(call.idempotencyKey!) ?? 0) + 1);
    expect(applied).toHaveLength(40);
    expect([...appliedPerKey.values()].every((count) => count === 1)).toBe(true);
    expect(jobs.every((job, i) => practice.jobs.get(job)!.dto.budget === 500 + i)).toBe(true);
    // The kill cut calls off mid-flight (the platform applied them all the same); each was sent again
    // with its item's key, and the platform answered the resend from its idempotency store.
    const cutOff = writes.filter((c) => c.clientAborted);
    expect(cutOff.length).toBeGreaterThan(0);
    for (const call of cutOff) {
      const resends = writes.filter((c) => c.seq > call.seq && c.idempotencyKey === call.idempotencyKey);
      expect(resends.length).toBeGreaterThan(0);
      expect(resends.every((c) => c.replayed)).toBe(true);
    }
    expect(writes.length).toBeGreaterThanOrEqual(40 + cutOff.length);
  }, 60_000);
});
