import { asSql, type SqlLike } from "../db/client.ts";
import { redactText } from "../redact.ts";

/** $1 run, $2 level, $3 entity, $4 message, $5 data (JSON or null), $6 when: numbered after the run's last line. */
const APPEND_LINE = `
  INSERT INTO "SyncLog" (id, "runId", sequence, level, entity, message, data, "createdAt")
  SELECT gen_random_uuid(), $1::uuid, COALESCE(max(sequence), 0) + 1, $2::text::"LogLevel", $3, $4, $5::jsonb,
         $6::timestamp(3)
  FROM "SyncLog" WHERE "runId" = $1::uuid`;

/**
 * Appends a line to a run's log (what it fetched, sent, skipped), numbered in order, in one statement.
 * A VIEWER reads it, so anything credential-shaped in the message is redacted (src/redact.ts).
 */
export async function appendLog(
  db: SqlLike,
  runId: string,
  level: "INFO" | "WARN" | "ERROR",
  entity: string | null,
  message: string,
  data?: Record<string, number>,
): Promise<void> {
  await asSql(db).query(
    APPEND_LINE,
    [runId, level, entity, redactText(message), data ? JSON.stringify(data) : null, new Date().toISOString()],
    { prepared: true },
  );
}
