import { z } from "zod";
import { connect } from "../integrations/lifecycle.ts";
import { PLATFORM_KEYS } from "../platforms/catalog.ts";
import { type Actor, type CommandDeps, runCommand } from "./command.ts";
import { Credentials, encryptCredentials } from "./credentials.ts";
import { text, validate } from "./validate.ts";

const ConnectIntegrationInput = z.object({
  platform: z.enum(PLATFORM_KEYS),
  name: text(200),
  remoteTenantId: text(200),
  credentials: Credentials,
});

/** Connects a platform and queues its initial sync; continuous connections count towards its limit. */
export async function connectIntegration(
  deps: CommandDeps,
  viewer: Actor,
  input: z.input<typeof ConnectIntegrationInput>,
): Promise<{ integrationId: string; syncRunId: string }> {
  const { credentials, ...connection } = validate(ConnectIntegrationInput, input);
  const sealed = encryptCredentials(deps.config, credentials);
  return runCommand(deps, async (tx) => {
    const { integration, run, events } = await connect(tx, viewer, { ...connection, ...sealed });
    return {
      result: { integrationId: integration.id, syncRunId: run.id },
      events,
      notify: { integrationId: integration.id },
    };
  });
}
