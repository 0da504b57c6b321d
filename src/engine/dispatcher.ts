import { randomUUID } from "node:crypto";
import type BeeQueue from "bee-queue";
import type { Config } from "../config.ts";
import type { SqlPool } from "../db/client.ts";
import { type Events, type PacketTransition, publishEvents } from "../events.ts";

const publishRunUpdated = (events: Events, run: { id: string; integrationId: string }) =>
  publishEvents(events, [{ topic: "syncRunUpdated", runId: run.id, integrationId: run.integrationId }]);
const publishPacketTransitions = (events: Events, transitions: readonly PacketTransition[]) =>
  publishEvents(
    events,
    transitions.map((transition) => ({ topic: "packetStateChanged" as const, transition })),
  );

import type { PrismaClient, SyncRun } from "../generated/prisma/client.ts";
import { logger as rootLogger } from "../logger.ts";
import type { CallOutcome } from "../platforms/http.ts";
import {
  buildPackets,
  claimPacket,
  finishPushIfDone,
  nextPacketDue,
  packetRequest,
  requeueOrphanedPackets,
  settlePacket,
  unclaimPacket,
} from "../push/packets.ts";
import { applyPage, finishRun, nextPullStep, type PullStep, retryPage, skipEntity } from "../sync/pull.ts";
import type { ActivationLock } from "./activation-lock.ts";
import { type ActivationJob, enqueueActivation } from "./activation-queue.ts";
import type { CallBudget, Grant } from "./budget.ts";
import {
  claimExport,
  exportRequest,
  nextExportDue,
  requeueOrphanedExports,
  settleExport,
  unclaimExport,
} from "./export-work.ts";
import type { Lane } from "./lanes.ts";
import { Mutex } from "./mutex.ts";
import { type CallTarget, callTargetOf, callUnderLease, type OutgoingRequest } from "./provider-call.ts";
import type { WakeHub } from "./wake.ts";

export interface DispatcherDeps {
  prisma: PrismaClient;
  /** Raw SQL for the per-call statements (claiming and settling exports). */
  sql: SqlPool;
  config: Config;
  budget: CallBudget;
  lock: ActivationLock;
  wake: WakeHub;
  queue: BeeQueue<ActivationJob>;
  events: Events;
}

/** What an activation knows while it serves one integration. */
interface Activation extends CallTarget {
  /** Serialises "find the best lane, take budget, claim an item" between the activation's slots. */
  picking: Mutex;
  /** Runs with a page in flight: a run's pages go one after another. */
  busyRuns: Set<string>;
  /**
   * Whether runs may be waiting. Runs arrive with an announcement (Dispatcher.notify), so the run query
   * is skipped between announcements while the activation drains exports: one query less per call.
   */
  runsMayWait: boolean;
  /** Whether a push run may have packets to send (set on announcements, like runsMayWait). */
  pushMayWait: boolean;
  /** Stops listening to announcements for the integration. */
  unwatch: () => void;
  lockLost: boolean;
}

type SlotEnd = { parkUntil: number | null };

type Pick =
  | { kind: "idle"; dueAt: number | null }
  | { kind: "wait"; waitMs: number }
  /** `run` makes the call and releases its budget lease when the answer is in. */
  | { kind: "call"; lane: Lane; run: () => Promise<void> };

/**
 * Serves one integration per activation job (DESIGN.md, "The dispatch engine"). It holds the
 * integration's activation lock, runs as many call slots as the integration may have calls in flight,
 * and before every call picks the highest lane with pending work and charges the call budget
 * atomically in Redis. When the budget's wait is long it parks: it schedules a delayed activation and
 * lets go of its worker slot.
 */
