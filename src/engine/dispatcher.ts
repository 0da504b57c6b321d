import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import type BeeQueue from "bee-queue";
import type { Config } from "../config.ts";
import type { Integration } from "../generated/prisma/client.ts";
import { logger as rootLogger, withLogContext } from "../logger.ts";
import {
  activationsResting,
  activationsServing,
  activationsStarted,
  budgetRefusals,
  claimsPutBack,
  grantsUnused,
} from "../observability/metrics.ts";
import type { ActivationLock } from "./activation-lock.ts";
import { type ActivationJob, type BudgetWait, enqueueActivation } from "./activation-queue.ts";
import { observeCall } from "./call-observer.ts";
import type { CallCredentials } from "./credentials.ts";
import { type Lane, laneRank } from "./lanes.ts";
import { Mutex } from "./mutex.ts";
import { type CallTarget, callTargetOf, callUnderLease } from "./provider-call.ts";
import type { CallBudget, DenyReason, Grant } from "./rate-limit/budget.ts";
import type { ExportAllowance } from "./rate-limit/export-allowance.ts";
import { Seats } from "./seats.ts";
import type { ActivationFences, ClaimContext } from "./store.ts";
import type { WakeHub } from "./wake.ts";
import type { WorkSession, WorkSource } from "./work-source.ts";

export interface DispatcherDeps {
  config: Config;
  budget: CallBudget;
  lock: ActivationLock;
  /** Fencing tokens: one taken per activation, carried by its claims (engine/store.ts). */
  fences: ActivationFences;
  wake: WakeHub;
  queue: BeeQueue<ActivationJob>;
  /** Activations for work above the EXPORT lane: a queue with slots of its own (engine/index.ts). */
  urgent: BeeQueue<ActivationJob>;
  /** The work the engine serves, in any order (the dispatcher orders them by lane). */
  sources: readonly WorkSource[];
  /**
   * The integration if it may be served now (not paused or disconnected), else null. `urgent`: the look
   * follows an announcement (a run arrived, most likely), and is read on connections kept for such work.
   */
  servable(integrationId: string, options?: { urgent?: boolean }): Promise<Integration | null>;
  /** Called after every call an activation made (queue figures changed). */
  afterCall(integrationId: string): void;
  /** The secret each call carries. */
  credentials: CallCredentials;
}

/** What an activation knows while it serves one integration. */
interface Activation {
  target: CallTarget;
  /** One session per source, highest lane first. */
  sessions: { source: WorkSource; session: WorkSession<unknown> }[];
  /** Serialises "find the best work, take budget, claim it" between the activation's slots. */
  picking: Mutex;
  /** Set once a renewal finds the integration's lock gone: every slot stops. Shared by the activation's rounds. */
  lock: { lost: boolean };
  /**
   * A look at whether the integration may still be served, taken when work was announced (a pause or a
   * disconnect is announced too); the next charge waits for it (serveRounds).
   */
  standing: Promise<Integration | null> | null;
  /** The last such look found the integration paused or disconnected: every slot stops. */
  unservable: boolean;
  /**
   * The budget's last refusal of a session's waiting work (sessions that know their work waits: exports),
   * and until when it holds: the activation's other slots wait it out rather than ask again, each to hear
   * the same, so a backlog held back by its app's budget asks once per wait, not once per slot. It holds
   * only for the same session asking under the same allowance; an announcement forgets it.
   */
  refused: SharedRefusal | null;
}

/** A refusal the slots of an activation share (Activation.refused). */
interface SharedRefusal {
  session: WorkSession<unknown>;
  /** The ADAPTIVE allowance it was refused under (none: strict): under another, the budget is asked again. */
  allowance: ExportAllowance | undefined;
  until: number;
}

/**
 * Refusals about the integration or its app as a whole, which every slot would hear. Not "concurrent"
 * (one slot's: any call that ends frees it, long before the lease the wait is counted to), nor
 * "interactive" (a person's read takes the next unit, then the lanes below go on), nor a rebuild.
 */
const SHARED_REFUSALS: ReadonlySet<DenyReason> = new Set<DenyReason>([
  "blocked",
  "minute",
  "day",
  "exportMinute",
  "exportDay",
  "appBlocked",
  "appLane",
  "appShare",
  "appMinute",
  "appPace",
]);

