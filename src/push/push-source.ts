import type { CallTarget } from "../engine/provider-call.ts";
import { settlementOf } from "../engine/settlement.ts";
import type { WorkSource } from "../engine/work-source.ts";
import type { SyncRun } from "../generated/prisma/client.ts";
import { markSynced, markSyncing } from "../integrations/integration-state.ts";
import { journalRequest } from "../platforms/xero-accounting/journal.ts";
import { nextDeferredDue } from "../sync/pull-source.ts";
import { deferRun, integrationsWithActiveRuns, resumeRun, runUpdated } from "../sync/run-state.ts";
import type { WorkDeps } from "../sync/work-deps.ts";
import { buildPackets } from "./build.ts";
import { type ClaimedPacket, packetMoved, packetQueue, settlePacket } from "./packet-state.ts";
import { finishPushIfDone } from "./packets.ts";
import type { StoredPayload } from "./payload.ts";

interface PushWork {
  run: SyncRun;
  packet: ClaimedPacket;
}

/**
 * Accounting pushes as engine work, in the EXPORT lane ahead of the outbox: a push is a bounded batch
 * someone started and is watching, while the outbox drains continuously. A queued run's packets are
 * built (no call); then each packet is one call, in order, with its content-derived Idempotency-Key;
 * the run ends when every packet is done.
 */
export function pushSource(deps: WorkDeps): WorkSource<PushWork> {
  const { prisma, sql } = deps;
  return {
    name: "pushes",
    lanes: ["EXPORT"],
    recoverOrphans: (integrationId) => packetQueue.recoverOrphans(sql, integrationId),
    integrationsWithWork: () => integrationsWithActiveRuns(prisma, ["PUSH"]),
    open(target: CallTarget) {
      const integration = target.integration;
      /** Whether a push run may have packets to send (set again on announcements). */
      let mayWait = true;
      return {
        announced: () => {
          mayWait = true;
        },
        async next() {
          while (mayWait) {
            const run = await prisma.syncRun.findFirst({
              where: {
                integrationId: integration.id,
                kind: "PUSH",
                OR: [
                  { status: { in: ["QUEUED", "RUNNING"] } },
                  { status: "DEFERRED", deferredUntil: { lte: new Date() } },
                ],
              },
              orderBy: [{ queuedAt: "asc" }, { id: "asc" }],
            });
            if (!run) {
              mayWait = false;
              break;
            }
            if (run.status === "DEFERRED") {
              deps.publish((await resumeRun(prisma, run)).events);
              continue;
            }
            if (run.status === "QUEUED") {
              deps.publish(await buildPackets(prisma, run));
              deps.publish([...(await markSyncing(prisma, integration)).events, ...runUpdated(run)]);
              continue;
            }
            const scope = { column: "runId", id: run.id };
            const packet = await packetQueue.claim(sql, scope);
            if (!packet) {
              const ended = await finishPushIfDone(prisma, run);
              if (ended.length > 0) {
                deps.publish([...ended, ...(await markSynced(prisma, integration)).events]);
                continue;
              }
              // Packets in flight on other slots, or backing off: look again when one is due.
              return { kind: "none", dueAt: await packetQueue.nextDue(sql, scope) };
            }
            const { journal } = packet.payload as unknown as StoredPayload;
            if (!journal) throw new Error(`Packet ${packet.id} was claimed without a journal`);
            return {
              kind: "call",
              lane: "EXPORT",
              work: { run, packet },
              request: journalRequest(journal),
              idempotencyKey: packet.idempotencyKey,
            };
          }
          return {
            kind: "none",
            dueAt: await nextDeferredDue(deps, integration.id, { kind: "PUSH" }),
          };
        },
        async unclaim({ run, packet }, denial) {
          await packetQueue.unclaim(sql, packet.id);
          if (denial.reason === "day" || denial.reason === "exportDay")
            deps.publish((await deferRun(prisma, run, denial.waitMs)).events);
        },
        calling({ packet }) {
          deps.publish([packetMoved(packet, "MAPPED", "SENDING")]);
        },
        async settle({ run, packet }, outcome) {
          const settlement = settlementOf(outcome, packet.attempts, deps.time);
          deps.publish(await settlePacket(prisma, packet, settlement));
          if (settlement.kind === "requeue" && settlement.dayCapped)
            deps.publish((await deferRun(prisma, run, settlement.retryAfterMs)).events);
          deps.publish(runUpdated(run));
        },
      };
    },
  };
}
