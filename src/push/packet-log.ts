import type { SqlPool } from "../db/client.ts";
import type { DomainEvent, PacketTransition } from "../events.ts";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { PacketState } from "../generated/prisma/enums.ts";
import { packetFailed, recordHostEvents } from "../webhooks/host-events.ts";

/**
 * The log of a push run's packet moves (PacketTransition): what `packetStateChanged` streams and
 * replays. Only packet-state.ts (and the push source, when a claimed packet's call goes out) writes it.
 *
 * A logged move says where a packet went; where it came from is the packet's previous logged move, so
 * the log is a chain a reader can follow packet by packet even where the table moved in between without
 * a visible change (a claim the budget put back at once is not a move anyone saw), and a move that would
 * not change the packet's logged state is not logged.
 */

/** A packet's move, to log: the packet as it is now in SyncPacket (its row supplies the details). */
export interface PacketMove {
  id: string;
  to: PacketState;
  /** Only where the caller knows better than the log (a packet created and mapped in one statement). */
  from?: PacketState | null;
}

interface LoggedRow {
  runId: string;
  sequence: number;
  packetId: string;
  packetSequence: number;
  label: string;
  from: PacketState | null;
  to: PacketState;
  attempts: number;
  remoteId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  at: string;
}

/**
 * Appends moves to their runs' logs, in the caller's transaction when `sql` is one. Each run's counter
 * is taken under its row lock, held to commit, so a run's log is numbered 1, 2, 3, … without gaps in
 * commit order. Returns the packetStateChanged events, in log order.
 */
export async function logPacketMoves(sql: SqlPool, moves: readonly PacketMove[]): Promise<DomainEvent[]> {
  if (moves.length === 0) return [];
  const rows = await sql.query<LoggedRow>(LOG_PACKET_MOVES, [
    moves.map((move) => move.id),
    moves.map((move) => move.to),
    moves.map((move) => move.from ?? null),
    moves.map((move) => move.from !== undefined),
  ]);
  await tellHostOfFailures(sql, rows);
  return rows
    .map(transitionOf)
    .sort((a, b) => a.runId.localeCompare(b.runId) || a.eventSequence - b.eventSequence)
    .map((transition) => ({ topic: "packetStateChanged", transition }));
}

/** Packets that moved to FAILED tell the host (a `packet.failed` webhook each), in the same transaction. */
async function tellHostOfFailures(sql: SqlPool, rows: readonly LoggedRow[]): Promise<void> {
  const failed = rows.filter((row) => row.to === "FAILED");
  if (failed.length === 0) return;
  const runs = await sql.query<{ id: string; integrationId: string }>(
    `SELECT id, "integrationId" FROM "SyncRun" WHERE id = ANY($1::uuid[])`,
    [[...new Set(failed.map((row) => row.runId))]],
  );
  const integrationOf = new Map(runs.map((run) => [run.id, run.integrationId]));
  await recordHostEvents(
    sql,
    failed.map((row) =>
      packetFailed({
        id: row.packetId,
        runId: row.runId,
        integrationId: integrationOf.get(row.runId)!,
        sequence: row.packetSequence,
        label: row.label,
        attempts: row.attempts,
        errorCode: row.errorCode,
        errorMessage: row.errorMessage,
      }),
    ),
  );
}

/**
 * Logs what the log does not show yet of an integration's unfinished pushes: packets whose state moved
 * without a logged move (taken back from an activation that died or lost its lock). Returns the events.
 */
