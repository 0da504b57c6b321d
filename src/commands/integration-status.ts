import { disconnect, pause, resume } from "../integrations/lifecycle.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";

/**
 * disconnectIntegration, pauseIntegration and resumeIntegration: one integration in, its status moved by
 * the lifecycle (a repeated disconnect or pause changes nothing and announces nothing).
 */

type StatusChange = typeof disconnect;

function changeStatus(change: StatusChange) {
  return (deps: CommandDeps, viewer: Actor, target: Target): Promise<{ integrationId: string }> =>
    runCommand(deps, async (tx) => {
      const { integration, changed, events } = await change(tx, viewer.tenantId, target);
      return {
        result: { integrationId: integration.id },
        events,
        // A resumed integration may have work waiting; a paused or disconnected one simply finds none.
        ...(changed && { notify: { integrationId: integration.id } }),
      };
    });
}

/** Disconnects an integration and cancels its queued runs. */
export const disconnectIntegration = changeStatus(disconnect);
/** Pauses an integration: no scheduled or queued work runs until it is resumed. */
export const pauseIntegration = changeStatus(pause);
/** Resumes a PAUSED integration. */
export const resumeIntegration = changeStatus(resume);
