import type { z } from "zod";
import type { OutgoingRequest } from "./http.ts";

/**
 * What each platform lets syncline export: per entity, the fields that may change and the call that
 * changes them. An outbox item names (entity, remote id, field, value).
 */
export interface ExportTarget {
  fields: Record<string, z.ZodType>;
  request(remoteId: string, field: string, value: unknown): OutgoingRequest & { method: "PUT" | "POST" };
}
