import type { SqlPool } from "../db/client.ts";

/**
 * Deliveries that are over (DELIVERED, or FAILED: given up) are kept for the retention, to be listed with
 * their attempts and replayed by hand, then deleted with their attempts (the scheduler's housekeeping).
 * Deliveries still PENDING are never pruned, whatever their age (a disabled endpoint's wait for it to be
 * enabled again). Deleted per endpoint on its (endpoint, createdAt) index, a batch per statement: a
 * delivery ends after it was written, so every one over before the cutoff was also written before it.
 */

/** Deliveries deleted per statement. */
const BATCH = 1000;

/** $1 endpoint, $2 cutoff, $3 batch size. Attempts go with their delivery (ON DELETE CASCADE). */
const PRUNE_SQL = `
  DELETE FROM "WebhookDelivery" WHERE id IN (
    SELECT id FROM "WebhookDelivery"
    WHERE "endpointId" = $1::uuid AND "createdAt" < ($2::timestamptz AT TIME ZONE 'UTC')
      AND ((status = 'DELIVERED' AND "deliveredAt" < ($2::timestamptz AT TIME ZONE 'UTC'))
        OR (status = 'FAILED' AND "lastAttemptAt" < ($2::timestamptz AT TIME ZONE 'UTC')))
    ORDER BY "createdAt"
    LIMIT $3
    FOR UPDATE SKIP LOCKED)
  RETURNING 1`;

/**
 * Deletes deliveries delivered or given up before `before`, with their attempts, in batches, until done
 * or past `deadline` (ms since epoch). Safe to stop anywhere and run again.
 */
export async function pruneDeliveries(
  sql: SqlPool,
  before: Date,
  options: { deadline?: number; batch?: number } = {},
): Promise<{ deleted: number; done: boolean }> {
  const batch = options.batch ?? BATCH;
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  let deleted = 0;
  const endpoints = await sql.query<{ id: string }>(`SELECT id FROM "WebhookEndpoint" ORDER BY id`);
  for (const endpoint of endpoints) {
    for (;;) {
      if (Date.now() > deadline) return { deleted, done: false };
      const rows = await sql.query(PRUNE_SQL, [endpoint.id, before.toISOString(), batch]);
      deleted += rows.length;
      if (rows.length < batch) break;
    }
  }
  return { deleted, done: true };
}
