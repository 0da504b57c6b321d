import { updateIntegrationSettings } from "../../commands/update-integration-settings.ts";
import { updatePlatformSettings } from "../../commands/update-platform-settings.ts";
import { updateTenantSettings } from "../../commands/update-tenant-settings.ts";
import { prisma } from "../../db/client.ts";
import type { PlatformKey } from "../../platforms/catalog.ts";
import {
  type EffectiveEntitySettings,
  type EffectiveSettings,
  type ExportReserveMode,
  type PlatformLayer,
  type Resolved,
  type SettingSource,
  TENANT_DEFAULTS,
  type TenantLayer,
} from "../../settings/effective.ts";
import { loadPlatformEffectiveSettings } from "../../settings/load.ts";
import { builder } from "../builder.ts";
import { commandDeps, viewerOf } from "../context.ts";
import { targetOf } from "../ids.ts";
import { ExportReserveModeEnum, PlatformKeyEnum, SettingSourceEnum } from "./enums.ts";
import { MUTATION_ERRORS } from "./errors.ts";

/** Effective settings, each value with the layer it comes from. */

function resolvedType<T>(
  name: string,
  description: string,
  valueType: "Boolean" | "String" | "Int" | ["String"],
) {
  return builder.objectRef<Resolved<T>>(name).implement({
    description,
    fields: (t) => ({
      value: t.field({
        type: valueType,
        nullable: valueType === "Int",
        description: "The effective value.",
        resolve: (setting) => setting.value as never,
      }),
      source: t.field({
        type: SettingSourceEnum,
        description: "The layer it comes from.",
        resolve: (setting) => setting.source satisfies SettingSource,
      }),
    }),
  });
}

const BooleanSetting = resolvedType<boolean>("BooleanSetting", "An effective on/off setting.", "Boolean");
const StringSetting = resolvedType<string>("StringSetting", "An effective text setting.", "String");
const IntSetting = resolvedType<number | null>(
  "IntSetting",
  "An effective number setting (null: not applicable).",
  "Int",
);
const StringListSetting = resolvedType<string[]>("StringListSetting", "An effective list setting.", [
  "String",
]);

const ExportReserveModeSetting = builder
  .objectRef<Resolved<ExportReserveMode>>("ExportReserveModeSetting")
  .implement({
    description: "The effective export reserve mode.",
    fields: (t) => ({
      value: t.field({
        type: ExportReserveModeEnum,
        description: "The effective value.",
        resolve: (setting) => setting.value,
      }),
      source: t.field({
        type: SettingSourceEnum,
        description: "The layer it comes from.",
        resolve: (setting) => setting.source satisfies SettingSource,
      }),
    }),
  });

const EntitySettingsRef = builder.objectRef<EffectiveEntitySettings>("EntitySettings").implement({
  description: "Effective settings of one entity of an integration.",
  fields: (t) => ({
    entity: t.exposeString("entity", { description: "Entity key from the platform catalog." }),
    name: t.exposeString("name", { description: "Entity name." }),
    enabled: t.field({ type: BooleanSetting, description: "Whether it syncs.", resolve: (e) => e.enabled }),
    fetchOnFirstLink: t.field({
      type: BooleanSetting,
      description: "Whether the initial sync fetches it.",
      resolve: (e) => e.fetchOnFirstLink,
    }),
    customFields: t.field({
      type: StringListSetting,
      description: "Custom fields chosen for pulling.",
      resolve: (e) => e.customFields,
    }),
    frequencyMinutes: t.field({
      type: IntSetting,
      description: "Minutes between scheduled pulls (null: wall-clock or unscheduled).",
      resolve: (e) => e.frequencyMinutes,
    }),
  }),
});

export const EffectiveSettingsRef = builder.objectRef<EffectiveSettings>("EffectiveSettings").implement({
  description: "Settings as they apply, after tenant, platform and integration layers are combined.",
  fields: (t) => ({
    oneOffSync: t.field({
      type: BooleanSetting,
      description: "Fetch once then disconnect (true), or keep syncing (false).",
      resolve: (s) => s.oneOffSync,
    }),
    summarizeData: t.field({
      type: BooleanSetting,
      description: "Accounting pushes summarize orders per day and payment method.",
      resolve: (s) => s.summarizeData,
    }),
    nightlySyncTime: t.field({
      type: StringSetting,
      description: "Local time (HH:MM) of nightly syncs, in the tenant's zone.",
      resolve: (s) => s.nightlySyncTime,
    }),
    exportReserveMode: t.field({
      type: ExportReserveModeSetting,
      description:
        "How exports use the export reserve: STRICT (the reserve only) or ADAPTIVE (also the headroom no pull will need).",
      resolve: (s) => s.exportReserveMode,
    }),
    entities: t.field({
      type: [EntitySettingsRef],
      description: "Per-entity settings.",
      resolve: (s) => s.entities,
    }),
  }),
});

