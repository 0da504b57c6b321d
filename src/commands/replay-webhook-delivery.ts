import { replayDelivery } from "../webhooks/endpoints.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";

/** Sends a delivery's event again, by hand, as a new delivery at the end of its endpoint's line. */
export function replayWebhookDelivery(
  deps: CommandDeps,
  viewer: Actor,
  target: Target,
): Promise<{ deliveryId: string }> {
  return runCommand(deps, async (tx) => {
    const delivery = await replayDelivery(tx, viewer.tenantId, target);
    return { result: { deliveryId: delivery.id } };
  });
}
