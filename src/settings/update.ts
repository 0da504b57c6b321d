import { type FieldIssue, ValidationError } from "../errors.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { PLATFORMS, type PlatformKey } from "../platforms/catalog.ts";
import type { ExportReserveMode, PlatformLayer } from "./effective.ts";

/**
 * Writing the three settings layers (DESIGN.md "Settings"), inside the caller's transaction. The input
 * is already valid in itself (the commands check it); what depends on the platform is checked here.
 */

type Tx = Prisma.TransactionClient;

export interface TenantSettingsChanges {
  oneOffSync?: boolean | null;
  summarizeData?: boolean | null;
  nightlySyncTime?: string | null;
  timeZone?: string | null;
}

/** The tenant layer has nothing to inherit from: a null or omitted field stays as it is. */
export async function updateTenantSettings(tx: Tx, tenantId: string, changes: TenantSettingsChanges) {
  const layer = {
    ...(changes.oneOffSync != null && { oneOffSync: changes.oneOffSync }),
    ...(changes.summarizeData != null && { summarizeData: changes.summarizeData }),
    ...(changes.nightlySyncTime != null && { nightlySyncTime: changes.nightlySyncTime }),
  };
  await tx.tenantSettings.upsert({ where: { tenantId }, create: { tenantId, ...layer }, update: layer });
  if (changes.timeZone != null)
    await tx.tenant.update({ where: { id: tenantId }, data: { timeZone: changes.timeZone } });
}

/** The platform layer: an omitted field stays, an explicit null clears the override (inherits). */
export function updatePlatformSettings(
  tx: Tx,
  tenantId: string,
  platform: PlatformKey,
  changes: Partial<PlatformLayer>,
) {
  return tx.platformSettings.upsert({
    where: { tenantId_platform: { tenantId, platform } },
    create: { tenantId, platform, ...changes },
    update: changes,
  });
}

export interface EntitySettingsChange {
  entity: string;
  enabled?: boolean | null;
  fetchOnFirstLink?: boolean | null;
  customFields?: string[] | null;
  frequencyMinutes?: number | null;
}

export interface IntegrationSettingsChanges {
  summarizeData?: boolean | null;
  exportReserveMode?: ExportReserveMode | null;
  entities?: EntitySettingsChange[] | null;
}

/**
 * The integration layer: an omitted field stays, an explicit null clears the override. Entity keys must
 * be the platform's, custom fields only where it has them; issues are reported under `entitiesPath`.
 */
export async function updateIntegrationSettings(
  tx: Tx,
  integration: { id: string; platform: PlatformKey },
  changes: IntegrationSettingsChanges,
  entitiesPath: string[] = ["entities"],
) {
  const entities = changes.entities ?? [];
  checkEntities(integration.platform, entities, entitiesPath);
  if (changes.summarizeData !== undefined || changes.exportReserveMode !== undefined) {
    await tx.integration.update({
      where: { id: integration.id },
      data: {
        ...(changes.summarizeData !== undefined && { summarizeData: changes.summarizeData }),
        ...(changes.exportReserveMode !== undefined && { exportReserveMode: changes.exportReserveMode }),
      },
    });
  }
  for (const { entity, customFields, ...rest } of entities) {
    const data = { ...rest, ...(customFields !== undefined && { customFields: customFields ?? [] }) };
    await tx.integrationEntitySettings.upsert({
      where: { integrationId_entity: { integrationId: integration.id, entity } },
      create: { integrationId: integration.id, entity, ...data },
      update: data,
    });
  }
}

function checkEntities(platform: PlatformKey, entities: EntitySettingsChange[], basePath: string[]) {
  const definitions = new Map(PLATFORMS[platform].entities.map((entity) => [entity.key, entity]));
  const issues: FieldIssue[] = [];
  entities.forEach((change, index) => {
    const path = [...basePath, String(index)];
    const definition = definitions.get(change.entity);
    if (!definition) {
      const known = [...definitions.keys()].join(", ");
      issues.push({
        path: [...path, "entity"],
        message: `unknown entity for ${platform}; expected one of ${known}`,
      });
    } else if (change.customFields?.length && !definition.supportsCustomFields) {
      issues.push({ path: [...path, "customFields"], message: `${definition.name} has no custom fields` });
    }
  });
  if (issues.length > 0) throw new ValidationError(issues);
}
