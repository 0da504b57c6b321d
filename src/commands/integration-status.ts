import { disconnect, pause, resume } from "../integrations/lifecycle.ts";
import { logger } from "../logger.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";
import type { ConnectionDeps } from "./connection-deps.ts";

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

/**
 * Disconnects an integration and cancels its queued runs, then gives its authorization back: revoked at
 * the platform, then forgotten here. Should the platform not answer, the scheduler's sweep revokes it
 * later (the integration is disconnected either way; its credentials are never used again).
 */
export async function disconnectIntegration(
  deps: ConnectionDeps,
  viewer: Actor,
  target: Target,
): Promise<{ integrationId: string }> {
  const result = await changeStatus(disconnect)(deps, viewer, target);
  const released = await deps.connections.release.releaseIntegration(result.integrationId).catch((err) => {
    logger.warn({ err, integrationId: result.integrationId }, "credentials not released; the sweep retries");
    return "platform unavailable" as const;
  });
  if (released === "platform unavailable")
    logger.warn(
      { integrationId: result.integrationId },
      "platform did not take the revocation; the sweep retries",
    );
  return result;
}
/** Pauses an integration: no scheduled or queued work runs until it is resumed. */
export const pauseIntegration = changeStatus(pause);
/** Resumes a PAUSED integration. */
export const resumeIntegration = changeStatus(resume);
