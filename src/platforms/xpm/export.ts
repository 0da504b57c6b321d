import { z } from "zod";
import type { ExportTarget } from "../export-target.ts";

const xpmDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date yyyy-MM-dd");
const DATE_FIELDS = new Set(["startDate", "dueDate"]);

const record = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** A JobDto field as it is compared: dates by their day (the API may add a time), the rest as given. */
function comparable(field: string, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (DATE_FIELDS.has(field) && typeof value === "string") return value.slice(0, 10);
  if (field === "description" && value === "") return null;
  return value;
}

/** What syncline may change in XPM v3.1, per entity. */
export const XPM_EXPORTS: Record<string, ExportTarget> = {
  // XPM v3.1 job.api/update (PUT, JobUpdateRequestDto): the job is named by its number in `id`. It is
  // read back by job.api/get/{jobNumber} (JobResponseDto: the JobDto under `job`), the shape the job
  // pull mirrors (job.api/current's JobDto).
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
    // JobUpdateRequestDto takes every updatable field at once; fields left out are left as they are.
    requestFields: (remoteId, values) => ({
      method: "PUT",
      path: "v3.1/job.api/update",
      body: { ...values, id: remoteId },
    }),
    read: (remoteId) => ({ method: "GET", path: `v3.1/job.api/get/${encodeURIComponent(remoteId)}` }),
    valueIn: (body, field) => {
      const job = record(record(body)?.job);
      return job ? (job[field] ?? null) : undefined;
    },
    mirroredValue: (data, field) => record(data)?.[field] ?? null,
    same: (field, a, b) => {
      const [x, y] = [comparable(field, a), comparable(field, b)];
      return typeof x === "number" || typeof y === "number"
        ? Number(x) === Number(y) && x !== null && y !== null
        : x === y;
    },
  },
};
