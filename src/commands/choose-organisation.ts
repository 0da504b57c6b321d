import { z } from "zod";
import { chosenOrganisation, completeFlow } from "../connections/flows.ts";
import { type Actor, runCommand, type Target } from "./command.ts";
import type { ConnectionDeps } from "./connection-deps.ts";
import { text, validate } from "./validate.ts";

const ChooseOrganisationInput = z.object({ remoteTenantId: text(200) });

/**
 * Completes a connection whose authorization granted several organisations with the one the client
 * chose: the integration is connected (its initial sync queued), or reconnected (its work resumes).
 */
export async function chooseOrganisation(
  deps: ConnectionDeps,
  viewer: Actor,
  input: { connection: Target; remoteTenantId: string },
): Promise<{ integrationId: string; syncRunId: string | null }> {
  const { remoteTenantId } = validate(ChooseOrganisationInput, { remoteTenantId: input.remoteTenantId });
  return runCommand(deps, async (tx) => {
    const chosen = await chosenOrganisation(
      tx,
      deps.config,
      viewer.tenantId,
      input.connection,
      remoteTenantId,
    );
    const done = await completeFlow(tx, deps.config, chosen.flow, chosen.organisation, chosen.tokens);
    return {
      result: { integrationId: done.integrationId, syncRunId: done.syncRunId },
      events: done.events,
      notify: { integrationId: done.integrationId },
    };
  });
}
