import { z } from "zod";
import { findOwnIntegration } from "../integrations/lifecycle.ts";
import { EXPORT_RESERVE_MODES } from "../settings/effective.ts";
import { updateIntegrationSettings as writeIntegrationSettings } from "../settings/update.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";
import { jsonBounds, storable, text, validate } from "./validate.ts";

/** Most custom fields one entity's settings may choose, and the longest name of one. */
const MAX_CUSTOM_FIELDS = 50;
const MAX_CUSTOM_FIELD_NAME = 100;

const EntitySettingsInput = z.object({
  entity: storable(100),
  enabled: z.boolean().nullable().optional(),
  fetchOnFirstLink: z.boolean().nullable().optional(),
  // Stored as given: every name bounded, and the selection as a whole through the same bounded-JSON
  // check as export values (a flat list, at most 8 KB as JSON).
  customFields: z
    .array(text(MAX_CUSTOM_FIELD_NAME))
    .max(MAX_CUSTOM_FIELDS, `at most ${MAX_CUSTOM_FIELDS} custom fields`)
    .superRefine(jsonBounds({ maxBytes: 8_192, maxDepth: 1 }))
    .nullable()
    .optional(),
  frequencyMinutes: z
    .number()
    .int()
    .min(1, "must be at least 1")
    .max(10_080, "must be at most 10080")
    .nullable()
    .optional(),
});

const IntegrationSettingsInput = z.object({
  summarizeData: z.boolean().nullable().optional(),
  exportReserveMode: z.enum(EXPORT_RESERVE_MODES).nullable().optional(),
  entities: z.array(EntitySettingsInput).max(50).nullable().optional(),
});

/** Changes one integration's own settings (the bottom layer): omitted fields stay, null clears. */
export function updateIntegrationSettings(
  deps: CommandDeps,
  viewer: Actor,
  input: { integration: Target } & z.input<typeof IntegrationSettingsInput>,
): Promise<{ integrationId: string }> {
  const { integration: target, ...fields } = input;
  const changes = validate(IntegrationSettingsInput, fields);
  return runCommand(deps, async (tx) => {
    const integration = await findOwnIntegration(tx, viewer.tenantId, target.id, target.globalId);
    await writeIntegrationSettings(tx, integration, changes, ["input", "entities"]);
    return { result: { integrationId: integration.id } };
  });
}
