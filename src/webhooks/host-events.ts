import { randomUUID } from "node:crypto";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { SqlPool } from "../db/client.ts";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { WebhookEventType } from "../generated/prisma/enums.ts";
import { CURRENT_XID_SQL } from "../records/position.ts";

/**
 * What the host is told by webhook (DESIGN.md, "Records out, and webhooks"). The domain writes these
 * facts into the webhook outbox in the same transaction as the change that causes them
 * (`recordHostEvents`), one delivery per subscribed endpoint of the tenant; the delivery worker sends them
 * afterwards. Ids in bodies are the API's global ids, so a host can pass them straight back to it.
 */

/** The event types as they appear in bodies (`type`). */
export const EVENT_NAMES: Record<WebhookEventType, string> = {
  RUN_FINISHED: "run.finished",
  RECORDS_CHANGED: "records.changed",
  INTEGRATION_STATUS_CHANGED: "integration.status_changed",
  PACKET_FAILED: "packet.failed",
  DAY_BUDGET_EXHAUSTED: "budget.day_exhausted",
};

export interface HostEvent {
  type: WebhookEventType;
  /** The integration it is about (its tenant's endpoints receive it). */
  integrationId: string;
  data: Record<string, unknown>;
}

const gid = (typename: string, id: string) => encodeGlobalID(typename, id);
const iso = (at: Date | null | undefined) => at?.toISOString() ?? null;

/** A run ended: its honest status and counts, as the run row has them after the move. */
export function runFinished(run: {
  id: string;
  integrationId: string;
  kind: string;
  status: string;
  trigger: string;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  fetchedCount: number;
  createdCount: number;
  updatedCount: number;
  deletedCount: number;
  skippedCount: number;
  sentCount: number;
  failedCount: number;
}): HostEvent {
  return {
    type: "RUN_FINISHED",
    integrationId: run.integrationId,
    data: {
      integrationId: gid("Integration", run.integrationId),
      runId: gid("SyncRun", run.id),
      kind: run.kind,
      trigger: run.trigger,
      status: run.status,
      error: run.error,
      startedAt: iso(run.startedAt),
      finishedAt: iso(run.finishedAt),
      counts: {
        fetched: run.fetchedCount,
        created: run.createdCount,
        updated: run.updatedCount,
        deleted: run.deletedCount,
        skipped: run.skippedCount,
        sent: run.sentCount,
        failed: run.failedCount,
      },
    },
  };
}

/** A pull's page changed records of one entity; `cursor` is where a reader finds them. */
export function recordsChanged(change: {
  integrationId: string;
  runId: string;
  entity: string;
  created: number;
  updated: number;
  deleted: number;
  cursor: string;
}): HostEvent {
  return {
    type: "RECORDS_CHANGED",
    integrationId: change.integrationId,
    data: {
      integrationId: gid("Integration", change.integrationId),
      runId: gid("SyncRun", change.runId),
      entity: change.entity,
      created: change.created,
      updated: change.updated,
      deleted: change.deleted,
      cursor: change.cursor,
    },
  };
}

/** An integration's status changed (the row after the move). */
export function integrationStatusChanged(integration: {
  id: string;
  platform: string;
  name: string;
  status: string;
  lastError: string | null;
}): HostEvent {
  return {
    type: "INTEGRATION_STATUS_CHANGED",
    integrationId: integration.id,
    data: {
      integrationId: gid("Integration", integration.id),
      platform: integration.platform,
      name: integration.name,
      status: integration.status,
      lastError: integration.lastError,
    },
  };
}

/** A push packet failed (mapping, or the platform refused it). */
export function packetFailed(packet: {
  id: string;
  runId: string;
  integrationId: string;
  sequence: number;
  label: string;
  attempts: number;
  errorCode: string | null;
  errorMessage: string | null;
}): HostEvent {
  return {
    type: "PACKET_FAILED",
    integrationId: packet.integrationId,
    data: {
      integrationId: gid("Integration", packet.integrationId),
      runId: gid("SyncRun", packet.runId),
      packetId: gid("SyncPacket", packet.id),
      sequence: packet.sequence,
      label: packet.label,
      attempts: packet.attempts,
      errorCode: packet.errorCode,
      errorMessage: packet.errorMessage,
    },
  };
}

