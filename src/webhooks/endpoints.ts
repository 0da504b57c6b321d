import { InvalidStateError, NotFoundError } from "../errors.ts";
import type { DomainEvent } from "../events.ts";
import type { Prisma, WebhookDelivery, WebhookEndpoint } from "../generated/prisma/client.ts";
import type { WebhookEventType } from "../generated/prisma/enums.ts";
import { CURRENT_XID_SQL } from "../records/position.ts";
import { moveEndpoint } from "./endpoint-state.ts";

/**
 * A tenant's webhook endpoints: registering, changing, enabling, disabling and removing them, and
 * replaying a delivery by hand. Each runs inside the caller's transaction and returns the events to
 * publish after it commits. Another tenant's endpoint or delivery is "not found".
 */

type Tx = Prisma.TransactionClient;
type Target = { id: string; globalId: string };

export async function findOwnEndpoint(tx: Tx, tenantId: string, target: Target): Promise<WebhookEndpoint> {
  const endpoint = await tx.webhookEndpoint.findFirst({ where: { id: target.id, tenantId } });
  if (!endpoint) throw new NotFoundError("WebhookEndpoint", target.globalId);
  return endpoint;
}

export function createEndpoint(
  tx: Tx,
  tenantId: string,
  input: { url: string; events: WebhookEventType[]; description: string; secretEncrypted: string },
): Promise<WebhookEndpoint> {
  return tx.webhookEndpoint.create({ data: { tenantId, ...input } });
}

export async function updateEndpoint(
  tx: Tx,
  tenantId: string,
  target: Target,
  changes: { url?: string; events?: WebhookEventType[]; description?: string; secretEncrypted?: string },
): Promise<WebhookEndpoint> {
  await findOwnEndpoint(tx, tenantId, target);
  return tx.webhookEndpoint.update({ where: { id: target.id }, data: changes });
}

/** Removes an endpoint with its deliveries and their attempts. */
export async function deleteEndpoint(tx: Tx, tenantId: string, target: Target): Promise<WebhookEndpoint> {
  const endpoint = await findOwnEndpoint(tx, tenantId, target);
  await tx.webhookEndpoint.delete({ where: { id: endpoint.id } });
  return endpoint;
}

/** Enables or disables an endpoint; doing it twice changes nothing. */
export async function setEndpointEnabled(
  tx: Tx,
  tenantId: string,
  target: Target,
  enabled: boolean,
): Promise<{ endpoint: WebhookEndpoint; events: DomainEvent[] }> {
  const endpoint = await findOwnEndpoint(tx, tenantId, target);
  if ((endpoint.status === "ACTIVE") === enabled) return { endpoint, events: [] };
  const moved = enabled
    ? await moveEndpoint(tx, endpoint, "ACTIVE", { disabledReason: null, disabledAt: null })
    : await moveEndpoint(tx, endpoint, "DISABLED", {
        disabledReason: "Disabled by a person",
        disabledAt: new Date(),
      });
  return { endpoint: moved.endpoint ?? endpoint, events: moved.events };
}

/**
 * Queues a delivery again, by hand: the same event (id and body) as a new delivery at the end of the
 * endpoint's line, signed afresh when it goes. The endpoint must be enabled.
 */
export async function replayDelivery(tx: Tx, tenantId: string, target: Target): Promise<WebhookDelivery> {
  const original = await tx.webhookDelivery.findFirst({
    where: { id: target.id, endpoint: { tenantId } },
    include: { endpoint: { select: { status: true } } },
  });
  if (!original) throw new NotFoundError("WebhookDelivery", target.globalId);
  if (original.endpoint.status !== "ACTIVE")
    throw new InvalidStateError("The endpoint is disabled: enable it first", original.endpoint.status);
  const [row] = await tx.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO "WebhookDelivery" (id, "endpointId", "eventId", "eventType", body, "replayOfId", "commitXid",
                                    sequence, "createdAt", "nextAttemptAt")
     SELECT gen_random_uuid(), "endpointId", "eventId", "eventType", body, id, ${CURRENT_XID_SQL},
            nextval('"WebhookDelivery_sequence_seq"'), now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
     FROM "WebhookDelivery" WHERE id = $1::uuid
     RETURNING id`,
    original.id,
  );
  return tx.webhookDelivery.findUniqueOrThrow({ where: { id: row!.id } });
}
