import type { SqlPool } from "../db/client.ts";
import { ClaimQueue } from "../engine/claims.ts";
import type { Settlement } from "../engine/settlement.ts";
import type { TransitionTable } from "../engine/transitions.ts";
import type { DomainEvent } from "../events.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { ConflictPolicy, ExportItemStatus } from "../generated/prisma/enums.ts";
import { redactText } from "../redact.ts";

/**
 * An outbox item's status, and the only code that writes it (sync/export.ts creates items PENDING and
 * coalesces new values into waiting ones; it never changes a status). Claims, unclaims and the recovery
 * of a lost activation's claims go through the engine's one claim path (engine/claims.ts) with this
 * table, fenced by the claiming activation's token.
 *
 * A send whose outcome is unknown leaves the item IN_DOUBT: where the platform honours idempotency keys
 * it is resent with its key (IN_DOUBT → SENDING); elsewhere the remote object is read first
 * (IN_DOUBT → VERIFYING) and the item settled by what is there: SENT if the value is there, back to
 * PENDING if not. A remote value that differs from both the value the edit was based on and the edit
 * itself is a CONFLICT, decided by the integration's policy.
 */
export const EXPORT_TRANSITIONS: TransitionTable<ExportItemStatus> = {
  PENDING: ["SENDING"],
  /**
   * Back to PENDING: the budget said wait, a 429, a transient failure to retry. IN_DOUBT: its outcome is
   * unknown. CONFLICT or SKIPPED: the platform's value changed since the last pull (seen before sending).
   */
  SENDING: ["PENDING", "SENT", "FAILED", "IN_DOUBT", "CONFLICT", "SKIPPED"],
  /** Claimed again: resent with its key, or read back first. */
  IN_DOUBT: ["SENDING", "VERIFYING"],
  /**
   * SENT: the value is there (no write). PENDING: it is not (sent again). IN_DOUBT: the read failed or
   * was cut off. CONFLICT or SKIPPED: someone else's value is there. FAILED: the object is gone.
   */
  VERIFYING: ["SENT", "PENDING", "IN_DOUBT", "CONFLICT", "SKIPPED", "FAILED"],
  /** Resolved: the local edit is sent after all, or the platform's value is kept. */
  CONFLICT: ["PENDING", "SKIPPED"],
  SENT: [],
  FAILED: [],
  SKIPPED: [],
};

/** Items that still wait to reach the platform (CONFLICT waits for a person, not for the engine). */
export const OPEN_EXPORT_STATUSES: ExportItemStatus[] = ["PENDING", "SENDING", "IN_DOUBT", "VERIFYING"];

/** A known value (null is a value), or undefined when none is known. */
export type Known = { value: Prisma.JsonValue } | undefined;

export interface ClaimedExport {
  id: string;
  integrationId: string;
  entity: string;
  remoteId: string;
  field: string;
  value: Prisma.JsonValue;
  idempotencyKey: string;
  attempts: number;
  status: ExportItemStatus;
  claimedFrom: ExportItemStatus;
  /** The value the edit was based on (a JSON null: the field was empty). */
  baseValue: Prisma.JsonValue;
  /** Whether a base value was known when the edit was enqueued. */
  baseKnown: boolean;
  enqueuedAt: Date;
  /** The object's mirrored record (as last pulled) and when it was last written; null: never pulled. */
  mirror: { data: Prisma.JsonValue; at: string } | null;
  /** The last value of this field an export sent, and when; null: none. */
  lastSent: { value: Prisma.JsonValue; at: string } | null;
  /** Whether other fields of the same object wait too (so one call may carry them: claimSameObject). */
  otherFields: boolean;
  /** Refused in a call with other fields (refusedTogether): it goes out in a call of its own. */
  sendAlone: boolean;
}

