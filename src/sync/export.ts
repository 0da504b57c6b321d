import { randomUUID } from "node:crypto";
import { type FieldIssue, ValidationError } from "../errors.ts";
import { Prisma } from "../generated/prisma/client.ts";
import type { PlatformKey } from "../platforms/catalog.ts";
import { exportTarget, knownExportTarget } from "../platforms/exports.ts";
import { knownRemote } from "./export-conflict.ts";

/**
 * The export outbox (DESIGN.md, "Export"): local edits are accepted at once, durably, in one
 * transaction, and drained by the engine under the export reserve. Items for the same remote object
 * and field coalesce while pending: the newest value replaces the queued one and keeps its place, so
 * only the latest value is sent. A new item remembers the value the platform held for the field as far
 * as syncline knows (its base: the last pull's, or an export's sent since), so a change made on the
 * platform meanwhile is seen as a conflict instead of being overwritten (sync/export-conflict.ts).
 */
export interface ExportEdit {
  entity: string;
  remoteId: string;
  field: string;
  value: unknown;
}

export interface EnqueueResult {
  /** Items now waiting that did not exist before. */
  added: number;
  /** Items that replaced the value of one already waiting. */
  coalesced: number;
  /** Edits of this call replaced by a later edit of the same object and field in the same call. */
  superseded: number;
}

type Tx = Prisma.TransactionClient;

/** Checks every edit against the platform's export targets; all problems are reported at once. */
export function validateEdits(platform: PlatformKey, edits: ExportEdit[], basePath: string[] = ["items"]) {
  const issues: FieldIssue[] = [];
  edits.forEach((edit, index) => {
    const path = [...basePath, String(index)];
    const target = exportTarget(platform, edit.entity);
    if (!target) {
      issues.push({
        path: [...path, "entity"],
        message: `${platform} accepts no exports of "${edit.entity}"`,
      });
      return;
    }
    if (!edit.remoteId.trim()) issues.push({ path: [...path, "remoteId"], message: "must not be empty" });
    // Own keys only: a field named "__proto__" is an unknown field, not the object's prototype.
    const schema = Object.hasOwn(target.fields, edit.field) ? target.fields[edit.field] : undefined;
    if (!schema) {
      const known = Object.keys(target.fields).join(", ");
      issues.push({ path: [...path, "field"], message: `unknown field; expected one of ${known}` });
      return;
    }
    const parsed = schema.safeParse(edit.value);
    if (!parsed.success) issues.push({ path: [...path, "value"], message: parsed.error.issues[0]!.message });
  });
  if (issues.length > 0) throw new ValidationError(issues);
}

const keyOf = (edit: Pick<ExportEdit, "entity" | "remoteId" | "field">) =>
  JSON.stringify([edit.entity, edit.remoteId, edit.field]);

export async function enqueueEdits(
  tx: Tx,
  integrationId: string,
  edits: ExportEdit[],
): Promise<EnqueueResult> {
  // Inside one call the last edit of a key wins, at the position of its first.
  const latest = new Map<string, ExportEdit>();
  for (const edit of edits) latest.set(keyOf(edit), edit);

  // Lock the waiting items we may coalesce into. The engine claims items with SKIP LOCKED, so it cannot
  // take one while we change its value; one it already claimed is no longer PENDING and gets a new item.
  const remoteIds = [...new Set(edits.map((e) => e.remoteId))];
  const waiting = await tx.$queryRaw<{ id: string; entity: string; remoteId: string; field: string }[]>`
    SELECT id, entity, "remoteId", field FROM "ExportItem"
    WHERE "integrationId" = ${integrationId}::uuid AND status = 'PENDING' AND "remoteId" = ANY(${remoteIds})
    FOR UPDATE`;
  const waitingByKey = new Map(waiting.map((item) => [keyOf(item), item.id]));

  const { platform } = await tx.integration.findUniqueOrThrow({
    where: { id: integrationId },
    select: { platform: true },
  });
  const bases = await knownValues(tx, integrationId, platform, latest.values());
  let coalesced = 0;
  const fresh: Prisma.ExportItemCreateManyInput[] = [];
  for (const [key, edit] of latest) {
    const existing = waitingByKey.get(key);
    if (existing) {
      // A new value is a new request: it gets its own idempotency key.
      await tx.exportItem.update({
        where: { id: existing },
        data: { value: edit.value as Prisma.InputJsonValue, idempotencyKey: randomUUID(), error: null },
      });
      coalesced++;
    } else {
      fresh.push({
        integrationId,
        entity: edit.entity,
        remoteId: edit.remoteId,
        field: edit.field,
        value: edit.value as Prisma.InputJsonValue,
        idempotencyKey: randomUUID(),
        // A coalesced item keeps its base: the platform has not seen any of its values yet.
        ...(bases.has(key) ? { baseValue: jsonOrNull(bases.get(key)) } : {}),
      });
    }
  }
  // createMany inserts in order, so `sequence` keeps the batch first come, first served.
  if (fresh.length > 0) await tx.exportItem.createMany({ data: fresh });
  return { added: fresh.length, coalesced, superseded: edits.length - latest.size };
}

