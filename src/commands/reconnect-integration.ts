import type { z } from "zod";
import { reconnect } from "../integrations/lifecycle.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";
import { Credentials, encryptCredentials } from "./credentials.ts";
import { validate } from "./validate.ts";

/** Reconnects a DISCONNECTED or ERROR integration with fresh credentials and queues its initial sync. */
export async function reconnectIntegration(
  deps: CommandDeps,
  viewer: Actor,
  input: { integration: Target; credentials: z.input<typeof Credentials> },
): Promise<{ integrationId: string; syncRunId: string }> {
  const credentials = validate(Credentials, input.credentials, ["input", "credentials"]);
  const credentialsEncrypted = encryptCredentials(deps.config, credentials);
  return runCommand(deps, async (tx) => {
    const { integration, run, events } = await reconnect(tx, viewer, input.integration, credentialsEncrypted);
    return {
      result: { integrationId: integration.id, syncRunId: run.id },
      events,
      notify: { integrationId: integration.id },
    };
  });
}
