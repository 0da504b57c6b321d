import type { z } from "zod";
import { reconnect } from "../integrations/lifecycle.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";
import { Credentials, encryptCredentials } from "./credentials.ts";
import { validate } from "./validate.ts";

/**
 * Reconnects an integration with fresh credentials given directly (API keys; tokens obtained elsewhere).
 * A DISCONNECTED or ERROR one queues its initial sync again; one that NEEDS_AUTHORIZATION resumes its
 * waiting work.
 */
export async function reconnectIntegration(
  deps: CommandDeps,
  viewer: Actor,
  input: { integration: Target; credentials: z.input<typeof Credentials> },
): Promise<{ integrationId: string; syncRunId: string | null }> {
  const credentials = validate(Credentials, input.credentials, ["input", "credentials"]);
  const sealed = encryptCredentials(deps.config, credentials);
  return runCommand(deps, async (tx) => {
    const { integration, run, events } = await reconnect(tx, viewer, input.integration, sealed);
    return {
      result: { integrationId: integration.id, syncRunId: run?.id ?? null },
      events,
      notify: { integrationId: integration.id },
    };
  });
}
