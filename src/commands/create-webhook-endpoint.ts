import { z } from "zod";
import { encryptSecret } from "../auth/secrets.ts";
import type { WebhookEventType } from "../generated/prisma/enums.ts";
import { createEndpoint } from "../webhooks/endpoints.ts";
import { generateSecret } from "../webhooks/signing.ts";
import { checkTargetUrl } from "../webhooks/targets.ts";
import { type Actor, type CommandDeps, runCommand } from "./command.ts";
import { validate } from "./validate.ts";
import { DESCRIPTION, EVENTS, URL_TEXT } from "./webhook-input.ts";

const CreateWebhookEndpointInput = z.object({
  url: URL_TEXT,
  events: EVENTS,
  description: DESCRIPTION.nullish(),
});

/**
 * Registers a webhook endpoint for the tenant, with a new signing secret: returned here, once, and
 * stored only encrypted (it must be recoverable to sign).
 */
export async function createWebhookEndpoint(
  deps: CommandDeps,
  viewer: Actor,
  input: { url: string; events: WebhookEventType[]; description?: string | null },
): Promise<{ endpointId: string; secret: string }> {
  const valid = validate(CreateWebhookEndpointInput, input);
  const url = checkTargetUrl(valid.url, deps.config.webhooks.allowPrivateTargets, ["input", "url"]);
  const secret = generateSecret();
  return runCommand(deps, async (tx) => {
    const endpoint = await createEndpoint(tx, viewer.tenantId, {
      url: url.toString(),
      events: valid.events,
      description: valid.description ?? "",
      secretEncrypted: encryptSecret(deps.config.encryptionKey, secret),
    });
    return { result: { endpointId: endpoint.id, secret } };
  });
}
