import { deleteMappingRule } from "../../commands/delete-mapping-rule.ts";
import { upsertMappingRule } from "../../commands/upsert-mapping-rule.ts";
import { prisma } from "../../db/client.ts";
import { builder } from "../builder.ts";
import { commandDeps, viewerOf } from "../context.ts";
import { targetOf } from "../ids.ts";
import { MappingSourceTypeEnum, MappingTargetTypeEnum } from "./enums.ts";
import { MUTATION_ERRORS } from "./errors.ts";

builder.prismaNode("MappingRule", {
  id: { field: "id" },
  description:
    "Maps a source value (revenue category, payment method, tax rate, field) to a target on the platform. A default rule (no source value) is the fallback for its source type.",
  findUnique: (id, ctx) => ({ id, integration: { tenantId: viewerOf(ctx).tenantId } }),
  fields: (t) => ({
    // Loaded by its own query for the rows returned, not joined into the parent's: a join would load it,
    // and everything selected below it, for the extra row a page reads to know whether more follow, so
    // nesting connections through it would double the work at every level.
    integration: t.prismaField({
      type: "Integration",
      description: "The integration the rule belongs to.",
      select: { integrationId: true },
      resolve: (query, row) =>
        prisma().integration.findUniqueOrThrow({ ...query, where: { id: row.integrationId } }),
    }),
    sourceType: t.field({
      type: MappingSourceTypeEnum,
      description: "What kind of value it maps.",
      select: { sourceType: true },
      resolve: (rule) => rule.sourceType,
    }),
    sourceValue: t.string({
      nullable: true,
      description: "The source value; null for the default rule.",
      select: { sourceValue: true },
      resolve: (rule) => (rule.sourceValue === "" ? null : rule.sourceValue),
    }),
    isDefault: t.boolean({
      description: "Whether this is the default rule of its source type.",
      select: { sourceValue: true },
      resolve: (rule) => rule.sourceValue === "",
    }),
    targetType: t.field({
      type: MappingTargetTypeEnum,
      description: "What kind of target it maps to.",
      select: { targetType: true },
      resolve: (rule) => rule.targetType,
    }),
    targetValue: t.exposeString("targetValue", {
      description: "The target (an account code, a tax type, …).",
    }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When last changed." }),
  }),
});

const UpsertMappingRuleInput = builder.inputType("UpsertMappingRuleInput", {
  description: "A mapping rule to create, or to replace if one exists for the same source type and value.",
  fields: (t) => ({
    integrationId: t.id({ description: "The integration's global id." }),
    sourceType: t.field({ type: MappingSourceTypeEnum, description: "What kind of value it maps." }),
    sourceValue: t.string({
      required: false,
      description: "The source value; omit or null for the default rule.",
    }),
    targetType: t.field({ type: MappingTargetTypeEnum, description: "What kind of target it maps to." }),
    targetValue: t.string({ description: "The target value (1 to 200 characters)." }),
  }),
});

const MappingRulePayload = builder.objectRef<{ ruleId: string }>("MappingRulePayload").implement({
  description: "The result of upsertMappingRule.",
  fields: (t) => ({
    mappingRule: t.prismaField({
      type: "MappingRule",
      description: "The rule as stored.",
      resolve: (query, payload) =>
        prisma().mappingRule.findUniqueOrThrow({ ...query, where: { id: payload.ruleId } }),
    }),
  }),
});

builder.mutationField("upsertMappingRule", (t) =>
  t.field({
    type: MappingRulePayload,
    description: "Creates or replaces a mapping rule (OWNER or ADMIN).",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { input: t.arg({ type: UpsertMappingRuleInput, description: "The rule." }) },
    resolve: (_root, { input: { integrationId, ...rule } }, ctx) =>
      upsertMappingRule(commandDeps(ctx), viewerOf(ctx), {
        integration: targetOf(integrationId, "Integration", ["input", "integrationId"]),
        ...rule,
      }),
  }),
);

const DeleteMappingRulePayload = builder
  .objectRef<{ deletedId: string }>("DeleteMappingRulePayload")
  .implement({
    description: "The result of deleteMappingRule.",
    fields: (t) => ({
      deletedId: t.exposeID("deletedId", { description: "Global id of the rule that was deleted." }),
    }),
  });

builder.mutationField("deleteMappingRule", (t) =>
  t.field({
    type: DeleteMappingRulePayload,
    description: "Deletes a mapping rule (OWNER or ADMIN).",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { id: t.arg.id({ description: "The rule's global id." }) },
    resolve: async (_root, args, ctx) => {
      const target = targetOf(args.id, "MappingRule", ["id"]);
      await deleteMappingRule(commandDeps(ctx), viewerOf(ctx), target);
      return { deletedId: target.globalId };
    },
  }),
);
