import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../../src/graphql/ids.ts";
import { redisKeys } from "../../../src/redis/keys.ts";
import type { CallLogEntry } from "../../../src/sandbox/kit/call-log.ts";
import type { XpmPractice } from "../../../src/sandbox/xpm/data.ts";
import { enqueueEdits } from "../../../src/sync/export.ts";
import { upsertRecords } from "../../../src/sync/records.ts";
import {
  ExportConflictsQuery,
  ExportQueueQuery,
  PauseIntegrationMutation,
  ResolveExportConflictMutation,
  ResumeIntegrationMutation,
  SetExportConflictPolicyMutation,
} from "../../operations.ts";
import {
  connectedXpm,
  type EngineHarness,
  isJobRead,
  isJobUpdate,
  startEngineHarness,
  until,
} from "../../support/engine.ts";
import { TEST_REDIS_URL } from "../../support/env.ts";
import type { TestTenant } from "../../support/harness.ts";

/**
 * Exactly once without the platform's help. The XPM sandbox here ignores Idempotency-Key (XPM's
 * contract declares none), so a write resent after its answer was lost would be applied twice; and
 * someone may change a job in XPM behind syncline's back (the sandbox's editJob), which a late write
 * must not overwrite. The sandbox's log is the judge of what was written.
 */
const MINUTE_MS = 1000;
const CALL_TIMEOUT_MS = 4000;
let h: EngineHarness;
let tenant: TestTenant;
let redis: Redis;

beforeAll(async () => {
  h = await startEngineHarness({
    minuteMs: MINUTE_MS,
    heartbeatLapseMs: 1500,
    env: { SYNCLINE_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS) },
  });
  tenant = await h.t.createTenant("In doubt");
  h.xpm.caps.setIdempotency(false);
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  redis.disconnect();
  await h.close();
});

const items = (integrationId: string) =>
  h.t.app.db.prisma.exportItem.findMany({ where: { integrationId }, orderBy: { sequence: "asc" } });

/** Mirrors the practice's jobs as a pull of them would have (the value syncline last pulled). */
async function mirrorJobs(integrationId: string, practice: XpmPractice) {
  const records = [...practice.jobs.values()].map((job) => ({ remoteId: job.dto.id, data: { ...job.dto } }));
  await h.t.app.db.prisma.$transaction((tx) =>
    upsertRecords(tx, { integrationId, entity: "job", runId: randomUUID() }, records),
  );
}

async function queueBudgets(integrationId: string, edits: [job: string, budget: number][], notify = true) {
  await h.t.app.db.prisma.$transaction((tx) =>
    enqueueEdits(
      tx,
      integrationId,
      edits.map(([job, value]) => ({ entity: "job", remoteId: job, field: "budget", value })),
    ),
  );
  if (notify) await h.t.app.engine.notify(integrationId, { preempt: false });
}

function appliedPerKey(log: CallLogEntry[]): Map<string, number> {
  const applied = new Map<string, number>();
  for (const call of log.filter((c) => isJobUpdate(c) && c.applied))
    applied.set(call.idempotencyKey!, (applied.get(call.idempotencyKey!) ?? 0) + 1);
  return applied;
}

