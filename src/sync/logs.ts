import type { PrismaClient } from "../generated/prisma/client.ts";

/** Appends a line to a run's log (what it fetched, sent, skipped), numbered in order. */
export async function appendLog(
  db: Pick<PrismaClient, "syncLog">,
  runId: string,
  level: "INFO" | "WARN" | "ERROR",
  entity: string | null,
  message: string,
  data?: Record<string, number>,
): Promise<void> {
  const last = await db.syncLog.findFirst({
    where: { runId },
    orderBy: { sequence: "desc" },
    select: { sequence: true },
  });
  await db.syncLog.create({
    data: { runId, sequence: (last?.sequence ?? 0) + 1, level, entity, message, ...(data ? { data } : {}) },
  });
}
