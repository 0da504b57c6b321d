import { z } from "zod";
import type { WebhookEventType } from "../generated/prisma/enums.ts";
import { updateEndpoint } from "../webhooks/endpoints.ts";
import { checkTargetUrl } from "../webhooks/targets.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";
import { validate } from "./validate.ts";
import { DESCRIPTION, EVENTS, URL_TEXT } from "./webhook-input.ts";

const UpdateWebhookEndpointInput = z.object({
  url: URL_TEXT.nullish(),
  events: EVENTS.nullish(),
  description: DESCRIPTION.nullish(),
});

/** Changes an endpoint's URL, events or description (fields left out stay as they are). */
export async function updateWebhookEndpoint(
  deps: CommandDeps,
  viewer: Actor,
  input: {
    endpoint: Target;
    url?: string | null;
    events?: WebhookEventType[] | null;
    description?: string | null;
  },
): Promise<{ endpointId: string }> {
  const valid = validate(UpdateWebhookEndpointInput, input);
  const url = valid.url
    ? checkTargetUrl(valid.url, deps.config.webhooks.allowPrivateTargets, ["input", "url"]).toString()
    : undefined;
  return runCommand(deps, async (tx) => {
    const endpoint = await updateEndpoint(tx, viewer.tenantId, input.endpoint, {
      ...(url ? { url } : {}),
      ...(valid.events ? { events: valid.events } : {}),
      ...(valid.description !== undefined && valid.description !== null
        ? { description: valid.description }
        : {}),
    });
    return { result: { endpointId: endpoint.id } };
  });
}