describe("a write whose outcome is unknown", () => {
  it("is read back, not written again, when its answer was lost after the platform applied it", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 4 },
    });
    const jobs = [...practice.jobs.keys()];
    const update = { method: "PUT", path: "/v3.1/job.api/update" };
    // A gateway's 504 after the job was changed, and a connection dropped after it was changed.
    h.xpm.caps.injectFaults(remoteTenantId, [
      { kind: "lostAnswer", status: 504, match: update },
      { kind: "lostAnswer", status: null, match: update },
    ]);
    await queueBudgets(
      integration.id,
      jobs.map((job, i) => [job, 700 + i]),
    );
    await until(
      "all sent",
      async () => (await items(integration.id)).every((i) => i.status === "SENT"),
      20 * MINUTE_MS,
    );

    const log = h.xpm.caps.accepted(remoteTenantId);
    const writes = log.filter(isJobUpdate);
    expect(writes).toHaveLength(4);
    expect([...appliedPerKey(log).values()]).toEqual([1, 1, 1, 1]);
    const lost = writes.filter((c) => c.problem === "fault");
    expect(lost).toHaveLength(2);
    // Each lost answer was followed by a read of its job, and no second write.
    expect(log.filter(isJobRead)).toHaveLength(2);
    expect(jobs.every((job, i) => practice.jobs.get(job)!.dto.budget === 700 + i)).toBe(true);
    const settled = await items(integration.id);
    expect(settled.filter((i) => i.remoteValue !== null).map((i) => i.remoteValue)).toHaveLength(2);
  }, 30_000);

  it("is held as CONFLICT with both values when the platform's value changed meanwhile (verify)", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 2 },
    });
    const [job] = [...practice.jobs.keys()];
    practice.editJob(job!, { budget: 100 });
    await mirrorJobs(integration.id, practice);
    // The write is held unanswered until the call times out: its outcome is unknown (and it was not applied).
    h.xpm.caps.injectFaults(remoteTenantId, { kind: "timeout", match: { method: "PUT" } });
    await queueBudgets(integration.id, [[job!, 200]]);
    await until(
      "the write in doubt",
      async () => (await items(integration.id))[0]!.status === "IN_DOUBT",
      3 * CALL_TIMEOUT_MS,
    );
    // Someone changes the job in XPM before syncline looks again.
    practice.editJob(job!, { budget: 999 });
    await until(
      "the conflict seen",
      async () => (await items(integration.id))[0]!.status === "CONFLICT",
      10 * MINUTE_MS,
    );
    const [item] = await items(integration.id);
    expect(item).toMatchObject({ value: 200, baseValue: 100, remoteValue: 999 });
    expect(practice.jobs.get(job!)!.dto.budget).toBe(999);
    const log = h.xpm.caps.accepted(remoteTenantId);
    expect(log.filter(isJobUpdate).filter((c) => c.applied)).toHaveLength(0);
    expect(log.filter(isJobRead)).toHaveLength(1);
  }, 30_000);
});

describe("a change made on the platform since the last pull", () => {
  it("holds the edit as CONFLICT with both values, shows it, tells the host, and lets a person resolve it", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 3 },
    });
    const id = globalId("Integration", integration.id);
    const [first, second, third] = [...practice.jobs.keys()] as [string, string, string];
    for (const job of [first, second, third]) practice.editJob(job, { budget: 100 });
    await mirrorJobs(integration.id, practice);
    const conflicts = h.t.app.events.pubSub.subscribe("exportConflict", integration.id);
    const told = (async () => {
      for await (const event of conflicts) return event;
    })();

    // Paused, the edits wait; meanwhile someone changes the first job in XPM and a pull brings it in.
    await h.t.data(PauseIntegrationMutation, { id }, tenant.admin);
    await queueBudgets(integration.id, [
      [first, 150],
      [second, 250],
      [third, 350],
    ]);
    practice.editJob(first, { budget: 999 });
    await mirrorJobs(integration.id, practice);
    await h.t.data(ResumeIntegrationMutation, { id }, tenant.admin);

    await until(
      "two sent, one held",
      async () => (await items(integration.id)).filter((i) => i.status === "SENT").length === 2,
      20 * MINUTE_MS,
    );
    const event = await told;
    const held = (await items(integration.id)).find((i) => i.remoteId === first)!;
    expect(held).toMatchObject({ status: "CONFLICT", value: 150, baseValue: 100, remoteValue: 999 });
    expect(event).toEqual({ exportItemId: held.id, policy: "ASK" });
    // Nothing was written to the first job: XPM keeps its value until a person decides.
    const writes = () => h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
    expect(writes()).toHaveLength(2);
    expect(practice.jobs.get(first)!.dto.budget).toBe(999);

    const { integration: queue } = await h.t.data(ExportQueueQuery, { id }, tenant.viewer);
    if (queue.__typename !== "Integration") throw new Error(queue.__typename);
    expect(queue.exportQueue).toMatchObject({ conflicts: 1, sent: 2, pending: 0, inDoubt: 0 });
    const { integration: listed } = await h.t.data(ExportConflictsQuery, { id }, tenant.viewer);
    if (listed.__typename !== "Integration") throw new Error(listed.__typename);
    expect(listed.conflictPolicy).toBe("ASK");
    expect(listed.exportConflicts.totalCount).toBe(1);
    const node = listed.exportConflicts.edges[0]!.node;
    expect(node).toMatchObject({
      remoteId: first,
      field: "budget",
      value: 150,
      baseValue: 100,
      remoteValue: 999,
    });

    // A viewer may not resolve it; an item without a conflict cannot be resolved; the person keeps theirs.
    const asViewer = await h.t.data(
      ResolveExportConflictMutation,
      { input: { exportItemId: node.id, keep: "LOCAL" } },
      tenant.viewer,
    );
    expect(asViewer.resolveExportConflict.__typename).toBe("ForbiddenError");
    const sentItem = (await items(integration.id)).find((i) => i.remoteId === second)!;
    const notHeld = await h.t.data(
      ResolveExportConflictMutation,
      { input: { exportItemId: globalId("ExportItem", sentItem.id), keep: "LOCAL" } },
      tenant.admin,
    );
    expect(notHeld.resolveExportConflict).toMatchObject({
      __typename: "InvalidStateError",
      currentState: "SENT",
    });
    const resolved = await h.t.data(
      ResolveExportConflictMutation,
      { input: { exportItemId: node.id, keep: "LOCAL" } },
      tenant.admin,
    );
    expect(resolved.resolveExportConflict).toMatchObject({ exportItem: { status: "PENDING" } });
    await until("the first job at 150", () => practice.jobs.get(first)!.dto.budget === 150, 10 * MINUTE_MS);
    await until(
      "all sent",
      async () => (await items(integration.id)).every((i) => i.status === "SENT"),
      10 * MINUTE_MS,
    );
    expect(writes()).toHaveLength(3);
  }, 40_000);

  it("follows the integration's policy: REMOTE_WINS keeps the platform's value, LOCAL_WINS overwrites it", async () => {
    for (const policy of ["REMOTE_WINS", "LOCAL_WINS"] as const) {
      const { integration, practice, remoteTenantId } = await connectedXpm(h, {
        tenantId: tenant.id,
        seed: { jobs: 1 },
      });
      const id = globalId("Integration", integration.id);
      const [job] = [...practice.jobs.keys()] as [string];
      const { setExportConflictPolicy } = await h.t.data(
        SetExportConflictPolicyMutation,
        { input: { integrationId: id, policy } },
        tenant.admin,
      );
      expect(setExportConflictPolicy).toMatchObject({ integration: { conflictPolicy: policy } });
      practice.editJob(job, { budget: 100 });
      await mirrorJobs(integration.id, practice);
      await h.t.data(PauseIntegrationMutation, { id }, tenant.admin);
      await queueBudgets(integration.id, [[job, 150]]);
      practice.editJob(job, { budget: 999 });
      await mirrorJobs(integration.id, practice);
      await h.t.data(ResumeIntegrationMutation, { id }, tenant.admin);
      const done = policy === "REMOTE_WINS" ? "SKIPPED" : "SENT";
      await until(
        `${policy}: ${done}`,
        async () => (await items(integration.id))[0]!.status === done,
        10 * MINUTE_MS,
      );
      const [item] = await items(integration.id);
      expect(item).toMatchObject({ remoteValue: 999, value: 150 });
      expect(item!.conflictAt).not.toBeNull();
      const writes = h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
      expect(writes).toHaveLength(policy === "REMOTE_WINS" ? 0 : 1);
      expect(practice.jobs.get(job)!.dto.budget).toBe(policy === "REMOTE_WINS" ? 999 : 150);
    }
  }, 40_000);
});

