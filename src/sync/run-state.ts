import type { SqlPool } from "../db/client.ts";
import { type ModelColumns, selectList } from "../db/rows.ts";
import { inTransaction } from "../db/transaction.ts";
import { sourcesOf, type TransitionTable } from "../engine/transitions.ts";
import type { DomainEvent } from "../events.ts";
import type { Prisma, PrismaClient, SyncRun } from "../generated/prisma/client.ts";
import type { SyncKind, SyncRunStatus } from "../generated/prisma/enums.ts";
import { SERVABLE } from "../integrations/integration-state.ts";
import { logger } from "../logger.ts";
import { observeRunFinished } from "../observability/metrics.ts";
import { dayBudgetExhausted, recordHostEvents, runFinished } from "../webhooks/host-events.ts";
import { logRunMoves } from "./run-log.ts";

/**
 * A sync run's status, and the only code that writes it. Every move is a guarded UPDATE that follows
 * this table, is written to the integration's log of run status changes in the same transaction
 * (run-log.ts), and returns the events it causes for the caller to publish after commit.
 */
export const RUN_TRANSITIONS: TransitionTable<SyncRunStatus> = {
  QUEUED: ["RUNNING", "DEFERRED", "SUCCEEDED", "PARTIAL", "CANCELLED"],
  RUNNING: ["DEFERRED", "SUCCEEDED", "PARTIAL", "FAILED", "CANCELLED"],
  /** A run that waits for the next day's budget. */
  DEFERRED: ["RUNNING", "SUCCEEDED", "PARTIAL", "CANCELLED"],
  /** A push whose failed packets are retried runs again. */
  SUCCEEDED: ["RUNNING"],
  PARTIAL: [],
  FAILED: [],
  CANCELLED: [],
};

/** Statuses in which a run has ended: moving to one tells the host (`run.finished` webhook). */
const FINISHED: readonly SyncRunStatus[] = ["SUCCEEDED", "PARTIAL", "FAILED", "CANCELLED"];

/** Run statuses in which a run still has work ahead of it. */
export const ACTIVE_RUN_STATUSES = ["QUEUED", "RUNNING", "DEFERRED"] as const satisfies SyncRunStatus[];

type Db = Prisma.TransactionClient | PrismaClient;
type RunRef = Pick<SyncRun, "id" | "integrationId">;

/** A run's status or counts changed: its subscribers and its integration's hear of it. */
export function runUpdated(run: RunRef): DomainEvent[] {
  return [{ topic: "syncRunUpdated", runId: run.id, integrationId: run.integrationId }];
}

const log = logger.child({ component: "runs" });

/**
 * Every move is a log line naming the run and its integration (so a run can be followed in the logs), and
 * an ending is counted and timed for /metrics.
 */
function runMoved(run: SyncRun): void {
  log.info(
    { runId: run.id, integrationId: run.integrationId, kind: run.kind, status: run.status },
    `run ${run.status.toLowerCase()}`,
  );
  if (FINISHED.includes(run.status)) observeRunFinished(run);
}

/** Creates a run (QUEUED): the only way a run comes to be. */
export async function createRun(
  tx: Db,
  data: Omit<Prisma.SyncRunUncheckedCreateInput, "status">,
): Promise<{ run: SyncRun; events: DomainEvent[] }> {
  return inTransaction(tx, async (db) => {
    const run = await db.syncRun.create({ data: { ...data, status: "QUEUED" } });
    runMoved(run);
    return { run, events: [...runUpdated(run), ...(await logRunMoves(db, [{ run, from: null }]))] };
  });
}

/**
 * Locks the runs a move is about to change and says which status each is in now: the log records what
 * a run moved from, and the lock keeps it that way until the UPDATE.
 */
async function lockStatuses(tx: Db, where: string, param: string, sources: readonly SyncRunStatus[]) {
  const rows = await tx.$queryRawUnsafe<{ id: string; status: SyncRunStatus }[]>(
    `SELECT id, status::text AS status FROM "SyncRun"
     WHERE ${where} = $1::uuid AND status::text = ANY($2::text[]) ORDER BY id FOR NO KEY UPDATE`,
    param,
    sources,
  );
  return new Map(rows.map((row) => [row.id, row.status]));
}

