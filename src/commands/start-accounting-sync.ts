import { findOwnIntegration } from "../integrations/lifecycle.ts";
import { queuePushRun } from "../sync/runs.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";

/** Queues an accounting push, or returns the one already queued or running. */
export function startAccountingSync(
  deps: CommandDeps,
  viewer: Actor,
  target: Target,
): Promise<{ runId: string; alreadyQueued: boolean }> {
  return runCommand(deps, async (tx) => {
    const integration = await findOwnIntegration(tx, viewer.tenantId, target.id, target.globalId);
    const { run, created, events } = await queuePushRun(tx, integration, { requestedById: viewer.memberId });
    return {
      result: { runId: run.id, alreadyQueued: !created },
      events,
      // A run already queued or running is known to the engine.
      ...(created && { notify: { integrationId: integration.id } }),
    };
  });
}
