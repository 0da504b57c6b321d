import type { CallTarget } from "../engine/provider-call.ts";
import { settlementOf } from "../engine/settlement.ts";
import type { WorkSource } from "../engine/work-source.ts";
import type { SyncRun } from "../generated/prisma/client.ts";
import type { PacketState, PlatformKey } from "../generated/prisma/enums.ts";
import { markSynced, markSyncing } from "../integrations/integration-state.ts";
import { logger } from "../logger.ts";
import { PLATFORMS } from "../platforms/catalog.ts";
import type { CallOutcome } from "../platforms/http.ts";
import {
  baseCurrencyOf,
  journalRequest,
  ORGANISATION_REQUEST,
} from "../platforms/xero-accounting/journal.ts";
import { XERO_ACCOUNTING_PULLERS } from "../platforms/xero-accounting/pull.ts";
import { exportAllowances } from "../sync/export-reserve.ts";
import { upsertRecords } from "../sync/records.ts";
import {
  activeRuns,
  deferRun,
  deferralMemory,
  integrationsWithActiveRuns,
  resumeRun,
  runUpdated,
} from "../sync/run-state.ts";
import type { WorkDeps } from "../sync/work-deps.ts";
import { baseCurrency, buildPackets, ORGANISATION_ENTITY } from "./build.ts";
import { reconcilePacketLog } from "./packet-log.ts";
import { type ClaimedPacket, packetQueue, packetSending, settlePacket } from "./packet-state.ts";
import { finishPushIfDone } from "./packets.ts";
import type { StoredPayload } from "./payload.ts";

type PushWork =
  | { kind: "packet"; run: SyncRun; packet: ClaimedPacket & { claimedFrom: PacketState } }
  /** The organisation's record, read before a run's packets are built when its base currency is not known. */
  | { kind: "organisation"; run: SyncRun };

/**
 * Accounting pushes as engine work, in the EXPORT lane ahead of the outbox: a push is a bounded batch
 * someone started and is watching, while the outbox drains continuously. A queued run's packets are
 * built (no call) once the organisation's base currency is known (one GET Organisation, mirrored, when
 * no pull has brought it yet); then each packet is one call, in order, with its content-derived
 * Idempotency-Key; the run ends when every packet is done. Its calls count against the export reserve
 * like the outbox's, so in ADAPTIVE reserve mode they carry the same allowance (export-reserve.ts).
 */
