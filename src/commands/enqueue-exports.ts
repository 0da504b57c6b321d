import { z } from "zod";
import { findOwnIntegration } from "../integrations/lifecycle.ts";
import { enqueueEdits, validateEdits } from "../sync/export.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";
import { boundedJson, storable, validate } from "./validate.ts";

/** Most edits one call may carry. */
export const MAX_ITEMS_PER_CALL = 10_000;

const countRule = `must hold 1 to ${MAX_ITEMS_PER_CALL} items`;
const Edits = z
  .array(
    z.object({
      entity: storable(100),
      remoteId: storable(255),
      field: storable(100),
      value: boundedJson().optional(),
    }),
  )
  .min(1, countRule)
  .max(MAX_ITEMS_PER_CALL, countRule);

/**
 * Accepts local edits into the integration's outbox, all or none; what each edit may change is the
 * platform's (validateEdits). The engine drains them under the export reserve.
 */
export function enqueueExports(
  deps: CommandDeps,
  viewer: Actor,
  input: { integration: Target; items: z.input<typeof Edits> },
): Promise<{ integrationId: string; added: number; coalesced: number; superseded: number }> {
  const edits = validate(Edits, input.items, ["input", "items"]).map((edit) => ({
    ...edit,
    value: edit.value ?? null,
  }));
  return runCommand(deps, async (tx) => {
    const { id, globalId } = input.integration;
    const integration = await findOwnIntegration(tx, viewer.tenantId, id, globalId);
    validateEdits(integration.platform, edits, ["input", "items"]);
    const counts = await enqueueEdits(tx, integration.id, edits);
    return {
      result: { integrationId: integration.id, ...counts },
      events: [{ topic: "queueProgress", integrationId: integration.id }],
      // Exports need not wake call slots that sleep for export budget.
      notify: { integrationId: integration.id, preempt: false },
    };
  });
}