const ITEM = `"ExportItem"`;
/** An older item for the same object and field still on its way: this one waits behind it. */
const BEHIND_AN_OLDER_ONE = `NOT EXISTS (
  SELECT 1 FROM ${ITEM} older
  WHERE older."integrationId" = ${ITEM}."integrationId" AND older."remoteId" = ${ITEM}."remoteId"
    AND older.entity = ${ITEM}.entity AND older.field = ${ITEM}.field AND older.sequence < ${ITEM}.sequence
    AND older.status IN (${OPEN_EXPORT_STATUSES.map((s) => `'${s}'`).join(", ")}))`;

/**
 * A claimed item with what its conflict check needs: the object's mirror and the field's last export,
 * looked up only for an edit that knows what it was based on (without a base there is nothing to check).
 */
const RETURNING = `id, "integrationId", entity, "remoteId", field, value, "idempotencyKey", attempts,
  status::text AS status, "baseValue", "baseValue" IS NOT NULL AS "baseKnown", "enqueuedAt",
  CASE WHEN "baseValue" IS NOT NULL THEN
    (SELECT jsonb_build_object('data', r.data, 'at', r."updatedAt") FROM "SyncedRecord" r
     WHERE r."integrationId" = ${ITEM}."integrationId" AND r.entity = ${ITEM}.entity
       AND r."remoteId" = ${ITEM}."remoteId" AND NOT r.deleted) END AS mirror,
  CASE WHEN "baseValue" IS NOT NULL THEN
    (SELECT jsonb_build_object('value', s.value, 'at', s."sentAt") FROM ${ITEM} s
     WHERE s."integrationId" = ${ITEM}."integrationId" AND s."remoteId" = ${ITEM}."remoteId"
       AND s.entity = ${ITEM}.entity AND s.field = ${ITEM}.field AND s.status = 'SENT'
     ORDER BY s."sentAt" DESC LIMIT 1) END AS "lastSent",
  EXISTS (SELECT 1 FROM ${ITEM} o
    WHERE o."integrationId" = ${ITEM}."integrationId" AND o."remoteId" = ${ITEM}."remoteId"
      AND o.entity = ${ITEM}.entity AND o.field <> ${ITEM}.field AND o.status IN ('PENDING', 'IN_DOUBT'))
    AS "otherFields", "sendAlone"`;

export const exportQueue = new ClaimQueue<
  ExportItemStatus,
  Omit<ClaimedExport, "claimedFrom">,
  { id: string; integrationId: string }
>({
  table: "ExportItem",
  stateColumn: "status",
  stateType: "ExportItemStatus",
  transitions: EXPORT_TRANSITIONS,
  waiting: "PENDING",
  inFlight: "SENDING",
  inDoubt: "IN_DOUBT",
  verifying: "VERIFYING",
  dueColumn: "notBefore",
  orderColumn: "sequence",
  returning: RETURNING,
  movedReturning: `id, "integrationId"`,
  // Edits of one field reach the platform in the order they were made.
  claimable: BEHIND_AN_OLDER_ONE,
});

/** Most fields one call carries (XPM's JobUpdateRequestDto has five updatable ones). */
const MAX_FIELDS_PER_CALL = 20;

/**
 * Claims, along with a claimed item, the due items of other fields of the same remote object, so one
 * call carries them all (where the platform's update takes several fields): waiting items to be sent
 * with it, or, when it is being read back, items in doubt to be verified by the same read. Each is
 * claimable in its own right (no older edit of its field is still on its way), so edits of one field
 * still reach the platform in order, and each stays an item of its own: settled, verified and held as a
 * conflict field by field. An item refused in company (sendAlone) is sent by itself: never claimed along
 * to be sent, and a claimed one brings none along (a read back may still carry it: a read applies nothing).
 */
