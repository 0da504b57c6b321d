import { z } from "zod";
import { findOwnIntegration } from "../integrations/lifecycle.ts";
import { updateIntegrationSettings as writeIntegrationSettings } from "../settings/update.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";
import { validate } from "./validate.ts";

const EntitySettingsInput = z.object({
  entity: z.string(),
  enabled: z.boolean().nullable().optional(),
  fetchOnFirstLink: z.boolean().nullable().optional(),
  customFields: z
    .array(z.string().trim().min(1, "must not be empty").max(100))
    .max(50, "at most 50 custom fields")
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
