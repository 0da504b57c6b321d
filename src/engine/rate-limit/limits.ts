import { z } from "zod";
import type { Config } from "../../config.ts";
import type { AppCaps, ExportReserve, PlatformKey, RateCaps } from "../../platforms/catalog.ts";
import { PLATFORMS } from "../../platforms/catalog.ts";

/** The caps the engine enforces for one integration: the catalog's, with any per-integration override. */
export interface CallLimits {
  caps: Pick<RateCaps, "concurrent" | "perMinute" | "perDay">;
  exportReserve: ExportReserve;
  /** The app-wide cap the platform's calls share with every integration of the same app; null: none. */
  app?: AppLimits | null;
}

/** An app's window as the engine enforces it (catalog figure, or the deployment's configuration). */
export interface AppLimits {
  /** The app's name (its Redis keys), e.g. "xero". */
  app: string;
  perMinute: number;
  /** The share of the app's minute the lowest lane leaves to the lanes above it (Config.engine.apps). */
  laneHeadroom: number;
  /** Exports go no faster than the app's minute spread evenly (budget.lua: pace; Config.engine.apps). */
  paced: boolean;
}

const positive = z.number().int().positive();

/** Shape of Integration.rateLimitOverride: any subset of the catalog figures. */
export const RateLimitOverride = z
  .object({
    concurrent: positive.optional(),
    perMinute: positive.optional(),
    perDay: positive.optional(),
    exportPerMinute: positive.optional(),
    exportPerDay: positive.optional(),
  })
  .strict();

export type RateLimitOverride = z.infer<typeof RateLimitOverride>;

/** `apps`: the deployment's app figures; without them, the catalog's with no lane headroom or pace. */
export function limitsFor(
  platform: PlatformKey,
  override: unknown,
  apps?: Config["engine"]["apps"],
): CallLimits {
  const entry = PLATFORMS[platform];
  const appCaps = entry.appCaps;
  const parsed = override == null ? {} : RateLimitOverride.parse(override);
  const caps = {
    concurrent: parsed.concurrent ?? entry.caps.concurrent,
    perMinute: parsed.perMinute ?? entry.caps.perMinute,
    perDay: parsed.perDay ?? entry.caps.perDay,
  };
  // The reserve is a share of the caps, never more than them.
  return {
    caps,
    exportReserve: {
      perMinute: Math.min(parsed.exportPerMinute ?? entry.exportReserve.perMinute, caps.perMinute),
      perDay: Math.min(parsed.exportPerDay ?? entry.exportReserve.perDay, caps.perDay),
    },
    app: appCaps ? appLimits(appCaps, apps) : null,
  };
}

function appLimits(appCaps: AppCaps, apps?: Config["engine"]["apps"]): AppLimits {
  return {
    app: appCaps.app,
    perMinute: apps?.perMinute[appCaps.app] ?? appCaps.perMinute,
    laneHeadroom: apps?.laneHeadroom ?? 0,
    paced: apps?.paced ?? false,
  };
}

/** Every app of the catalog (each once), with the deployment's figures. */
export function catalogApps(apps?: Config["engine"]["apps"]): AppLimits[] {
  const byName = new Map<string, AppLimits>();
  for (const entry of Object.values(PLATFORMS))
    if (entry.appCaps && !byName.has(entry.appCaps.app))
      byName.set(entry.appCaps.app, appLimits(entry.appCaps, apps));
  return [...byName.values()];
}

/** An app of the catalog by its name, with the deployment's figures; null: no such app. */
export function appNamed(app: string, apps?: Config["engine"]["apps"]): AppLimits | null {
  return catalogApps(apps).find((limits) => limits.app === app) ?? null;
}

/** The platforms whose calls count against an app's window (XPM and Xero Accounting: "xero"). */
export function platformsOfApp(app: string): PlatformKey[] {
  return Object.values(PLATFORMS)
    .filter((entry) => entry.appCaps?.app === app)
    .map((entry) => entry.key);
}