const jsonOrNull = (value: unknown) => (value === null ? Prisma.JsonNull : (value as Prisma.InputJsonValue));

/**
 * The platform's value of each edited field as syncline knows it (keyed like the edits; absent: not
 * known): the objects' mirrored records and the fields' last sent exports; or, while an earlier edit of
 * the field is still on its way, that edit's value, which the platform holds by the time this one goes.
 */
async function knownValues(
  tx: Tx,
  integrationId: string,
  platform: PlatformKey,
  edits: Iterable<ExportEdit>,
): Promise<Map<string, Prisma.JsonValue>> {
  const known = new Map<string, Prisma.JsonValue>();
  const list = [...edits];
  if (list.length === 0) return known;
  const remoteIds = [...new Set(list.map((edit) => edit.remoteId))];
  const [mirrors, sent, underway] = await Promise.all([
    tx.$queryRaw<{ entity: string; remoteId: string; data: Prisma.JsonValue; at: Date }[]>`
      SELECT entity, "remoteId", data, "updatedAt" AS at FROM "SyncedRecord"
      WHERE "integrationId" = ${integrationId}::uuid AND "remoteId" = ANY(${remoteIds}) AND NOT deleted`,
    tx.$queryRaw<{ entity: string; remoteId: string; field: string; value: Prisma.JsonValue; at: Date }[]>`
      SELECT DISTINCT ON (entity, "remoteId", field) entity, "remoteId", field, value, "sentAt" AS at
      FROM "ExportItem"
      WHERE "integrationId" = ${integrationId}::uuid AND "remoteId" = ANY(${remoteIds}) AND status = 'SENT'
      ORDER BY entity, "remoteId", field, "sentAt" DESC`,
    tx.$queryRaw<{ entity: string; remoteId: string; field: string; value: Prisma.JsonValue }[]>`
      SELECT DISTINCT ON (entity, "remoteId", field) entity, "remoteId", field, value FROM "ExportItem"
      WHERE "integrationId" = ${integrationId}::uuid AND "remoteId" = ANY(${remoteIds})
        AND status IN ('SENDING', 'IN_DOUBT', 'VERIFYING')
      ORDER BY entity, "remoteId", field, sequence DESC`,
  ]);
  const underwayOf = new Map(underway.map((row) => [keyOf(row), row.value]));
  const mirrorOf = new Map(mirrors.map((m) => [JSON.stringify([m.entity, m.remoteId]), m]));
  const sentOf = new Map(sent.map((row) => [keyOf(row), row]));
  for (const edit of list) {
    const key = keyOf(edit);
    if (underwayOf.has(key)) {
      known.set(key, underwayOf.get(key)!);
      continue;
    }
    const mirror = mirrorOf.get(JSON.stringify([edit.entity, edit.remoteId]));
    const last = sentOf.get(key);
    const value = knownRemote(knownExportTarget(platform, edit.entity), {
      field: edit.field,
      mirror: mirror ? { data: mirror.data, at: mirror.at } : null,
      lastSent: last ? { value: last.value, at: last.at } : null,
    });
    if (value !== undefined) known.set(key, value.value);
  }
  return known;
}