/**
 * The call slots of one round of an activation. A slot told to wait long does not leave while another
 * slot still works (a pull page, a call in flight): it rests until its wait is over and serves again,
 * so after the wait the activation serves with every slot the caps allow, not only the ones that never
 * stopped. Once no slot works any more, the round is over and the activation parks.
 */
class SlotRound {
  private working: number;
  private end!: () => void;
  private readonly ended: Promise<void>;

  constructor(slots: number) {
    this.working = slots;
    this.ended = new Promise((resolve) => {
      this.end = resolve;
    });
  }

  /** A slot leaves the round (no work due, or the activation must stop). */
  leave(): void {
    this.working--;
    if (this.working <= 0) this.end();
  }

  /**
   * A slot must wait long. While another slot still works it rests for `sleep` and answers true (serve
   * again); when it is the last one working, or the round ends while it rests, it answers false (park).
   */
  async rest(sleep: Promise<unknown>): Promise<boolean> {
    this.working--;
    if (this.working <= 0) {
      this.end();
      return false;
    }
    const over = await Promise.race([sleep.then(() => false), this.ended.then(() => true)]);
    if (over) return false;
    this.working++;
    return true;
  }
}

/**
 * The worker slot (a bee-queue job's) an activation came in on. It is handed back once, when the activation
 * ends or first rests in place; the job then completes and the slot serves another integration.
 */
class WorkerSlot {
  readonly handedBack: Promise<void>;
  handBack!: () => void;

  constructor() {
    this.handedBack = new Promise((resolve) => {
      this.handBack = resolve;
    });
  }
}

/**
 * An activation's hold on one of its process's seats (Seats: SYNCLINE_WORKER_CONCURRENCY activations
 * serving at once), when it has one. It has none while it rests, nor after an announcement woke it: a
 * run that arrived goes next, seat or not. An activation that came on the urgent queue (work above the
 * EXPORT lane, with slots of its own) never takes one: it is exempt, however often it rests.
 */
class SeatHold {
  private held = false;

  constructor(
    private readonly seats: Seats,
    private readonly exempt: boolean,
  ) {}

  /** Takes a seat (at once if exempt, holding none); false if `signal` aborted first. */
  async take(signal: AbortSignal): Promise<boolean> {
    if (this.exempt) return true;
    this.held = await this.seats.take(signal);
    if (this.held) activationsServing.inc();
    return this.held;
  }

  /** Gives the seat back, if held. */
  leave(): void {
    if (!this.held) return;
    this.held = false;
    this.seats.release();
    activationsServing.dec();
  }
}

type GrantedCall = Extract<Grant, { granted: true }>;

/** Real ms an activation parks, at least, before it looks again at work that was due but not claimed. */
const RECHECK_MS = 50;

type Pick =
  | { kind: "idle"; dueAt: number | null }
  /** The integration's authorization is gone: it is no longer served (its work waits). */
  | { kind: "stop" }
  | { kind: "wait"; waitMs: number }
  /** `run` makes the call, settles the work and releases its budget lease. */
  | { kind: "call"; run: () => Promise<void> };

/**
 * Serves one integration per activation job (DESIGN.md, "The dispatch engine"). It holds the
 * integration's activation lock, runs as many call slots as the integration may have calls in flight,
 * and before every call asks the work sources, highest lane first, for their next due work and charges
 * the call budget atomically in Redis. When the budget's wait is long it parks: it schedules a delayed
 * activation and lets go of its worker slot.
 */
export class Dispatcher {
  private readonly sources: readonly WorkSource[];

  /** Set by a graceful stop: slots finish the call they are making and take no other. */
  private draining = false;

  /** Activations of this process resting in place now, without a worker slot (serveRounds). */
  private resting = 0;

  /** Every activation of this process not ended yet, resting ones included. */
  private readonly activations = new Set<Promise<void>>();

  /**
   * Aborted when a graceful stop begins: every sleep and every wait for a seat ends, and activations
   * resting in place stop resting.
   */
  private readonly stopping = new AbortController();

  /** The activations this process serves at once (SYNCLINE_WORKER_CONCURRENCY), resting ones aside. */
  private readonly seats: Seats;

  constructor(private readonly deps: DispatcherDeps) {
    this.sources = orderByLane(deps.sources);
    this.seats = new Seats(deps.config.engine.workerConcurrency);
    // Every sleep and every wait for a seat listens to it: thousands at once is the normal case.
    setMaxListeners(0, this.stopping.signal);
  }

