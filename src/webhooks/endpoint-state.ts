import type { Db } from "../db/transaction.ts";
import { sourcesOf, type TransitionTable } from "../engine/transitions.ts";
import type { DomainEvent } from "../events.ts";
import type { Prisma, WebhookEndpoint } from "../generated/prisma/client.ts";
import type { WebhookEndpointStatus } from "../generated/prisma/enums.ts";

/**
 * A webhook endpoint's status, and the only code that writes it: enabled and disabled by a person, or
 * disabled by the delivery worker after a day of failures. Each move tells the tenant
 * (webhookEndpointChanged), after commit.
 */
export const ENDPOINT_TRANSITIONS: TransitionTable<WebhookEndpointStatus> = {
  ACTIVE: ["DISABLED"],
  /** Enabled again: its waiting deliveries resume, in order. */
  DISABLED: ["ACTIVE"],
};

export function endpointChanged(endpoint: Pick<WebhookEndpoint, "id" | "tenantId">): DomainEvent[] {
  return [{ topic: "webhookEndpointChanged", tenantId: endpoint.tenantId, endpointId: endpoint.id }];
}

/** Moves an endpoint to `to` if its status allows; returns it after the move, or null. */
export async function moveEndpoint(
  db: Db,
  endpoint: Pick<WebhookEndpoint, "id" | "tenantId">,
  to: WebhookEndpointStatus,
  data: Omit<Prisma.WebhookEndpointUpdateManyMutationInput, "status"> = {},
): Promise<{ endpoint: WebhookEndpoint | null; events: DomainEvent[] }> {
  const [moved] = await db.webhookEndpoint.updateManyAndReturn({
    where: { id: endpoint.id, status: { in: sourcesOf(ENDPOINT_TRANSITIONS, to) } },
    data: { ...data, status: to },
  });
  return { endpoint: moved ?? null, events: moved ? endpointChanged(moved) : [] };
}
