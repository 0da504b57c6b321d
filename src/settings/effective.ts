import type { PlatformKey } from "../platforms/catalog.ts";
import { PLATFORMS } from "../platforms/catalog.ts";

/**
 * Settings come in three layers (DESIGN.md, "Settings"): tenant-wide, per platform, per integration and
 * entity. A lower layer overrides a higher one; a null field inherits. The effective value is always
 * shown together with the layer it came from.
 */
export type SettingSource = "DEFAULT" | "TENANT" | "PLATFORM" | "INTEGRATION";

/**
 * How exports use the platform's export reserve (README, "The dispatch engine"): STRICT keeps them to
 * the reserve (XPM: 30 a minute, 4,500 a day) whatever the schedule, as the seed does; ADAPTIVE lets
 * them use the headroom the pull schedule proves no pull will need (sync/export-reserve.ts).
 */
export type ExportReserveMode = "STRICT" | "ADAPTIVE";
export const EXPORT_RESERVE_MODES = ["STRICT", "ADAPTIVE"] as const satisfies readonly ExportReserveMode[];

export interface Resolved<T> {
  value: T;
  source: SettingSource;
}

export interface TenantLayer {
  oneOffSync: boolean;
  summarizeData: boolean;
  nightlySyncTime: string;
}

export interface PlatformLayer {
  oneOffSync: boolean | null;
  summarizeData: boolean | null;
  nightlySyncTime: string | null;
  exportReserveMode?: ExportReserveMode | null;
}

export interface EntityLayer {
  entity: string;
  enabled: boolean | null;
  fetchOnFirstLink: boolean | null;
  customFields: string[];
  frequencyMinutes: number | null;
}

export interface IntegrationLayer {
  summarizeData: boolean | null;
  exportReserveMode?: ExportReserveMode | null;
  entitySettings: EntityLayer[];
}

export interface EffectiveEntitySettings {
  entity: string;
  name: string;
  enabled: Resolved<boolean>;
  fetchOnFirstLink: Resolved<boolean>;
  customFields: Resolved<string[]>;
  /** Minutes between scheduled pulls; null for wall-clock (nightly) or unscheduled entities. */
  frequencyMinutes: Resolved<number | null>;
}

export interface EffectiveSettings {
  oneOffSync: Resolved<boolean>;
  summarizeData: Resolved<boolean>;
  nightlySyncTime: Resolved<string>;
  /** A platform or integration choice (STRICT unless set): the tenant layer has none. */
  exportReserveMode: Resolved<ExportReserveMode>;
  entities: EffectiveEntitySettings[];
}

/** Tenant defaults when the tenant has no settings row yet. */
export const TENANT_DEFAULTS: TenantLayer = {
  oneOffSync: false,
  summarizeData: false,
  nightlySyncTime: "02:00",
};

/** The seed's way: exports use the export reserve only. */
export const DEFAULT_EXPORT_RESERVE_MODE: ExportReserveMode = "STRICT";

/** Default period of the scheduled kinds, in platform minutes. */
export const DEFAULT_PERIOD_MINUTES = { DAILY: 24 * 60, FREQUENT: 10 } as const;

/** How exports use the reserve: the integration's override, else the platform layer's, else STRICT. */
export function resolveExportReserveMode(
  integration: { exportReserveMode?: ExportReserveMode | null } | null | undefined,
  platformLayer: { exportReserveMode?: ExportReserveMode | null } | null | undefined,
): Resolved<ExportReserveMode> {
  return pick(
    [
      [integration?.exportReserveMode, "INTEGRATION"],
      [platformLayer?.exportReserveMode, "PLATFORM"],
    ],
    DEFAULT_EXPORT_RESERVE_MODE,
  );
}

function pick<T>(layers: [T | null | undefined, SettingSource][], fallback: T): Resolved<T> {
  for (const [value, source] of layers) if (value !== null && value !== undefined) return { value, source };
  return { value: fallback, source: "DEFAULT" };
}

export function resolveSettings(input: {
  platform: PlatformKey;
  tenant: TenantLayer | null;
  platformLayer: PlatformLayer | null;
  integration?: IntegrationLayer | null;
}): EffectiveSettings {
  const tenant = input.tenant;
  const platformLayer = input.platformLayer;
  const integration = input.integration ?? null;
  const entry = PLATFORMS[input.platform];
  const bySetting = new Map((integration?.entitySettings ?? []).map((row) => [row.entity, row]));
  return {
    // One-off is a tenant or platform choice, never per integration (as in Codat).
    oneOffSync: pick(
      [
        [platformLayer?.oneOffSync, "PLATFORM"],
        [tenant?.oneOffSync, "TENANT"],
      ],
      TENANT_DEFAULTS.oneOffSync,
    ),
    summarizeData: pick(
      [
        [integration?.summarizeData, "INTEGRATION"],
        [platformLayer?.summarizeData, "PLATFORM"],
        [tenant?.summarizeData, "TENANT"],
      ],
      TENANT_DEFAULTS.summarizeData,
    ),
    nightlySyncTime: pick(
      [
        [platformLayer?.nightlySyncTime, "PLATFORM"],
        [tenant?.nightlySyncTime, "TENANT"],
      ],
      TENANT_DEFAULTS.nightlySyncTime,
    ),
    exportReserveMode: resolveExportReserveMode(integration, platformLayer),
    entities: entry.entities.map((definition) => {
      const row = bySetting.get(definition.key);
      const period = definition.syncKinds.includes("FREQUENT")
        ? DEFAULT_PERIOD_MINUTES.FREQUENT
        : definition.syncKinds.includes("DAILY")
          ? DEFAULT_PERIOD_MINUTES.DAILY
          : null;
      return {
        entity: definition.key,
        name: definition.name,
        enabled: pick([[row?.enabled, "INTEGRATION"]], true),
        fetchOnFirstLink: pick([[row?.fetchOnFirstLink, "INTEGRATION"]], definition.fetchOnFirstLink),
        customFields: pick(
          [[row && row.customFields.length > 0 ? row.customFields : null, "INTEGRATION"]],
          [],
        ),
        frequencyMinutes: pick<number | null>([[row?.frequencyMinutes, "INTEGRATION"]], period),
      };
    }),
  };
}
