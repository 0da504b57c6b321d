import { z } from "zod";
import type { PlatformKey } from "./catalog.ts";

/**
 * What each platform lets syncline export: per entity, the fields that may change and the call that
 * changes them. An outbox item names (entity, remote id, field, value).
 */
export interface ExportTarget {
  fields: Record<string, z.ZodType>;
  request(
    remoteId: string,
    field: string,
    value: unknown,
  ): { method: "PUT" | "POST"; path: string; body: unknown };
}

const xpmDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date yyyy-MM-dd");

export const EXPORT_TARGETS: Partial<Record<PlatformKey, Record<string, ExportTarget>>> = {
  XPM: {
    // XPM v3.1 job.api/update (PUT, JobUpdateRequestDto): the job is named by its number in `id`.
    job: {
      fields: {
        budget: z.number().nonnegative("must not be negative").max(1e12),
        name: z.string().trim().min(1, "must not be empty").max(255),
        description: z.string().max(4000),
        startDate: xpmDate,
        dueDate: xpmDate,
      },
      request: (remoteId, field, value) => ({
        method: "PUT",
        path: "v3.1/job.api/update",
        body: { id: remoteId, [field]: value },
      }),
    },
  },
};

export function exportTarget(platform: PlatformKey, entity: string): ExportTarget | undefined {
  return EXPORT_TARGETS[platform]?.[entity];
}