  /**
   * A graceful stop (SIGTERM): no slot starts another call; each activation lets the calls it has in
   * flight finish and settle, then releases its integration and hands it back to the queue at once, so
   * another worker serves the rest.
   */
  drain(): void {
    this.draining = true;
    this.stopping.abort();
  }

  /**
   * Announces new work for an integration: starts an activation, or makes the running one look again.
   * Work above the EXPORT lane (runs) also wakes slots sleeping for export budget, so it goes next, and
   * its activation goes on the urgent queue, ahead of the fleet's; more exports need neither: they queue
   * behind the ones already waiting.
   */
  async notify(integrationId: string, options: { preempt?: boolean } = {}): Promise<void> {
    const preempt = options.preempt ?? true;
    // The flag and the announcement go out together (one round trip, not two). The job follows once the
    // flag is set: an activation that holds the lock when the job arrives then finds it on release.
    await Promise.all([
      this.deps.lock.markDirty(integrationId),
      preempt ? this.deps.wake.announce(integrationId) : undefined,
    ]);
    await enqueueActivation(preempt ? this.deps.urgent : this.deps.queue, integrationId);
  }

  /**
   * The scheduler's safety net: starts an activation for an integration with pending work unless one is
   * running or parked (its delayed job is on the way). Lost Redis state forgets both, so it restarts.
   */
  async activateIfUnattended(integrationId: string): Promise<void> {
    if (await this.deps.lock.isAttended(integrationId)) return;
    await enqueueActivation(this.deps.queue, integrationId);
  }

  /**
   * Serves the integration: answers once the activation no longer needs its worker slot, when it ends or
   * when it rests in place, waiting for budget (it goes on without the slot; `settled` waits for it).
   * `urgent`: the activation was announced for work above the EXPORT lane (the urgent queue, with slots
   * of its own); any other takes a seat first, shared with activations woken from their rest.
   * `budgetWait`: the work the activation that enqueued this one parked with, refused by the budget
   * (ActivationJob.budgetWait).
   */
  async serve(
    integrationId: string,
    options: { urgent?: boolean; budgetWait?: BudgetWait } = {},
  ): Promise<void> {
    const seat = new SeatHold(this.seats, options.urgent ?? false);
    // A stop ends the wait without a seat: the activation then lets go and hands the integration back.
    await seat.take(this.stopping.signal);
    const token = randomUUID();
    const held = await this.deps.lock.acquire(integrationId, token).catch((err: unknown) => {
      seat.leave();
      throw err;
    });
    if (!held) {
      seat.leave();
      return;
    }
    activationsStarted.inc();
    const slot = new WorkerSlot();
    // A failure is logged here, whether or not the activation still held its job: its lock lapses, and
    // the scheduler's sweep serves the integration again.
    const activation = this.activate(integrationId, token, held, options, slot, seat)
      .catch((err: unknown) => rootLogger.error({ err, integrationId }, "an activation failed"))
      .finally(() => {
        slot.handBack();
        seat.leave();
        this.activations.delete(activation);
      });
    this.activations.add(activation);
    await slot.handedBack;
  }

