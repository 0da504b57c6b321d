import type { SqlPool } from "../db/client.ts";
import { type ModelColumns, selectList } from "../db/rows.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { ExportReserveMode } from "../generated/prisma/enums.ts";
import type { PlatformKey } from "../platforms/catalog.ts";
import {
  type EffectiveSettings,
  type EntityLayer,
  type IntegrationLayer,
  type PlatformLayer,
  resolveExportReserveMode,
  resolveSettings,
  TENANT_DEFAULTS,
  type TenantLayer,
} from "./effective.ts";

/** A client or a transaction. Queries run one after another: a transaction's connection takes one at a time. */
type Db = Pick<PrismaClient, "tenantSettings" | "platformSettings" | "integration">;

/** Effective settings of a tenant's platform (no integration layer). */
export async function loadPlatformEffectiveSettings(
  db: Db,
  tenantId: string,
  platform: PlatformKey,
): Promise<EffectiveSettings> {
  const tenant = await db.tenantSettings.findUnique({ where: { tenantId } });
  const platformLayer = await db.platformSettings.findUnique({
    where: { tenantId_platform: { tenantId, platform } },
  });
  return resolveSettings({ platform, tenant: tenant ?? TENANT_DEFAULTS, platformLayer });
}

/** What an integration's own row adds to the settings: its layer. */
const INTEGRATION_LAYER = { summarizeData: true, exportReserveMode: true, entitySettings: true } as const;

/** Effective settings of one integration, all three layers resolved. */
export async function loadIntegrationEffectiveSettings(
  db: Db,
  integrationId: string,
): Promise<EffectiveSettings> {
  const integration = await db.integration.findUniqueOrThrow({
    where: { id: integrationId },
    select: { tenantId: true, platform: true, ...INTEGRATION_LAYER },
  });
  const tenant = await db.tenantSettings.findUnique({ where: { tenantId: integration.tenantId } });
  const platformLayer = await db.platformSettings.findUnique({
    where: { tenantId_platform: { tenantId: integration.tenantId, platform: integration.platform } },
  });
  return resolveSettings({
    platform: integration.platform,
    tenant: tenant ?? TENANT_DEFAULTS,
    platformLayer,
    integration,
  });
}

const TENANT_LAYER: ModelColumns<TenantLayer> = {
  oneOffSync: "plain",
  summarizeData: "plain",
  nightlySyncTime: "plain",
};
const PLATFORM_LAYER: ModelColumns<PlatformLayer> = {
  oneOffSync: "plain",
  summarizeData: "plain",
  nightlySyncTime: "plain",
  exportReserveMode: "enum",
};
const ENTITY_LAYER: ModelColumns<EntityLayer> = {
  entity: "plain",
  enabled: "plain",
  fetchOnFirstLink: "plain",
  customFields: "plain",
  frequencyMinutes: "plain",
};
const OWN_LAYER: ModelColumns<Omit<IntegrationLayer, "entitySettings">> = {
  summarizeData: "plain",
  exportReserveMode: "enum",
};

/** The placeholders ($1, $2, …) a statement gives an integration's id, its tenant's and its platform. */
export interface LayerParams {
  integration: string;
  tenant: string;
  platform: string;
}

/**
 * An integration's three settings layers as one JSON value: an expression for the SELECT list of a
 * statement that reads them beside other things (a run's plan, with the runs of its integration), each
 * layer's columns read as Prisma reads them (db/rows.ts). Resolved by `settingsOfLayers`.
 */
export function settingsLayersJson(p: LayerParams): string {
  return `json_build_object(
    'own', (SELECT row_to_json(x) FROM (SELECT ${selectList("i", OWN_LAYER)}
      FROM "Integration" i WHERE i.id = ${p.integration}::uuid) x),
    'entities', (SELECT coalesce(json_agg(x), '[]'::json) FROM (SELECT ${selectList("e", ENTITY_LAYER)}
      FROM "IntegrationEntitySettings" e WHERE e."integrationId" = ${p.integration}::uuid) x),
    'tenant', (SELECT row_to_json(x) FROM (SELECT ${selectList("t", TENANT_LAYER)}
      FROM "TenantSettings" t WHERE t."tenantId" = ${p.tenant}::uuid) x),
    'platform', (SELECT row_to_json(x) FROM (SELECT ${selectList("p", PLATFORM_LAYER)}
      FROM "PlatformSettings" p WHERE p."tenantId" = ${p.tenant}::uuid AND p.platform::text = ${p.platform}::text) x))`;
}

/** What `settingsLayersJson` reads (its layers have no timestamp, so JSON keeps their types). */
export interface SettingsLayers {
  own: Omit<IntegrationLayer, "entitySettings"> | null;
  entities: EntityLayer[];
  tenant: TenantLayer | null;
  platform: PlatformLayer | null;
}

/** The effective settings of an integration, from its layers as `settingsLayersJson` read them. */
export function settingsOfLayers(
  integration: { id: string; platform: PlatformKey },
  layers: SettingsLayers,
): EffectiveSettings {
  if (!layers.own) throw new Error(`Integration ${integration.id} not found`);
  return resolveSettings({
    platform: integration.platform,
    tenant: layers.tenant ?? TENANT_DEFAULTS,
    platformLayer: layers.platform,
    integration: { ...layers.own, entitySettings: layers.entities },
  });
}

/**
 * Effective settings of many integrations at once (the scheduler's sweep looks at every one): three
 * statements whatever their number. Integrations that do not exist are left out of the map.
 */
export async function loadIntegrationsEffectiveSettings(
  db: Db,
  integrationIds: readonly string[],
): Promise<Map<string, EffectiveSettings>> {
  const integrations = await db.integration.findMany({
    where: { id: { in: [...integrationIds] } },
    select: {
      id: true,
      tenantId: true,
      platform: true,
      summarizeData: true,
      exportReserveMode: true,
      entitySettings: true,
    },
  });
  const tenantIds = [...new Set(integrations.map((integration) => integration.tenantId))];
  const tenants = new Map(
    (await db.tenantSettings.findMany({ where: { tenantId: { in: tenantIds } } })).map((row) => [
      row.tenantId,
      row,
    ]),
  );
  const platformLayers = new Map(
    (await db.platformSettings.findMany({ where: { tenantId: { in: tenantIds } } })).map((row) => [
      `${row.tenantId}/${row.platform}`,
      row,
    ]),
  );
  return new Map(
    integrations.map((integration) => [
      integration.id,
      resolveSettings({
        platform: integration.platform,
        tenant: tenants.get(integration.tenantId) ?? TENANT_DEFAULTS,
        platformLayer: platformLayers.get(`${integration.tenantId}/${integration.platform}`) ?? null,
        integration,
      }),
    ]),
  );
}

/**
 * Only the export reserve mode of an integration, read fresh (a change made during a long drain counts at
 * the next look): one statement, where the whole settings would cost four. Read on every queue-figures
 * event.
 */
export async function loadExportReserveMode(sql: SqlPool, integrationId: string): Promise<ExportReserveMode> {
  const [row] = await sql.query<{
    integration: ExportReserveMode | null;
    platform: ExportReserveMode | null;
  }>(
    `SELECT i."exportReserveMode"::text AS integration, p."exportReserveMode"::text AS platform
     FROM "Integration" i
     LEFT JOIN "PlatformSettings" p ON p."tenantId" = i."tenantId" AND p.platform = i.platform
     WHERE i.id = $1::uuid`,
    [integrationId],
    { prepared: true },
  );
  return resolveExportReserveMode(
    { exportReserveMode: row?.integration ?? null },
    { exportReserveMode: row?.platform ?? null },
  ).value;
}
