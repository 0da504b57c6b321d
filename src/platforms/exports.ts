import type { z } from "zod";
import type { PlatformKey } from "./catalog.ts";
import type { OutgoingRequest } from "./http.ts";
import { XPM_EXPORTS } from "./xpm/export.ts";

/**
 * What each platform lets syncline export: per entity, the fields that may change and the call that
 * changes them. An outbox item names (entity, remote id, field, value).
 */
export interface ExportTarget {
  fields: Record<string, z.ZodType>;
  request(remoteId: string, field: string, value: unknown): OutgoingRequest & { method: "PUT" | "POST" };
}

const EXPORT_TARGETS: Partial<Record<PlatformKey, Record<string, ExportTarget>>> = { XPM: XPM_EXPORTS };

export function exportTarget(platform: PlatformKey, entity: string): ExportTarget | undefined {
  return EXPORT_TARGETS[platform]?.[entity];
}

/** The call that applies one export (validated on the way in, so its target exists). */
export function exportRequest(
  platform: PlatformKey,
  item: { entity: string; remoteId: string; field: string; value: unknown },
): OutgoingRequest {
  const target = exportTarget(platform, item.entity);
  if (!target) throw new Error(`No export target for ${platform} ${item.entity}`);
  return target.request(item.remoteId, item.field, item.value);
}
