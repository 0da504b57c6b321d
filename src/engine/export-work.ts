import type { SqlPool } from "../db/client.ts";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { logger } from "../logger.ts";
import { exportTarget } from "../platforms/exports.ts";
import type { CallOutcome } from "../platforms/http.ts";
import type { TimeScale } from "../time.ts";

/** The EXPORT lane's work: outbox items, claimed one at a time in arrival order. */

export interface ClaimedExport {
  id: string;
  entity: string;
  remoteId: string;
  field: string;
  value: Prisma.JsonValue;
  idempotencyKey: string;
  attempts: number;
}

/** Retries of a 5xx or timeout before an item is given up as FAILED. */
export const MAX_EXPORT_ATTEMPTS = 8;

/** The earliest time a backed-off item becomes due, if any item waits only for that. */
export async function nextExportDue(prisma: PrismaClient, integrationId: string): Promise<number | null> {
  const item = await prisma.exportItem.findFirst({
    where: { integrationId, status: "PENDING", notBefore: { gt: new Date() } },
    orderBy: { notBefore: "asc" },
    select: { notBefore: true },
  });
  return item?.notBefore?.getTime() ?? null;
}

/** Claims the oldest due item (raw SQL on the pool: this and `settleExport` run once per call). */
export async function claimExport(sql: SqlPool, integrationId: string): Promise<ClaimedExport | null> {
  const rows = await sql.query<ClaimedExport>(
    `UPDATE "ExportItem" SET status = 'SENDING', attempts = attempts + 1, "updatedAt" = now()
     WHERE id = (
       SELECT id FROM "ExportItem"
       WHERE "integrationId" = $1::uuid AND status = 'PENDING' AND ("notBefore" IS NULL OR "notBefore" <= now())
       ORDER BY sequence
       LIMIT 1
       FOR UPDATE SKIP LOCKED
     )
     RETURNING id, entity, "remoteId", field, value, "idempotencyKey", attempts`,
    [integrationId],
  );
  return rows[0] ?? null;
}

/** Puts a claimed item back in line, as it was, when the budget says wait. */
export async function unclaimExport(sql: SqlPool, item: ClaimedExport): Promise<void> {
  await sql.query(
    `UPDATE "ExportItem" SET status = 'PENDING', attempts = attempts - 1, "updatedAt" = now() WHERE id = $1`,
    [item.id],
  );
}

/**
 * Items left SENDING by a worker that died mid-call go back to PENDING. Resending them is safe: each
 * carries the same Idempotency-Key, so the platform applies it at most once. Called by the activation
 * that holds the integration's lock, so no live call is in flight for these rows.
 */
export async function requeueOrphanedExports(prisma: PrismaClient, integrationId: string): Promise<number> {
  const { count } = await prisma.exportItem.updateMany({
    where: { integrationId, status: "SENDING" },
    data: { status: "PENDING" },
  });
  return count;
}

export function exportRequest(platform: Parameters<typeof exportTarget>[0], item: ClaimedExport) {
  const target = exportTarget(platform, item.entity);
  if (!target) throw new Error(`No export target for ${platform} ${item.entity}`);
  return target.request(item.remoteId, item.field, item.value);
}

/** Records what the platform said about an item. Rate limits put it back in line, untouched. */
export async function settleExport(
  sql: SqlPool,
  item: ClaimedExport,
  outcome: CallOutcome,
  time: TimeScale,
): Promise<"sent" | "failed" | "retry" | "requeued"> {
  const update = (set: string, params: unknown[] = []) =>
    sql.query(`UPDATE "ExportItem" SET ${set}, "updatedAt" = now() WHERE id = $1`, [item.id, ...params]);
  switch (outcome.kind) {
    case "ok":
      await update(`status = 'SENT', "sentAt" = now(), error = NULL`);
      return "sent";
    case "rateLimited":
      await update("status = 'PENDING', attempts = attempts - 1");
      return "requeued";
    case "rejected":
      await update("status = 'FAILED', error = $2", [outcome.message]);
      return "failed";
    case "retryable": {
      if (item.attempts >= MAX_EXPORT_ATTEMPTS) {
        await update("status = 'FAILED', error = $2", [
          `${outcome.message} (gave up after ${item.attempts} attempts)`,
        ]);
        return "failed";
      }
      // Exponential backoff in platform seconds (2, 4, 8, … up to 5 minutes), so it compresses with time.
      const backoffSeconds = Math.min(300, 2 ** item.attempts);
      const notBefore = new Date(Date.now() + time.secondsToMs(backoffSeconds));
      await update(`status = 'PENDING', error = $2, "notBefore" = $3`, [outcome.message, notBefore]);
      logger.debug(
        { item: item.id, attempts: item.attempts, error: outcome.message },
        "export will be retried",
      );
      return "retry";
    }
  }
}
