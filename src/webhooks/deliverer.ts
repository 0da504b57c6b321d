import { randomUUID } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { decryptSecret } from "../auth/secrets.ts";
import type { Config } from "../config.ts";
import type { SqlPool } from "../db/client.ts";
import type { DomainEvent } from "../events.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { logger } from "../logger.ts";
import { SETTLED_BELOW_SQL } from "../records/position.ts";
import { redactText } from "../redact.ts";
import { MAX_DELIVERY_ATTEMPTS, retryDelayMs } from "./backoff.ts";
import { type AttemptOutcome, settleDelivery } from "./delivery-state.ts";
import { moveEndpoint } from "./endpoint-state.ts";
import { signedHeaders } from "./signing.ts";
import { publicOnlyLookup } from "./targets.ts";

/**
 * The webhook delivery worker (worker role): a loop of its own beside the engine, so deliveries never
 * hold up a sync, and one endpoint never holds up another. Each tick it finds endpoints whose next
 * delivery is due, leases each (one worker per endpoint at a time, across processes), and sends that
 * endpoint's deliveries one after another in outbox order — only deliveries whose transaction has
 * settled (records/position.ts), so a late commit cannot be overtaken by a later event. A failed attempt
 * stops the endpoint's line until its retry is due (later events wait behind it: ordered per endpoint),
 * while other endpoints go on, up to `concurrency` at once. Delivery is at least once: a receiver
 * de-duplicates by `webhook-id`.
 */
export interface DelivererOptions {
  prisma: PrismaClient;
  sql: SqlPool;
  config: Pick<Config, "encryptionKey" | "time" | "webhooks">;
  /** Publishes events after their change committed (an endpoint disabled). */
  publish(events: readonly DomainEvent[]): void;
}

/** Deliveries an endpoint's lease covers before it is handed back (others get their turn). */
const BATCH = 50;

