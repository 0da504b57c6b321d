import type { z } from "zod";
import type { OutgoingRequest } from "./http.ts";

/**
 * What each platform lets syncline export: per entity, the fields that may change and the call that
 * changes them. An outbox item names (entity, remote id, field, value). A target also says how to read
 * the object back (to verify a write whose outcome is unknown, and to see a change made on the
 * platform), and where a field's value sits in what it reads and in what a pull mirrored.
 */
export interface ExportTarget {
  fields: Record<string, z.ZodType>;
  request(remoteId: string, field: string, value: unknown): OutgoingRequest & { method: "PUT" | "POST" };
  /**
   * The call that changes several fields of one object at once, where the platform's update takes them
   * together (XPM job.api/update); absent: one call per field.
   */
  requestFields?(
    remoteId: string,
    values: Readonly<Record<string, unknown>>,
  ): OutgoingRequest & { method: "PUT" | "POST" };
  /** The call that reads the remote object as it is now. */
  read(remoteId: string): OutgoingRequest & { method: "GET" };
  /** The field's value in the answer to `read` (undefined: the answer does not hold the object). */
  valueIn(body: unknown, field: string): unknown;
  /** The field's value in the object's mirrored record (SyncedRecord.data), as the entity's pull wrote it. */
  mirroredValue(data: unknown, field: string): unknown;
  /** Whether two values of the field are the same value (as the platform stores it). */
  same(field: string, a: unknown, b: unknown): boolean;
}
