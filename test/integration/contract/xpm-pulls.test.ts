import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncKind } from "../../../src/generated/prisma/enums.ts";
import { connectedXpm, type EngineHarness, startEngineHarness, until } from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";

/**
 * Pulls that see every change XPM's contract lets them see: time entries are listed by their date, so
 * each incremental pull lists the last 30 days again (one call) and reconciles deletions inside that
 * window; archived clients (client.api/list has them, paged-list does not) stay in the mirror, marked
 * archived, through every kind of pull.
 */
const MINUTE_MS = 100;
/** Liveness bounds only (nothing here is timed): generous, for a machine busy with other test files. */
const TEST_TIMEOUT_MS = 120_000;
const DAY_MS = 86_400_000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  // The scheduler runs: FREQUENT pulls come every 10 platform minutes (a second).
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["worker", "scheduler"] });
  tenant = await h.t.createTenant("Contract pulls");
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
    60_000,
  );
  return run;
}

const mirrored = (integrationId: string, entity: string, remoteId: string) =>
  h.t.app.db.prisma.syncedRecord.findUniqueOrThrow({
    where: { integrationId_entity_remoteId: { integrationId, entity, remoteId } },
  });

const day = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10);

describe("XPM pulls that see every change", () => {
  it(
    "brings an edit to a 20-day-old time entry into the mirror on the next scheduled pull, and a deletion too",
    async () => {
      const { integration, practice, remoteTenantId } = await connectedXpm(h, {
        tenantId: tenant.id,
        seed: { clients: 3, jobs: 3, staff: 2, timeEntries: 90, days: 90 },
      });
      await runToEnd(integration.id, "INITIAL");
      const entries = [...practice.time.values()];
      const old = entries.find((t) => t.dto.date === day(20))!;
      const gone = entries.find((t) => t.dto.date === day(10))!;
      expect((await mirrored(integration.id, "time", old.dto.uuid)).deleted).toBe(false);

      practice.editTime(old.dto.uuid, { minutes: 999, note: "Corrected three weeks later" });
      practice.deleteTime(gone.dto.uuid);
      const editedAt = new Date();
      h.xpm.caps.clear();
      await until(
        "a scheduled FREQUENT pull after the edit",
        async () =>
          (await h.t.app.db.prisma.syncRun.count({
            where: {
              integrationId: integration.id,
              kind: "FREQUENT",
              trigger: "SCHEDULE",
              status: "SUCCEEDED",
              queuedAt: { gt: editedAt },
            },
          })) > 0,
        60_000,
      );
      const edited = await mirrored(integration.id, "time", old.dto.uuid);
      expect(edited.data).toMatchObject({ minutes: 999, note: "Corrected three weeks later" });
      expect((await mirrored(integration.id, "time", gone.dto.uuid)).deleted).toBe(true);
      // Older entries outside the window were not touched by the window's reconciliation.
      const oldest = entries.find((t) => t.dto.date === day(60))!;
      expect((await mirrored(integration.id, "time", oldest.dto.uuid)).deleted).toBe(false);
      // Each FREQUENT pull listed its 30 days in one call: as many time lists as staff lists, counted over
      // that run alone (the next scheduled run may already be under way, between its two lists).
      const run = await h.t.app.db.prisma.syncRun.findFirstOrThrow({
        where: {
          integrationId: integration.id,
          kind: "FREQUENT",
          status: "SUCCEEDED",
          queuedAt: { gt: editedAt },
        },
        orderBy: { finishedAt: "asc" },
      });
      const from = run.startedAt!.getTime();
      const to = run.finishedAt!.getTime();
      const calls = h.xpm.caps
        .accepted(remoteTenantId)
        .filter((c) => c.startedAt >= from && c.startedAt <= to);
      const count = (path: string) => calls.filter((c) => c.path === path).length;
      expect(count("/v3.1/time.api/list")).toBeGreaterThanOrEqual(1);
      expect(count("/v3.1/time.api/list")).toBe(count("/v3.1/staff.api/list"));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "keeps a client archived in XPM in the mirror, marked archived, through FORCE and DAILY pulls",
    async () => {
      const { integration, practice } = await connectedXpm(h, {
        tenantId: tenant.id,
        seed: { clients: 5, jobs: 1, staff: 1, timeEntries: 0 },
      });
      await runToEnd(integration.id, "INITIAL");
      const [archived] = [...practice.clients.keys()];
      practice.editClient(archived!, { isArchived: "Yes" });

      for (const kind of ["FORCE", "DAILY", "FORCE", "DAILY"] as const) {
        await runToEnd(integration.id, kind);
        const row = await mirrored(integration.id, "client", archived!);
        expect({
          kind,
          deleted: row.deleted,
          isArchived: (row.data as { isArchived: string }).isArchived,
        }).toEqual({
          kind,
          deleted: false,
          isArchived: "Yes",
        });
      }
      // A client deleted in XPM is still reconciled as deleted by the DAILY listing.
      const [, deleted] = [...practice.clients.keys()];
      practice.deleteClient(deleted!);
      await runToEnd(integration.id, "DAILY");
      expect((await mirrored(integration.id, "client", deleted!)).deleted).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "fetches the chosen custom fields of clients and jobs through the contract's custom-field endpoints",
    async () => {
      const { integration, practice, remoteTenantId } = await connectedXpm(h, {
        tenantId: tenant.id,
        seed: { clients: 3, jobs: 4, staff: 1, timeEntries: 0 },
      });
      practice.addCustomField({ name: "Risk rating", type: "Text", useClient: true, useJob: false });
      practice.addCustomField({ name: "Internal code", type: "Text", useClient: true, useJob: true });
      practice.addCustomField({ name: "Fee cap", type: "Decimal", useClient: false, useJob: true });
      const [firstClient] = [...practice.clients.keys()];
      // A current job (job.api/current lists those): the seed makes some jobs completed, at random.
      const job = practice.currentJobs()[0]!.dto.id;
      practice.setCustomField({ client: firstClient! }, "Risk rating", { text: "High" });
      practice.setCustomField({ client: firstClient! }, "Internal code", { text: "C-17" });
      practice.setCustomField({ job }, "Fee cap", { decimal: 1250.5 });
      // Chosen: one field of clients (by name, any case) and one of jobs; "Internal code" is not chosen.
      await h.t.app.db.prisma.integrationEntitySettings.createMany({
        data: [
          { integrationId: integration.id, entity: "client", customFields: ["risk rating"] },
          { integrationId: integration.id, entity: "job", customFields: ["Fee cap"] },
        ],
      });
      h.xpm.caps.clear();
      await runToEnd(integration.id, "INITIAL");

      const clientFields = await mirrored(integration.id, "clientCustomFields", firstClient!);
      expect(clientFields.data).toEqual({
        customFields: [{ uuid: expect.any(String), name: "Risk rating", value: "High" }],
      });
      const jobFields = await mirrored(integration.id, "jobCustomFields", job);
      expect(jobFields.data).toEqual({
        customFields: [{ uuid: expect.any(String), name: "Fee cap", value: 1250.5 }],
      });
      // One call per client and per current job, through the contract's endpoints.
      const paths = h.xpm.caps.accepted(remoteTenantId).map((c) => c.path);
      const current = practice.currentJobs().length;
      expect(paths.filter((p) => /^\/v3\.1\/client\.api\/get\/[^/]+\/customfield$/.test(p))).toHaveLength(3);
      expect(paths.filter((p) => /^\/v3\.1\/job\.api\/get\/[^/]+\/customfield$/.test(p))).toHaveLength(
        current,
      );

      // A FORCE pull follows up only what changed: nothing here, so no custom-field call.
      h.xpm.caps.clear();
      await runToEnd(integration.id, "FORCE");
      const again = h.xpm.caps.accepted(remoteTenantId).map((c) => c.path);
      expect(again.filter((p) => p.endsWith("/customfield"))).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
