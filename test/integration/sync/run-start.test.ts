import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqlPool } from "../../../src/db/client.ts";
import { engineStore } from "../../../src/db/engine-store.ts";
import { callTargetOf } from "../../../src/engine/provider-call.ts";
import type { WorkSession, WorkSource } from "../../../src/engine/work-source.ts";
import type { Integration } from "../../../src/generated/prisma/client.ts";
import { servableIntegration } from "../../../src/integrations/integration-state.ts";
import { logger } from "../../../src/logger.ts";
import { pushSource } from "../../../src/push/push-source.ts";
import { exportAllowances } from "../../../src/sync/export-reserve.ts";
import { exportQueue } from "../../../src/sync/export-state.ts";
import { nextPullStep, type RunCursor } from "../../../src/sync/pull.ts";
import { pullSource } from "../../../src/sync/pull-source.ts";
import { moveRun } from "../../../src/sync/run-state.ts";
import type { WorkDeps } from "../../../src/sync/work-deps.ts";
import { integrationRow, startTestApp, type TestApp } from "../../support/harness.ts";

/**
 * What stands between work that arrives above the EXPORT lane and its first call, kept short: a newly
 * queued run is planned in the statement that finds it and its start written beside the call; its ledger row and
 * an urgent activation's fence go on connections of their own. And what spares the budget's refusals a
 * claim: a claim says whether more work was due beside it.
 */
let t: TestApp;
let tenantId: string;

beforeAll(async () => {
  t = await startTestApp();
  tenantId = (await t.createTenant("Run start")).id;
});
afterAll(() => t.close());

const xpm = () => integrationRow(t, tenantId, "XPM", { data: { syncMode: "CONTINUOUS" } });

const queuedRun = (integration: Integration) =>
  t.app.db.prisma.syncRun.create({
    data: { tenantId, integrationId: integration.id, kind: "DAILY", trigger: "SCHEDULE", lane: "DAILY" },
  });

describe("a newly queued run's first call", () => {
  it("is planned in one statement, and its start is written only when `starting` runs", async () => {
    const integration = await xpm();
    await t.app.db.prisma.watermark.create({
      data: { integrationId: integration.id, entity: "client", cursor: new Date() },
    });
    const run = await queuedRun(integration);

    const before = t.app.db.queryCount();
    const step = await nextPullStep(t.app.db, run, integration);
    // The three settings layers (the integration's with its entity settings) and the watermarks, in one
    // statement; nothing written.
    expect(t.app.db.queryCount() - before).toBe(1);
    expect(step.kind).toBe("call");
    if (step.kind !== "call") return;
    expect(step.starting).toBeDefined();
    expect(step.cursor.entities.length).toBeGreaterThan(0);
    const queued = await t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(queued).toMatchObject({ status: "QUEUED", cursor: null, startedAt: null });

    expect(await step.starting!()).toBe(true);
    const started = await t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(started.status).toBe("RUNNING");
    expect(started.startedAt).not.toBeNull();
    expect((started.cursor as unknown as RunCursor).entities).toEqual(step.cursor.entities);
    const logged = await t.app.db.prisma.syncLog.findMany({ where: { runId: run.id } });
    expect(logged.map((line) => line.message)).toContain(`Pulling ${step.cursor.entities.join(", ")}`);

    // Started, the run's next step is its first page again, without planning: `starting` is not set.
    const again = await nextPullStep(t.app.db, started, integration);
    expect(again.kind === "call" && again.starting).toBeFalsy();
  });

  it("leaves a run cancelled before its start was written cancelled, with nothing logged", async () => {
    const integration = await xpm();
    const run = await queuedRun(integration);
    const step = await nextPullStep(t.app.db, run, integration);
    if (step.kind !== "call") throw new Error("expected a call");
    await moveRun(t.app.db.prisma, run, "CANCELLED", {}, ["QUEUED"]);

    expect(await step.starting!()).toBe(false);
    const cancelled = await t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(cancelled).toMatchObject({ status: "CANCELLED", cursor: null });
    const logged = await t.app.db.prisma.syncLog.findMany({ where: { runId: run.id } });
    expect(logged.some((line) => line.message.startsWith("Pulling"))).toBe(false);
  });
});

