import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncKind, SyncRunStatus } from "../../../src/generated/prisma/enums.ts";
import { queueDueRuns, syncSchedules } from "../../../src/sync/schedules.ts";
import { integrationRow, startTestApp, type TestApp, type TestTenant } from "../../support/harness.ts";

/**
 * The scheduler's sweep looks at every integration's schedule every few seconds: what that costs
 * PostgreSQL must not grow with the fleet, and the batched look must say what the one-by-one look said.
 * No engine runs here: the test calls the sweep's step itself, in real (uncompressed) time.
 */
let t: TestApp;
let tenant: TestTenant;
const MINUTE = 60_000;

beforeAll(async () => {
  t = await startTestApp();
  tenant = await t.createTenant("Schedules");
});
afterAll(() => t.close());

const continuous = (connectedAt = new Date()) =>
  integrationRow(t, tenant.id, "XPM", { data: { syncMode: "CONTINUOUS", connectedAt } });

async function run(integrationId: string, kind: SyncKind, minutesAgo: number, status: SyncRunStatus) {
  await t.app.db.prisma.syncRun.create({
    data: {
      tenantId: tenant.id,
      integrationId,
      kind,
      trigger: "SCHEDULE",
      lane: kind === "INITIAL" ? "INITIAL" : "FREQUENT",
      status,
      queuedAt: new Date(Date.now() - minutesAgo * MINUTE),
    },
  });
}

/** Statements one sweep step sends. */
async function sweepCost(): Promise<number> {
  const before = t.app.db.queryCount();
  await queueDueRuns(t.app.db.prisma, t.config.time);
  return t.app.db.queryCount() - before;
}

describe("the scheduler's sweep", () => {
  it("costs the same few statements for 5 integrations as for 55", async () => {
    // Nothing is due (each ran a minute ago), so the sweep only looks.
    for (let i = 0; i < 5; i++) await run((await continuous()).id, "FREQUENT", 1, "SUCCEEDED");
    const few = await sweepCost();
    for (let i = 0; i < 50; i++) await run((await continuous()).id, "FREQUENT", 1, "SUCCEEDED");
    const many = await sweepCost();
    expect(many).toBe(few);
    // The integrations with their tenants (2), their settings with the entity layer (2), the tenant and
    // platform layers (2), the latest runs (1).
    expect(few).toBeLessThanOrEqual(8);
  });

  it("counts each kind from its latest run or the initial sync, ignores cancelled runs, and skips one-off integrations", async () => {
    const connectedAt = new Date(Date.now() - 30 * MINUTE);
    const fresh = await continuous(connectedAt);
    const initialLater = await continuous(connectedAt);
    await run(initialLater.id, "FREQUENT", 3, "SUCCEEDED");
    await run(initialLater.id, "INITIAL", 1, "SUCCEEDED");
    const cancelledLater = await continuous(connectedAt);
    await run(cancelledLater.id, "FREQUENT", 2, "SUCCEEDED");
    await run(cancelledLater.id, "FREQUENT", 1, "CANCELLED");
    const oneOff = await integrationRow(t, tenant.id, "XPM", { data: { connectedAt } });

    const integrations = await t.app.db.prisma.integration.findMany({
      where: { id: { in: [fresh.id, initialLater.id, cancelledLater.id, oneOff.id] } },
      include: { tenant: { select: { timeZone: true } } },
    });
    const schedules = await syncSchedules(t.app.db.prisma, t.config.time, integrations);
    const frequentDue = async (id: string) => {
      const latest = (kind: SyncKind) =>
        t.app.db.prisma.syncRun.findFirst({
          where: { integrationId: id, kind, status: { not: "CANCELLED" } },
          orderBy: { queuedAt: "desc" },
        });
      const [frequent, initial] = [await latest("FREQUENT"), await latest("INITIAL")];
      const since = Math.max(frequent?.queuedAt.getTime() ?? 0, initial?.queuedAt.getTime() ?? 0);
      return (since || connectedAt.getTime()) + 10 * MINUTE;
    };
    const frequentOf = (id: string) =>
      schedules
        .get(id)
        ?.find((entry) => entry.kind === "FREQUENT")
        ?.dueAt.getTime();

    // Never run: ten minutes after it connected, so due now.
    expect(frequentOf(fresh.id)).toBe(connectedAt.getTime() + 10 * MINUTE);
    // The initial sync a minute ago is later than the FREQUENT run three minutes ago.
    expect(frequentOf(initialLater.id)).toBe(await frequentDue(initialLater.id));
    expect(frequentOf(initialLater.id)).toBeGreaterThan(Date.now() + 8 * MINUTE);
    // The run cancelled a minute ago does not count; the one two minutes ago does.
    expect(frequentOf(cancelledLater.id)).toBe(await frequentDue(cancelledLater.id));
    expect(schedules.get(oneOff.id)).toEqual([]);

    // The sweep queues exactly the one that is due.
    const announced = await queueDueRuns(t.app.db.prisma, t.config.time);
    expect(announced).toContain(fresh.id);
    expect(announced).not.toContain(initialLater.id);
    expect(announced).not.toContain(cancelledLater.id);
    expect(announced).not.toContain(oneOff.id);
  });
});