  /**
   * Answers true once every activation of this process has ended, resting ones included (a graceful
   * stop, after `drain`), or false if some still run after `withinMs`.
   */
  async settled(withinMs: number): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    while (this.activations.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.activations]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, left);
        }),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  private async activate(
    integrationId: string,
    token: string,
    held: { cleanFence: number | null },
    options: { urgent?: boolean; budgetWait?: BudgetWait },
    slot: WorkerSlot,
    seat: SeatHold,
  ): Promise<void> {
    const { lock } = this.deps;
    // Whenever a renewal finds the lock gone, before the sessions are prepared or after.
    const kept = { lost: false };
    const unkeep = lock.keep(integrationId, token, () => {
      kept.lost = true;
    });
    try {
      // Taken once the lock is held: from now on, claims of every earlier activation settle nothing. Beside
      // it, the flag that says work was announced is cleared, then whether the integration may be served
      // is read: a resume committed after the read leaves the flag set, and the release finds it.
      const [fence, servable] = await Promise.all([
        this.deps.fences.take(integrationId, { urgent: options.urgent ?? false }),
        lock.clearDirty(integrationId).then(() => this.deps.servable(integrationId, options)),
      ]);
      const claim: ClaimContext = { fence, callTimeoutMs: this.deps.config.engine.callTimeoutMs };
      // The activation before this one let go with nothing in flight: there are no orphans to look for
      // (each source's look is a statement, and a fleet waiting for its app's budget starts many).
      const clean = held.cleanFence !== null && held.cleanFence === claim.fence - 1;
      // Sources keep their work apart, so each takes its orphans back at the same time.
      if (!clean)
        await Promise.all(
          this.sources.map(async (source) => {
            const orphans = await source.recoverOrphans(integrationId, claim);
            if (orphans > 0)
              rootLogger.warn(
                { integrationId, orphans, source: source.name },
                "took back work an earlier activation left in flight (in doubt until verified or resent)",
              );
          }),
        );
      let integration = servable;
      // Urgent: the activation is for work above the EXPORT lane (a run, most likely), which its sessions
      // look for at once.
      let announced = options.urgent ?? false;
      // Heeded whichever activation said it (a wake-up waiting for a worker slot often finds another ran
      // since): the work it names leaves only by a call, so should another activation have drained it,
      // one unit is given back as a call made (syncline_grants_unused_total).
      let waitsForBudget = options.budgetWait?.source;
      for (;;) {
        const current = integration
          ? this.prepare(integration, claim, { announced, waitsForBudget, lock: kept })
          : undefined;
        announced = false;
        waitsForBudget = undefined;
        let parkUntil: number | null = null;
        if (current) {
          parkUntil = await this.serveRounds(integrationId, current, slot, seat);
          if (kept.lost) return;
        }
        // Work that fell due while the slots were finding none (a short backoff ending) is looked at again
        // after a short park, not at once: a row due but not claimable yet (held by another transaction,
        // a clock a little ahead of the database's) must not spin the activation.
        if (parkUntil !== null) parkUntil = Math.max(parkUntil, Date.now() + RECHECK_MS);
        if (parkUntil !== null) await lock.markParked(integrationId, parkUntil);
        let released = await lock.release(integrationId, token, claim.fence);
        if (this.draining) {
          // Stopping: the integration goes back to the queue for another worker (at its park time, if any).
          // Work announced meanwhile left the lock held (and its flag cleared): let go of it all the same,
          // or the activation handed on would find it taken until it lapsed.
          for (let tries = 0; released === "dirty" && tries < 3; tries++)
            released = await lock.release(integrationId, token, claim.fence);
          await enqueueActivation(
            this.deps.queue,
            integrationId,
            parkUntil ?? undefined,
            budgetWaitOf(current),
          );
          return;
        }
        // New work arrived meanwhile: serve again now, no need to park.
        // (The release cleared the flag as it found it.)
        if (released === "dirty") {
          integration = await this.deps.servable(integrationId);
          continue;
        }
        // The wake-up is enqueued only once the lock is free: a short park's delayed activation could
        // otherwise fire while this one still holds the lock, find it taken, and be lost. (Should this
        // process die in between, the parked mark expires and the scheduler's sweep wakes the integration.)
        if (parkUntil !== null)
          await enqueueActivation(this.deps.queue, integrationId, parkUntil, budgetWaitOf(current));
        return;
      }
    } finally {
      unkeep();
    }
  }

  /**
   * Serves rounds until the activation has nothing due by itself (null) or must wait: returns when to
   * wake up. A wait of up to a platform minute is rested in place, the sessions and the lock kept, and the
   * worker slot handed back (`restingActivations` at most): parked, the integration would come back as a
   * new activation (a delayed job, the lock taken again, a fencing token, a servable read, fresh
   * sessions: a dozen round trips), and a backlogged fleet waiting for its app's budget parks and wakes
   * for almost every call it makes. Resting costs a timer and a share of one renewal round trip.
   *
   * A resting activation gives its seat up too, and takes one again when its timer wakes it, before it
   * serves: the process serves SYNCLINE_WORKER_CONCURRENCY activations at once, however many rest, and
   * a moment when many rests end together is served in turn. Work announced while it rests, or waits for
   * the seat, is served at once, seat or not.
   *
   * Work announced meanwhile, resting or not, is served with the same sessions, told of it. Whether the
   * integration may still be served (a pause or a disconnect is announced too) is read again beside the
   * next pick and settled before anything is charged (`standing`): not a statement more on the way to a
   * newly arrived run's first call. The flag that says work was announced is left set, so the release
   * finds it and the activation looks once more from the start.
   */
  private async serveRounds(
    integrationId: string,
    current: Activation,
    slot: WorkerSlot,
    seat: SeatHold,
  ): Promise<number | null> {
    const heard = () => {
      const standing = this.deps.servable(integrationId, { urgent: true });
      standing.catch(() => {});
      current.standing = standing;
      // New work, a pause, a changed setting: the next pick looks again rather than wait out a refusal.
      current.refused = null;
      for (const { session } of current.sessions) session.announced();
    };
    for (;;) {
      const unwatch = this.deps.wake.watch(integrationId, heard);
      const parkUntil = await this.serveRound(current).finally(unwatch);
      // Paused or disconnected meanwhile: no resting until a wait is over, the release looks again now.
      if (current.unservable) return null;
      if (parkUntil === null || current.lock.lost || !this.mayRest(parkUntil)) return parkUntil;
      const restMs = Math.max(parkUntil, Date.now() + RECHECK_MS) - Date.now();
      slot.handBack();
      seat.leave();
      this.resting++;
      activationsResting.inc();
      try {
        let announced = await this.deps.wake.sleep(integrationId, restMs, this.stopping.signal);
        if (!announced && !this.draining && !current.lock.lost)
          announced = await this.reseat(integrationId, seat);
        if (announced) heard();
      } finally {
        this.resting--;
        activationsResting.dec();
      }
      if (current.lock.lost || this.draining) return Date.now();
    }
  }

  /**
   * Takes a seat for an activation its timer woke from a rest (serveRounds; an exempt one takes none).
   * Answers true if work for the integration was announced first: the activation then serves without
   * one. A stop ends the wait.
   */
  private async reseat(integrationId: string, seat: SeatHold): Promise<boolean> {
    if (this.draining) return false;
    const wait = new AbortController();
    const abort = () => wait.abort();
    const unwatch = this.deps.wake.watch(integrationId, abort);
    this.stopping.signal.addEventListener("abort", abort, { once: true });
    try {
      return !(await seat.take(wait.signal)) && !this.draining;
    } finally {
      unwatch();
      this.stopping.signal.removeEventListener("abort", abort);
    }
  }

  /** Whether an activation may rest in place until `until` rather than park (serveRounds). */
  private mayRest(until: number): boolean {
    const { config } = this.deps;
    return (
      !this.draining &&
      until - Date.now() <= config.time.minuteMs &&
      this.resting < config.engine.restingActivations
    );
  }

  /**
   * `announced`: new work was announced for the activation, which its sessions look for at once.
   * `waitsForBudget`: the source whose work an earlier activation parked with, refused by the budget.
   * `lock`: whether a renewal found the integration's lock gone (the activation's, shared by its rounds).
   */
  private prepare(
    integration: Integration,
    claim: ClaimContext,
    hints: { announced: boolean; waitsForBudget: string | undefined; lock: { lost: boolean } },
  ): Activation {
    const { announced, waitsForBudget, lock } = hints;
    const target = callTargetOf(integration, rootLogger, this.deps.config);
    const sessions = this.sources.map((source) => ({
      source,
      session: source.open(target, claim, { waitsForBudget: source.name === waitsForBudget }),
    }));
    if (announced) for (const { session } of sessions) session.announced();
    return {
      target,
      sessions,
      picking: new Mutex(),
      lock,
      standing: null,
      unservable: false,
      refused: null,
    };
  }

  /** Runs the slots until there is no work, or all are parked; returns when to wake up, if ever. */
  private async serveRound(activation: Activation): Promise<number | null> {
    const { concurrent } = activation.target.limits.caps;
    const round = new SlotRound(concurrent);
    const slots = Array.from({ length: concurrent }, () => this.slot(activation, round));
    const parks = (await Promise.all(slots)).filter((at): at is number => at !== null);
    return parks.length > 0 ? Math.min(...parks) : null;
  }

  /** One call slot: pick, call, repeat. Returns when to wake up (null: no work due by itself). */
  private async slot(activation: Activation, round: SlotRound): Promise<number | null> {
    const id = activation.target.integration.id;
    const leave = (wakeAt: number | null) => {
      round.leave();
      return wakeAt;
    };
    for (;;) {
      if (activation.lock.lost || this.draining) return leave(null);
      const pick = await activation.picking.run(() => this.pick(activation));
      if (pick.kind === "idle") return leave(pick.dueAt);
      if (pick.kind === "stop") return leave(null);
      if (pick.kind === "wait") {
        if (pick.waitMs > this.deps.config.engine.parkAfterMs) {
          const wakeAt = Date.now() + pick.waitMs;
          if (await round.rest(this.deps.wake.sleep(id, pick.waitMs, this.stopping.signal))) continue;
          return wakeAt;
        }
        await this.deps.wake.sleep(id, pick.waitMs, this.stopping.signal);
        continue;
      }
      await pick.run();
      this.deps.afterCall(id);
    }
  }

  /**
   * The highest lane with work due: sources are asked in lane order, and the first that offers work
   * gets the budget, or is told to wait with its work put back. The call's token comes first, before any
   * work is claimed or budget taken: a refresh it needs, or a lost authorization, costs no call.
   */
  private async pick(activation: Activation): Promise<Pick> {
    const { budget, credentials } = this.deps;
    const { target } = activation;
    const { id } = target.integration;
    const credential = await credentials.accessTokenFor(target.integration);
    if (credential.kind === "lost") return { kind: "stop" };
    if (credential.kind === "unavailable") {
      target.log.warn({ reason: credential.message }, "no access token now; waiting");
      return { kind: "wait", waitMs: Math.max(1, credential.retryAfterMs) };
    }
    let dueAt: number | null = null;
    for (const { session } of activation.sessions) {
      // Work known to wait (put back after a denial, or left refused by the activation that parked)
      // takes its budget before it is claimed again: claimed and put back on every look, a fleet held
      // back by the budget kept the database busy with it.
      const waiting = await session.waiting?.();
      /** The budget's grant for work known to wait, taken before it is claimed. */
      let ahead: { grant: GrantedCall; lane: Lane } | null = null;
      if (waiting) {
        const held = activation.refused;
        const { allowance } = waiting;
        if (held?.session === session && sameAllowance(held.allowance, allowance) && held.until > Date.now())
          return { kind: "wait", waitMs: held.until - Date.now() };
        if (!(await this.standing(activation))) return { kind: "stop" };
        const grant = await budget.acquire(id, target.limits, waiting.lane, null, allowance ?? null);
        if (!grant.granted) {
          const refusal = this.refusal(activation, session, waiting.lane, allowance, grant);
          await session.refused?.(grant);
          return refusal;
        }
        ahead = { grant, lane: waiting.lane };
        // The refusal no longer holds: the activation does not park with it (budgetWaitOf).
        if (activation.refused?.session === session) activation.refused = null;
      }
      const offer = await session.next().catch(async (error: unknown) => {
        if (ahead) await this.unused(target, ahead);
        throw error;
      });
      if (ahead && (offer.kind === "none" || offer.lane !== waiting?.lane)) {
        // The waiting work went meanwhile (held as a conflict, or due later than known): the unit is
        // given back as a call made.
        await this.unused(target, ahead);
        ahead = null;
      }
      if (offer.kind === "none") {
        if (activation.refused?.session === session) activation.refused = null;
        if (offer.dueAt !== null) dueAt = Math.min(dueAt ?? offer.dueAt, offer.dueAt);
        continue;
      }
      if (!ahead) {
        // Claimed already: put back if the integration may not be served, or the look failed.
        const standing = await this.standing(activation).catch(async (error: unknown) => {
          await session.unclaim(offer.work, null);
          throw error;
        });
        if (!standing) {
          await session.unclaim(offer.work, null);
          return { kind: "stop" };
        }
      }
      const grant =
        ahead?.grant ?? (await budget.acquire(id, target.limits, offer.lane, null, offer.allowance ?? null));
      if (!grant.granted) {
        const refusal = this.refusal(activation, session, offer.lane, offer.allowance, grant);
        await session.unclaim(offer.work, grant);
        claimsPutBack.inc({ platform: target.integration.platform, lane: offer.lane });
        return refusal;
      }
      session.calling?.(offer.work);
      return {
        kind: "call",
        // Every line logged for the call and its settlement names the integration and the work's run.
        run: () =>
          withLogContext({ integrationId: target.integration.id, ...offer.logContext }, async () => {
            // In the call ledger before it goes out (written while the next work was picked).
            await grant.recorded;
            const outcome = await observeCall(target, offer.lane, offer.request, () =>
              callUnderLease(this.deps, target, {
                request: offer.request,
                token: credential.token,
                leaseId: grant.leaseId,
                idempotencyKey: offer.idempotencyKey,
              }),
            );
            await session.settle(offer.work, outcome);
          }),
      };
    }
    return { kind: "idle", dueAt };
  }

  /**
   * The budget refused a session's call: counted, and, when the refusal is about the integration or its
   * app as a whole and the session can tell its work still waits, shared by the activation's slots.
   * Dated when the budget answered, before the work is put back.
   */
  private refusal(
    activation: Activation,
    session: WorkSession<unknown>,
    lane: Lane,
    allowance: ExportAllowance | undefined,
    denial: { reason: DenyReason; waitMs: number },
  ): Pick {
    const wait = Math.max(1, denial.waitMs);
    if (session.waiting && SHARED_REFUSALS.has(denial.reason))
      activation.refused = { session, allowance, until: Date.now() + wait };
    budgetRefusals.inc({ platform: activation.target.integration.platform, lane, reason: denial.reason });
    return { kind: "wait", waitMs: wait };
  }

  /**
   * Whether the integration may still be served, once the look taken on an announcement is in (none
   * pending: it may). Its row is refreshed in place, so the sessions see a changed setting, and its caps
   * are worked out again.
   */
  private async standing(activation: Activation): Promise<boolean> {
    for (;;) {
      const pending = activation.standing;
      if (!pending) return !activation.unservable;
      const fresh = await pending;
      // Announced again meanwhile: only the newest look counts.
      if (activation.standing !== pending) continue;
      activation.standing = null;
      // Not servable: every slot stops at its next pick.
      activation.unservable = fresh === null;
      if (!fresh) return false;
      Object.assign(activation.target.integration, fresh);
      activation.target.limits = callTargetOf(fresh, rootLogger, this.deps.config).limits;
      return true;
    }
  }

  /**
   * A grant whose call will not be made: its lease is released at once. The unit stays charged, as a
   * call made (the safe side of every cap); once it is in the ledger, so a rebuild sees it ended.
   */
  private async unused(target: CallTarget, ahead: { grant: GrantedCall; lane: Lane }): Promise<void> {
    const { integration, limits } = target;
    grantsUnused.inc({ platform: integration.platform, lane: ahead.lane });
    await ahead.grant.recorded.catch(() => {});
    await this.deps.budget.release(integration.id, ahead.grant.leaseId, limits);
  }
}

