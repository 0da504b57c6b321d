import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueEdits } from "../../src/sync/export.ts";
import { connectedXpm, type EngineHarness, startEngineHarness, until } from "../support/engine.ts";
import type { TestTenant } from "../support/harness.ts";
import { startWorkerProcess, stopAllWorkers } from "../support/workers.ts";

/**
 * Worker processes as they run in production: separate processes on one database and one Redis. The
 * test process only schedules (it serves no activation); the sandbox's log is the judge.
 */
const MINUTE_MS = 1000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["scheduler"], lockTtlMs: 1500 });
  tenant = await h.t.createTenant("Processes");
});
afterAll(async () => {
  await stopAllWorkers();
  await h.close();
});

const isJobUpdate = (e: { method: string; path: string }) =>
  e.method === "PUT" && e.path === "/v3.1/job.api/update";

async function queueBudgets(integrationId: string, jobs: string[], value: (i: number) => number) {
  await h.t.app.db.prisma.$transaction((tx) =>
    enqueueEdits(
      tx,
      integrationId,
      jobs.map((job, i) => ({ entity: "job", remoteId: job, field: "budget", value: value(i) })),
    ),
  );
  await h.t.app.engine.notify(integrationId, { preempt: false });
}

const sent = (integrationId: string) =>
  h.t.app.db.prisma.exportItem.count({ where: { integrationId, status: "SENT" } });

describe("worker processes", () => {
  it("a worker killed with SIGKILL mid-call loses nothing and sends nothing twice", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 40 },
    });
    const jobs = [...practice.jobs.keys()];
    // Calls take 300 ms at the platform, so the kill finds some in flight.
    h.xpm.caps.setLatency(300);
    const first = await startWorkerProcess(h.t);
    await queueBudgets(integration.id, jobs, (i) => 500 + i);
    await until(
      "calls in flight",
      () => h.xpm.caps.log.some((c) => c.tenantId === remoteTenantId && c.endedAt === null),
      10 * MINUTE_MS,
    );
    await first.kill("SIGKILL");
    const inFlightAtKill = await h.t.app.db.prisma.exportItem.count({
      where: { integrationId: integration.id, status: "SENDING" },
    });

    h.xpm.caps.setLatency(0);
    const second = await startWorkerProcess(h.t);
    await until("all 40 sent", async () => (await sent(integration.id)) === 40, 20 * MINUTE_MS);
    await second.kill("SIGTERM");

    const writes = h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
    const applied = writes.filter((c) => c.status === 200 && !c.replayed);
    const appliedPerKey = new Map<string, number>();
    for (const call of applied)
      appliedPerKey.set(call.idempotencyKey!, (appliedPerKey.get(call.idempotencyKey!) ?? 0) + 1);
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(applied).toHaveLength(40);
    expect([...appliedPerKey.values()].every((count) => count === 1)).toBe(true);
    expect(jobs.every((job, i) => practice.jobs.get(job)!.dto.budget === 500 + i)).toBe(true);
    // Every resend after the kill carried its item's key; if the platform had applied the first try, it
    // answered the resend from its idempotency store.
    expect(writes.length).toBeGreaterThanOrEqual(40);
  }, 60_000);

  it("two worker processes together never exceed any cap", async () => {
    const practices = await Promise.all(
      [0, 1, 2].map(() => connectedXpm(h, { tenantId: tenant.id, seed: { jobs: 75 } })),
    );
    const workers = await Promise.all([startWorkerProcess(h.t), startWorkerProcess(h.t)]);
    for (const { integration, practice } of practices)
      await queueBudgets(integration.id, [...practice.jobs.keys()], () => 9);
    await until(
      "every export sent",
      async () =>
        (await Promise.all(practices.map(({ integration }) => sent(integration.id)))).every((n) => n === 75),
      10 * MINUTE_MS,
    );
    await Promise.all(workers.map((worker) => worker.kill("SIGTERM")));

    for (const { remoteTenantId, practice } of practices) {
      const writes = h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
      expect(writes.filter((c) => c.status === 200 && !c.replayed)).toHaveLength(75);
      expect(h.xpm.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS, isJobUpdate)).toBeLessThanOrEqual(30);
      expect(h.xpm.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS)).toBeLessThanOrEqual(60);
      expect(h.xpm.caps.maxConcurrency(remoteTenantId)).toBeLessThanOrEqual(3);
      expect(h.xpm.caps.log.filter((c) => c.tenantId === remoteTenantId && c.status === 429)).toHaveLength(0);
      expect([...practice.jobs.values()].every((job) => job.dto.budget === 9)).toBe(true);
    }
  }, 60_000);
});