/**
 * Moves a run to `to` if its status allows (and is one of `from`, when given), setting `data` with it.
 * A run that moved elsewhere meanwhile (cancelled, finished) is left alone: `changed` says which. A run
 * that ends tells the host (a `run.finished` webhook with its status and counts), in the same transaction.
 */
export async function moveRun(
  db: Db,
  run: RunRef,
  to: SyncRunStatus,
  data: Omit<Prisma.SyncRunUpdateManyMutationInput, "status"> = {},
  from?: readonly SyncRunStatus[],
): Promise<{ changed: boolean; run: SyncRun | null; events: DomainEvent[] }> {
  return inTransaction(db, async (tx) => {
    const sources = sourcesOf(RUN_TRANSITIONS, to, from);
    const before = await lockStatuses(tx, "id", run.id, sources);
    if (!before.has(run.id)) return { changed: false, run: null, events: [] };
    const [moved] = await tx.syncRun.updateManyAndReturn({
      where: { id: run.id, status: { in: sources } },
      data: { ...data, status: to },
    });
    if (!moved) return { changed: false, run: null, events: [] };
    if (FINISHED.includes(to)) await recordHostEvents(tx, [runFinished(moved)]);
    runMoved(moved);
    const logged = await logRunMoves(tx, [{ run: moved, from: before.get(run.id)! }]);
    return { changed: true, run: moved, events: [...runUpdated(run), ...logged] };
  });
}

/** Moves every run of an integration that is in one of `from` to `to` (disconnect cancels waiting work). */
export async function moveIntegrationRuns(
  db: Db,
  integrationId: string,
  to: SyncRunStatus,
  from: readonly SyncRunStatus[],
  data: Omit<Prisma.SyncRunUpdateManyMutationInput, "status"> = {},
): Promise<DomainEvent[]> {
  return inTransaction(db, async (tx) => {
    const sources = sourcesOf(RUN_TRANSITIONS, to, from);
    const before = await lockStatuses(tx, `"integrationId"`, integrationId, sources);
    if (before.size === 0) return [];
    const moved = await tx.syncRun.updateManyAndReturn({
      where: { id: { in: [...before.keys()] }, status: { in: sources } },
      data: { ...data, status: to },
    });
    if (FINISHED.includes(to)) await recordHostEvents(tx, moved.map(runFinished));
    for (const run of moved) runMoved(run);
    const logged = await logRunMoves(
      tx,
      moved.map((run) => ({ run, from: before.get(run.id)! })),
    );
    return [...moved.flatMap(runUpdated), ...logged];
  });
}

/**
 * The day's budget is spent: the run waits `ms` for the next day, as DEFERRED (it has not failed). The
 * host is told (a `budget.day_exhausted` webhook), in the same transaction.
 */
export function deferRun(db: Db, run: RunRef, ms: number) {
  return inTransaction(db, async (tx) => {
    const deferred = { deferredUntil: new Date(Date.now() + ms) };
    const moved = await moveRun(tx, run, "DEFERRED", deferred, ["QUEUED", "RUNNING"]);
    if (moved.run) await recordHostEvents(tx, [dayBudgetExhausted(moved.run)]);
    return moved;
  });
}

/** The day a deferred run waited for has come: it is running again. */
export function resumeRun(db: Db, run: RunRef) {
  return moveRun(db, run, "RUNNING", { deferredUntil: null }, ["DEFERRED"]);
}

/** Integrations that may be served and have runs of these kinds with work ahead of them. */
export async function integrationsWithActiveRuns(db: Db, kinds: readonly SyncKind[]): Promise<string[]> {
  const rows = await db.syncRun.findMany({
    where: {
      kind: { in: [...kinds] },
      status: { in: [...ACTIVE_RUN_STATUSES] },
      integration: { status: { in: SERVABLE } },
    },
    distinct: ["integrationId"],
    select: { integrationId: true },
  });
  return rows.map((row) => row.integrationId);
}