/** A real pool that counts what it is given (and calls `sent` once each statement is on its way). */
function counted(pool: SqlPool, sent?: () => void): SqlPool & { n: number } {
  const wrapper = {
    n: 0,
    query: ((sql: string, params?: unknown[], options?: { prepared?: boolean }) => {
      wrapper.n++;
      const answer = pool.query(sql, params, options);
      sent?.();
      return answer;
    }) as SqlPool["query"],
  };
  return wrapper;
}

describe("the engine's urgent connections", () => {
  it("carry a non-export call's ledger row and an urgent activation's fence; exports share the pool", async () => {
    const integration = await xpm();
    const shared = counted(t.app.db.sql);
    const urgent = counted(t.app.db.urgentSql);
    const store = engineStore(shared, urgent);
    const call = (lane: "DAILY" | "EXPORT") => ({
      id: randomUUID(),
      integrationId: integration.id,
      lane,
      export: lane === "EXPORT",
      startedAt: Date.now(),
    });

    await store.ledger.begin(call("DAILY"));
    expect({ shared: shared.n, urgent: urgent.n }).toEqual({ shared: 0, urgent: 1 });
    await store.ledger.begin(call("EXPORT"));
    expect({ shared: shared.n, urgent: urgent.n }).toEqual({ shared: 1, urgent: 1 });

    const first = await store.fences.take(integration.id, { urgent: true });
    expect({ shared: shared.n, urgent: urgent.n }).toEqual({ shared: 1, urgent: 2 });
    expect(await store.fences.take(integration.id)).toBe(first + 1);
    expect({ shared: shared.n, urgent: urgent.n }).toEqual({ shared: 2, urgent: 2 });

    const rows = await t.app.db.prisma.callLedger.count({ where: { integrationId: integration.id } });
    expect(rows).toBe(2);
  });
});

describe("a pull session's reads", () => {
  it("go on the urgent connections after an announcement, a new run's plan in the look that finds it", async () => {
    const integration = await xpm();
    const shared = counted(t.app.db.sql);
    const urgent = counted(t.app.db.urgentSql);
    const source = pullSource({
      prisma: t.app.db.prisma,
      sql: shared,
      urgentSql: urgent,
      transaction: (work) => t.app.db.transaction(work),
      time: t.config.time,
      publish: () => {},
    });
    const fence = await engineStore(t.app.db.sql).fences.take(integration.id);
    const session = source.open(callTargetOf(integration, logger, t.config), {
      fence,
      callTimeoutMs: t.config.engine.callTimeoutMs,
    });
    const counts = () => ({ shared: shared.n, urgent: urgent.n });

    // The activation's first look, announced by nothing: on the shared pool.
    expect(await session.next()).toMatchObject({ kind: "none" });
    expect(counts()).toEqual({ shared: 1, urgent: 0 });
    // Nothing announced since: no look at all.
    expect(await session.next()).toMatchObject({ kind: "none" });
    expect(counts()).toEqual({ shared: 1, urgent: 0 });
    // An announcement that brings no run (a pause, a push): one look, urgent, and no plan read.
    session.announced();
    expect(await session.next()).toMatchObject({ kind: "none" });
    expect(counts()).toEqual({ shared: 1, urgent: 1 });
    // A new run announced: its look, which reads its plan (the settings layers, the watermarks) in the
    // same statement, on the urgent connections; nothing on the shared pool.
    const run = await queuedRun(integration);
    session.announced();
    const offer = await session.next();
    expect(offer).toMatchObject({ kind: "call", lane: "DAILY", logContext: { runId: run.id } });
    expect(offer.kind === "call" && offer.work.step.starting).toBeTruthy();
    expect(counts()).toEqual({ shared: 1, urgent: 2 });
    if (offer.kind === "call") await session.unclaim(offer.work, null);
  });
});

