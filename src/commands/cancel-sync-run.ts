import { cancelRun } from "../sync/runs.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";

/** Cancels a queued, deferred or running run; a page already in flight finishes, no further one starts. */
export function cancelSyncRun(deps: CommandDeps, viewer: Actor, target: Target): Promise<{ runId: string }> {
  return runCommand(deps, async (tx) => {
    const { run, events } = await cancelRun(tx, viewer.tenantId, target);
    return { result: { runId: run.id }, events };
  });
}