export class WebhookDeliverer {
  private readonly owner = randomUUID();
  private readonly busy = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };

  constructor(private readonly options: DelivererOptions) {}

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.running]);
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick()
        .catch((err) => logger.warn({ err }, "webhook tick failed"))
        .finally(() => this.schedule(this.options.config.webhooks.pollIntervalMs));
    }, ms);
  }

  /** Leases the endpoints whose next delivery is due, as many as there are free slots, and drains each. */
  private async tick() {
    const { config, sql } = this.options;
    const free = config.webhooks.concurrency - this.busy.size;
    if (free <= 0) return;
    const leaseMs = (config.webhooks.timeoutMs + 1000) * BATCH;
    const due = await sql.query<{ id: string; tenantId: string; url: string; secretEncrypted: string }>(
      `UPDATE "WebhookEndpoint" SET "leaseUntil" = (now() AT TIME ZONE 'UTC') + $2::int * interval '1 millisecond',
              "leaseOwner" = $3
       WHERE id IN (
         SELECT e.id FROM "WebhookEndpoint" e
         CROSS JOIN LATERAL (
           SELECT d."commitXid", d."nextAttemptAt" FROM "WebhookDelivery" d
           WHERE d."endpointId" = e.id AND d.status = 'PENDING'
           ORDER BY d."commitXid", d.sequence LIMIT 1) head
         WHERE e.status = 'ACTIVE' AND NOT (e.id = ANY($4::uuid[]))
           AND (e."leaseUntil" IS NULL OR e."leaseUntil" < now() AT TIME ZONE 'UTC')
           AND head."commitXid" < ${SETTLED_BELOW_SQL} AND head."nextAttemptAt" <= now() AT TIME ZONE 'UTC'
         ORDER BY head."nextAttemptAt"
         LIMIT $1
         FOR UPDATE OF e SKIP LOCKED)
       RETURNING id, "tenantId", url, "secretEncrypted"`,
      [free, leaseMs, this.owner, [...this.busy]],
    );
    for (const endpoint of due) {
      this.busy.add(endpoint.id);
      const drained: Promise<void> = this.drain(endpoint)
        .catch((err) => logger.warn({ err, endpointId: endpoint.id }, "webhook delivery failed"))
        .finally(() => {
          this.busy.delete(endpoint.id);
          this.running.delete(drained);
        });
      this.running.add(drained);
    }
  }

  /** Sends an endpoint's due deliveries in order until one fails or the batch is done, then hands it back. */
  private async drain(endpoint: { id: string; tenantId: string; url: string; secretEncrypted: string }) {
    const { sql, config } = this.options;
    try {
      const secret = decryptSecret(config.encryptionKey, endpoint.secretEncrypted);
      const deliveries = await sql.query<{
        id: string;
        eventId: string;
        body: string;
        attemptCount: number;
        due: boolean;
      }>(
        `SELECT id, "eventId", body, "attemptCount", "nextAttemptAt" <= now() AT TIME ZONE 'UTC' AS due
         FROM "WebhookDelivery"
         WHERE "endpointId" = $1::uuid AND status = 'PENDING' AND "commitXid" < ${SETTLED_BELOW_SQL}
         ORDER BY "commitXid", sequence LIMIT $2`,
        [endpoint.id, BATCH],
      );
      for (const delivery of deliveries) {
        if (!delivery.due || this.stopped) break;
        const attempt = await this.send(endpoint.url, secret, delivery);
        if (!(await this.settle(endpoint, delivery, attempt))) break;
      }
    } finally {
      await sql.query(
        `UPDATE "WebhookEndpoint" SET "leaseUntil" = NULL, "leaseOwner" = NULL WHERE id = $1::uuid AND "leaseOwner" = $2`,
        [endpoint.id, this.owner],
      );
    }
  }

  /** Records the attempt; a failure schedules the retry, or gives up and disables the endpoint. Returns whether it was delivered. */
  private async settle(
    endpoint: { id: string; tenantId: string },
    delivery: { id: string; attemptCount: number },
    attempt: AttemptOutcome,
  ): Promise<boolean> {
    const { prisma, config } = this.options;
    const delivered = attempt.status !== null && attempt.status >= 200 && attempt.status < 300;
    if (delivered) {
      await settleDelivery(this.options.sql, delivery.id, attempt, { delivered: true });
      return true;
    }
    const wait = retryDelayMs(delivery.attemptCount + 1, config.time);
    if (wait !== null) {
      await settleDelivery(this.options.sql, delivery.id, attempt, {
        delivered: false,
        retryAt: new Date(attempt.at.getTime() + attempt.ms + wait),
      });
      return false;
    }
    // A day of failures: the delivery is given up, the endpoint disabled, the tenant told.
    const events = await prisma.$transaction(async (tx) => {
      await settleDelivery(
        { query: (text, params) => tx.$queryRawUnsafe(text, ...(params ?? [])) },
        delivery.id,
        attempt,
        { delivered: false, retryAt: null },
      );
      const moved = await moveEndpoint(tx, endpoint, "DISABLED", {
        disabledAt: new Date(),
        disabledReason: `A delivery failed ${MAX_DELIVERY_ATTEMPTS} times over more than a day (last: ${
          attempt.error ?? `HTTP ${attempt.status}`
        }); enable the endpoint to resume its waiting deliveries, replay the failed one by hand`,
      });
      return moved.events;
    });
    logger.warn(
      { endpointId: endpoint.id, tenantId: endpoint.tenantId },
      "webhook endpoint disabled after a day of failures",
    );
    this.options.publish(events);
    return false;
  }

  /** POSTs one delivery, signed now; never follows redirects; reads (and drops) at most 64 KB of the answer. */
  private send(
    url: string,
    secret: string,
    delivery: { eventId: string; body: string },
  ): Promise<AttemptOutcome> {
    const { webhooks } = this.options.config;
    const at = new Date();
    const started = performance.now();
    const target = new URL(url);
    const client = target.protocol === "https:" ? https : http;
    return new Promise((resolve) => {
      const done = (status: number | null, error: string | null) =>
        resolve({ at, status, ms: performance.now() - started, error });
      const request = client.request(
        target,
        {
          method: "POST",
          agent: target.protocol === "https:" ? this.agents.https : this.agents.http,
          timeout: webhooks.timeoutMs,
          headers: {
            "content-type": "application/json",
            "user-agent": "syncline-webhooks/1",
            ...signedHeaders(secret, delivery.eventId, delivery.body, at),
          },
          ...(webhooks.allowPrivateTargets ? {} : { lookup: publicOnlyLookup as never }),
        },
        (response) => {
          let read = 0;
          response.on("data", (chunk: Buffer) => {
            read += chunk.length;
            if (read > 65_536) response.destroy();
          });
          response.on("end", () => done(response.statusCode ?? null, null));
          response.on("close", () => done(response.statusCode ?? null, null));
          response.on("error", () => done(response.statusCode ?? null, null));
        },
      );
      request.on("timeout", () => request.destroy(new Error(`no answer within ${webhooks.timeoutMs} ms`)));
      request.on("error", (err: NodeJS.ErrnoException) => done(null, describeFailure(err)));
      request.end(delivery.body);
    });
  }
}

/**
 * A failure as it is stored and shown: its kind, never anything the receiver sent; any other message
 * redacted (the second line of defence: anything credential-shaped never reaches WebhookAttempt.error).
 */
export function describeFailure(err: NodeJS.ErrnoException): string {
  if (err.code === "ENOTPUBLIC") return "refused: the target resolves to a non-public address";
  if (err.code === "ECONNREFUSED") return "connection refused";
  if (err.code === "ENOTFOUND") return "host not found";
  return redactText(err.message).slice(0, 200);
}
