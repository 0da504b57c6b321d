import { z } from "zod";
import { InvalidStateError } from "../errors.ts";
import { findOwnIntegration } from "../integrations/lifecycle.ts";
import {
  type IngestResult,
  MAX_ORDERS_PER_CALL,
  type OrderInput,
  validateOrders,
  ingestOrders as writeOrders,
} from "../push/orders.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";
import { validate } from "./validate.ts";

const Orders = z
  .array(z.unknown())
  .max(MAX_ORDERS_PER_CALL, `must hold at most ${MAX_ORDERS_PER_CALL} orders`);

/**
 * Takes in the host's orders, idempotent by their external id. Each order is validated on its own
 * (push/orders.ts): the valid ones are written even when others are rejected, and the rejections are
 * returned, not thrown.
 */
export function ingestOrders(
  deps: CommandDeps,
  viewer: Actor,
  input: { integration: Target | null; orders: readonly OrderInput[] },
): Promise<IngestResult> {
  validate(Orders, input.orders, ["input", "orders"]);
  const { valid, rejected } = validateOrders(input.orders);
  return runCommand(deps, async (tx) => {
    let integrationId: string | null = null;
    if (input.integration) {
      const { id, globalId } = input.integration;
      const integration = await findOwnIntegration(tx, viewer.tenantId, id, globalId);
      if (integration.platform !== "XERO_ACCOUNTING")
        throw new InvalidStateError("Orders go to accounting integrations", integration.platform);
      integrationId = integration.id;
    }
    const counts = await writeOrders(tx, { tenantId: viewer.tenantId, integrationId }, valid);
    return { result: { ...counts, rejected } };
  });
}