export async function reconcilePacketLog(sql: SqlPool, integrationId: string): Promise<DomainEvent[]> {
  const unlogged = await sql.query<{ id: string; state: PacketState }>(
    `SELECT p.id, p.state::text AS state FROM "SyncPacket" p JOIN "SyncRun" r ON r.id = p."runId"
     WHERE p."integrationId" = $1::uuid AND r.status IN ('QUEUED', 'RUNNING', 'DEFERRED')
       AND p.state::text IS DISTINCT FROM (
         SELECT t."to"::text FROM "PacketTransition" t WHERE t."packetId" = p.id ORDER BY t.sequence DESC LIMIT 1)
     ORDER BY p."runId", p.sequence`,
    [integrationId],
  );
  return logPacketMoves(
    sql,
    unlogged.map((row) => ({ id: row.id, to: row.state })),
  );
}

type Db = Prisma.TransactionClient | PrismaClient;

/** Up to `limit` entries of a run's log after `after`, in order. */
export async function packetTransitionsAfter(
  db: Db,
  runId: string,
  after: number,
  limit: number,
): Promise<PacketTransition[]> {
  const rows = await db.$queryRawUnsafe<LoggedRow[]>(
    `SELECT ${COLUMNS} FROM "PacketTransition"
     WHERE "runId" = $1::uuid AND sequence > $2 ORDER BY sequence LIMIT $3`,
    runId,
    after,
    limit,
  );
  return rows.map(transitionOf);
}

/** The sequence of a run's latest packet move (0: none). */
export async function packetLogHead(db: Db, runId: string): Promise<number> {
  const run = await db.syncRun.findUnique({ where: { id: runId }, select: { packetTransitionCount: true } });
  return run?.packetTransitionCount ?? 0;
}

function transitionOf(row: LoggedRow): PacketTransition {
  return {
    runId: row.runId,
    eventSequence: Number(row.sequence),
    packetId: row.packetId,
    sequence: Number(row.packetSequence),
    label: row.label,
    from: row.from,
    to: row.to,
    attempts: Number(row.attempts),
    remoteId: row.remoteId,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    at: row.at,
  };
}

const COLUMNS = `"runId", sequence, "packetId", "packetSequence", label, "from"::text AS "from", "to"::text AS "to",
  attempts, "remoteId", "errorCode", "errorMessage", to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at`;

/**
 * $1 packets, $2 the states they moved to, $3 the states they moved from where given ($4 true), else
 * read from the log (arrays, in move order). The details come from the packets' rows as they are now.
 */
const LOG_PACKET_MOVES = `
  WITH moves AS (
    SELECT m.ord, m.id, m."to", p."runId", p.sequence AS "packetSequence", p.label, p.attempts,
           p."remoteId", p."errorCode", p."errorMessage",
           CASE WHEN m.given THEN m."from" ELSE (
             SELECT t."to"::text FROM "PacketTransition" t WHERE t."packetId" = m.id
             ORDER BY t.sequence DESC LIMIT 1) END AS "from",
           m.given
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bool[]) WITH ORDINALITY AS m(id, "to", "from", given, ord)
    JOIN "SyncPacket" p ON p.id = m.id
  ), kept AS (
    SELECT moves.*, row_number() OVER (PARTITION BY "runId" ORDER BY ord) AS n
    FROM moves WHERE given OR "from" IS DISTINCT FROM "to"
  ), counters AS (
    UPDATE "SyncRun" r SET "packetTransitionCount" = r."packetTransitionCount" + c.n
    FROM (SELECT "runId", count(*)::int AS n FROM kept GROUP BY "runId") c
    WHERE r.id = c."runId"
    RETURNING r.id, r."packetTransitionCount" - c.n AS base
  )
  INSERT INTO "PacketTransition" ("runId", sequence, "packetId", "packetSequence", label, "from", "to",
    attempts, "remoteId", "errorCode", "errorMessage", at)
  SELECT k."runId", c.base + k.n, k.id, k."packetSequence", k.label, k."from"::"PacketState",
         k."to"::"PacketState", k.attempts, k."remoteId", k."errorCode", k."errorMessage",
         clock_timestamp() AT TIME ZONE 'UTC'
  FROM kept k JOIN counters c ON c.id = k."runId"
  RETURNING ${COLUMNS}`;