export function pushSource(deps: WorkDeps): WorkSource<PushWork> {
  const { prisma, sql } = deps;
  return {
    name: "pushes",
    lanes: ["EXPORT"],
    recoverOrphans: async (integrationId, claim) => {
      const recovered = await packetQueue.recoverOrphans(sql, integrationId, claim);
      // Their moves back (in flight → in doubt) go into the runs' logs, as every move does.
      if (recovered > 0) deps.publish(await reconcilePacketLog(sql, integrationId));
      return recovered;
    },
    integrationsWithWork: () => integrationsWithActiveRuns(prisma, ["PUSH"]),
    // Packets go to Xero Accounting, which honours Idempotency-Key: a packet in doubt is resent with its key.
    open(target: CallTarget, claim) {
      const integration = target.integration;
      /**
       * Whether a push run may have packets to send (set again on announcements). Never on a platform that
       * takes no pushes (no PUSH run is ever queued for it): an activation of a practice spends no look on them.
       */
      const pushes = takesPushes(integration.platform);
      let mayWait = pushes;
      /** Runs whose organisation read failed: they are built without a base currency (packets refused by name). */
      const baseUnreadable = new Set<string>();
      const organisationReads = new Map<string, number>();
      /** Packets whose call went out, until their SENDING is logged. */
      const sending = new Map<string, Promise<void>>();
      const readingOrganisation = new Set<string>();
      /** Records what GET Organisation answered: the mirrored record, or that the base currency stays unknown. */
      const settleOrganisationRead = async (run: SyncRun, outcome: CallOutcome) => {
        const attempts = (organisationReads.get(run.id) ?? 0) + 1;
        organisationReads.set(run.id, attempts);
        const settlement = settlementOf(outcome, attempts, deps.time);
        if (settlement.kind === "done") {
          await mirrorOrganisation(prisma, run, settlement.body);
          if (baseCurrencyOf(settlement.body) === null) baseUnreadable.add(run.id);
        } else if (settlement.kind === "failed" || (settlement.kind === "retry" && attempts >= 3)) {
          // Refused, or failing again and again: the packets are built and refused by name instead.
          baseUnreadable.add(run.id);
        } else if (settlement.kind === "requeue" && settlement.dayCapped) {
          deps.publish((await deferRun(prisma, run, settlement.retryAfterMs)).events);
        }
      };
      const deferred = deferralMemory();
      const reserve = exportAllowances(deps, target);
      return {
        announced: () => {
          mayWait = pushes;
          reserve.forget();
        },
        async next() {
          if (pushes && deferred.arrived()) mayWait = true;
          while (mayWait) {
            const { due, deferredAt } = await activeRuns(deps.sql, integration.id, ["PUSH"]);
            deferred.learn(deferredAt);
            const run = due[0];
            if (!run) {
              mayWait = false;
              break;
            }
            if (run.status === "DEFERRED") {
              deps.publish((await resumeRun(prisma, run)).events);
              continue;
            }
            if (run.status === "QUEUED") {
              if (!baseUnreadable.has(run.id) && (await baseCurrency(prisma, run.integrationId)) === null) {
                // One read at a time: the other call slots wait for it rather than read it again.
                if (readingOrganisation.has(run.id)) return { kind: "none", dueAt: null };
                // Worked out before anything is claimed: a failure to work it out leaves nothing claimed.
                const allowance = await reserve.offer();
                readingOrganisation.add(run.id);
                return {
                  kind: "call",
                  lane: "EXPORT",
                  work: { kind: "organisation", run },
                  request: ORGANISATION_REQUEST,
                  logContext: { runId: run.id },
                  ...allowance,
                };
              }
              deps.publish(await buildPackets(prisma, run));
              deps.publish([...(await markSyncing(prisma, integration)).events, ...runUpdated(run)]);
              continue;
            }
            const scope = { column: "runId", id: run.id };
            const allowance = await reserve.offer();
            const packet = await packetQueue.claim(sql, scope, claim);
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
              work: { kind: "packet", run, packet },
              request: journalRequest(journal),
              idempotencyKey: packet.idempotencyKey,
              logContext: { runId: run.id },
              ...allowance,
            };
          }
          return { kind: "none", dueAt: deferred.at() };
        },
        async unclaim(work, denial) {
          if (work.kind === "packet") await packetQueue.unclaim(sql, work.packet, claim.fence);
          else readingOrganisation.delete(work.run.id);
          if (denial?.reason === "day" || denial?.reason === "exportDay")
            deps.publish((await deferRun(prisma, work.run, denial.waitMs)).events);
        },
        calling(work) {
          if (work.kind !== "packet") return;
          const logged = packetSending(sql, work.packet).then(deps.publish, (err) =>
            logger.warn({ err, packetId: work.packet.id }, "packet's SENDING not logged"),
          );
          sending.set(work.packet.id, logged);
        },
        async settle(work, outcome) {
          const { run } = work;
          if (work.kind === "organisation") {
            try {
              await settleOrganisationRead(run, outcome);
            } finally {
              // Only once the answer is mirrored: a slot asking meanwhile must not read it again.
              readingOrganisation.delete(run.id);
            }
            return;
          }
          const { packet } = work;
          // Its SENDING goes into the log (and out to subscribers) before what came of it.
          await sending.get(packet.id);
          sending.delete(packet.id);
          const settlement = settlementOf(outcome, packet.attempts, deps.time, { write: true });
          deps.publish(await settlePacket(prisma, packet, settlement, claim.fence));
          if (settlement.kind === "requeue" && settlement.dayCapped)
            deps.publish((await deferRun(prisma, run, settlement.retryAfterMs)).events);
          deps.publish(runUpdated(run));
        },
      };
    },
  };
}

/** Mirrors the organisation's record a push read, as a pull of the same entity would have. */
async function mirrorOrganisation(prisma: WorkDeps["prisma"], run: SyncRun, body: unknown): Promise<void> {
  const puller = XERO_ACCOUNTING_PULLERS[ORGANISATION_ENTITY]!;
  const context = { kind: run.kind, since: null, startedAt: new Date(), customFields: [], relistDays: 0 };
  const page = puller.parse(context, body, null, new Headers());
  await prisma.$transaction((tx) =>
    upsertRecords(
      tx,
      { integrationId: run.integrationId, entity: ORGANISATION_ENTITY, runId: run.id },
      page.records,
    ),
  );
}

/** Whether the platform takes accounting pushes (runs.ts queues a PUSH run for no other). */
function takesPushes(platform: PlatformKey): boolean {
  return PLATFORMS[platform].syncKinds.includes("PUSH");
}