export async function claimSameObject(
  sql: SqlPool,
  item: ClaimedExport,
  claim: { fence: number },
): Promise<ClaimedExport[]> {
  const verifying = item.status === "VERIFYING";
  if (!verifying && item.sendAlone) return [];
  const from: ExportItemStatus = verifying ? "IN_DOUBT" : "PENDING";
  const sameObject = `${ITEM}."integrationId" = p."integrationId" AND ${ITEM}.entity = p.entity
    AND ${ITEM}."remoteId" = p."remoteId" AND ${ITEM}.field <> p.field
    ${verifying ? "" : `AND NOT ${ITEM}."sendAlone"`}`;
  return exportQueue.claimAlong(sql, item.id, sameObject, from, claim, MAX_FIELDS_PER_CALL - 1);
}

/** Records what the platform's answer to the item's write means (engine/settlement.ts decided). */
export async function settleExport(
  sql: SqlPool,
  item: ClaimedExport,
  settlement: Settlement,
  fence: number,
): Promise<void> {
  const guard = { fence, from: ["SENDING"] as ExportItemStatus[] };
  switch (settlement.kind) {
    case "done":
      await exportQueue.move(sql, item.id, "SENT", { sentAt: { sql: "now()" }, error: null }, guard);
      return;
    case "requeue":
      await exportQueue.move(sql, item.id, "PENDING", { attempts: { sql: "attempts - 1" } }, guard);
      return;
    case "failed":
      await exportQueue.move(sql, item.id, "FAILED", { error: redactText(settlement.message) }, guard);
      return;
    case "retry":
      await exportQueue.move(
        sql,
        item.id,
        "PENDING",
        { error: redactText(settlement.message), notBefore: settlement.notBefore },
        guard,
      );
      return;
    case "inDoubt":
      await exportQueue.move(
        sql,
        item.id,
        "IN_DOUBT",
        { error: redactText(`outcome unknown: ${settlement.message}`), notBefore: settlement.notBefore },
        guard,
      );
      return;
  }
}

/**
 * The platform refused a call that carried the item with other fields of its object. A refusal (a 4xx,
 * or XPM's 500 that says what is wrong with the request: engine/settlement.ts "failed", code
 * PLATFORM_REJECTED) applied none of them, so each goes back in line to be sent once more in a call of
 * its own: the field the platform will not take is refused (and FAILED) alone, the others are applied.
 * Never for a call whose outcome is unknown (it may have been applied): that stays in doubt.
 */
export async function refusedTogether(
  sql: SqlPool,
  item: ClaimedExport,
  message: string,
  fence: number,
): Promise<void> {
  await exportQueue.move(
    sql,
    item.id,
    "PENDING",
    {
      sendAlone: { sql: "true" },
      notBefore: null,
      error: redactText(
        `refused in a call with other fields of its object (${message}); sent on its own next`,
      ),
    },
    { fence, from: ["SENDING"] },
  );
}

/** What reading back an in-doubt item found. */
export type Verification =
  /** The edit's value is there: it was applied. */
  | { kind: "applied"; remote: unknown }
  /** It is not, and nobody else changed the field: send it (again). */
  | { kind: "notApplied"; remote: unknown }
  /** Someone else's value is there. */
  | { kind: "conflict"; remote: unknown }
  /** The object is gone or cannot be read: give up. */
  | { kind: "failed"; message: string }
  /** The read failed transiently (or was refused for now): read again later. */
  | { kind: "again"; notBefore: Date | null; countAttempt: boolean; message: string };

/** Records what the read of an in-doubt item found; a conflict is decided by `policy`. */
export async function settleVerification(
  sql: SqlPool,
  item: ClaimedExport,
  found: Verification,
  policy: ConflictPolicy,
  fence: number,
): Promise<DomainEvent[]> {
  const guard = { fence, from: ["VERIFYING"] as ExportItemStatus[] };
  switch (found.kind) {
    case "applied":
      await exportQueue.move(
        sql,
        item.id,
        "SENT",
        { sentAt: { sql: "now()" }, error: null, remoteValue: { json: found.remote } },
        guard,
      );
      return [];
    case "notApplied":
      await exportQueue.move(
        sql,
        item.id,
        "PENDING",
        { notBefore: null, remoteValue: { json: found.remote } },
        guard,
      );
      return [];
    case "conflict":
      return holdConflict(sql, item, found.remote, policy, fence, "VERIFYING");
    case "failed":
      await exportQueue.move(sql, item.id, "FAILED", { error: redactText(found.message) }, guard);
      return [];
    case "again":
      await exportQueue.move(
        sql,
        item.id,
        "IN_DOUBT",
        {
          error: redactText(`outcome unknown: ${found.message}`),
          notBefore: found.notBefore,
          ...(found.countAttempt ? {} : { attempts: { sql: "attempts - 1" } }),
        },
        guard,
      );
      return [];
  }
}

