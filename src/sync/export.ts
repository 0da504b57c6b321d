import { randomUUID } from "node:crypto";
import { type FieldIssue, ValidationError } from "../errors.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { PlatformKey } from "../platforms/catalog.ts";
import { exportTarget } from "../platforms/exports.ts";

/**
 * The export outbox (DESIGN.md, "Export"): local edits are accepted at once, durably, in one
 * transaction, and drained by the engine under the export reserve. Items for the same remote object
 * and field coalesce while pending: the newest value replaces the queued one and keeps its place, so
 * only the latest value is sent.
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
    const schema = target.fields[edit.field];
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
      });
    }
  }
  // createMany inserts in order, so `sequence` keeps the batch first come, first served.
  if (fresh.length > 0) await tx.exportItem.createMany({ data: fresh });
  return { added: fresh.length, coalesced };
}
