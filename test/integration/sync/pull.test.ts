import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncKind } from "../../../src/generated/prisma/enums.ts";
import {
  connectedXero,
  connectedXpm,
  type EngineHarness,
  startEngineHarness,
  until,
} from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";

/** Incremental pulls against the XPM sandbox: what changed is pulled, nothing else rewritten. */
const MINUTE_MS = 1000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS });
  tenant = await h.t.createTenant("Pulls");
});
afterAll(() => h.close());

async function runToEnd(integrationId: string, kind: SyncKind) {
  const run = await h.t.app.db.prisma.syncRun.create({
    data: {
      tenantId: tenant.id,
      integrationId,
      kind,
      trigger: "USER",
      lane: kind === "INITIAL" ? "INITIAL" : kind === "FREQUENT" ? "FREQUENT" : "DAILY",
    },
  });
  await h.t.app.engine.notify(integrationId);
  await until(
    `${kind} run`,
    async () =>
      (await h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } })).status === "SUCCEEDED",
    10_000,
  );
  return h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
}

const clients = (integrationId: string) =>
  h.t.app.db.prisma.syncedRecord.findMany({
    where: { integrationId, entity: "client" },
    orderBy: { remoteId: "asc" },
  });

describe("pulls", () => {
  it("picks up remote edits incrementally, rewrites nothing else, and reconciles deletions daily", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { clients: 30, jobs: 5 },
    });
    const initial = await runToEnd(integration.id, "INITIAL");
    expect(initial.createdCount).toBeGreaterThanOrEqual(30);
    const before = new Map((await clients(integration.id)).map((row) => [row.remoteId, row]));
    expect(before.size).toBe(30);

    // Two clients change on the platform after the initial pull; a FORCE run pulls changes since the watermark.
    const [first, second, third] = [...practice.clients.keys()];
    practice.editClient(first!, { name: "Renamed Ltd" });
    practice.editClient(second!, { email: "new@example.com" });
    h.xpm.caps.clear();
    const forced = await runToEnd(integration.id, "FORCE");
    const clientCalls = h.xpm.caps.accepted(remoteTenantId).filter((c) => c.path.includes("client.api"));
    expect(clientCalls.map((c) => c.path)).toEqual(["/v3.1/client.api/list"]);
    const after = await clients(integration.id);
    const changed = after.filter(
      (row) => row.updatedAt.getTime() !== before.get(row.remoteId)!.updatedAt.getTime(),
    );
    expect(changed.map((row) => row.remoteId).sort()).toEqual([first, second].sort());
    expect((after.find((row) => row.remoteId === first)!.data as { name: string }).name).toBe("Renamed Ltd");
    expect(forced.updatedCount).toBeGreaterThanOrEqual(2);

    // A client deleted on the platform is marked deleted by the next DAILY run (a full listing).
    practice.deleteClient(third!);
    const daily = await runToEnd(integration.id, "DAILY");
    expect(daily.deletedCount).toBe(1);
    const rows = await clients(integration.id);
    expect(rows.filter((row) => row.deleted).map((row) => row.remoteId)).toEqual([third]);
    // The DAILY run saw the others unchanged and rewrote none of them.
    const rewritten = rows.filter(
      (row) =>
        !row.deleted &&
        row.updatedAt.getTime() !== after.find((a) => a.remoteId === row.remoteId)!.updatedAt.getTime(),
    );
    expect(rewritten).toEqual([]);
    const watermark = await h.t.app.db.prisma.watermark.findUniqueOrThrow({
      where: { integrationId_entity: { integrationId: integration.id, entity: "client" } },
    });
    expect(watermark.lastRunId).toBe(daily.id);
  });

  it("pulls Xero Accounting's chart of accounts and tax rates, the targets of mapping rules", async () => {
    const { integration, organisation } = await connectedXero(h, { tenantId: tenant.id });
    await runToEnd(integration.id, "INITIAL");
    const stored = await h.t.app.db.prisma.syncedRecord.findMany({
      where: { integrationId: integration.id },
    });
    const codes = stored.filter((r) => r.entity === "account").map((r) => (r.data as { Code: string }).Code);
    expect(codes.sort()).toEqual([...organisation.accounts.keys()].sort());
    const taxTypes = stored.filter((r) => r.entity === "taxRate").map((r) => r.remoteId);
    expect(taxTypes.sort()).toEqual([...organisation.taxRates.keys()].sort());
  });
});