/** The platform's day budget is spent: the run waits until `deferredUntil`. */
export function dayBudgetExhausted(run: {
  id: string;
  integrationId: string;
  kind: string;
  deferredUntil: Date | null;
}): HostEvent {
  return {
    type: "DAY_BUDGET_EXHAUSTED",
    integrationId: run.integrationId,
    data: {
      integrationId: gid("Integration", run.integrationId),
      runId: gid("SyncRun", run.id),
      kind: run.kind,
      deferredUntil: iso(run.deferredUntil),
    },
  };
}

/**
 * Exports hit a day cap (the platform's day cap, `day`, or the export reserve's, `exportDay`): the
 * integration's waiting exports go out when the day resets, at `deferredUntil`. Sent once per platform
 * day (sync/export-budget.ts), with the cap's figure and how many exports wait.
 */
export function exportDayBudgetExhausted(notice: {
  integrationId: string;
  cap: "day" | "exportDay";
  limit: number;
  waiting: number;
  resetsAt: Date;
}): HostEvent {
  return {
    type: "DAY_BUDGET_EXHAUSTED",
    integrationId: notice.integrationId,
    data: {
      integrationId: gid("Integration", notice.integrationId),
      runId: null,
      kind: "EXPORT",
      deferredUntil: iso(notice.resetsAt),
      cap: notice.cap,
      limit: notice.limit,
      waiting: notice.waiting,
    },
  };
}

/** A Prisma transaction (or client), or raw SQL inside one. */
type Db = Prisma.TransactionClient | Pick<PrismaClient, "$executeRawUnsafe"> | SqlPool;

/**
 * Writes the events into the webhook outbox: one delivery per ACTIVE endpoint of the integration's
 * tenant that subscribes to the event's type, in one statement, inside the caller's transaction (so an
 * event exists exactly when its change committed). Each delivery is positioned by the writing
 * transaction's id and a sequence number (in the order given), which is the order an endpoint gets them in.
 */
export async function recordHostEvents(db: Db, events: readonly HostEvent[]): Promise<void> {
  if (events.length === 0) return;
  const createdAt = new Date().toISOString();
  const rows = events.map((event, n) => {
    const eventId = randomUUID();
    const body = JSON.stringify({ id: eventId, type: EVENT_NAMES[event.type], createdAt, data: event.data });
    return { n, eventId, type: event.type, integrationId: event.integrationId, body };
  });
  const payload = JSON.stringify(rows);
  if ("query" in db) await db.query(INSERT_DELIVERIES, [payload], { prepared: true });
  else await db.$executeRawUnsafe(INSERT_DELIVERIES, payload);
}

/**
 * $1 the events (JSON array). The inner query orders the rows (event, then endpoint); the outer one
 * numbers them in that order, so `sequence` follows the events' order within the transaction.
 */
const INSERT_DELIVERIES = `
  INSERT INTO "WebhookDelivery" (id, "endpointId", "eventId", "eventType", body, "commitXid", sequence,
                                 "createdAt", "nextAttemptAt")
  SELECT gen_random_uuid(), o."endpointId", o."eventId", o.type, o.body, ${CURRENT_XID_SQL},
         nextval('"WebhookDelivery_sequence_seq"'), now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
  FROM (
    SELECT e.id AS "endpointId", ev."eventId", ev.type::"WebhookEventType" AS type, ev.body
    FROM jsonb_to_recordset($1::jsonb) AS ev(n int, "eventId" uuid, type text, "integrationId" uuid, body text)
    JOIN "Integration" i ON i.id = ev."integrationId"
    JOIN "WebhookEndpoint" e ON e."tenantId" = i."tenantId" AND e.status = 'ACTIVE'
      AND ev.type::"WebhookEventType" = ANY(e.events)
    ORDER BY ev.n, e.id
  ) o`;
