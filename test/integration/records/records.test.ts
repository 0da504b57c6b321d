import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncKind } from "../../../src/generated/prisma/enums.ts";
import { globalId } from "../../../src/graphql/ids.ts";
import { RecordsChangedSubscription, RecordsQuery, TypedRecordsQuery } from "../../operations-host.ts";
import {
  connectedPsa,
  connectedXero,
  connectedXpm,
  type EngineHarness,
  startEngineHarness,
  until,
} from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";
import { readServerSentEvents, waitForRedisSubscribers } from "../../support/live.ts";

/**
 * The host reads what was synced: deletions a daily run reconciles reach a delta reader; the typed
 * fields are the sandbox's data; records changed stream live; and the same data costs fewer calls
 * (XPM time in one-year ranges, Xero accounts by If-Modified-Since). A "minute" is 20 ms.
 */
const MINUTE_MS = 20;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["api", "worker", "scheduler"] });
  tenant = await h.t.createTenant("Host");
});
afterAll(() => h.close());

async function runToEnd(integrationId: string, kind: SyncKind) {
  const prisma = h.t.app.db.prisma;
  const run = await prisma.syncRun.create({
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
    async () => (await prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } })).status === "SUCCEEDED",
    20_000,
  );
  return prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
}

type Row = { remoteId: string; deleted: boolean; deletedAt: string | null; data: unknown };

/** Reads everything after `after`, page by page, as a host does; returns the rows and the cursor to keep. */
async function readAll(integrationId: string, entity: string, after: string | null) {
  const rows: Row[] = [];
  let cursor = after;
  for (;;) {
    const { integration } = await h.t.data(
      RecordsQuery,
      { id: globalId("Integration", integrationId), entity, after: cursor, first: 7 },
      tenant.viewer,
    );
    if (integration.__typename !== "Integration" || integration.records.__typename !== "RecordConnection")
      throw new Error("records");
    rows.push(...integration.records.edges.map((e) => e.node as Row));
    cursor = integration.records.cursor;
    if (!integration.records.pageInfo.hasNextPage) return { rows, cursor };
  }
}

/**
 * readAll once `count` rows are readable: a change is handed to readers once every transaction older than
 * it on the database server has ended (other test files' included), a moment after the run commits.
 */
