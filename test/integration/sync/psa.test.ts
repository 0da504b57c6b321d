import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncKind } from "../../../src/generated/prisma/enums.ts";
import { globalId } from "../../../src/graphql/ids.ts";
import { queueDueRuns } from "../../../src/sync/schedules.ts";
import { TicketsQuery, TriggerSyncMutation, UpdateIntegrationSettingsMutation } from "../../operations.ts";
import {
  connectedPsa,
  connectedXpm,
  type EngineHarness,
  startEngineHarness,
  until,
} from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";

/**
 * The PSA connector against its sandbox: nightly pulls of companies, sites, configurations, contacts and
 * the service setup; custom fields only when chosen; tickets read live through the INTERACTIVE lane and
 * never stored (that a ticket read goes ahead of a waiting pull is measured in test/engine/lanes.test.ts).
 * The test process serves activations but runs no scheduler: runs start when announced.
 */
const MINUTE_MS = 600;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["worker"] });
  tenant = await h.t.createTenant("Managed services");
});
afterAll(() => h.close());

const prisma = () => h.t.app.db.prisma;

async function runToEnd(integrationId: string, kind: SyncKind) {
  const run = await prisma().syncRun.create({
    data: {
      tenantId: tenant.id,
      integrationId,
      kind,
      trigger: "USER",
      lane: kind === "INITIAL" ? "INITIAL" : "DAILY",
    },
  });
  await h.t.app.engine.notify(integrationId);
  await until(
    `${kind} run`,
    async () => (await prisma().syncRun.findUniqueOrThrow({ where: { id: run.id } })).status === "SUCCEEDED",
    15_000,
  );
  return prisma().syncRun.findUniqueOrThrow({ where: { id: run.id } });
}

const records = async (integrationId: string, entity: string) =>
  new Map(
    (await prisma().syncedRecord.findMany({ where: { integrationId, entity } })).map((row) => [
      row.remoteId,
      row as typeof row & { data: Record<string, unknown> },
    ]),
  );

