import type { SqlPool } from "../db/client.ts";
import { CursorExpiredError } from "../errors.ts";
import { type Position, SETTLED_BELOW_SQL, ZERO } from "./position.ts";

/**
 * Tombstones are kept long enough for delta readers to see them, then pruned (the scheduler's
 * housekeeping). Pruning walks each entity's change stream from where it last stopped, in position order
 * on the records' (integration, entity, position) index, in batches: tombstones older than the retention
 * are deleted, records that still exist are stepped over, and the walk stops at the first change newer
 * than the retention. Only settled positions are walked (position.ts), so nothing can be written behind
 * the walk later: every deletion or resurrection takes a new, higher position. Each batch deletes its
 * tombstones and moves the entity's RecordPruneMark in one statement, so a reader either sees a tombstone
 * or sees the mark that says it is gone.
 *
 * A reader whose cursor lies below the newest pruned tombstone would step over that deletion without
 * knowing: it gets CURSOR_EXPIRED instead, and resyncs from a zero cursor (every record that exists).
 */

/** Records looked at per batch. */
const BATCH = 1000;

/** The (integration, entity) pairs that have records, one index probe each (a loose index scan). */
const PAIRS_SQL = `
  WITH RECURSIVE pairs AS (
    (SELECT "integrationId", entity FROM "SyncedRecord" ORDER BY "integrationId", entity LIMIT 1)
    UNION ALL
    SELECT next."integrationId", next.entity FROM pairs p CROSS JOIN LATERAL (
      SELECT r."integrationId", r.entity FROM "SyncedRecord" r
      WHERE (r."integrationId", r.entity) > (p."integrationId", p.entity)
      ORDER BY r."integrationId", r.entity LIMIT 1) next)
  SELECT p."integrationId", p.entity, coalesce(m."walkedXid", 0)::text AS xid,
         coalesce(m."walkedSeq", 0)::text AS seq
  FROM pairs p LEFT JOIN "RecordPruneMark" m ON m."integrationId" = p."integrationId" AND m.entity = p.entity`;

/** $1 integration, $2 entity, $3/$4 walked from, $5 retention cutoff, $6 batch size. */
const WALK_SQL = `
  SELECT id, (deleted AND coalesce("deletedAt", "updatedAt") < ($5::timestamptz AT TIME ZONE 'UTC')) AS doomed,
         "updatedAt" < ($5::timestamptz AT TIME ZONE 'UTC') AS old,
         "changeXid"::text AS xid, "changeSeq"::text AS seq
  FROM "SyncedRecord"
  WHERE "integrationId" = $1::uuid AND entity = $2
    AND ("changeXid", "changeSeq") > ($3::bigint, $4::bigint) AND "changeXid" < ${SETTLED_BELOW_SQL}
  ORDER BY "changeXid", "changeSeq"
  LIMIT $6`;

/**
 * $1 integration, $2 entity, $3 ids to delete, $4 cutoff, $5/$6 where the walk reached. Deletes the
 * tombstones still tombstones older than the cutoff (one resurrected or deleted again meanwhile has moved
 * on and stays), and moves the mark: the walk forward, the pruned position to the newest deleted.
 */
const PRUNE_SQL = `
  WITH doomed AS (
    DELETE FROM "SyncedRecord"
    WHERE id = ANY($3::uuid[]) AND deleted AND coalesce("deletedAt", "updatedAt") < ($4::timestamptz AT TIME ZONE 'UTC')
    RETURNING "changeXid", "changeSeq"),
  newest AS (
    SELECT "changeXid" AS xid, "changeSeq" AS seq FROM doomed ORDER BY "changeXid" DESC, "changeSeq" DESC LIMIT 1),
  marked AS (
    INSERT INTO "RecordPruneMark" AS m
      ("integrationId", entity, "walkedXid", "walkedSeq", "prunedXid", "prunedSeq", "prunedAt")
    SELECT $1::uuid, $2, $5::bigint, $6::bigint, coalesce(n.xid, 0), coalesce(n.seq, 0), now() AT TIME ZONE 'UTC'
    FROM (SELECT 1) one LEFT JOIN newest n ON true
    ON CONFLICT ("integrationId", entity) DO UPDATE SET
      ("walkedXid", "walkedSeq") = (SELECT w.x, w.s FROM (VALUES (m."walkedXid", m."walkedSeq"),
        (EXCLUDED."walkedXid", EXCLUDED."walkedSeq")) w(x, s) ORDER BY w.x DESC, w.s DESC LIMIT 1),
      ("prunedXid", "prunedSeq", "prunedAt") = (SELECT p.x, p.s, p.at FROM (VALUES
        (m."prunedXid", m."prunedSeq", m."prunedAt"),
        (EXCLUDED."prunedXid", EXCLUDED."prunedSeq", EXCLUDED."prunedAt")) p(x, s, at)
        ORDER BY p.x DESC, p.s DESC, p.at ASC LIMIT 1)
    RETURNING 1)
  SELECT (SELECT count(*) FROM doomed)::int AS deleted`;

