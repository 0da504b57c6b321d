import { z } from "zod";
import { findOwnIntegration } from "../integrations/lifecycle.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";
import { validate } from "./validate.ts";

const Policy = z.enum(["LOCAL_WINS", "REMOTE_WINS", "ASK"], {
  message: "must be LOCAL_WINS, REMOTE_WINS or ASK",
});

/**
 * Chooses what happens to an integration's exports whose remote field was changed on the platform since
 * the last pull: sent anyway (LOCAL_WINS), dropped (REMOTE_WINS), or held for a person (ASK). Applies to
 * conflicts seen from now on; items already held stay held until resolved.
 */
export function setExportConflictPolicy(
  deps: CommandDeps,
  viewer: Actor,
  input: { integration: Target; policy: string },
): Promise<{ integrationId: string }> {
  const policy = validate(Policy, input.policy, ["input", "policy"]);
  return runCommand(deps, async (tx) => {
    const integration = await findOwnIntegration(
      tx,
      viewer.tenantId,
      input.integration.id,
      input.integration.globalId,
    );
    await tx.integration.update({ where: { id: integration.id }, data: { conflictPolicy: policy } });
    return { result: { integrationId: integration.id } };
  });
}
