import type { PlatformKey } from "./catalog.ts";
import type { ExportTarget } from "./export-target.ts";
import type { OutgoingRequest } from "./http.ts";
import { XPM_EXPORTS } from "./xpm/export.ts";

/** Every platform's export targets. */
const EXPORT_TARGETS: Partial<Record<PlatformKey, Record<string, ExportTarget>>> = { XPM: XPM_EXPORTS };

export function exportTarget(platform: PlatformKey, entity: string): ExportTarget | undefined {
  // Own keys only: an entity named "__proto__" or "constructor" is data, never a lookup on the prototype.
  const targets = Object.hasOwn(EXPORT_TARGETS, platform) ? EXPORT_TARGETS[platform] : undefined;
  return targets && Object.hasOwn(targets, entity) ? targets[entity] : undefined;
}

/** The target of an export validated on the way in (so it exists). */
export function knownExportTarget(platform: PlatformKey, entity: string): ExportTarget {
  const target = exportTarget(platform, entity);
  if (!target) throw new Error(`No export target for ${platform} ${entity}`);
  return target;
}

/** The call that applies one export (validated on the way in, so its target exists). */
export function exportRequest(
  platform: PlatformKey,
  item: { entity: string; remoteId: string; field: string; value: unknown },
): OutgoingRequest {
  return knownExportTarget(platform, item.entity).request(item.remoteId, item.field, item.value);
}