describe("a pull session's looks while a page is in flight", () => {
  it("are spared while the only due run's page is out, and taken again once it settles or work is announced", async () => {
    const integration = await xpm();
    const sql = counted(t.app.db.sql);
    const { session } = await openSession(integration, pullSource, sql);
    const first = await queuedRun(integration);

    const offer = await session.next();
    expect(offer).toMatchObject({ kind: "call", logContext: { runId: first.id } });
    expect(sql.n).toBe(1);
    // The activation's other slots: no other run was due beside it, so no look.
    expect(await session.next()).toMatchObject({ kind: "none" });
    expect(sql.n).toBe(1);
    // A run announced meanwhile is looked for, and found beside the busy one.
    const second = await queuedRun(integration);
    session.announced();
    const next = await session.next();
    expect(next).toMatchObject({ kind: "call", logContext: { runId: second.id } });
    expect(sql.n).toBe(2);
    expect(await session.next()).toMatchObject({ kind: "none" });
    expect(sql.n).toBe(2);
    // A page put back (or settled): the run's next step is looked for again.
    if (offer.kind === "call") await session.unclaim(offer.work, null);
    expect(await session.next()).toMatchObject({ kind: "call", logContext: { runId: first.id } });
    expect(sql.n).toBe(3);
    if (next.kind === "call") await session.unclaim(next.work, null);
  });

  it("go on when work was announced while the look that found the lone run was out", async () => {
    const integration = await xpm();
    /** Called once, just after the next statement is sent (while it is out). */
    let whileOut: (() => void) | null = null;
    const counting = counted(t.app.db.sql, () => {
      whileOut?.();
      whileOut = null;
    });
    const { session } = await openSession(integration, pullSource, counting);
    const first = await queuedRun(integration);

    whileOut = () => session.announced();
    const offer = await session.next();
    expect(offer).toMatchObject({ kind: "call", logContext: { runId: first.id } });
    expect(counting.n).toBe(1);
    // What the look found may be out of date: the next pick looks again.
    expect(await session.next()).toMatchObject({ kind: "none" });
    expect(counting.n).toBe(2);
    if (offer.kind === "call") await session.unclaim(offer.work, null);
  });

  it("go on while another run is due beside the one whose page is out", async () => {
    const integration = await xpm();
    const sql = counted(t.app.db.sql);
    const { session } = await openSession(integration, pullSource, sql);
    const runs = [await queuedRun(integration), await queuedRun(integration)];

    const first = await session.next();
    const second = await session.next();
    expect(sql.n).toBe(2);
    expect([first, second].map((offer) => offer.kind === "call" && offer.work.run.id).sort()).toEqual(
      runs.map((run) => run.id).sort(),
    );
    expect(await session.next()).toMatchObject({ kind: "none" });
    expect(sql.n).toBe(2);
    for (const offer of [first, second]) if (offer.kind === "call") await session.unclaim(offer.work, null);
  });
});

describe("a push session on a platform that takes no pushes", () => {
  it("never looks for push runs, announced or not", async () => {
    const integration = await xpm();
    const sql = counted(t.app.db.sql);
    const { session } = await openSession(integration, pushSource, sql);
    const before = t.app.db.queryCount();
    expect(await session.next()).toMatchObject({ kind: "none", dueAt: null });
    session.announced();
    expect(await session.next()).toMatchObject({ kind: "none", dueAt: null });
    expect(sql.n).toBe(0);
    expect(t.app.db.queryCount() - before).toBe(0);
  });
});

describe("an export session's reserve mode", () => {
  it("comes with the integration as the activation read it, the platform's layer beside its row", async () => {
    const other = (await t.createTenant("Reserve mode")).id;
    const integration = await integrationRow(t, other, "XPM", { data: { syncMode: "CONTINUOUS" } });
    const sql = counted(t.app.db.sql);
    const deps = { prisma: t.app.db.prisma, sql, time: t.config.time };
    const allowancesOf = (row: Integration) =>
      exportAllowances(deps, { integration: row, limits: callTargetOf(row, logger, t.config).limits });

    // STRICT (no layer says otherwise): the served row settles it, no statement.
    const strict = await servableIntegration(t.app.db.sql, integration.id);
    const before = t.app.db.queryCount();
    expect(await allowancesOf(strict!).offer()).toEqual({});
    expect({ sql: sql.n, all: t.app.db.queryCount() - before }).toEqual({ sql: 0, all: 0 });
    // A row read without the platform's layer (Prisma's): the mode is read.
    expect(await allowancesOf(integration).offer()).toEqual({});
    expect(sql.n).toBe(1);

    // ADAPTIVE on the platform's layer, read with the row, then set back to STRICT: the session's first
    // view goes by the row; once forgotten (an announcement), the mode is read again.
    await t.app.db.prisma.platformSettings.create({
      data: { tenantId: other, platform: "XPM", exportReserveMode: "ADAPTIVE" },
    });
    const adaptive = await servableIntegration(t.app.db.sql, integration.id);
    expect(adaptive?.platformExportReserveMode).toBe("ADAPTIVE");
    await t.app.db.prisma.platformSettings.update({
      where: { tenantId_platform: { tenantId: other, platform: "XPM" } },
      data: { exportReserveMode: "STRICT" },
    });
    const allowances = allowancesOf(adaptive!);
    expect((await allowances.offer()).allowance).toBeDefined();
    allowances.forget();
    expect(await allowances.offer()).toEqual({});
    // Forgotten before its first view (an activation that opened announced): the mode is read.
    const announced = allowancesOf(adaptive!);
    announced.forget();
    expect(await announced.offer()).toEqual({});
  });
});