/**
 * A claimed item whose field holds someone else's value on the platform: ASK holds it as CONFLICT with
 * both values, REMOTE_WINS drops it (SKIPPED), LOCAL_WINS lets it be sent (from SENDING it goes out now;
 * from VERIFYING it goes back in line), its base moved to the value it overwrites. Every policy records
 * the values and tells the host. Returns the events (none when the move lost a race).
 */
export async function holdConflict(
  sql: SqlPool,
  item: ClaimedExport,
  remote: unknown,
  policy: ConflictPolicy,
  fence: number,
  from: "SENDING" | "VERIFYING",
): Promise<DomainEvent[]> {
  const guard = { fence, from: [from] };
  const seen = { remoteValue: { json: remote }, conflictAt: { sql: "now()" } };
  let moved: unknown;
  if (policy === "ASK") {
    moved = await exportQueue.move(
      sql,
      item.id,
      "CONFLICT",
      { ...seen, error: "the platform's value changed since the last pull" },
      guard,
    );
  } else if (policy === "REMOTE_WINS") {
    moved = await exportQueue.move(
      sql,
      item.id,
      "SKIPPED",
      { ...seen, error: "not sent: the platform's value was kept (conflict policy REMOTE_WINS)" },
      guard,
    );
  } else if (from === "VERIFYING") {
    moved = await exportQueue.move(
      sql,
      item.id,
      "PENDING",
      { ...seen, baseValue: { json: remote }, notBefore: null },
      guard,
    );
  } else {
    // Sent now, as it is: only the record of what it overwrites changes.
    moved = await sql
      .query(
        `UPDATE ${ITEM} SET "remoteValue" = $2::jsonb, "conflictAt" = now(), "baseValue" = $2::jsonb
       WHERE id = $1::uuid AND status = 'SENDING' AND fence = $3::bigint RETURNING id`,
        [item.id, JSON.stringify(remote ?? null), fence],
      )
      .then((rows) => rows[0] ?? null);
  }
  return moved ? [exportConflictSeen(item, policy)] : [];
}

/** The event telling the host about a conflict (and the queue figures that now count it). */
function exportConflictSeen(
  item: Pick<ClaimedExport, "id" | "integrationId">,
  policy: ConflictPolicy,
): DomainEvent {
  return { topic: "exportConflict", integrationId: item.integrationId, exportItemId: item.id, policy };
}

/**
 * A person resolves a held conflict: LOCAL sends the edit after all (its base becomes the value it will
 * overwrite, so it is not held again unless the platform's value changes once more), REMOTE keeps the
 * platform's value. Returns the item's id if it moved (null: it was not CONFLICT any more).
 */
export async function resolveConflict(
  sql: SqlPool,
  itemId: string,
  keep: "LOCAL" | "REMOTE",
): Promise<{ id: string; integrationId: string } | null> {
  const row =
    keep === "LOCAL"
      ? await exportQueue.move(
          sql,
          itemId,
          "PENDING",
          { baseValue: { sql: `"remoteValue"` }, notBefore: null, error: null, attempts: 0 },
          { from: ["CONFLICT"] },
        )
      : await exportQueue.move(
          sql,
          itemId,
          "SKIPPED",
          { error: "not sent: the platform's value was kept (resolved by a person)" },
          { from: ["CONFLICT"] },
        );
  return row ? { id: row.id, integrationId: row.integrationId } : null;
}
