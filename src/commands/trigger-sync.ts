import type { SyncKind } from "../generated/prisma/enums.ts";
import { findOwnIntegration } from "../integrations/lifecycle.ts";
import { queuePullRun } from "../sync/runs.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";

/** "Sync now": queues a pull run of `kind`, or returns the one of that kind already queued or running. */
export function triggerSync(
  deps: CommandDeps,
  viewer: Actor,
  input: { integration: Target; kind: SyncKind },
): Promise<{ runId: string; alreadyQueued: boolean }> {
  return runCommand(deps, async (tx) => {
    const { id, globalId } = input.integration;
    const integration = await findOwnIntegration(tx, viewer.tenantId, id, globalId);
    const { run, created, events } = await queuePullRun(tx, integration, input.kind, {
      trigger: "USER",
      requestedById: viewer.memberId,
    });
    return {
      result: { runId: run.id, alreadyQueued: !created },
      events,
      // A run already queued or running is known to the engine.
      ...(created && { notify: { integrationId: integration.id } }),
    };
  });
}
