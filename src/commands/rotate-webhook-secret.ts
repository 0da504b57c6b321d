import { encryptSecret } from "../auth/secrets.ts";
import { updateEndpoint } from "../webhooks/endpoints.ts";
import { generateSecret } from "../webhooks/signing.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";

/** Gives an endpoint a new signing secret, returned here once; deliveries from now on are signed with it. */
export function rotateWebhookSecret(
  deps: CommandDeps,
  viewer: Actor,
  target: Target,
): Promise<{ endpointId: string; secret: string }> {
  const secret = generateSecret();
  return runCommand(deps, async (tx) => {
    const endpoint = await updateEndpoint(tx, viewer.tenantId, target, {
      secretEncrypted: encryptSecret(deps.config.encryptionKey, secret),
    });
    return { result: { endpointId: endpoint.id, secret } };
  });
}