export class Dispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  /**
   * Announces new work for an integration: starts an activation, or makes the running one look again.
   * Work above the EXPORT lane (runs) also wakes slots sleeping for export budget, so it goes next;
   * more exports need no such wake-up: they queue behind the ones already waiting.
   */
  async notify(integrationId: string, options: { preempt?: boolean } = {}): Promise<void> {
    await this.deps.lock.markDirty(integrationId);
    if (options.preempt ?? true) await this.deps.wake.announce(integrationId);
    await enqueueActivation(this.deps.queue, integrationId);
  }

  /**
   * The scheduler's safety net: starts an activation for an integration with pending work unless one is
   * running or parked (its delayed job is on the way). Lost Redis state forgets both, so it restarts.
   */
  async activateIfUnattended(integrationId: string): Promise<void> {
    if (await this.deps.lock.isAttended(integrationId)) return;
    await enqueueActivation(this.deps.queue, integrationId);
  }

  async serve(integrationId: string): Promise<void> {
    const { lock } = this.deps;
    const token = randomUUID();
    if (!(await lock.acquire(integrationId, token))) return;
    const activation: { current?: Activation } = {};
    const renewal = setInterval(() => {
      lock.renew(integrationId, token).then(
        (held) => {
          if (!held && activation.current) activation.current.lockLost = true;
        },
        () => {},
      );
    }, lock.ttlMs / 3);
    try {
      const orphans = await requeueOrphanedExports(this.deps.prisma, integrationId);
      if (orphans > 0)
        rootLogger.warn({ integrationId, orphans }, "re-queued exports left in flight by a lost worker");
      const orphanPackets = await requeueOrphanedPackets(this.deps.prisma, integrationId);
      if (orphanPackets > 0)
        rootLogger.warn(
          { integrationId, orphanPackets },
          "re-queued packets left in flight by a lost worker",
        );
      for (;;) {
        await lock.clearDirty(integrationId);
        activation.current = await this.prepare(integrationId);
        const current = activation.current;
        if (current) {
          current.unwatch = this.deps.wake.watch(integrationId, () => {
            current.runsMayWait = true;
            current.pushMayWait = true;
          });
        }
        const parkUntil = current ? await this.serveRound(current).finally(() => current.unwatch()) : null;
        if (activation.current?.lockLost) return;
        if (parkUntil !== null) await lock.markParked(integrationId, parkUntil);
        // New work arrived meanwhile: serve again now, no need to park.
        if ((await lock.release(integrationId, token)) === "dirty") continue;
        // The wake-up is enqueued only once the lock is free: a short park's delayed activation could
        // otherwise fire while this one still holds the lock, find it taken, and be lost. (Should this
        // process die in between, the parked mark expires and the scheduler's sweep wakes the integration.)
        if (parkUntil !== null) await enqueueActivation(this.deps.queue, integrationId, parkUntil);
        return;
      }
    } finally {
      clearInterval(renewal);
    }
  }

  private async prepare(integrationId: string): Promise<Activation | undefined> {
    const integration = await this.deps.prisma.integration.findUnique({ where: { id: integrationId } });
    if (!integration || integration.status === "PAUSED" || integration.status === "DISCONNECTED")
      return undefined;
    return {
      ...callTargetOf(this.deps.config, integration, rootLogger),
      picking: new Mutex(),
      busyRuns: new Set(),
      runsMayWait: true,
      pushMayWait: true,
      unwatch: () => {},
      lockLost: false,
    };
  }

  /** Runs the slots until there is no work, or all are parked; returns when to wake up, if ever. */
  private async serveRound(activation: Activation): Promise<number | null> {
    const slots = Array.from({ length: activation.limits.caps.concurrent }, () => this.slot(activation));
    const ends = await Promise.all(slots);
    const parks = ends.map((end) => end.parkUntil).filter((at): at is number => at !== null);
    return parks.length > 0 ? Math.min(...parks) : null;
  }

  private async slot(activation: Activation): Promise<SlotEnd> {
    const id = activation.integration.id;
    for (;;) {
      if (activation.lockLost) return { parkUntil: null };
      const pick = await activation.picking.run(() => this.pick(activation));
      if (pick.kind === "idle") return { parkUntil: pick.dueAt };
      if (pick.kind === "wait") {
        if (pick.waitMs > this.deps.config.engine.parkAfterMs) return { parkUntil: Date.now() + pick.waitMs };
        await this.deps.wake.sleep(id, pick.waitMs);
        continue;
      }
      await pick.run();
      this.publishProgress(activation);
    }
  }

  /**
   * The highest lane with pending work, its budget, and the call it will make. Pull runs travel in the
   * lanes of their kinds, all above EXPORT; inside a lane the oldest run goes first.
   */
  private async pick(activation: Activation): Promise<Pick> {
    let backoffUntil: number | null = null;
    const skipped = new Set<string>();
    while (activation.runsMayWait) {
      // Cleared before the query, so an announcement that lands during it is not lost.
      activation.runsMayWait = false;
      const run = await this.nextRun(activation, skipped);
      if (!run) {
        // Skipped (backed-off) runs are looked at again on the next pick.
        if (skipped.size > 0) activation.runsMayWait = true;
        break;
      }
      activation.runsMayWait = true;
      const step = await nextPullStep(this.deps.prisma, run, activation.integration);
      if (step.kind === "done") {
        await this.finish(activation, run);
        continue;
      }
      if (step.kind === "backoff") {
        skipped.add(run.id);
        backoffUntil = Math.min(backoffUntil ?? step.until, step.until);
        continue;
      }
      if (run.status === "QUEUED") await this.markSyncing(activation, run);
      if (run.status === "DEFERRED") await this.resumeDeferred(run);
      const grant = await this.deps.budget.acquire(activation.integration.id, activation.limits, run.lane);
      if (!grant.granted) return this.waitFor(grant, run);
      activation.busyRuns.add(run.id);
      return { kind: "call", lane: run.lane, run: () => this.pullPage(activation, run, step, grant.leaseId) };
    }
    const packetPick = await this.pickPacket(activation);
    if (packetPick.kind !== "idle") return packetPick;
    const exportPick = await this.pickExport(activation);
    if (exportPick.kind !== "idle") return exportPick;
    // Nothing to do now: wake up when a backed-off page, a deferred run or a backed-off export is due.
    const deferred = await this.deps.prisma.syncRun.findFirst({
      where: {
        integrationId: activation.integration.id,
        status: "DEFERRED",
        deferredUntil: { gt: new Date() },
      },
      orderBy: { deferredUntil: "asc" },
      select: { deferredUntil: true },
    });
    const due = [
      exportPick.dueAt,
      packetPick.dueAt,
      backoffUntil,
      deferred?.deferredUntil?.getTime() ?? null,
    ].filter((at): at is number => at !== null);
    return { kind: "idle", dueAt: due.length > 0 ? Math.min(...due) : null };
  }

  private nextRun(activation: Activation, skipped: Set<string>) {
    return this.deps.prisma.syncRun.findFirst({
      where: {
        integrationId: activation.integration.id,
        lane: { not: "EXPORT" },
        id: { notIn: [...activation.busyRuns, ...skipped] },
        OR: [
          { status: { in: ["QUEUED", "RUNNING"] } },
          { status: "DEFERRED", OR: [{ deferredUntil: null }, { deferredUntil: { lte: new Date() } }] },
        ],
      },
      // Lane is an enum declared highest first, so ascending order is priority order.
      orderBy: [{ lane: "asc" }, { queuedAt: "asc" }, { id: "asc" }],
    });
  }

  private async markSyncing(activation: Activation, run: SyncRun) {
    const { prisma, events } = this.deps;
    const changed = await prisma.integration.updateMany({
      where: { id: activation.integration.id, status: { in: ["PENDING", "CONNECTED", "ERROR"] } },
      data: { status: "SYNCING" },
    });
    if (changed.count > 0) {
      events.publish("integrationStatusChanged", activation.integration.tenantId, {
        integrationId: activation.integration.id,
      });
    }
    publishRunUpdated(events, run);
  }

  private async finish(activation: Activation, run: SyncRun) {
    const { integrationStatusChanged } = await finishRun(this.deps.prisma, run);
    publishRunUpdated(this.deps.events, run);
    if (integrationStatusChanged) {
      this.deps.events.publish("integrationStatusChanged", activation.integration.tenantId, {
        integrationId: activation.integration.id,
      });
    }
  }

  /**
   * The budget said wait. When the day's budget is spent (the engine's count, or the export reserve's),
   * the run waits for the next day as DEFERRED: it has not failed.
   */
  private async waitFor(grant: Extract<Grant, { granted: false }>, run: SyncRun): Promise<Pick> {
    if (grant.reason === "day" || grant.reason === "exportDay") await this.defer(run, grant.waitMs);
    return { kind: "wait", waitMs: Math.max(1, grant.waitMs) };
  }

  /** The run waits `ms` for the day's budget (a run cancelled or finished meanwhile is left alone). */
  private async defer(run: SyncRun, ms: number) {
    await this.deps.prisma.syncRun.updateMany({
      where: { id: run.id, status: { in: ["QUEUED", "RUNNING"] } },
      data: { status: "DEFERRED", deferredUntil: new Date(Date.now() + ms) },
    });
    publishRunUpdated(this.deps.events, run);
  }

  /** The day a deferred run waited for has come: it is running again. */
  private async resumeDeferred(run: SyncRun) {
    await this.deps.prisma.syncRun.updateMany({
      where: { id: run.id, status: "DEFERRED" },
      data: { status: "RUNNING", deferredUntil: null },
    });
    publishRunUpdated(this.deps.events, run);
  }

  /** A push run ended: its integration is no longer syncing. */
  private async afterRunEnded(activation: Activation, run: SyncRun) {
    const { prisma, events } = this.deps;
    publishRunUpdated(events, run);
    const { count } = await prisma.integration.updateMany({
      where: { id: activation.integration.id, status: "SYNCING" },
      data: { status: "CONNECTED" },
    });
    if (count > 0) {
      events.publish("integrationStatusChanged", activation.integration.tenantId, {
        integrationId: activation.integration.id,
      });
    }
  }

  /** One page of a pull run: the call, then its records, counts and cursor in one transaction. */
  private async pullPage(
    activation: Activation,
    run: SyncRun,
    step: Extract<PullStep, { kind: "call" }>,
    leaseId: string,
  ): Promise<void> {
    const { prisma, config } = this.deps;
    try {
      const outcome = await this.call(activation, { method: "GET", ...step.request }, leaseId);
      switch (outcome.kind) {
        case "ok":
          await applyPage(
            prisma,
            run,
            step,
            step.puller.parse(step.context, outcome.body, step.cursor.page, outcome.headers),
          );
          break;
        case "rateLimited":
          if (outcome.problem === "day") await this.defer(run, outcome.retryAfterMs);
          break;
        case "retryable":
          await retryPage(prisma, run, step, outcome.message, config.time);
          break;
        case "rejected":
          await skipEntity(prisma, run, step.cursor, outcome.message);
          break;
      }
      publishRunUpdated(this.deps.events, run);
    } finally {
      activation.busyRuns.delete(run.id);
      activation.runsMayWait = true;
    }
  }

  private call(
    activation: Activation,
    request: OutgoingRequest,
    leaseId: string,
    idempotencyKey?: string,
  ): Promise<CallOutcome> {
    return callUnderLease(this.deps, activation, request, leaseId, idempotencyKey);
  }

  /**
   * The EXPORT lane, push runs first: a push is a bounded batch someone started and is watching, while
   * the outbox drains continuously. Builds a queued run's packets (no call), then sends them one call
   * each, in order, with their content-derived Idempotency-Key; ends the run when every packet is done.
   */
  private async pickPacket(activation: Activation): Promise<Pick> {
    const { prisma, events, budget } = this.deps;
    while (activation.pushMayWait) {
      const run = await prisma.syncRun.findFirst({
        where: {
          integrationId: activation.integration.id,
          kind: "PUSH",
          OR: [
            { status: { in: ["QUEUED", "RUNNING"] } },
            { status: "DEFERRED", deferredUntil: { lte: new Date() } },
          ],
        },
        orderBy: [{ queuedAt: "asc" }, { id: "asc" }],
      });
      if (!run) {
        activation.pushMayWait = false;
        break;
      }
      if (run.status === "DEFERRED") {
        await this.resumeDeferred(run);
        continue;
      }
      if (run.status === "QUEUED") {
        const transitions = await buildPackets(prisma, run);
        publishPacketTransitions(events, transitions);
        await this.markSyncing(activation, run);
        continue;
      }
      const claimed = await claimPacket(prisma, run.id);
      if (!claimed) {
        if (await finishPushIfDone(prisma, run)) {
          await this.afterRunEnded(activation, run);
          continue;
        }
        // Packets in flight on other slots, or backing off: look again when one is due.
        return { kind: "idle", dueAt: await nextPacketDue(prisma, run.id) };
      }
      const grant = await budget.acquire(activation.integration.id, activation.limits, "EXPORT");
      if (!grant.granted) {
        await unclaimPacket(prisma, claimed.packet);
        return this.waitFor(grant, run);
      }
      publishPacketTransitions(events, [claimed.transition]);
      return {
        kind: "call",
        lane: "EXPORT",
        run: async () => {
          const { packet } = claimed;
          const outcome = await this.call(
            activation,
            packetRequest(packet),
            grant.leaseId,
            packet.idempotencyKey,
          );
          const settled = await settlePacket(prisma, packet, outcome, this.deps.config.time);
          if (settled) publishPacketTransitions(events, [settled]);
          if (outcome.kind === "rateLimited" && outcome.problem === "day")
            await this.defer(run, outcome.retryAfterMs);
          publishRunUpdated(events, run);
        },
      };
    }
    return { kind: "idle", dueAt: null };
  }

  /**
   * The EXPORT lane: the oldest pending outbox item. It is claimed before the budget is asked, so a
   * granted call starts at once; if the budget says wait, the item goes back in line untouched.
   */
  private async pickExport(activation: Activation): Promise<Pick> {
    const { prisma, budget } = this.deps;
    const id = activation.integration.id;
    const item = await claimExport(this.deps.sql, id);
    if (!item) return { kind: "idle", dueAt: await nextExportDue(prisma, id) };
    const grant = await budget.acquire(id, activation.limits, "EXPORT");
    if (!grant.granted) {
      await unclaimExport(this.deps.sql, item);
      return { kind: "wait", waitMs: Math.max(1, grant.waitMs) };
    }
    return {
      kind: "call",
      lane: "EXPORT",
      run: async () => {
        const request = exportRequest(activation.integration.platform, item);
        const outcome = await this.call(activation, request, grant.leaseId, item.idempotencyKey);
        const settled = await settleExport(this.deps.sql, item, outcome, this.deps.config.time);
        if (settled === "failed") activation.log.warn({ item: item.id, outcome }, "export failed");
      },
    };
  }

  private publishProgress(activation: Activation) {
    this.deps.events.publish("queueProgress", activation.integration.id, {
      integrationId: activation.integration.id,
    });
  }
}
