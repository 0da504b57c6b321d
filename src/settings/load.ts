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

const LAYER_READS = {
  own: `SELECT ${selectList("i", OWN_LAYER)} FROM "Integration" i WHERE i.id = $1::uuid`,
  entities: `SELECT ${selectList("e", ENTITY_LAYER)} FROM "IntegrationEntitySettings" e
    WHERE e."integrationId" = $1::uuid`,
  tenant: `SELECT ${selectList("t", TENANT_LAYER)} FROM "TenantSettings" t WHERE t."tenantId" = $1::uuid`,
  platform: `SELECT ${selectList("p", PLATFORM_LAYER)} FROM "PlatformSettings" p
    WHERE p."tenantId" = $1::uuid AND p.platform::text = $2::text`,
};

/**
 * Effective settings of an integration whose tenant and platform are known (they never change): its
 * layers read side by side, each by one prepared statement (db/rows.ts), for a pull run's first call
 * waits for them.
 */
export async function loadKnownIntegrationEffectiveSettings(
  sql: SqlPool,
  integration: { id: string; tenantId: string; platform: PlatformKey },
): Promise<EffectiveSettings> {
  const prepared = { prepared: true };
  const [own, entitySettings, tenant, platformLayer] = await Promise.all([
    sql.query<Omit<IntegrationLayer, "entitySettings">>(LAYER_READS.own, [integration.id], prepared),
    sql.query<EntityLayer>(LAYER_READS.entities, [integration.id], prepared),
    sql.query<TenantLayer>(LAYER_READS.tenant, [integration.tenantId], prepared),
    sql.query<PlatformLayer>(LAYER_READS.platform, [integration.tenantId, integration.platform], prepared),
  ]);
  if (!own[0]) throw new Error(`Integration ${integration.id} not found`);
  return resolveSettings({
    platform: integration.platform,
    tenant: tenant[0] ?? TENANT_DEFAULTS,
    platformLayer: platformLayer[0] ?? null,
    integration: { ...own[0], entitySettings },
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
