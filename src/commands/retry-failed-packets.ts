import { InvalidStateError, NotFoundError } from "../errors.ts";
import { retryFailedPackets as retryPackets } from "../push/packets.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";

/** Puts a finished push run's FAILED packets back in line, mapped with the rules as they are now. */
export function retryFailedPackets(
  deps: CommandDeps,
  viewer: Actor,
  target: Target,
): Promise<{ runId: string; retried: number }> {
  return runCommand(deps, async (tx) => {
    const run = await tx.syncRun.findFirst({ where: { id: target.id, tenantId: viewer.tenantId } });
    if (run?.kind !== "PUSH") throw new NotFoundError("SyncRun", target.globalId);
    if (run.status !== "SUCCEEDED")
      throw new InvalidStateError("Only a finished push run's packets can be retried", run.status);
    const { retried, events } = await retryPackets(tx, run);
    if (retried === 0) throw new InvalidStateError("The run has no failed packets", run.status);
    return { result: { runId: run.id, retried }, events, notify: { integrationId: run.integrationId } };
  });
}
