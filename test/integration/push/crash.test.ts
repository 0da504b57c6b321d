import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestOrders, validateOrders } from "../../../src/push/orders.ts";
import { queuePushRun } from "../../../src/sync/runs.ts";
import { connectedXero, type EngineHarness, startEngineHarness, until } from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";
import { startWorkerProcess, stopAllWorkers } from "../../support/workers.ts";

/**
 * A worker process killed with SIGKILL while packets are SENDING: the journals it was sending are sent
 * again with the same Idempotency-Key by the next worker, so the platform holds each exactly once and
 * the run completes. The test process serves no activation; it only schedules.
 */
const MINUTE_MS = 1000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  // The scheduler's sweep restarts work whose activation died with the killed worker.
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["scheduler"], heartbeatLapseMs: 1500 });
  tenant = await h.t.createTenant("Crash");
});
afterAll(async () => {
  await stopAllWorkers();
  await h.close();
});

describe("push after a crash", () => {
  it("kill -9 mid-send leaves no duplicate journal, and the run completes after restart", async () => {
    const { integration, organisation, remoteTenantId } = await connectedXero(h, { tenantId: tenant.id });
    const prisma = h.t.app.db.prisma;
    await prisma.mappingRule.createMany({
      data: [
        {
          integrationId: integration.id,
          sourceType: "REVENUE_CATEGORY",
          sourceValue: "",
          targetType: "ACCOUNT_CODE",
          targetValue: "200",
        },
        {
          integrationId: integration.id,
          sourceType: "TAX_RATE",
          sourceValue: "",
          targetType: "TAX_TYPE",
          targetValue: "OUTPUT",
        },
        {
          integrationId: integration.id,
          sourceType: "PAYMENT_METHOD",
          sourceValue: "",
          targetType: "ACCOUNT_CODE",
          targetValue: "090",
        },
      ],
    });
    const { valid } = validateOrders(
      Array.from({ length: 6 }, (_, i) => ({
        externalId: `K-${i}`,
        orderedAt: new Date(Date.UTC(2026, 10, 20, 1, i)),
        currency: "NZD",
        totalAmount: "11.50",
        items: [
          { revenueCategory: "Retail", quantity: "1", netAmount: "10.00", taxRate: "GST", taxAmount: "1.50" },
        ],
        payments: [{ method: "CARD", amount: "11.50" }],
      })),
    );
    await prisma.$transaction((tx) =>
      ingestOrders(tx, { tenantId: tenant.id, integrationId: integration.id }, valid),
    );
    const { run } = await prisma.$transaction((tx) =>
      queuePushRun(tx, integration, { requestedById: null as unknown as string }),
    );

    // Journals take 600 ms at the platform, so the kill finds packets in flight.
    h.xero.caps.setLatency(600);
    const first = await startWorkerProcess(h.t);
    await h.t.app.engine.notify(integration.id);
    await until(
      "journals in flight",
      () => h.xero.caps.log.some((c) => c.tenantId === remoteTenantId && c.endedAt === null),
      10_000,
    );
    await first.kill("SIGKILL");
    const sendingAtKill = await prisma.syncPacket.count({ where: { runId: run.id, state: "SENDING" } });

    h.xero.caps.setLatency(0);
    const second = await startWorkerProcess(h.t);
    await h.t.app.engine.notify(integration.id);
    await until(
      "run finished",
      async () => (await prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } })).status === "SUCCEEDED",
      20_000,
    );
    await second.kill("SIGTERM");

    const packets = await prisma.syncPacket.findMany({
      where: { runId: run.id },
      orderBy: { sequence: "asc" },
    });
    expect(sendingAtKill).toBeGreaterThan(0);
    // The packets in flight at the kill were sent again.
    expect(packets.filter((p) => p.attempts > 1).length).toBeGreaterThanOrEqual(sendingAtKill);
    expect(packets.map((p) => p.state)).toEqual(Array(6).fill("SENT"));
    // Exactly one journal per order on the platform, whatever was resent.
    expect(organisation.journals.map((j) => j.Narration).sort()).toEqual(
      ["K-0", "K-1", "K-2", "K-3", "K-4", "K-5"].map((id) => `Sales ${id}`),
    );
    const writes = h.xero.caps.accepted(remoteTenantId).filter((c) => c.method === "PUT");
    expect(writes.filter((c) => c.status === 200 && !c.replayed)).toHaveLength(6);
    expect(new Set(packets.map((p) => p.remoteId)).size).toBe(6);
    expect(packets.map((p) => p.remoteId).sort()).toEqual(
      organisation.journals.map((j) => j.ManualJournalID).sort(),
    );
  }, 60_000);
});
