import type { DomainEvent, RunStatusTransition } from "../events.ts";
import type { Prisma, PrismaClient, SyncRun } from "../generated/prisma/client.ts";
import type { SyncKind, SyncRunStatus } from "../generated/prisma/enums.ts";

/**
 * The log of run status changes (RunTransition), one per integration: what `syncRunStatusChanged`
 * streams and replays. Only run-state.ts writes it, in the transaction that moves the runs.
 */

type Db = Prisma.TransactionClient | PrismaClient;

/** One status change of a run: the run as it is after the move, and the status it left (null: created). */
export interface RunMove {
  run: Pick<SyncRun, "id" | "integrationId" | "kind" | "status" | "error">;
  from: SyncRunStatus | null;
}

interface LoggedRow {
  integrationId: string;
  sequence: number;
  runId: string;
  kind: SyncKind;
  from: SyncRunStatus | null;
  to: SyncRunStatus;
  error: string | null;
  at: string;
}

/**
 * Appends run status changes to their integrations' logs, in the caller's transaction. Each
 * integration's counter is taken under its row lock, which is held to commit, so its log is numbered
 * 1, 2, 3, … without gaps in commit order. Returns the syncRunStatusChanged events, in log order.
 */
export async function logRunMoves(tx: Db, moves: readonly RunMove[]): Promise<DomainEvent[]> {
  if (moves.length === 0) return [];
  const rows = await tx.$queryRawUnsafe<LoggedRow[]>(
    LOG_RUN_MOVES,
    moves.map((move) => move.run.id),
    moves.map((move) => move.run.integrationId),
    moves.map((move) => move.run.kind),
    moves.map((move) => move.from),
    moves.map((move) => move.run.status),
    moves.map((move) => move.run.error),
  );
  return rows
    .map(transitionOf)
    .sort((a, b) => a.integrationId.localeCompare(b.integrationId) || a.eventSequence - b.eventSequence)
    .map((transition) => ({ topic: "syncRunStatusChanged", transition }));
}

/** Up to `limit` entries of an integration's log after `after`, in order. */
export async function runTransitionsAfter(
  db: Db,
  integrationId: string,
  after: number,
  limit: number,
): Promise<RunStatusTransition[]> {
  const rows = await db.$queryRawUnsafe<LoggedRow[]>(
    `SELECT ${COLUMNS} FROM "RunTransition"
     WHERE "integrationId" = $1::uuid AND sequence > $2 ORDER BY sequence LIMIT $3`,
    integrationId,
    after,
    limit,
  );
  return rows.map(transitionOf);
}

/** The sequence of an integration's latest run status change (0: none). */
export async function runLogHead(db: Db, integrationId: string): Promise<number> {
  const integration = await db.integration.findUnique({
    where: { id: integrationId },
    select: { runTransitionCount: true },
  });
  return integration?.runTransitionCount ?? 0;
}

/**
 * Where a subscriber that names no sequence starts: just before the first logged change of the runs
 * that are active now (so it sees each of them from its queueing on), or at the latest change when none is.
 */
export async function runLogStart(db: Db, integrationId: string): Promise<number> {
  const [row] = await db.$queryRawUnsafe<{ start: number | null }[]>(
    `SELECT min(t.sequence) - 1 AS start FROM "RunTransition" t JOIN "SyncRun" r ON r.id = t."runId"
     WHERE t."integrationId" = $1::uuid AND r.status IN ('QUEUED', 'RUNNING', 'DEFERRED')`,
    integrationId,
  );
  return row?.start == null ? runLogHead(db, integrationId) : Number(row.start);
}

function transitionOf(row: LoggedRow): RunStatusTransition {
  return {
    integrationId: row.integrationId,
    eventSequence: Number(row.sequence),
    runId: row.runId,
    kind: row.kind,
    from: row.from,
    to: row.to,
    error: row.error,
    at: row.at,
  };
}

const COLUMNS = `"integrationId", sequence, "runId", kind::text AS kind, "from"::text AS "from", "to"::text AS "to",
  error, to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at`;

/** $1 runs, $2 their integrations, $3 kinds, $4 from, $5 to, $6 errors (arrays, in move order). */
const LOG_RUN_MOVES = `
  WITH moves AS (
    SELECT m.*, row_number() OVER (PARTITION BY m."integrationId" ORDER BY m.ord) AS n
    FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[])
      WITH ORDINALITY AS m("runId", "integrationId", kind, "from", "to", error, ord)
  ), counters AS (
    UPDATE "Integration" i SET "runTransitionCount" = i."runTransitionCount" + c.n
    FROM (SELECT "integrationId", count(*)::int AS n FROM moves GROUP BY "integrationId") c
    WHERE i.id = c."integrationId"
    RETURNING i.id, i."runTransitionCount" - c.n AS base
  )
  INSERT INTO "RunTransition" ("integrationId", sequence, "runId", kind, "from", "to", error, at)
  SELECT m."integrationId", c.base + m.n, m."runId", m.kind::"SyncKind", m."from"::"SyncRunStatus",
         m."to"::"SyncRunStatus", m.error, clock_timestamp() AT TIME ZONE 'UTC'
  FROM moves m JOIN counters c ON c.id = m."integrationId"
  RETURNING ${COLUMNS}`;