/** A session of `source` for the integration, its statements on `sql` (the urgent connections too). */
async function openSession<W>(
  integration: Integration,
  source: (deps: WorkDeps) => WorkSource<W>,
  sql: SqlPool,
): Promise<{ session: WorkSession<W> }> {
  const deps: WorkDeps = {
    prisma: t.app.db.prisma,
    sql,
    urgentSql: sql,
    transaction: (work) => t.app.db.transaction(work),
    time: t.config.time,
    publish: () => {},
  };
  const fence = await engineStore(t.app.db.sql).fences.take(integration.id);
  const session = source(deps).open(callTargetOf(integration, logger, t.config), {
    fence,
    callTimeoutMs: t.config.engine.callTimeoutMs,
  });
  return { session };
}

describe("a claim", () => {
  it("says whether another item of the outbox was due beside the one it took", async () => {
    const integration = await xpm();
    const fence = await engineStore(t.app.db.sql).fences.take(integration.id);
    const item = (field: string, notBefore: Date | null = null) => ({
      integrationId: integration.id,
      entity: "job",
      remoteId: "J000001",
      field,
      value: 1,
      notBefore,
      idempotencyKey: randomUUID(),
    });
    // Two due, one backing off for a minute: not due, so not "more".
    await t.app.db.prisma.exportItem.createMany({
      data: [item("budget"), item("name"), item("state", new Date(Date.now() + 60_000))],
    });
    const scope = { column: "integrationId", id: integration.id };

    const first = await exportQueue.claim(t.app.db.sql, scope, { fence });
    expect(first).toMatchObject({ field: "budget", moreDue: true });
    const second = await exportQueue.claim(t.app.db.sql, scope, { fence });
    expect(second).toMatchObject({ field: "name", moreDue: false });
    expect(await exportQueue.claim(t.app.db.sql, scope, { fence })).toBeNull();
  });
});

describe("a claim and a newer fence", () => {
  it("holds the newer fence back until the claim commits, so the recovery after it sees the row", async () => {
    const integration = await xpm();
    const store = engineStore(t.app.db.sql);
    const fence = await store.fences.take(integration.id);
    await t.app.db.prisma.exportItem.create({
      data: {
        integrationId: integration.id,
        entity: "job",
        remoteId: "J1",
        field: "budget",
        value: 1,
        idempotencyKey: randomUUID(),
      },
    });
    const scope = { column: "integrationId", id: integration.id };
    // An activation that is about to lose the integration claims inside an open transaction.
    const session = await t.app.db.session();
    try {
      await session.exec("BEGIN");
      const claimed = await exportQueue.claim(session, scope, { fence });
      expect(claimed).toMatchObject({ field: "budget" });
      let taken = false;
      const newer = store.fences.take(integration.id).then((next) => {
        taken = true;
        return next;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(taken).toBe(false);
      await session.exec("COMMIT");
      expect(await newer).toBe(fence + 1);
      // Taken after the claim committed: recovery under the newer fence finds the row in flight.
      const recovered = await exportQueue.recoverOrphans(t.app.db.sql, integration.id, {
        fence: fence + 1,
        callTimeoutMs: 1,
      });
      expect(recovered).toBe(1);
    } finally {
      await session.close();
    }
  });
});