async function readWhen(integrationId: string, entity: string, after: string | null, count: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const read = await readAll(integrationId, entity, after);
    if (read.rows.length >= count || Date.now() > deadline) return read;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function typed(integrationId: string, entity: string) {
  const { integration } = await h.t.data(
    TypedRecordsQuery,
    { id: globalId("Integration", integrationId), entity, first: 1000 },
    tenant.viewer,
  );
  if (integration.__typename !== "Integration" || integration.records.__typename !== "RecordConnection")
    throw new Error("records");
  return integration.records.edges.map((e) => e.node);
}

describe("records out", () => {
  it("hands a delta reader the edits and the deletions a daily run reconciled, once, after its saved cursor", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { clients: 20, jobs: 3, staff: 2, timeEntries: 30 },
      syncMode: "ONE_OFF",
    });
    // A one-off integration stays connected after a forced run (its INITIAL run would disconnect it).
    await runToEnd(integration.id, "FORCE");
    // A year of time entries in one call: the widest from/to range time.api/list takes.
    expect(h.xpm.caps.accepted(remoteTenantId).filter((c) => c.path === "/v3.1/time.api/list")).toHaveLength(
      1,
    );
    const first = await readWhen(integration.id, "client", null, practice.clients.size);
    expect(first.rows.map((r) => r.remoteId).sort()).toEqual([...practice.clients.keys()].sort());

    const [edited, gone] = [...practice.clients.keys()];
    practice.editClient(edited!, { name: "Renamed Ltd" });
    practice.deleteClient(gone!);
    const daily = await runToEnd(integration.id, "DAILY");
    expect(daily.deletedCount).toBe(1);
    const next = await readWhen(integration.id, "client", first.cursor, 2);
    expect(next.rows.map((r) => [r.remoteId, r.deleted])).toEqual([
      [edited, false],
      [gone, true],
    ]);
    expect((next.rows[0]!.data as { name: string }).name).toBe("Renamed Ltd");
    // The tombstone keeps its last data and says when it was found gone.
    expect(next.rows[1]!.deletedAt).not.toBeNull();
    expect((next.rows[1]!.data as { uuid: string }).uuid).toBe(gone);
    // Asked again from the cursor it kept, the reader gets nothing twice.
    expect((await readAll(integration.id, "client", next.cursor)).rows).toEqual([]);
  });

  it("gives each catalog entity typed fields that are the sandbox's data, with the raw JSON beside them", async () => {
    const xpm = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { clients: 5, jobs: 4, staff: 3, timeEntries: 12 },
      syncMode: "ONE_OFF",
    });
    const psa = await connectedPsa(h, { tenantId: tenant.id, seed: { companies: 3 }, syncMode: "ONE_OFF" });
    const xero = await connectedXero(h, { tenantId: tenant.id, syncMode: "ONE_OFF" });
    await Promise.all([
      runToEnd(xpm.integration.id, "INITIAL"),
      runToEnd(psa.integration.id, "INITIAL"),
      runToEnd(xero.integration.id, "INITIAL"),
    ]);

    const jobs = await typed(xpm.integration.id, "job");
    expect(jobs.length).toBeGreaterThan(0);
    for (const node of jobs) {
      if (node.__typename !== "XpmJob") throw new Error(node.__typename);
      const dto = xpm.practice.jobs.get(node.remoteId)!.dto;
      expect(node).toMatchObject({
        jobNumber: dto.id,
        uuid: dto.uuid,
        name: dto.name,
        budget: dto.budget,
        state: dto.state,
        startDate: dto.startDate,
        client: dto.client ? { id: dto.client.uuid, name: dto.client.name } : null,
        manager: dto.manager ? { id: dto.manager.uuid, name: dto.manager.name } : null,
      });
    }
    const times = await typed(xpm.integration.id, "time");
    expect(times).toHaveLength(12);
    for (const node of times) {
      if (node.__typename !== "XpmTimeEntry") throw new Error(node.__typename);
      const dto = xpm.practice.time.get(node.remoteId)!.dto;
      expect(node).toMatchObject({
        minutes: dto.minutes,
        date: dto.date,
        billable: dto.billable,
        job: { id: dto.job.id, name: dto.job.name },
        staff: { id: dto.staff.uuid, name: dto.staff.name },
      });
    }
    const clients = await typed(xpm.integration.id, "client");
    for (const node of clients) {
      if (node.__typename !== "XpmClient") throw new Error(node.__typename);
      const dto = xpm.practice.clients.get(node.remoteId)!.dto;
      expect(node).toMatchObject({ name: dto.name, email: dto.email, isArchived: dto.isArchived === "Yes" });
    }

    const configurations = await typed(psa.integration.id, "configuration");
    expect(configurations).toHaveLength(psa.company.configurations.length);
    for (const node of configurations) {
      if (node.__typename !== "PsaConfiguration") throw new Error(node.__typename);
      const dto = psa.company.configurations.find((c) => String(c.id) === node.remoteId)!;
      expect(node).toMatchObject({
        configurationId: dto.id,
        name: dto.name,
        serialNumber: dto.serialNumber,
        company: { id: String(dto.company.id), name: dto.company.name },
        configurationType: { id: String(dto.type.id), name: dto.type.name },
        lastUpdated: new Date(dto._info.lastUpdated).toISOString(),
        // No custom field was chosen in the entity's settings: none is kept.
        customFields: null,
      });
    }
    const contacts = await typed(psa.integration.id, "contact");
    for (const node of contacts) {
      if (node.__typename !== "PsaContact") throw new Error(node.__typename);
      const dto = psa.company.contacts.find((c) => String(c.id) === node.remoteId)!;
      const email = dto.communicationItems.find((i) => i.communicationType === "Email" && i.defaultFlag);
      expect(node).toMatchObject({
        firstName: dto.firstName,
        lastName: dto.lastName,
        email: email?.value ?? null,
      });
    }

    const accounts = await typed(xero.integration.id, "account");
    expect(accounts).toHaveLength(xero.organisation.accounts.size);
    for (const node of accounts) {
      if (node.__typename !== "XeroAccount") throw new Error(node.__typename);
      const account = [...xero.organisation.accounts.values()].find((a) => a.AccountID === node.remoteId)!;
      expect(node).toMatchObject({
        code: account.Code,
        name: account.Name,
        type: account.Type,
        status: account.Status,
        updatedAt: new Date(account.updatedAt).toISOString(),
      });
    }
  });

  it("pulls Xero accounts changed since the watermark by If-Modified-Since, and reconciles no deletions from it", async () => {
    const { integration, organisation } = await connectedXero(h, {
      tenantId: tenant.id,
      syncMode: "ONE_OFF",
    });
    // The accounts last changed an hour ago: well before the pulls and their 5-minute overlap.
    for (const account of organisation.accounts.values()) account.updatedAt = Date.now() - 3_600_000;
    await runToEnd(integration.id, "FORCE");
    const nothing = await runToEnd(integration.id, "FORCE");
    const counts = (run: typeof nothing) =>
      (run.cursor as { counts: Record<string, { fetched: number }> }).counts;
    expect(counts(nothing).account!.fetched).toBe(0);
    // Tax rates take no If-Modified-Since: listed whole.
    expect(counts(nothing).taxRate!.fetched).toBe(organisation.taxRates.size);
    const [code] = [...organisation.accounts.keys()];
    organisation.archiveAccount(code!);
    const one = await runToEnd(integration.id, "FORCE");
    expect(counts(one).account!.fetched).toBe(1);
    expect(one.deletedCount).toBe(0);
    const stored = await h.t.app.db.prisma.syncedRecord.count({
      where: { integrationId: integration.id, entity: "account", deleted: false },
    });
    expect(stored).toBe(organisation.accounts.size);
  });

  it("streams which entity changed after each committed page, with a cursor that reads the changes", async () => {
    const { integration } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { clients: 6, jobs: 2, staff: 2, timeEntries: 4 },
      syncMode: "ONE_OFF",
    });
    const id = globalId("Integration", integration.id);
    const response = await fetch(h.t.app.api!.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${tenant.viewer}`,
      },
      body: JSON.stringify({ query: print(RecordsChangedSubscription), variables: { integrationId: id } }),
    });
    const stream = readServerSentEvents<{
      data: { recordsChanged: { entity: string; created: number; cursor: string; syncRunId: string } };
    }>(response);
    await waitForRedisSubscribers(`${h.t.config.redisPrefix}:events:recordsChanged:${integration.id}`);
    const run = await runToEnd(integration.id, "INITIAL");
    const seen: { entity: string; created: number; cursor: string; syncRunId: string }[] = [];
    for await (const event of stream) {
      seen.push(event.data.recordsChanged);
      if (event.data.recordsChanged.entity === "time") break;
    }
    await response.body?.cancel();
    // One event per entity whose page changed something (a practice may have no current job).
    const counts = (run.cursor as { counts: Record<string, { created: number }> }).counts;
    const changed = ["client", "job", "staff", "time"].filter((entity) => counts[entity]!.created > 0);
    expect(seen.map((e) => e.entity)).toEqual(changed);
    expect(seen.every((e) => e.syncRunId === globalId("SyncRun", run.id))).toBe(true);
    // Read from an event's cursor, the records are there (it is sent once they are readable).
    const staff = seen.find((e) => e.entity === "staff")!;
    expect((await readAll(integration.id, "staff", staff.cursor)).rows).toHaveLength(staff.created);
  });
});
