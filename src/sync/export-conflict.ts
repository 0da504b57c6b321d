import type { Settlement } from "../engine/settlement.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { ExportTarget } from "../platforms/export-target.ts";
import type { Known, Verification } from "./export-state.ts";

/**
 * Seeing someone else's change before overwriting it (DESIGN.md, "In doubt, conflicts, fencing"). For a
 * field, syncline knows the value the platform last held as far as it can tell: the value the last pull
 * mirrored, or the value an export sent since, whichever is newer. An edit remembers that value when it
 * is enqueued (its base). If the platform's value (as last pulled, or as read back) then differs from
 * both the base and the edit, someone changed the field on the platform meanwhile: a conflict.
 */

/** What syncline knows of a field's platform value: the object's mirror and the last export of the field. */
export interface RemoteEvidence {
  field: string;
  /** The mirrored record's data and when it was last written (null: never pulled). */
  mirror: { data: Prisma.JsonValue; at: string | Date } | null;
  /** The field's last sent export and when it was sent (null: none). */
  lastSent: { value: Prisma.JsonValue; at: string | Date | null } | null;
}

/** Timestamps read back from JSON are UTC without a zone, as Prisma writes them. */
function utc(at: string | Date | null): number {
  if (at === null) return Number.NEGATIVE_INFINITY;
  if (at instanceof Date) return at.getTime();
  return Date.parse(/Z|[+-]\d\d:?\d\d$/.test(at) ? at : `${at}Z`);
}

/** The platform's value of the field as last known: the newer of the mirror's and the last export's. */
export function knownRemote(target: ExportTarget, evidence: RemoteEvidence): Known {
  const { mirror, lastSent, field } = evidence;
  if (lastSent && (!mirror || utc(lastSent.at) >= utc(mirror.at))) return { value: lastSent.value };
  if (mirror) return { value: target.mirroredValue(mirror.data, field) as Prisma.JsonValue };
  return undefined;
}

/** Whether `remote` is someone else's value: neither the one the edit was based on nor the edit's. */
export function isConflict(
  target: ExportTarget,
  field: string,
  base: Known,
  remote: unknown,
  edit: unknown,
): boolean {
  if (base === undefined) return false;
  return !target.same(field, remote, base.value) && !target.same(field, remote, edit);
}

/** What a read of an in-doubt item's object says about its write. */
export function verify(
  target: ExportTarget,
  item: { field: string; value: unknown; base: Known },
  body: unknown,
): Verification {
  const remote = target.valueIn(body, item.field);
  if (remote === undefined) return { kind: "failed", message: "the platform's answer holds no such object" };
  if (target.same(item.field, remote, item.value)) return { kind: "applied", remote };
  if (isConflict(target, item.field, item.base, remote, item.value)) return { kind: "conflict", remote };
  return { kind: "notApplied", remote };
}

/** What the answer to the read of an in-doubt item's object means for the item. */
export function verificationOf(
  target: ExportTarget,
  item: { field: string; value: unknown; base: Known },
  settlement: Settlement,
): Verification {
  switch (settlement.kind) {
    case "done":
      return verify(target, item, settlement.body);
    case "failed":
      return { kind: "failed", message: settlement.message };
    case "requeue":
      // A 429 or refused credentials: not the read's fault, and its attempt not counted.
      return { kind: "again", notBefore: null, countAttempt: false, message: "the read was refused for now" };
    case "retry":
    case "inDoubt":
      return {
        kind: "again",
        notBefore: settlement.notBefore,
        countAttempt: true,
        message: settlement.message,
      };
  }
}
