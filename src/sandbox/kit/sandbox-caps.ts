import type { TimeScale } from "../../time.ts";
import { CallLog, type CallLogEntry } from "./call-log.ts";
import { CapJudge, type CapJudgeOptions, type RateProblem, type SandboxCapLimits } from "./caps.ts";
import { type Fault, FaultInjector, type FaultOptions, type Latency } from "./faults.ts";
import { IdempotentWrites } from "./idempotency.ts";
import { bugReply, type ErrorBody, type Failure, failureFrom, type SandboxReply } from "./reply.ts";

/**
 * A sandbox server's `caps`: serves one call end to end through the kit's parts — the cap judge
 * (caps.ts), latency and faults (faults.ts), Idempotency-Key replay (idempotency.ts), then the
 * platform's handler — and logs it (call-log.ts). It is the one object tests and benchmarks configure
 * and read, so it forwards their questions to the part that knows.
 */

export type Admission =
  | { admitted: true; entry: CallLogEntry }
  | {
      admitted: false;
      entry: CallLogEntry;
      problem: RateProblem;
      retryAfterSeconds: number;
      /** Refused by a queued rateLimit fault (a test's order), not by the counts. */
      forced: boolean;
    };

/** One HTTP call as the caps see it. */
export interface SandboxCall {
  tenantId: string;
  method: string;
  path: string;
  idempotencyKey?: string;
  /** Aborted when the client goes away: ends a held (timeout) call. */
  signal?: AbortSignal;
  /**
   * Told the answer (null: none sent) and whether a test ordered it (an injected fault or 429) rather
   * than the platform's own handling: the contract check reads it.
   */
  observe?(reply: SandboxReply | null, injected: boolean): void;
}

export interface SandboxCapsOptions extends CapJudgeOptions, FaultOptions {
  /** false: Idempotency-Key is ignored and every write applied (default true: honoured, as Xero's Accounting API). */
  honourIdempotencyKeys?: boolean;
  /** The platform's error body, for 429s, faults and a handler that throws. */
  errorBody?: ErrorBody;
  /** Clock for the windows and the log (tests may inject one); Date.now by default. */
  now?: () => number;
}

export class SandboxCaps {
  /** Every call, in arrival order. Read it; `clear()` empties it. */
  readonly log: CallLogEntry[];
  private readonly judge: CapJudge;
  private readonly faults: FaultInjector;
  private readonly writes: IdempotentWrites;
  private readonly calls: CallLog;
  private readonly failure: Failure;
  private readonly now: () => number;

  constructor(
    limits: SandboxCapLimits,
    readonly time: TimeScale,
    options: SandboxCapsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.failure = failureFrom(options.errorBody ?? ((message) => ({ message })));
    this.judge = new CapJudge(limits, time, this.failure, options);
    this.faults = new FaultInjector(this.failure, options);
    this.writes = new IdempotentWrites(this.failure);
    this.writes.honour = options.honourIdempotencyKeys ?? true;
    this.calls = new CallLog(this.now);
    this.log = this.calls.entries;
  }

  /**
   * Serves one call: caps, latency, faults, Idempotency-Key replay, then `handler`. Resolves to the
   * reply to send with the limit headers added, or null when nothing must be sent (a timeout fault
   * whose client went away): the caller then drops the connection.
   */
  async handle(
    call: SandboxCall,
    handler: () => SandboxReply | Promise<SandboxReply>,
  ): Promise<SandboxReply | null> {
    const admission = this.admit(call.tenantId, call.method, call.path, call.idempotencyKey);
    if (!admission.admitted) {
      const refusal = this.judge.refusal(call.tenantId, admission, this.now());
      call.observe?.(refusal, admission.forced);
      return refusal;
    }
    const { entry } = admission;
    let reply: SandboxReply | null = null;
    try {
      // The platform does the work even when the client has already given up, so latency is not cut short.
      await this.faults.delay(entry);
      const platformAnswer = async () => {
        const answer = await this.writes.applyOnce(entry, () => guarded(handler, this.failure));
        if (!entry.replayed && answer.status < 300) entry.applied = true;
        return this.faults.lose(entry, answer);
      };
      reply = await (this.faults.answer(entry, call.signal) ?? platformAnswer());
      call.observe?.(reply, this.faults.drawnFor(entry) !== undefined);
      return reply && { ...reply, headers: { ...reply.headers, ...this.headers(call.tenantId) } };
    } finally {
      if (call.signal?.aborted) entry.clientAborted = true;
      this.finish(entry, reply?.status ?? null);
    }
  }

