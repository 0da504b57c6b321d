import { z } from "zod";
import { sqlOf } from "../db/client.ts";
import { InvalidStateError, NotFoundError } from "../errors.ts";
import { resolveConflict } from "../sync/export-state.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";
import { validate } from "./validate.ts";

const Keep = z.enum(["LOCAL", "REMOTE"], { message: "must be LOCAL or REMOTE" });

/**
 * Resolves an export held as CONFLICT (the integration's policy is ASK): LOCAL sends the edit after all,
 * overwriting the platform's value; REMOTE keeps the platform's value and drops the edit.
 */
export function resolveExportConflict(
  deps: CommandDeps,
  viewer: Actor,
  input: { item: Target; keep: string },
): Promise<{ exportItemId: string }> {
  const keep = validate(Keep, input.keep, ["input", "keep"]);
  return runCommand(deps, async (tx) => {
    const { id, globalId } = input.item;
    const item = await tx.exportItem.findFirst({
      where: { id, integration: { tenantId: viewer.tenantId } },
      select: { id: true, status: true, integrationId: true },
    });
    if (!item) throw new NotFoundError("ExportItem", globalId);
    const resolved = await resolveConflict(sqlOf(tx), item.id, keep);
    if (!resolved) throw new InvalidStateError(`Export item ${globalId} holds no conflict`, item.status);
    return {
      result: { exportItemId: item.id },
      events: [{ topic: "queueProgress", integrationId: item.integrationId }],
      // A local win is work for the engine again.
      ...(keep === "LOCAL" ? { notify: { integrationId: item.integrationId, preempt: false } } : {}),
    };
  });
}
