import type { SqlPool } from "../db/client.ts";
import { encodeCursor, type Position, SETTLED_BELOW_SQL, ZERO } from "./position.ts";
import { assertCursorKept } from "./retention.ts";

/** One mirrored record as a reader gets it. */
export interface RecordRow {
  id: string;
  integrationId: string;
  entity: string;
  remoteId: string;
  data: unknown;
  remoteUpdatedAt: Date | null;
  deleted: boolean;
  deletedAt: Date | null;
  /** When syncline last changed it (created, rewritten or found deleted). */
  changedAt: Date;
  /** Its position: pass it as `after` to read what changed after it. */
  cursor: string;
}

export interface RecordFilter {
  /** Tombstones (records deleted on the platform) too; default true, as a delta reader needs them. */
  includeDeleted?: boolean;
  /** Only these remote ids. */
  remoteIds?: readonly string[];
  /** Only records syncline changed at or after this time (a starting point: it does not narrow the scan). */
  changedSince?: Date;
}

export interface RecordPage {
  rows: RecordRow[];
  /** More settled changes follow this page. */
  hasNextPage: boolean;
  /** Where to resume: the last row's cursor, or `after` itself when nothing (settled) was there. */
  cursor: string;
}

/**
 * A page of an entity's records in change order, after `after`, by keyset on (changeXid, changeSeq) —
 * the index SyncedRecord_integrationId_entity_changeXid_changeSeq_idx — and only among settled changes
 * (src/records/position.ts): so a reader who saves the cursor and asks again gets every create, update
 * and delete since, once, never stepping over a transaction that commits late. Reads only. A cursor from
 * before the entity's tombstones were pruned is refused (CursorExpiredError, records/retention.ts).
 */
export async function readRecords(
  sql: SqlPool,
  query: {
    integrationId: string;
    entity: string;
    after: Position | null;
    first: number;
    filter?: RecordFilter;
  },
): Promise<RecordPage> {
  const after = query.after ?? ZERO;
  const filter = query.filter ?? {};
  const params: unknown[] = [query.integrationId, query.entity, after.xid, after.seq, query.first + 1];
  const conditions: string[] = [];
  if (filter.includeDeleted === false) conditions.push("NOT r.deleted");
  if (filter.remoteIds) {
    params.push(filter.remoteIds);
    conditions.push(`r."remoteId" = ANY($${params.length}::text[])`);
  }
  if (filter.changedSince) {
    params.push(filter.changedSince.toISOString());
    conditions.push(`r."updatedAt" >= ($${params.length}::timestamptz AT TIME ZONE 'UTC')`);
  }
  const rows = await sql.query<{
    id: string;
    remoteId: string;
    data: unknown;
    remoteUpdatedAt: Date | string | null;
    deleted: boolean;
    deletedAt: Date | string | null;
    changedAt: Date | string;
    xid: string;
    seq: string;
  }>(
    `SELECT r.id, r."remoteId", r.data, r."remoteUpdatedAt" AT TIME ZONE 'UTC' AS "remoteUpdatedAt",
            r.deleted, r."deletedAt" AT TIME ZONE 'UTC' AS "deletedAt",
            r."updatedAt" AT TIME ZONE 'UTC' AS "changedAt", r."changeXid"::text AS xid,
            r."changeSeq"::text AS seq
     FROM "SyncedRecord" r
     WHERE r."integrationId" = $1::uuid AND r.entity = $2
       AND (r."changeXid", r."changeSeq") > ($3::bigint, $4::bigint)
       AND r."changeXid" < ${SETTLED_BELOW_SQL}
       ${conditions.map((c) => `AND ${c}`).join(" ")}
     ORDER BY r."changeXid", r."changeSeq"
     LIMIT $5`,
    params,
  );
  // A cursor below pruned tombstones would miss deletions: refused (a reader of live records only
  // needs no tombstone). Asked after the page: a prune that took one from the page had committed its mark.
  if (filter.includeDeleted !== false) await assertCursorKept(sql, query);
  const page = rows.slice(0, query.first).map(
    (row): RecordRow => ({
      id: row.id,
      integrationId: query.integrationId,
      entity: query.entity,
      remoteId: row.remoteId,
      data: row.data,
      remoteUpdatedAt: toDate(row.remoteUpdatedAt),
      deleted: row.deleted,
      deletedAt: toDate(row.deletedAt),
      changedAt: toDate(row.changedAt)!,
      cursor: encodeCursor({ xid: row.xid, seq: row.seq }),
    }),
  );
  return {
    rows: page,
    hasNextPage: rows.length > query.first,
    cursor: page.at(-1)?.cursor ?? encodeCursor(after),
  };
}

/** Timestamps are selected with their zone (stored in UTC without one, as Prisma writes them). */
function toDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}