/** What one pruning pass did. */
export interface PruneResult {
  deleted: number;
  /** Every entity was walked up to the retention (false: the pass ran out of time; the next goes on). */
  done: boolean;
}

/**
 * Deletes tombstones found deleted before `before`, in batches, until done or past `deadline` (ms since
 * epoch). Safe to stop anywhere and run again: where each entity's walk stopped is stored.
 */
export async function pruneTombstones(
  sql: SqlPool,
  before: Date,
  options: { deadline?: number; batch?: number } = {},
): Promise<PruneResult> {
  const batch = options.batch ?? BATCH;
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const cutoff = before.toISOString();
  let deleted = 0;
  const pairs = await sql.query<{ integrationId: string; entity: string; xid: string; seq: string }>(
    PAIRS_SQL,
  );
  for (const pair of pairs) {
    let walked: Position = { xid: pair.xid, seq: pair.seq };
    for (;;) {
      if (Date.now() > deadline) return { deleted, done: false };
      const rows = await sql.query<{ id: string; doomed: boolean; old: boolean; xid: string; seq: string }>(
        WALK_SQL,
        [pair.integrationId, pair.entity, walked.xid, walked.seq, cutoff, batch],
      );
      const ids: string[] = [];
      let reached = walked;
      let stopped = rows.length < batch;
      for (const row of rows) {
        // A change newer than the retention: the rest of the stream is (about) as new; stop here.
        if (!row.old) {
          stopped = true;
          break;
        }
        if (row.doomed) ids.push(row.id);
        reached = { xid: row.xid, seq: row.seq };
      }
      if (reached !== walked) {
        const [result] = await sql.query<{ deleted: number }>(PRUNE_SQL, [
          pair.integrationId,
          pair.entity,
          ids,
          cutoff,
          reached.xid,
          reached.seq,
        ]);
        deleted += result?.deleted ?? 0;
        walked = reached;
      }
      if (stopped) break;
    }
  }
  return { deleted, done: true };
}

/**
 * Refuses a reader's cursor that lies below the newest tombstone pruned from the entity: the deletions
 * it would read next may be gone. Read after the page (a prune that took a tombstone from the page's
 * snapshot had committed its mark before). No cursor (a zero one) is a full resync and always fine.
 */
export async function assertCursorKept(
  sql: SqlPool,
  query: { integrationId: string; entity: string; after: Position | null },
): Promise<void> {
  const after = query.after;
  if (!after || (after.xid === ZERO.xid && after.seq === ZERO.seq)) return;
  const [mark] = await sql.query<{ expired: boolean; prunedAt: Date | string }>(
    `SELECT ($3::bigint, $4::bigint) < ("prunedXid", "prunedSeq") AS expired,
            "prunedAt" AT TIME ZONE 'UTC' AS "prunedAt"
     FROM "RecordPruneMark" WHERE "integrationId" = $1::uuid AND entity = $2`,
    [query.integrationId, query.entity, after.xid, after.seq],
  );
  if (mark?.expired) {
    const at = mark.prunedAt instanceof Date ? mark.prunedAt : new Date(mark.prunedAt);
    throw new CursorExpiredError(query.entity, at);
  }
}
