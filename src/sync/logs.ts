import type { PrismaClient } from "../generated/prisma/client.ts";
import { redactText } from "../redact.ts";

/**
 * Appends a line to a run's log (what it fetched, sent, skipped), numbered in order. A VIEWER reads it,
 * so anything credential-shaped in the message is redacted (src/redact.ts).
 */
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
    data: {
      runId,
      sequence: (last?.sequence ?? 0) + 1,
      level,
      entity,
      message: redactText(message),
      ...(data ? { data } : {}),
    },
  });
}