describe("fencing", () => {
  it("an activation whose lock was deleted cannot settle what it claimed", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 1 },
    });
    const [job] = [...practice.jobs.keys()] as [string];
    h.xpm.caps.setLatency(1000, remoteTenantId);
    await queueBudgets(integration.id, [[job, 4242]]);
    const writes = () => h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
    await until("the write in flight", () => writes().length === 1, 10 * MINUTE_MS);
    const [claimed] = await items(integration.id);
    expect(claimed!.status).toBe("SENDING");

    // The lock vanishes (a Redis failover, a wipe): a second activation takes the integration over.
    await redis.del(redisKeys(h.t.config.redisPrefix).activationLock(integration.id));
    await h.t.app.engine.notify(integration.id);
    await until("the write answered", () => writes()[0]!.endedAt !== null, 10 * MINUTE_MS);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The first activation heard the platform apply it, but its token was superseded: it settled
    // nothing. The item waits, in doubt, for the second activation to read the job back.
    const [afterAnswer] = await items(integration.id);
    expect(afterAnswer!.status).toBe("IN_DOUBT");
    const current = await h.t.app.db.prisma.activationFence.findUniqueOrThrow({
      where: { integrationId: integration.id },
    });
    expect(current.fence).toBeGreaterThan(claimed!.fence!);

    await until(
      "read back and settled",
      async () => (await items(integration.id))[0]!.status === "SENT",
      20 * MINUTE_MS,
    );
    expect(writes()).toHaveLength(1);
    expect(h.xpm.caps.accepted(remoteTenantId).filter(isJobRead)).toHaveLength(1);
    expect(practice.jobs.get(job)!.dto.budget).toBe(4242);
  }, 30_000);
});
