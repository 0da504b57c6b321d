import { deleteEndpoint } from "../webhooks/endpoints.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";

/** Removes an endpoint, with its waiting deliveries and its delivery history. */
export function deleteWebhookEndpoint(
  deps: CommandDeps,
  viewer: Actor,
  target: Target,
): Promise<{ endpointId: string }> {
  return runCommand(deps, async (tx) => {
    const endpoint = await deleteEndpoint(tx, viewer.tenantId, target);
    return { result: { endpointId: endpoint.id } };
  });
}