describe("PSA pulls", () => {
  it("pulls the nightly entities with their fields; custom fields only when chosen; no tickets stored", async () => {
    const { integration, company } = await connectedPsa(h, {
      tenantId: tenant.id,
      seed: { companies: 12, contactsPerCompany: 2, tickets: 30 },
    });
    const id = globalId("Integration", integration.id);
    const { updateIntegrationSettings } = await h.t.data(
      UpdateIntegrationSettingsMutation,
      {
        input: {
          integrationId: id,
          entities: [{ entity: "contact", customFields: ["Preferred Contact Time"] }],
        },
      },
      tenant.admin,
    );
    expect(updateIntegrationSettings.__typename).toBe("IntegrationSettingsPayload");

    const run = await runToEnd(integration.id, "INITIAL");
    const counts = Object.fromEntries(
      (
        await prisma().syncedRecord.groupBy({
          by: ["entity"],
          where: { integrationId: integration.id },
          _count: true,
        })
      ).map((row) => [row.entity, row._count]),
    );
    expect(counts).toEqual({
      company: 12,
      companyStatus: company.companyStatuses.length,
      site: company.sites.length,
      configuration: company.configurations.length,
      contact: 24,
      serviceBoard: company.boards.length,
      servicePriority: company.priorities.length,
      serviceStatus: company.serviceStatuses.length,
    });
    expect(run.createdCount).toBe(Object.values(counts).reduce((a, b) => a + b, 0));

    const firstCompany = company.companies[0]!;
    const stored = (await records(integration.id, "company")).get(String(firstCompany.id))!;
    expect(stored.data).toMatchObject({
      name: firstCompany.name,
      website: firstCompany.website,
      status: firstCompany.status,
    });
    const site = (await records(integration.id, "site")).get(String(company.sites[0]!.id))!;
    expect(site.data).toMatchObject({
      name: company.sites[0]!.name,
      primaryAddressFlag: company.sites[0]!.primaryAddressFlag,
    });
    // Contacts keep only the chosen custom field; configurations, with none chosen, keep none.
    const contact = (await records(integration.id, "contact")).get(String(company.contacts[0]!.id))!;
    expect((contact.data.customFields as { caption: string }[]).map((f) => f.caption)).toEqual([
      "Preferred Contact Time",
    ]);
    const configuration = (await records(integration.id, "configuration")).get(
      String(company.configurations[0]!.id),
    )!;
    expect(configuration.data).not.toHaveProperty("customFields");
    expect(configuration.data).toMatchObject({ serialNumber: company.configurations[0]!.serialNumber });
    expect(await prisma().syncedRecord.count({ where: { entity: "ticket" } })).toBe(0);
  });

  it("a forced run pulls only what changed; the nightly run reconciles deletions", async () => {
    const { integration, company, remoteTenantId } = await connectedPsa(h, {
      tenantId: tenant.id,
      seed: { companies: 10 },
    });
    await runToEnd(integration.id, "INITIAL");
    const before = await records(integration.id, "company");

    const [renamed, deleted] = company.companies;
    company.editCompany(renamed!.id, { name: "Renamed Dental" });
    company.deleteCompany(deleted!.id);
    h.psa.caps.clear();
    const forced = await runToEnd(integration.id, "FORCE");
    // One call, and only the renamed company came back (the deleted one is simply absent).
    expect(
      h.psa.caps.accepted(remoteTenantId).filter((c) => c.path.endsWith("/company/companies")),
    ).toHaveLength(1);
    const companyLog = await prisma().syncLog.findFirstOrThrow({
      where: { runId: forced.id, entity: "company" },
    });
    expect(companyLog.message).toBe("company: fetched 1, created 0, updated 1, unchanged 0");
    const afterForce = await records(integration.id, "company");
    expect(afterForce.get(String(renamed!.id))!.data.name).toBe("Renamed Dental");
    // Nothing else was rewritten, and an incremental pull deletes nothing.
    for (const [remoteId, row] of afterForce) {
      if (remoteId !== String(renamed!.id)) expect(row.updatedAt).toEqual(before.get(remoteId)!.updatedAt);
    }
    expect(afterForce.get(String(deleted!.id))!.deleted).toBe(false);
    expect(forced.deletedCount).toBe(0);

    const nightly = await runToEnd(integration.id, "NIGHTLY");
    const afterNightly = await records(integration.id, "company");
    expect(afterNightly.get(String(deleted!.id))!.deleted).toBe(true);
    expect(nightly.deletedCount).toBeGreaterThanOrEqual(1);
  });

  it("queues NIGHTLY at 02:00 in the tenant's zone on both sides of a DST change", async () => {
    const newYork = await h.t.createTenant("New York MSP");
    await prisma().tenant.update({ where: { id: newYork.id }, data: { timeZone: "America/New_York" } });
    const { integration } = await connectedPsa(h, { tenantId: newYork.id, seed: { companies: 1 } });
    await prisma().integration.update({
      where: { id: integration.id },
      data: { connectedAt: new Date("2026-10-30T12:00:00Z") },
    });
    const nightlies = () =>
      prisma().syncRun.findMany({
        where: { integrationId: integration.id, kind: "NIGHTLY" },
        orderBy: { queuedAt: "asc" },
      });
    /** The scheduler's pass at a given instant; a run it queues is dated then and marked done. */
    const tick = async (at: string) => {
      await queueDueRuns(prisma(), h.t.config.time, Date.parse(at));
      const queued = await prisma().syncRun.findFirst({
        where: { integrationId: integration.id, kind: "NIGHTLY", status: "QUEUED" },
      });
      if (!queued) return null;
      await prisma().syncRun.update({
        where: { id: queued.id },
        data: { queuedAt: new Date(at), status: "SUCCEEDED", finishedAt: new Date(at) },
      });
      return at;
    };
    // 31 October: EDT (UTC-4), 02:00 is 06:00 UTC. Clocks go back on 1 November at 02:00 EDT.
    expect(await tick("2026-10-31T05:59:00Z")).toBeNull();
    expect(await tick("2026-10-31T06:00:00Z")).toBe("2026-10-31T06:00:00Z");
    expect(await tick("2026-10-31T18:00:00Z")).toBeNull();
    // 1 November: 02:00 EST is 07:00 UTC (an hour after 02:00 EDT would have been).
    expect(await tick("2026-11-01T06:00:00Z")).toBeNull();
    expect(await tick("2026-11-01T07:00:00Z")).toBe("2026-11-01T07:00:00Z");
    // 2 November, EST: 07:00 UTC again, once.
    expect(await tick("2026-11-02T06:59:00Z")).toBeNull();
    expect(await tick("2026-11-02T07:00:00Z")).toBe("2026-11-02T07:00:00Z");
    expect(await tick("2026-11-02T07:30:00Z")).toBeNull();
    expect((await nightlies()).map((r) => r.queuedAt.toISOString())).toEqual([
      "2026-10-31T06:00:00.000Z",
      "2026-11-01T07:00:00.000Z",
      "2026-11-02T07:00:00.000Z",
    ]);
  });
});

