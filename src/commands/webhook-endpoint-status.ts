import { setEndpointEnabled } from "../webhooks/endpoints.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";

function setEnabled(enabled: boolean) {
  return (deps: CommandDeps, viewer: Actor, target: Target): Promise<{ endpointId: string }> =>
    runCommand(deps, async (tx) => {
      const { endpoint, events } = await setEndpointEnabled(tx, viewer.tenantId, target, enabled);
      return { result: { endpointId: endpoint.id }, events };
    });
}

/** Enables an endpoint (after a person disabled it, or after a day of failures): its waiting deliveries resume in order. */
export const enableWebhookEndpoint = setEnabled(true);
/** Disables an endpoint: it receives nothing new; what waits for it stays until it is enabled. */
export const disableWebhookEndpoint = setEnabled(false);