/**
 * The work the activation parks with, refused by the budget, if the refusal still holds: the next
 * activation's session of its source asks the budget before it claims (WorkSource.open). Parked for its share of a scarce app budget, a fleet's activations otherwise each claimed their next
 * export and put it back at once (bench:fleet at 2,000 integrations: 15,000 claims put back for 25,000
 * export calls).
 */
function budgetWaitOf(activation: Activation | undefined): BudgetWait | undefined {
  const refused = activation?.refused;
  if (!activation || !refused || refused.until < Date.now()) return undefined;
  const source = activation.sessions.find(({ session }) => session === refused.session)?.source.name;
  return source === undefined ? undefined : { source };
}

/** Whether two ADAPTIVE allowances allow the same (none: the strict reserve). */
function sameAllowance(a: ExportAllowance | undefined, b: ExportAllowance | undefined): boolean {
  return (
    a === b || (a !== undefined && b !== undefined && a.perMinute === b.perMinute && a.dayKeep === b.dayKeep)
  );
}

/** Sources in the order of their highest lane; refuses sources whose lanes interleave. */
function orderByLane(sources: readonly WorkSource[]): WorkSource[] {
  const span = (source: WorkSource) => {
    const ranks = source.lanes.map(laneRank);
    return { source, top: Math.min(...ranks), bottom: Math.max(...ranks) };
  };
  const ordered = sources.map(span).sort((a, b) => a.top - b.top);
  ordered.forEach((current, index) => {
    const next = ordered[index + 1];
    if (next && next.top < current.bottom)
      throw new Error(`Work sources ${current.source.name} and ${next.source.name} have interleaving lanes`);
  });
  return ordered.map((entry) => entry.source);
}
