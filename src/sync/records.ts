import { createHash } from "node:crypto";
import { asSql, type SqlLike, type SqlPool } from "../db/client.ts";
import type { ListedWindow, RemoteRecord } from "../platforms/pull.ts";
import { CURRENT_XID_SQL, type Position } from "../records/position.ts";

export interface UpsertCounts {
  created: number;
  updated: number;
  unchanged: number;
  /** Position of the page's first change (null: nothing created or rewritten). */
  first: Position | null;
}

/** SQL: the next change sequence number (src/records/position.ts). */
const NEXT_SEQ_SQL = `nextval('"SyncedRecord_changeSeq_seq"')`;

/** Hash of a canonical JSON form (keys sorted), so key order never makes a record look changed. */
export function contentHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Mirrors one page of pulled records into SyncedRecord in one statement: new ones are inserted, changed
 * ones (by content hash) rewritten, unchanged ones left alone but marked as seen by this run (for deletion
 * reconciling). The page travels as one JSON parameter and PostgreSQL does the matching, so a page of
 * thousands of records costs one round trip and no per-row work in the ORM (which, for pages this size,
 * spent seconds compiling a createMany and blocked the event loop meanwhile).
 */
export async function upsertRecords(
  db: SqlLike,
  target: { integrationId: string; entity: string; runId: string },
  records: RemoteRecord[],
): Promise<UpsertCounts> {
  const tx = asSql(db);
  const total: UpsertCounts = { created: 0, updated: 0, unchanged: 0, first: null };
  // The last copy of a record wins if a page repeats one.
  const latest = [...new Map(records.map((record) => [record.remoteId, record])).values()];
  // A listing with no paging (XPM's client list, a year of time entries) can hold hundreds of thousands
  // of records: they go in statements of STATEMENT_RECORDS, so hashing and serializing one holds the
  // event loop for milliseconds, not seconds (the worker's heartbeats and other calls go on meanwhile).
  for (let start = 0; start < latest.length; start += STATEMENT_RECORDS) {
    const counts = await upsertChunk(tx, target, latest.slice(start, start + STATEMENT_RECORDS));
    total.created += counts.created;
    total.updated += counts.updated;
    total.unchanged += counts.unchanged;
    // Positions grow through the transaction: the first chunk with a change holds the page's first.
    total.first ??= counts.first;
  }
  return total;
}

/** Records mirrored per statement (see upsertRecords). */
const STATEMENT_RECORDS = 2_000;

async function upsertChunk(
  tx: SqlPool,
  target: { integrationId: string; entity: string; runId: string },
  latest: RemoteRecord[],
): Promise<UpsertCounts> {
  const page = JSON.stringify(
    latest.map((record) => ({
      remoteId: record.remoteId,
      data: record.data ?? null,
      contentHash: contentHash(record.data),
      remoteUpdatedAt: record.remoteUpdatedAt?.toISOString() ?? null,
    })),
  );
  const [row] = await tx.query<{
    created: number;
    updated: number;
    unchanged: number;
    xid: string;
    firstSeq: string | null;
  }>(UPSERT_PAGE, [page, target.integrationId, target.entity, target.runId, new Date().toISOString()], {
    prepared: true,
  });
  return {
    created: Number(row!.created),
    updated: Number(row!.updated),
    unchanged: Number(row!.unchanged),
    first: row!.firstSeq === null ? null : { xid: row!.xid, seq: row!.firstSeq },
  };
}

/**
 * $1 the page (JSON array), $2 integration, $3 entity, $4 run, $5 the write time. The data-modifying
 * CTEs see one snapshot: `existing` is the state before the page, and the three writes touch disjoint rows.
 * Created and rewritten records take a new change position (the transaction's id, a fresh sequence
 * number), which is how delta readers find them; records seen unchanged keep theirs.
 */
