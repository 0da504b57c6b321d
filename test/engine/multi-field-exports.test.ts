import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { XpmPractice } from "../../src/sandbox/xpm/data.ts";
import { type ExportEdit, enqueueEdits } from "../../src/sync/export.ts";
import { upsertRecords } from "../../src/sync/records.ts";
import {
  connectedXpm,
  type EngineHarness,
  isJobRead,
  isJobUpdate,
  startEngineHarness,
  until,
} from "../support/engine.ts";
import type { TestTenant } from "../support/harness.ts";

/**
 * Edits of several fields of one XPM job go out in one job.api/update (JobUpdateRequestDto takes them
 * together), each field at its latest value; each field stays an item of its own, settled, verified
 * and held as a conflict by itself. The sandbox's log counts the calls. A "minute" is 1 s.
 */
const MINUTE_MS = 1000;
const CALL_TIMEOUT_MS = 3000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({
    minuteMs: MINUTE_MS,
    env: { SYNCLINE_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS) },
  });
  tenant = await h.t.createTenant("Multi-field exports");
  h.xpm.caps.setIdempotency(false);
});
afterAll(() => h.close());

const items = (integrationId: string) =>
  h.t.app.db.prisma.exportItem.findMany({ where: { integrationId }, orderBy: { sequence: "asc" } });

/** Queues batches of edits (each its own enqueueExports, all while nothing is sent yet), then wakes the engine. */
async function queue(integrationId: string, batches: ExportEdit[][]) {
  await h.t.app.db.prisma.$transaction(async (tx) => {
    for (const batch of batches) await enqueueEdits(tx, integrationId, batch);
  });
  await h.t.app.engine.notify(integrationId, { preempt: false });
}

async function mirrorJobs(integrationId: string, practice: XpmPractice) {
  const records = [...practice.jobs.values()].map((job) => ({ remoteId: job.dto.id, data: { ...job.dto } }));
  await h.t.app.db.prisma.$transaction((tx) =>
    upsertRecords(tx, { integrationId, entity: "job", runId: randomUUID() }, records),
  );
}

describe("multi-field exports", () => {
  it("sends waiting edits of several fields of one job in one call, each field at its latest value", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 10 },
      syncMode: "ONE_OFF",
    });
    const jobs = [...practice.jobs.keys()];
    const edit = (remoteId: string, field: string, value: unknown) => ({
      entity: "job",
      remoteId,
      field,
      value,
    });
    await queue(integration.id, [
      jobs.flatMap((job) => [edit(job, "budget", 1), edit(job, "name", `first ${job}`)]),
      jobs.flatMap((job) => [edit(job, "budget", 2), edit(job, "dueDate", "2027-03-31")]),
      jobs.map((job) => edit(job, "name", `latest ${job}`)),
    ]);
    await until(
      "every item sent",
      async () => (await items(integration.id)).every((i) => i.status === "SENT"),
      20 * MINUTE_MS,
    );

    // Three fields of ten jobs, edited five times each: ten calls, one per job.
    const writes = h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
    expect(writes).toHaveLength(10);
    expect(await items(integration.id)).toHaveLength(30);
    for (const job of jobs) {
      expect(practice.jobs.get(job)!.dto).toMatchObject({
        budget: 2,
        name: `latest ${job}`,
        dueDate: expect.stringMatching(/^2027-03-31/),
      });
    }
  }, 30_000);

  it("reads back a multi-field write in doubt once and settles each field by what it finds", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 1 },
      syncMode: "ONE_OFF",
    });
    const [job] = [...practice.jobs.keys()] as [string];
    practice.editJob(job, { budget: 100, name: "Audit" });
    await mirrorJobs(integration.id, practice);
    // The write is held unanswered until the call times out: its outcome is unknown, and not applied.
    h.xpm.caps.injectFaults(remoteTenantId, { kind: "timeout", match: { method: "PUT" } });
    await queue(integration.id, [
      [
        { entity: "job", remoteId: job, field: "budget", value: 200 },
        { entity: "job", remoteId: job, field: "name", value: "Audit 2027" },
      ],
    ]);
    await until(
      "the write in doubt",
      async () => (await items(integration.id)).every((i) => i.status === "IN_DOUBT"),
      3 * CALL_TIMEOUT_MS,
    );
    // Someone renames the job in XPM meanwhile: the name is a conflict, the budget is simply resent.
    practice.editJob(job, { name: "Renamed in XPM" });
    await until(
      "budget sent, name held",
      async () => {
        const [budget, name] = await items(integration.id);
        return budget!.status === "SENT" && name!.status === "CONFLICT";
      },
      20 * MINUTE_MS,
    );
    const [budget, name] = await items(integration.id);
    expect(name).toMatchObject({ value: "Audit 2027", baseValue: "Audit", remoteValue: "Renamed in XPM" });
    expect(budget).toMatchObject({ value: 200 });
    expect(practice.jobs.get(job)!.dto).toMatchObject({ budget: 200, name: "Renamed in XPM" });
    const log = h.xpm.caps.accepted(remoteTenantId);
    // One read for both fields; then one write, of the budget alone.
    expect(log.filter(isJobRead)).toHaveLength(1);
    expect(log.filter(isJobUpdate).filter((c) => c.applied)).toHaveLength(1);
  }, 30_000);

  it("sends the fields of a refused call once more one by one: the valid one is applied, the one the platform refuses fails alone", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 1 },
      syncMode: "ONE_OFF",
    });
    const [job] = [...practice.jobs.keys()] as [string];
    const dueBefore = practice.jobs.get(job)!.dto.dueDate;
    await queue(integration.id, [
      [
        { entity: "job", remoteId: job, field: "budget", value: 321 },
        // A day February does not have: the right form (syncline's check lets it through), refused by XPM.
        { entity: "job", remoteId: job, field: "dueDate", value: "2027-02-30" },
      ],
    ]);
    await until(
      "both settled",
      async () => (await items(integration.id)).every((i) => i.status === "SENT" || i.status === "FAILED"),
      20 * MINUTE_MS,
    );
    const [budget, dueDate] = await items(integration.id);
    expect(budget).toMatchObject({ status: "SENT", value: 321, error: null });
    expect(dueDate).toMatchObject({ status: "FAILED", value: "2027-02-30" });
    expect(dueDate!.error).toContain("dueDate must be a date yyyy-MM-dd");
    expect(practice.jobs.get(job)!.dto).toMatchObject({ budget: 321, dueDate: dueBefore });

    // The call log: the two fields in one call (its key derived from both items'), refused and applying
    // nothing; then each field once in a call of its own (its own key), the budget applied.
    const owner = (key: string | undefined) =>
      key === budget!.idempotencyKey ? "budget" : key === dueDate!.idempotencyKey ? "dueDate" : "both";
    const writes = h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
    const [together, ...alone] = writes.map((c) => ({
      fields: owner(c.idempotencyKey),
      status: c.status,
      applied: c.applied === true,
    }));
    expect(together).toEqual({ fields: "both", status: 500, applied: false });
    expect(alone.sort((a, b) => a.fields.localeCompare(b.fields))).toEqual([
      { fields: "budget", status: 200, applied: true },
      { fields: "dueDate", status: 500, applied: false },
    ]);
  }, 30_000);
});
