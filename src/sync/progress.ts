import type { EntityCounts, RunCursor } from "./pull.ts";

/** Where a pull run stands with each of its entities: from its cursor, which carries each entity's counts. */
export interface EntityProgress extends EntityCounts {
  entity: string;
  state: "PENDING" | "PULLING" | "DONE" | "FAILED";
}

const NOTHING_YET: EntityCounts = { fetched: 0, created: 0, updated: 0, unchanged: 0, deleted: 0 };

export function entityProgress(run: { cursor: unknown }): EntityProgress[] {
  const cursor = run.cursor as RunCursor | null;
  if (!cursor?.entities) return [];
  return cursor.entities.map((entity, index) => ({
    ...(cursor.counts?.[entity] ?? NOTHING_YET),
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
