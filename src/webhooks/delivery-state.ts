import type { SqlPool } from "../db/client.ts";
import type { TransitionTable } from "../engine/transitions.ts";
import type { WebhookDeliveryStatus } from "../generated/prisma/enums.ts";

/**
 * A delivery's status, and the only code that writes it (deliveries are created PENDING by the outbox,
 * host-events.ts, or by a replay). A delivery is PENDING until the endpoint answers 2xx (DELIVERED), or
 * until it has failed for more than a day (FAILED: given up, replayable by hand as a new delivery).
 */
export const DELIVERY_TRANSITIONS: TransitionTable<WebhookDeliveryStatus> = {
  PENDING: ["DELIVERED", "FAILED"],
  DELIVERED: [],
  FAILED: [],
};

/** One attempt's outcome, as the worker saw it. */
export interface AttemptOutcome {
  at: Date;
  status: number | null;
  ms: number;
  error: string | null;
}

/**
 * Records an attempt and what it means for the delivery, in the caller's transaction: DELIVERED on a 2xx,
 * back to PENDING until `retryAt`, or FAILED (given up) when `retryAt` is null. Only a PENDING delivery
 * moves. Returns whether it moved.
 */
export async function settleDelivery(
  sql: SqlPool,
  deliveryId: string,
  attempt: AttemptOutcome,
  outcome: { delivered: true } | { delivered: false; retryAt: Date | null },
): Promise<boolean> {
  const status: WebhookDeliveryStatus = outcome.delivered
    ? "DELIVERED"
    : outcome.retryAt
      ? "PENDING"
      : "FAILED";
  const rows = await sql.query(
    `WITH moved AS (
       UPDATE "WebhookDelivery"
       SET status = $2::"WebhookDeliveryStatus", "attemptCount" = "attemptCount" + 1,
           "firstAttemptAt" = coalesce("firstAttemptAt", $3::timestamptz AT TIME ZONE 'UTC'),
           "lastAttemptAt" = $3::timestamptz AT TIME ZONE 'UTC',
           "deliveredAt" = CASE WHEN $2 = 'DELIVERED' THEN $3::timestamptz AT TIME ZONE 'UTC' END,
           "nextAttemptAt" = coalesce($4::timestamptz AT TIME ZONE 'UTC', "nextAttemptAt")
       WHERE id = $1::uuid AND status = 'PENDING'
       RETURNING id)
     INSERT INTO "WebhookAttempt" (id, "deliveryId", "attemptedAt", "responseStatus", "responseTimeMs", error)
     SELECT gen_random_uuid(), id, $3::timestamptz AT TIME ZONE 'UTC', $5::int, $6::int, $7::text FROM moved
     RETURNING "deliveryId"`,
    [
      deliveryId,
      status,
      attempt.at.toISOString(),
      outcome.delivered ? null : (outcome.retryAt?.toISOString() ?? null),
      attempt.status,
      Math.round(attempt.ms),
      attempt.error,
    ],
  );
  return rows.length > 0;
}