const UPSERT_PAGE = `
  WITH incoming AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb)
      AS r("remoteId" text, data jsonb, "contentHash" text, "remoteUpdatedAt" timestamp(3))
  ), existing AS (
    SELECT s.id, s."remoteId", s."contentHash", s.deleted
    FROM "SyncedRecord" s JOIN incoming i ON i."remoteId" = s."remoteId"
    WHERE s."integrationId" = $2::uuid AND s.entity = $3
  ), inserted AS (
    INSERT INTO "SyncedRecord"
      (id, "integrationId", entity, "remoteId", data, "remoteUpdatedAt", "contentHash", deleted,
       "createdAt", "updatedAt", "lastRunId", "changeXid", "changeSeq")
    SELECT gen_random_uuid(), $2::uuid, $3, i."remoteId", i.data, i."remoteUpdatedAt", i."contentHash", false,
           $5::timestamp(3), $5::timestamp(3), $4::uuid, ${CURRENT_XID_SQL}, ${NEXT_SEQ_SQL}
    FROM incoming i
    WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e."remoteId" = i."remoteId")
    RETURNING "changeSeq"
  ), rewritten AS (
    UPDATE "SyncedRecord" s
    SET data = i.data, "remoteUpdatedAt" = i."remoteUpdatedAt", "contentHash" = i."contentHash",
        deleted = false, "deletedAt" = NULL, "updatedAt" = $5::timestamp(3), "lastRunId" = $4::uuid,
        "changeXid" = ${CURRENT_XID_SQL}, "changeSeq" = ${NEXT_SEQ_SQL}
    FROM incoming i JOIN existing e ON e."remoteId" = i."remoteId"
    WHERE s.id = e.id AND (e."contentHash" <> i."contentHash" OR e.deleted)
    RETURNING s."changeSeq"
  ), seen AS (
    -- Seen, not rewritten: only the run marker moves (no content write, no updatedAt bump).
    UPDATE "SyncedRecord" s SET "lastRunId" = $4::uuid
    FROM incoming i JOIN existing e ON e."remoteId" = i."remoteId"
    WHERE s.id = e.id AND e."contentHash" = i."contentHash" AND NOT e.deleted
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM inserted)::int AS created,
         (SELECT count(*) FROM rewritten)::int AS updated,
         (SELECT count(*) FROM seen)::int AS unchanged,
         ${CURRENT_XID_SQL}::text AS xid,
         (SELECT min(c."changeSeq") FROM (SELECT "changeSeq" FROM inserted
                                          UNION ALL SELECT "changeSeq" FROM rewritten) c)::text AS "firstSeq"`;

/**
 * After a complete listing (of the entity, or of a date window of it): records this run did not see
 * there were deleted on the platform. They stay as
 * tombstones (deleted, with the time found), at a new change position, so delta readers learn of it.
 */
export async function reconcileDeletions(
  db: SqlLike,
  target: { integrationId: string; entity: string; runId: string },
  /** Only records dated inside this window (the pull listed it in full, not the whole entity). */
  window: ListedWindow | null = null,
): Promise<{ count: number; first: Position | null }> {
  const [row] = await asSql(db).query<{ count: number; xid: string; firstSeq: string | null }>(
    `WITH gone AS (
       UPDATE "SyncedRecord"
       SET deleted = true, "deletedAt" = $3::timestamp(3), "updatedAt" = $3::timestamp(3),
           "changeXid" = ${CURRENT_XID_SQL}, "changeSeq" = ${NEXT_SEQ_SQL}
       WHERE "integrationId" = $1::uuid AND entity = $2 AND NOT deleted
         AND ("lastRunId" IS NULL OR "lastRunId" <> $4::uuid)
         AND ($5::text IS NULL OR left(data ->> $5::text, 10) BETWEEN $6::text AND $7::text)
       RETURNING "changeSeq")
     SELECT count(*)::int AS count, ${CURRENT_XID_SQL}::text AS xid, min("changeSeq")::text AS "firstSeq"
     FROM gone`,
    [
      target.integrationId,
      target.entity,
      new Date().toISOString(),
      target.runId,
      window?.field ?? null,
      window?.from ?? null,
      window?.to ?? null,
    ],
    { prepared: true },
  );
  const count = Number(row!.count);
  return { count, first: row!.firstSeq === null ? null : { xid: row!.xid, seq: row!.firstSeq } };
}
