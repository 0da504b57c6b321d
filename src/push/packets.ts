import type { DomainEvent } from "../events.ts";
import type { Prisma, PrismaClient, SyncRun } from "../generated/prisma/client.ts";
import type { PacketState } from "../generated/prisma/enums.ts";
import { appendLog } from "../sync/logs.ts";
import { moveRun, runUpdated } from "../sync/run-state.ts";
import { baseCurrency, mapDraft } from "./build.ts";
import { Mapper } from "./mapping.ts";
import { remapFailedPacket } from "./packet-state.ts";
import { loadDraft, type StoredPayload } from "./payload.ts";

/** A push run as a whole: ending it once every packet is processed, and retrying its failed packets. */

type Tx = Prisma.TransactionClient;

/**
 * Ends a push run once every packet was processed (SENT, FAILED or SKIPPED): SUCCEEDED, with counts from
 * the packets. A run whose packets are still on their way is left alone. Returns the events (none: not ended).
 */
export async function finishPushIfDone(prisma: PrismaClient, run: Pick<SyncRun, "id" | "integrationId">) {
  return prisma.$transaction(async (tx): Promise<DomainEvent[]> => {
    const open = await tx.syncPacket.count({
      where: { runId: run.id, state: { in: ["PENDING", "MAPPED", "SENDING", "IN_DOUBT"] } },
    });
    if (open > 0) return [];
    const byState = await tx.syncPacket.groupBy({ by: ["state"], where: { runId: run.id }, _count: true });
    const count = (state: PacketState) => byState.find((row) => row.state === state)?._count ?? 0;
    const ended = await moveRun(
      tx,
      run,
      "SUCCEEDED",
      {
        finishedAt: new Date(),
        sentCount: count("SENT"),
        failedCount: count("FAILED"),
        skippedCount: count("SKIPPED"),
        error: count("FAILED") > 0 ? `${count("FAILED")} packets failed; see each packet's error` : null,
      },
      ["RUNNING"],
    );
    if (ended.changed) {
      await appendLog(
        tx,
        run.id,
        count("FAILED") > 0 ? "WARN" : "INFO",
        null,
        `Push processed: ${count("SENT")} sent, ${count("FAILED")} failed, ${count("SKIPPED")} skipped`,
      );
    }
    return ended.events;
  });
}

/**
 * Puts a push run's FAILED packets back in line, mapped again with the current rules (a missing rule may
 * have been added meanwhile); SENT packets are never resent. Returns how many and the events.
 */
export async function retryFailedPackets(
  tx: Tx,
  run: SyncRun,
): Promise<{ retried: number; events: DomainEvent[] }> {
  const failed = await tx.syncPacket.findMany({
    where: { runId: run.id, state: "FAILED" },
    orderBy: { sequence: "asc" },
  });
  if (failed.length === 0) return { retried: 0, events: [] };
  const mapper = new Mapper(await tx.mappingRule.findMany({ where: { integrationId: run.integrationId } }));
  const base = await baseCurrency(tx, run.integrationId);
  const events: DomainEvent[] = [];
  for (const packet of failed) {
    const stored = packet.payload as unknown as StoredPayload;
    const mapped = mapDraft(
      mapper,
      run.integrationId,
      loadDraft(stored.draft),
      stored.replaces ?? null,
      base,
    );
    // A packet whose value still has no rule stays FAILED: that is no move to report.
    events.push(...(await remapFailedPacket(tx, packet, mapped)));
  }
  const stillFailed = failed.length - events.length;
  const reopened = {
    finishedAt: null,
    error: null,
    failedCount: { decrement: failed.length - stillFailed },
  };
  if (run.status === "SUCCEEDED")
    events.push(...(await moveRun(tx, run, "RUNNING", reopened, ["SUCCEEDED"])).events);
  else {
    await tx.syncRun.update({ where: { id: run.id }, data: reopened });
    events.push(...runUpdated(run));
  }
  await appendLog(
    tx,
    run.id,
    "INFO",
    null,
    `Retrying ${failed.length} failed packets (${stillFailed} still unmapped)`,
  );
  return { retried: failed.length, events };
}
