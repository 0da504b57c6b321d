import { ValidationError } from "../errors.ts";

/**
 * Where a change sits in the stream a reader follows. Every create, update and delete of a mirrored
 * record (and every webhook outbox row) is stamped with the id of the transaction that wrote it and a
 * sequence number: its position is (transaction id, sequence). Transaction ids are handed out when a
 * transaction first writes, so a slow transaction can commit long after faster ones with higher ids; a
 * reader that simply took "everything above the last position seen" would step over its rows for good.
 * So readers are only ever handed positions below the oldest transaction still running
 * (`pg_snapshot_xmin` of their own snapshot): every transaction below it has ended, nothing can be written
 * below it any more, and a later write always lands above any position already handed out. The outbox
 * readers of change-data-capture systems use the same rule.
 */
export interface Position {
  /** The writing transaction's id (xid8, as a decimal string). */
  xid: string;
  /** The change's sequence number (a decimal string). */
  seq: string;
}

/** The position before every change: a reader with no cursor starts here. */
export const ZERO: Position = { xid: "0", seq: "0" };

/** SQL: the position the current transaction's next change takes (use both in one statement). */
export const CURRENT_XID_SQL = "(pg_current_xact_id())::text::bigint";
/** SQL: every position whose transaction id is below this is final (all those transactions have ended). */
export const SETTLED_BELOW_SQL = "(pg_snapshot_xmin(pg_current_snapshot()))::text::bigint";

const CURSOR = /^v1\.(\d{1,20})\.(\d{1,20})$/;

/** An opaque cursor a reader keeps and passes back as `after`. */
export function encodeCursor(position: Position): string {
  return Buffer.from(`v1.${position.xid}.${position.seq}`).toString("base64url");
}

/** Reads a cursor back; a malformed one is a ValidationError at `path`. */
export function decodeCursor(cursor: string, path: (string | number)[]): Position {
  const match = CURSOR.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match || cursor.length > 64) throw ValidationError.at(path, "is not a cursor from this connection");
  return { xid: BigInt(match[1]!).toString(), seq: BigInt(match[2]!).toString() };
}

/** The position just before `position` in the same transaction: a reader starting there sees it next. */
export function justBefore(position: Position): Position {
  return { xid: position.xid, seq: (BigInt(position.seq) - 1n).toString() };
}