// --- Tenant layer ---------------------------------------------------------------------------------

/** The tenant layer as shown: the stored row, or the defaults while the tenant has never changed it. */
type TenantSettingsShape = TenantLayer & { timeZone: string; updatedAt: Date };

const TenantSettingsRef = builder.objectRef<TenantSettingsShape>("TenantSettings").implement({
  description: "Tenant-wide settings: the top layer.",
  fields: (t) => ({
    oneOffSync: t.exposeBoolean("oneOffSync", {
      description: "One-off sync for every platform unless overridden.",
    }),
    summarizeData: t.exposeBoolean("summarizeData", { description: "Summarize accounting pushes." }),
    nightlySyncTime: t.exposeString("nightlySyncTime", {
      description: "Local time (HH:MM) of nightly syncs.",
    }),
    timeZone: t.exposeString("timeZone", { description: "The tenant's IANA time zone." }),
    updatedAt: t.expose("updatedAt", {
      type: "DateTime",
      description: "When last changed (when the tenant was created, if never).",
    }),
  }),
});

/** Reads only: a tenant without a settings row is shown the defaults (the row appears on the first change). */
async function tenantSettings(tenantId: string): Promise<TenantSettingsShape> {
  const tenant = await prisma().tenant.findUniqueOrThrow({
    where: { id: tenantId },
    select: { timeZone: true, createdAt: true, settings: true },
  });
  const { settings } = tenant;
  return {
    ...(settings ?? TENANT_DEFAULTS),
    timeZone: tenant.timeZone,
    updatedAt: settings?.updatedAt ?? tenant.createdAt,
  };
}

builder.queryField("tenantSettings", (t) =>
  t.field({
    type: TenantSettingsRef,
    description: "Your tenant's tenant-wide settings.",
    resolve: (_root, _args, ctx) => tenantSettings(viewerOf(ctx).tenantId),
  }),
);

const UpdateTenantSettingsInput = builder.inputType("UpdateTenantSettingsInput", {
  description: "Changes to tenant-wide settings; omitted fields stay as they are.",
  fields: (t) => ({
    oneOffSync: t.boolean({
      required: false,
      description: "One-off sync for every platform unless overridden.",
    }),
    summarizeData: t.boolean({ required: false, description: "Summarize accounting pushes." }),
    nightlySyncTime: t.string({ required: false, description: "Local time (HH:MM) of nightly syncs." }),
    timeZone: t.string({ required: false, description: "The tenant's IANA time zone." }),
  }),
});

const TenantSettingsPayload = builder.objectRef<{ tenantId: string }>("TenantSettingsPayload").implement({
  description: "The result of updateTenantSettings.",
  fields: (t) => ({
    tenantSettings: t.field({
      type: TenantSettingsRef,
      description: "The settings after the change.",
      resolve: (payload) => tenantSettings(payload.tenantId),
    }),
  }),
});

builder.mutationField("updateTenantSettings", (t) =>
  t.field({
    type: TenantSettingsPayload,
    description: "Changes tenant-wide settings (OWNER or ADMIN). Null or omitted fields are left unchanged.",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { input: t.arg({ type: UpdateTenantSettingsInput, description: "The changes." }) },
    resolve: (_root, args, ctx) => updateTenantSettings(commandDeps(ctx), viewerOf(ctx), args.input),
  }),
);

// --- Platform layer -------------------------------------------------------------------------------

type PlatformSettingsShape = PlatformLayer & { tenantId: string; platform: PlatformKey };

const PlatformSettingsRef = builder.objectRef<PlatformSettingsShape>("PlatformSettings").implement({
  description:
    "Your tenant's settings for one platform: the middle layer. Null fields inherit from the tenant.",
  fields: (t) => ({
    platform: t.field({ type: PlatformKeyEnum, description: "The platform.", resolve: (s) => s.platform }),
    oneOffSync: t.exposeBoolean("oneOffSync", {
      nullable: true,
      description: "Overrides the tenant's one-off switch for every integration on this platform.",
    }),
    summarizeData: t.exposeBoolean("summarizeData", {
      nullable: true,
      description: "Overrides the tenant's summarize-data switch.",
    }),
    nightlySyncTime: t.exposeString("nightlySyncTime", {
      nullable: true,
      description: "Overrides the tenant's nightly sync time.",
    }),
    exportReserveMode: t.field({
      type: ExportReserveModeEnum,
      nullable: true,
      description: "How exports on this platform use the export reserve (null: STRICT).",
      resolve: (s) => s.exportReserveMode ?? null,
    }),
    effective: t.field({
      type: EffectiveSettingsRef,
      description: "What applies to a new integration on this platform.",
      resolve: (s) => loadPlatformEffectiveSettings(prisma(), s.tenantId, s.platform),
    }),
  }),
});

