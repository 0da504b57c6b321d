import { createHash } from "node:crypto";
import type { Prisma } from "../generated/prisma/client.ts";

/** A record as a platform returned it. */
export interface RemoteRecord {
  remoteId: string;
  data: unknown;
  remoteUpdatedAt?: Date | null;
}

export interface UpsertCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/** Hash of a canonical JSON form (keys sorted), so key order never makes a record look changed. */
export function contentHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Mirrors one page of pulled records into SyncedRecord: new ones are inserted, changed ones (by content
 * hash) rewritten, unchanged ones left alone but marked as seen by this run (for deletion reconciling).
 */
export async function upsertRecords(
  tx: Prisma.TransactionClient,
  target: { integrationId: string; entity: string; runId: string },
  records: RemoteRecord[],
): Promise<UpsertCounts> {
  const counts: UpsertCounts = { created: 0, updated: 0, unchanged: 0 };
  if (records.length === 0) return counts;
  const latest = new Map(records.map((record) => [record.remoteId, record]));
  const existing = await tx.syncedRecord.findMany({
    where: {
      integrationId: target.integrationId,
      entity: target.entity,
      remoteId: { in: [...latest.keys()] },
    },
    select: { id: true, remoteId: true, contentHash: true, deleted: true },
  });
  const byRemoteId = new Map(existing.map((row) => [row.remoteId, row]));
  const fresh: Prisma.SyncedRecordCreateManyInput[] = [];
  const unchangedIds: string[] = [];
  for (const record of latest.values()) {
    const hash = contentHash(record.data);
    const row = byRemoteId.get(record.remoteId);
    if (!row) {
      fresh.push({
        integrationId: target.integrationId,
        entity: target.entity,
        remoteId: record.remoteId,
        data: record.data as Prisma.InputJsonValue,
        remoteUpdatedAt: record.remoteUpdatedAt ?? null,
        contentHash: hash,
        lastRunId: target.runId,
      });
    } else if (row.contentHash !== hash || row.deleted) {
      await tx.syncedRecord.update({
        where: { id: row.id },
        data: {
          data: record.data as Prisma.InputJsonValue,
          remoteUpdatedAt: record.remoteUpdatedAt ?? null,
          contentHash: hash,
          deleted: false,
          lastRunId: target.runId,
        },
      });
      counts.updated++;
    } else {
      unchangedIds.push(row.id);
    }
  }
  if (fresh.length > 0) await tx.syncedRecord.createMany({ data: fresh });
  counts.created = fresh.length;
  counts.unchanged = unchangedIds.length;
  // Seen, not rewritten: only the run marker moves (no content write, no updatedAt bump).
  if (unchangedIds.length > 0) {
    await tx.$executeRaw`UPDATE "SyncedRecord" SET "lastRunId" = ${target.runId}::uuid WHERE id = ANY(${unchangedIds}::uuid[])`;
  }
  return counts;
}

/** After a complete listing: records this run did not see were deleted on the platform. */
export async function reconcileDeletions(
  tx: Prisma.TransactionClient,
  target: { integrationId: string; entity: string; runId: string },
): Promise<number> {
  const { count } = await tx.syncedRecord.updateMany({
    where: {
      integrationId: target.integrationId,
      entity: target.entity,
      deleted: false,
      OR: [{ lastRunId: null }, { lastRunId: { not: target.runId } }],
    },
    data: { deleted: true },
  });
  return count;
}
