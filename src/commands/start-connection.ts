import { z } from "zod";
import { startFlow } from "../connections/flows.ts";
import { PLATFORM_KEYS } from "../platforms/catalog.ts";
import { type Actor, runCommand, type Target } from "./command.ts";
import type { ConnectionDeps } from "./connection-deps.ts";
import { text, validate } from "./validate.ts";

const StartConnectionInput = z.object({
  platform: z.enum(PLATFORM_KEYS),
  name: text(200).nullish(),
  returnUrl: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .max(2000, "must be at most 2000 characters")
    .nullish(),
});

/**
 * Starts connecting a platform through its authorization page (or connecting `integration` again): a
 * flow with a single-use, expiring state and a PKCE challenge, and the URL to open in the user's browser.
 */
export async function startConnection(
  deps: ConnectionDeps,
  viewer: Actor,
  input: z.input<typeof StartConnectionInput> & { integration: Target | null },
): Promise<{ connectionId: string; authorizationUrl: string; expiresAt: Date }> {
  const { integration, ...rest } = input;
  const valid = validate(StartConnectionInput, rest);
  return runCommand(deps, async (tx) => {
    const { flow, authorizationUrl } = await startFlow(tx, deps.config, viewer, {
      platform: valid.platform,
      name: valid.name ?? null,
      integration,
      returnUrl: valid.returnUrl ?? null,
      redirectUri: deps.connections.callbackUrl(),
    });
    return { result: { connectionId: flow.id, authorizationUrl, expiresAt: flow.expiresAt } };
  });
}