async function platformSettings(tenantId: string, platform: PlatformKey): Promise<PlatformSettingsShape> {
  const row = await prisma().platformSettings.findUnique({
    where: { tenantId_platform: { tenantId, platform } },
  });
  return (
    row ?? {
      tenantId,
      platform,
      oneOffSync: null,
      summarizeData: null,
      nightlySyncTime: null,
      exportReserveMode: null,
    }
  );
}

builder.queryField("platformSettings", (t) =>
  t.field({
    type: PlatformSettingsRef,
    description: "Your tenant's settings for one platform.",
    args: { platform: t.arg({ type: PlatformKeyEnum, description: "The platform." }) },
    resolve: (_root, args, ctx) => platformSettings(viewerOf(ctx).tenantId, args.platform),
  }),
);

const UpdatePlatformSettingsInput = builder.inputType("UpdatePlatformSettingsInput", {
  description:
    "Changes to one platform's settings. Omitted fields stay; an explicit null clears the override.",
  fields: (t) => ({
    platform: t.field({ type: PlatformKeyEnum, description: "The platform." }),
    oneOffSync: t.boolean({ required: false, description: "One-off sync for this platform; null inherits." }),
    summarizeData: t.boolean({ required: false, description: "Summarize pushes; null inherits." }),
    nightlySyncTime: t.string({ required: false, description: "Nightly time HH:MM; null inherits." }),
    exportReserveMode: t.field({
      type: ExportReserveModeEnum,
      required: false,
      description: "How exports use the export reserve; null: STRICT.",
    }),
  }),
});

const PlatformSettingsPayload = builder
  .objectRef<PlatformSettingsShape>("PlatformSettingsPayload")
  .implement({
    description: "The result of updatePlatformSettings.",
    fields: (t) => ({
      platformSettings: t.field({
        type: PlatformSettingsRef,
        description: "The settings after the change.",
        resolve: (s) => s,
      }),
    }),
  });

builder.mutationField("updatePlatformSettings", (t) =>
  t.field({
    type: PlatformSettingsPayload,
    description: "Changes your tenant's settings for one platform (OWNER or ADMIN).",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { input: t.arg({ type: UpdatePlatformSettingsInput, description: "The changes." }) },
    resolve: (_root, args, ctx) => updatePlatformSettings(commandDeps(ctx), viewerOf(ctx), args.input),
  }),
);

// --- Integration layer ----------------------------------------------------------------------------

const EntitySettingsInput = builder.inputType("EntitySettingsInput", {
  description:
    "Settings of one entity of an integration. Omitted fields stay; an explicit null clears the override.",
  fields: (t) => ({
    entity: t.string({ description: 'Entity key from the platform catalog (e.g. "client").' }),
    enabled: t.boolean({ required: false, description: "Whether it syncs." }),
    fetchOnFirstLink: t.boolean({ required: false, description: "Whether the initial sync fetches it." }),
    customFields: t.stringList({
      required: false,
      description: "Custom fields to pull (entities that support them).",
    }),
    frequencyMinutes: t.int({
      required: false,
      description: "Minutes between scheduled pulls (1 to 10,080).",
    }),
  }),
});

const UpdateIntegrationSettingsInput = builder.inputType("UpdateIntegrationSettingsInput", {
  description: "Changes to one integration's own settings (the bottom layer).",
  fields: (t) => ({
    integrationId: t.id({ description: "The integration's global id." }),
    summarizeData: t.boolean({ required: false, description: "Summarize accounting pushes; null inherits." }),
    exportReserveMode: t.field({
      type: ExportReserveModeEnum,
      required: false,
      description: "How this integration's exports use the export reserve; null inherits the platform's.",
    }),
    entities: t.field({
      type: [EntitySettingsInput],
      required: false,
      description: "Per-entity changes.",
    }),
  }),
});

const IntegrationSettingsPayload = builder
  .objectRef<{ integrationId: string }>("IntegrationSettingsPayload")
  .implement({
    description: "The result of updateIntegrationSettings.",
    fields: (t) => ({
      integration: t.prismaField({
        type: "Integration",
        description: "The integration, whose settings field shows the effective values after the change.",
        resolve: (query, payload) =>
          prisma().integration.findUniqueOrThrow({ ...query, where: { id: payload.integrationId } }),
      }),
    }),
  });

builder.mutationField("updateIntegrationSettings", (t) =>
  t.field({
    type: IntegrationSettingsPayload,
    description: "Changes one integration's own settings (OWNER or ADMIN).",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { input: t.arg({ type: UpdateIntegrationSettingsInput, description: "The changes." }) },
    resolve: (_root, { input: { integrationId, ...changes } }, ctx) =>
      updateIntegrationSettings(commandDeps(ctx), viewerOf(ctx), {
        integration: targetOf(integrationId, "Integration", ["input", "integrationId"]),
        ...changes,
      }),
  }),
);
