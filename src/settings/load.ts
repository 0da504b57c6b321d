import type { PrismaClient } from "../generated/prisma/client.ts";
import type { ExportReserveMode } from "../generated/prisma/enums.ts";
import type { PlatformKey } from "../platforms/catalog.ts";
import {
  type EffectiveSettings,
  resolveExportReserveMode,
  resolveSettings,
  TENANT_DEFAULTS,
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

/** Effective settings of one integration, all three layers resolved. */
export async function loadIntegrationEffectiveSettings(
  db: Db,
  integrationId: string,
): Promise<EffectiveSettings> {
  const integration = await db.integration.findUniqueOrThrow({
    where: { id: integrationId },
    select: {
      tenantId: true,
      platform: true,
      summarizeData: true,
      exportReserveMode: true,
      entitySettings: true,
    },
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

/**
 * Only the export reserve mode of an integration (its row at hand): no query when the integration sets
 * it, else one for its platform layer. Read on every queue-figures event, where the whole settings would
 * cost four.
 */
export async function loadExportReserveMode(
  db: Pick<PrismaClient, "platformSettings">,
  integration: { tenantId: string; platform: PlatformKey; exportReserveMode: ExportReserveMode | null },
): Promise<ExportReserveMode> {
  const platformLayer = integration.exportReserveMode
    ? null
    : await db.platformSettings.findUnique({
        where: { tenantId_platform: { tenantId: integration.tenantId, platform: integration.platform } },
        select: { exportReserveMode: true },
      });
  return resolveExportReserveMode(integration, platformLayer).value;
}