describe("live tickets", () => {
  it("reads tickets from the platform on each request, filtered and paged, and stores none", async () => {
    const { integration, company, remoteTenantId } = await connectedPsa(h, {
      tenantId: tenant.id,
      seed: { companies: 5, tickets: 120 },
    });
    const id = globalId("Integration", integration.id);
    // The seed follows the (random) company id: read the board with the most open tickets.
    const openOn = (boardId: number) =>
      company.tickets.filter((t) => t.board.id === boardId && !t.closedFlag).sort((a, b) => b.id - a.id);
    const board = [...company.boards].sort((a, b) => openOn(b.id).length - openOn(a.id).length)[0]!;
    const open = openOn(board.id);
    expect(open.length).toBeGreaterThan(6);

    h.psa.caps.clear();
    const page = async (after?: string) => {
      const { integration: result } = await h.t.data(
        TicketsQuery,
        { id, filter: { boardId: board.id, closed: false }, first: 3, ...(after ? { after } : {}) },
        tenant.viewer,
      );
      if (result.__typename !== "Integration" || result.tickets.__typename !== "TicketConnection")
        throw new Error(JSON.stringify(result));
      return result.tickets;
    };
    const first = await page();
    expect(first.edges.map((e) => e.node.remoteId)).toEqual(open.slice(0, 3).map((t) => String(t.id)));
    expect(first.edges[0]!.node).toMatchObject({
      boardName: board.name,
      closed: false,
      summary: open[0]!.summary,
    });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page(first.pageInfo.endCursor!);
    expect(second.edges.map((e) => e.node.remoteId)).toEqual(open.slice(3, 6).map((t) => String(t.id)));

    // A ticket changed on the platform is seen at once: nothing is cached or stored.
    company.editTicket(open[0]!.id, { summary: "Printer on fire" });
    expect((await page()).edges[0]!.node.summary).toBe("Printer on fire");
    expect(
      h.psa.caps.accepted(remoteTenantId).filter((c) => c.path.endsWith("/service/tickets")),
    ).toHaveLength(3);
    expect(await prisma().syncedRecord.count({ where: { integrationId: integration.id } })).toBe(0);
  });

  it("answers typed errors: bad filter text, a non-PSA integration", async () => {
    const { integration } = await connectedPsa(h, { tenantId: tenant.id, seed: { companies: 1 } });
    const bad = await h.t.data(
      TicketsQuery,
      { id: globalId("Integration", integration.id), filter: { summaryContains: 'x" or id > 0' } },
      tenant.viewer,
    );
    expect(bad.integration).toMatchObject({
      tickets: { __typename: "ValidationError", issues: [{ path: ["filter", "summaryContains"] }] },
    });
    const { integration: xpm } = await connectedXpm(h, { tenantId: tenant.id, syncMode: "ONE_OFF" });
    const wrong = await h.t.data(TicketsQuery, { id: globalId("Integration", xpm.id) }, tenant.viewer);
    expect(wrong.integration).toMatchObject({
      tickets: { __typename: "InvalidStateError", currentState: "XPM" },
    });
  });

  it("lets no VIEWER force a sync", async () => {
    const { integration } = await connectedPsa(h, { tenantId: tenant.id, seed: { companies: 1 } });
    const { triggerSync } = await h.t.data(
      TriggerSyncMutation,
      { input: { integrationId: globalId("Integration", integration.id), kind: "FORCE" } },
      tenant.viewer,
    );
    expect(triggerSync.__typename).toBe("ForbiddenError");
  });
});
