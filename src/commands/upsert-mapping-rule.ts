import { z } from "zod";
import { MappingSourceType, MappingTargetType } from "../generated/prisma/enums.ts";
import { findOwnIntegration } from "../integrations/lifecycle.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";
import { text, validate } from "./validate.ts";

const MappingRuleInput = z.object({
  sourceType: z.enum(MappingSourceType),
  /** Null or omitted: the default rule of its source type (stored as ""). */
  sourceValue: z
    .string()
    .trim()
    .min(1, "must not be empty (omit it for the default rule)")
    .max(200)
    .nullish(),
  targetType: z.enum(MappingTargetType),
  targetValue: text(200),
});

/** Creates a mapping rule, or replaces the one for the same source type and value. */
export function upsertMappingRule(
  deps: CommandDeps,
  viewer: Actor,
  input: { integration: Target } & z.input<typeof MappingRuleInput>,
): Promise<{ ruleId: string }> {
  const { integration: target, ...fields } = input;
  const rule = validate(MappingRuleInput, fields);
  return runCommand(deps, async (tx) => {
    const integration = await findOwnIntegration(tx, viewer.tenantId, target.id, target.globalId);
    const key = {
      integrationId: integration.id,
      sourceType: rule.sourceType,
      sourceValue: rule.sourceValue ?? "",
    };
    const mapsTo = { targetType: rule.targetType, targetValue: rule.targetValue };
    const stored = await tx.mappingRule.upsert({
      where: { integrationId_sourceType_sourceValue: key },
      create: { ...key, ...mapsTo },
      update: mapsTo,
    });
    return { result: { ruleId: stored.id } };
  });
}
