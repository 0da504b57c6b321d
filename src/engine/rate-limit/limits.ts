import { z } from "zod";
import type { ExportReserve, PlatformKey, RateCaps } from "../../platforms/catalog.ts";
import { PLATFORMS } from "../../platforms/catalog.ts";

/** The caps the engine enforces for one integration: the catalog's, with any per-integration override. */
export interface CallLimits {
  caps: Pick<RateCaps, "concurrent" | "perMinute" | "perDay">;
  exportReserve: ExportReserve;
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

export function limitsFor(platform: PlatformKey, override: unknown): CallLimits {
  const entry = PLATFORMS[platform];
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
  };
}
