import type { PrismaClient } from "../generated/prisma/client.ts";
import type { RunCursor } from "./pull.ts";

/** Where a pull run stands with each of its entities, from its cursor and its per-page log lines. */
export interface EntityProgress {
  entity: string;
  state: "PENDING" | "PULLING" | "DONE" | "FAILED";
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

const NOTHING_YET = { fetched: 0, created: 0, updated: 0, unchanged: 0, deleted: 0 };

export async function entityProgress(
  prisma: PrismaClient,
  run: { id: string; cursor: unknown },
): Promise<EntityProgress[]> {
  const cursor = run.cursor as RunCursor | null;
  if (!cursor?.entities) return [];
  // Each page's log line carries its counts (sync/pull.ts applyPage); summed per entity in SQL.
  const sums = await prisma.$queryRawUnsafe<
    {
      entity: string;
      fetched: number;
      created: number;
      updated: number;
      unchanged: number;
      deleted: number;
    }[]
  >(
    `SELECT entity,
            COALESCE(SUM((data->>'fetched')::int), 0)::int AS fetched,
            COALESCE(SUM((data->>'created')::int), 0)::int AS created,
            COALESCE(SUM((data->>'updated')::int), 0)::int AS updated,
            COALESCE(SUM((data->>'unchanged')::int), 0)::int AS unchanged,
            COALESCE(SUM((data->>'deleted')::int), 0)::int AS deleted
     FROM "SyncLog" WHERE "runId" = $1::uuid AND entity IS NOT NULL AND data IS NOT NULL
     GROUP BY entity`,
    run.id,
  );
  const byEntity = new Map(sums.map((row) => [row.entity, row]));
  return cursor.entities.map((entity, index) => ({
    ...(byEntity.get(entity) ?? NOTHING_YET),
    entity,
    state: cursor.failedEntities.includes(entity)
      ? "FAILED"
      : index < cursor.index
        ? "DONE"
        : index === cursor.index
          ? "PULLING"
          : "PENDING",
  }));
}