  /**
   * Decides on a call as it arrives, and logs it: a queued rateLimit fault refuses it, else the judge
   * does. An admitted call holds a concurrency slot until `finish`, and draws its fault, if any.
   */
  admit(tenantId: string, method: string, path: string, idempotencyKey?: string): Admission {
    const entry = this.calls.record(tenantId, method, path, idempotencyKey);
    const forced = this.faults.takeRefusal(entry);
    const verdict = this.judge.admit(tenantId, entry.startedAt, forced);
    if (!verdict.admitted) {
      this.calls.refused(entry, verdict.problem, forced !== undefined);
      return { ...verdict, entry, forced: forced !== undefined };
    }
    entry.admitted = true;
    this.faults.draw(entry);
    return { admitted: true, entry };
  }

  /** Records the answer (null: none was sent) and frees the concurrency slot. Safe to call twice. */
  finish(entry: CallLogEntry, status: number | null): void {
    if (this.calls.end(entry, status) && entry.admitted) this.judge.release(entry.tenantId);
  }

  /** The status or timeout fault, if any, that `admit` drew for an admitted call. */
  faultOf(entry: CallLogEntry): Fault | undefined {
    return this.faults.drawnFor(entry);
  }

  // ---- caps ----

  /** Changes the caps for every tenant, or for one (on top of the shared ones). */
  setLimits(limits: Partial<SandboxCapLimits>, tenantId?: string): void {
    this.judge.setLimits(limits, tenantId);
  }

  limitsFor(tenantId: string): SandboxCapLimits {
    return this.judge.limitsFor(tenantId);
  }

  /** Changes the app's calls a minute across all tenants (Xero: 10,000). */
  setAppLimit(perMinute: number): void {
    this.judge.setAppLimit(perMinute);
  }

  /** The app's calls a minute across all tenants. */
  get appLimit(): number {
    return this.judge.appLimit;
  }

  /** Where a tenant stands now. */
  usage(tenantId: string): { inFlight: number; minute: number; day: number; limits: SandboxCapLimits } {
    return this.judge.usage(tenantId, this.now());
  }

  /** Forgets the minute and day counts (e.g. to start a benchmark on a fresh day). In-flight calls stay. */
  resetUsage(tenantId?: string): void {
    this.judge.resetUsage(tenantId);
  }

  /** X-MinLimit-Remaining, X-DayLimit-Remaining and X-AppMinLimit-Remaining for a tenant, now. */
  headers(tenantId: string): Record<string, string> {
    return this.judge.headers(tenantId, this.now());
  }

  // ---- latency and faults ----

  /** Sets the latency of every tenant, or of one (undefined: back to the shared latency). */
  setLatency(latency: Latency | undefined, tenantId?: string): void {
    this.faults.setLatency(latency, tenantId);
  }

  /** Queues faults for the next calls of a tenant ("*": of any tenant): see FaultInjector.inject. */
  injectFaults(tenantId: string, faults: Fault | Fault[]): void {
    this.faults.inject(tenantId, faults);
  }

  /** Drops queued faults of one tenant ("*": the global ones), or all of them. */
  clearFaults(tenantId?: string): void {
    this.faults.clear(tenantId);
  }

  /**
   * Whether a write repeated with the same Idempotency-Key is applied once (true) or again (false, as a
   * platform whose contract declares no key may do).
   */
  setIdempotency(honour: boolean): void {
    this.writes.honour = honour;
  }

  /** Faults still waiting for a call (of a tenant and the global ones, or all). */
  pendingFaults(tenantId?: string): number {
    return this.faults.pending(tenantId);
  }

  /** Answers every call held by a timeout fault with nothing, so a server can close. */
  releaseHeld(): void {
    this.faults.releaseHeld();
  }

  // ---- the call log ----

  /** Calls the caps admitted (and charged), of one tenant or all. */
  accepted(tenantId?: string): CallLogEntry[] {
    return this.calls.accepted(tenantId);
  }

  /** The most admitted calls ever in flight at once, from the log's intervals: see CallLog. */
  maxConcurrency(tenantId?: string): number {
    return this.calls.maxConcurrency(tenantId);
  }

  /** The most admitted calls that started inside any window of `windowMs` (of one tenant, or all). */
  maxInSlidingWindow(
    tenantId: string | undefined,
    windowMs: number,
    filter?: (entry: CallLogEntry) => boolean,
  ): number {
    return this.calls.maxInSlidingWindow(tenantId, windowMs, filter);
  }

  /**
   * Calls that arrived over a cap, by level (the tenant's, the app's): 429s the counts called for, not
   * those a test ordered.
   */
  violations(): { tenant: number; app: number } {
    return this.calls.violations();
  }

  /** Empties the log (the caps' own counts are kept: see resetUsage). */
  clear(): void {
    this.calls.clear();
  }
}

async function guarded(
  handler: () => SandboxReply | Promise<SandboxReply>,
  failure: Failure,
): Promise<SandboxReply> {
  try {
    return await handler();
  } catch (error) {
    return bugReply(failure, error);
  }
}
