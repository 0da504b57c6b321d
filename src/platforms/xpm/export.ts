import { z } from "zod";
import type { ExportTarget } from "../export-target.ts";

const xpmDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date yyyy-MM-dd");

/** What syncline may change in XPM v3.1, per entity. */
export const XPM_EXPORTS: Record<string, ExportTarget> = {
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
};