const SYNC_RUN_COLUMNS: ModelColumns<SyncRun> = {
  id: "plain",
  tenantId: "plain",
  integrationId: "plain",
  kind: "enum",
  trigger: "enum",
  lane: "enum",
  requestedById: "plain",
  status: "enum",
  fetchedCount: "plain",
  createdCount: "plain",
  updatedCount: "plain",
  deletedCount: "plain",
  skippedCount: "plain",
  sentCount: "plain",
  failedCount: "plain",
  windowFrom: "timestamp",
  windowTo: "timestamp",
  queuedAt: "timestamp",
  startedAt: "timestamp",
  finishedAt: "timestamp",
  deferredUntil: "timestamp",
  error: "plain",
  cursor: "plain",
  packetTransitionCount: "plain",
};

const RUN_READ = `SELECT ${selectList("r", SYNC_RUN_COLUMNS)} FROM "SyncRun" r WHERE r.id = $1::uuid`;

/** A run as it is now (null: gone), in one prepared statement (db/rows.ts). */
export async function runById(sql: SqlPool, id: string): Promise<SyncRun | null> {
  const [run] = await sql.query<SyncRun>(RUN_READ, [id], { prepared: true });
  return run ?? null;
}

/** The look for an integration's active runs, with `extra` (a SELECT expression) beside each. */
const activeRunsRead = (extra = "") => `SELECT ${selectList("r", SYNC_RUN_COLUMNS)}${extra} FROM "SyncRun" r
  WHERE r."integrationId" = $1::uuid AND r.kind::text = ANY($2::text[]) AND r.status::text = ANY($3::text[])
    AND NOT (r.id = ANY($4::uuid[]))
  ORDER BY r."queuedAt", r.id`;

const ACTIVE_RUNS_READ = activeRunsRead();
/** The look's text with each `extra` a caller gives it (a fixed few), built once each. */
const withExtra = new Map<string, string>();

/**
 * An integration's runs of some kinds as one statement reads them: those due now, oldest first, and when
 * the first of its deferred ones is due again (null: none is deferred). Every active run is read at once:
 * an integration has a handful at most, and the deferred one's time came with a query of its own before.
 * Read on every activation and announcement, so one prepared statement (db/rows.ts).
 *
 * `extra` reads something more in the same statement: an expression over the run `r`, with its
 * parameters from $5 on ($1 is the integration). Its first non-null value is returned as `extra`.
 */
export async function activeRuns<Extra = never>(
  sql: SqlPool,
  integrationId: string,
  kinds: readonly SyncKind[],
  exclude: readonly string[] = [],
  extra?: { select: string; params: readonly unknown[] },
): Promise<{ due: SyncRun[]; deferredAt: number | null; extra: Extra | null }> {
  const params = [integrationId, kinds, ACTIVE_RUN_STATUSES, exclude];
  let runs: SyncRun[];
  let found: Extra | null = null;
  if (extra) {
    const rows = await sql.query<SyncRun & { extra: Extra | null }>(
      withExtra.get(extra.select) ??
        withExtra.set(extra.select, activeRunsRead(`, ${extra.select} AS extra`)).get(extra.select)!,
      [...params, ...extra.params],
      { prepared: true },
    );
    runs = rows.map(({ extra: value, ...run }) => {
      found ??= value;
      return run;
    });
  } else {
    runs = await sql.query<SyncRun>(ACTIVE_RUNS_READ, params, { prepared: true });
  }
  const now = Date.now();
  const until = (run: SyncRun) => run.deferredUntil?.getTime() ?? null;
  const waiting = runs.filter((run) => run.status === "DEFERRED" && (until(run) ?? 0) > now);
  return {
    due: runs.filter((run) => !waiting.includes(run)),
    deferredAt: waiting.length > 0 ? Math.min(...waiting.map((run) => until(run)!)) : null,
    extra: found,
  };
}

/**
 * When the first of an integration's deferred runs is due again, as a session last looked: learnt with
 * each look at the runs and kept between looks (runs change only with an announcement or the session's
 * own moves), so a source with no runs due costs no query per call while its activation drains exports.
 * `arrived` says the time has come: the session looks at its runs again.
 */
export function deferralMemory() {
  let at: number | null = null;
  return {
    arrived: () => at !== null && at <= Date.now(),
    at: () => at,
    learn(next: number | null) {
      at = next;
    },
  };
}
