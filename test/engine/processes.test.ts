import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectedXpm,
  type EngineHarness,
  isJobUpdate,
  queueJobBudgets,
  startEngineHarness,
  until,
} from "../support/engine.ts";
import type { TestTenant } from "../support/harness.ts";
import { type RecordingProxy, startRecordingProxy } from "../support/proxy.ts";
import { startWorkerProcess, stopAllWorkers } from "../support/workers.ts";

/**
 * Worker processes as they run in production: separate processes on one database and one Redis. The
 * test process only schedules (it serves no activation); the sandbox's log is the judge. (A worker
 * killed mid-call: test/integration/engine/worker-crash.test.ts.)
 */
const MINUTE_MS = 1000;
let h: EngineHarness;
let tenant: TestTenant;
const proxies: RecordingProxy[] = [];

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["scheduler"], heartbeatLapseMs: 1500 });
  tenant = await h.t.createTenant("Processes");
});
afterAll(async () => {
  await stopAllWorkers();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await h.close();
});

const sent = (integrationId: string) =>
  h.t.app.db.prisma.exportItem.count({ where: { integrationId, status: "SENT" } });

describe("worker processes", () => {
  it("two worker processes share the work and together never exceed any cap", async () => {
    const practices = await Promise.all(
      [0, 1, 2].map(() => connectedXpm(h, { tenantId: tenant.id, seed: { jobs: 75 } })),
    );
    // Each worker reaches the sandbox through a proxy of its own, which tells whose calls are whose.
    proxies.push(...(await Promise.all([0, 1].map(() => startRecordingProxy(h.xpm.url)))));
    const workers = await Promise.all(
      // Two slots and one activation resting in place each, so the three practices' activations park
      // and come back on either process: they spread over both.
      proxies.map((proxy) =>
        startWorkerProcess(h.t, {
          SYNCLINE_XPM_URL: proxy.url,
          SYNCLINE_WORKER_CONCURRENCY: "2",
          SYNCLINE_RESTING_ACTIVATIONS: "1",
        }),
      ),
    );
    for (const { integration, practice } of practices)
      await queueJobBudgets(h, integration.id, [...practice.jobs.keys()], 9);
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
    // Both processes served: each sent some of the job updates, and between them all that the sandbox saw.
    const tenants = new Set(practices.map((p) => p.remoteTenantId));
    const ofTheseTenants = (c: { tenantId?: string }) => tenants.has(c.tenantId!);
    const perWorker = proxies.map((proxy) => proxy.calls.filter((c) => isJobUpdate(c) && ofTheseTenants(c)));
    expect(perWorker.map((calls) => calls.length > 0)).toEqual([true, true]);
    const received = h.xpm.caps.log.filter((c) => isJobUpdate(c) && ofTheseTenants(c));
    expect(perWorker[0]!.length + perWorker[1]!.length).toBe(received.length);
  }, 60_000);
});
