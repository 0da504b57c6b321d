import type { IncomingMessage, ServerResponse } from "node:http";
import type { RateCaps } from "../platforms/catalog.ts";
import type { TimeScale } from "../time.ts";

/**
 * What a rate-capped platform enforces per remote tenant, for the sandbox servers (XPM now, Xero
 * Accounting and PSA later): concurrent calls, calls in any sliding platform minute, calls per fixed
 * platform day, and an app-wide minute, answered with Xero's headers and 429s (PLATFORMS.md). It also
 * injects latency and faults, replays writes by Idempotency-Key, and keeps a log of every call, which
 * tests and benchmarks use as the judge of whether syncline stayed under the caps.
 *
 * Choices worth knowing:
 * - A refused call (429) does not count against the minute or day windows: it did no work, and counting
 *   it would let a client that retries too eagerly lock itself out for ever.
 * - A replayed write (repeated Idempotency-Key) does count, as on Xero: the call still reached the API.
 * - An injected 5xx or timeout counts too: the platform accepted the call and then failed it.
 * - The day is a fixed window, floor(now / dayMs), so in production time it resets at UTC midnight.
 */

export type SandboxCapLimits = Pick<RateCaps, "concurrent" | "perMinute" | "perDay">;

/** Values of `X-Rate-Limit-Problem`. */
export type RateProblem = "minute" | "day" | "concurrent" | "appminute";

export interface CallLogEntry {
  /** 1, 2, 3… in arrival order, across tenants. */
  seq: number;
  tenantId: string;
  method: string;
  /** The route path without query string or mount prefix, e.g. "/v3.1/job.api/update". */
  path: string;
  /** Date.now() when the call arrived. */
  startedAt: number;
  /** Date.now() when it was answered (or the client gave up); null while in flight. */
  endedAt: number | null;
  /** HTTP status sent; null while in flight or when it was never answered (a timeout fault). */
  status: number | null;
  /** Passed the caps and was charged against them (includes injected 5xx and timeouts). */
  admitted: boolean;
  /** Why the call failed: a cap (429), or an injected fault. */
  problem?: RateProblem | "fault";
  idempotencyKey?: string;
  /** A repeated Idempotency-Key: the stored answer was replayed and nothing was applied again. */
  replayed?: boolean;
  /** The client went away before the answer was written (it may still have been applied). */
  clientAborted?: boolean;
}

/** Narrows a fault to some calls, e.g. `{ method: "PUT", path: "/v3.1/job.api/update" }`. */
export interface FaultMatch {
  method?: string;
  path?: string;
}

export type Fault = (
  | { kind: "status"; status: number; message?: string }
  /** Holds the request unanswered until the client gives up (or `timeoutHoldMs`, then 504). */
  | { kind: "timeout" }
  /** A 429 regardless of counts; retryAfterSeconds defaults to the real wait for that window. */
  | { kind: "rateLimit"; problem: RateProblem; retryAfterSeconds?: number }
) & { match?: FaultMatch };

/** Real milliseconds added to each admitted call: fixed, or chosen per call. */
export type Latency = number | ((entry: CallLogEntry) => number);

export type Admission =
  | { admitted: true; entry: CallLogEntry }
  | { admitted: false; entry: CallLogEntry; problem: RateProblem; retryAfterSeconds: number };

/** What a sandbox answers: JSON body, optional extra headers. */
export interface SandboxReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One HTTP call as the caps see it. */
export interface SandboxCall {
  tenantId: string;
  method: string;
  path: string;
  idempotencyKey?: string;
  /** Aborted when the client goes away: ends a held (timeout) call. */
  signal?: AbortSignal;
}

export interface SandboxCapsOptions {
  /** Per-tenant overrides of the caps. */
  tenantCaps?: Record<string, Partial<SandboxCapLimits>>;
  /** Calls a minute across all tenants (Xero: 10,000 per app). */
  appPerMinute?: number;
  latencyMs?: Latency;
  /** Real ms a timeout fault holds the request before giving up with a 504 (default 120 s). */
  timeoutHoldMs?: number;
  /** The platform's error body, e.g. XPM's ResponseErrorDto. */
  errorBody?: (message: string, status: number) => unknown;
  /** Clock for the windows and the log (tests may inject one); Date.now by default. */
  now?: () => number;
}

const APP_PER_MINUTE = 10_000;
const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Start times inside a sliding window, oldest first; pruned lazily from the head. */
class SlidingLog {
  private times: number[] = [];
  private head = 0;

  constructor(private readonly windowMs: number) {}

  count(now: number): number {
    this.prune(now);
    return this.times.length - this.head;
  }

  /** When the oldest call in the window leaves it (call `count` first). */
  nextExpiry(): number {
    return (this.times[this.head] ?? 0) + this.windowMs;
  }

  push(at: number): void {
    this.times.push(at);
  }

  private prune(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) this.head++;
    // Compact now and then so a long benchmark does not keep every start time.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}

interface StoredWrite {
  method: string;
  path: string;
  reply: Promise<SandboxReply>;
}

interface TenantState {
  inFlight: number;
  minute: SlidingLog;
  dayIndex: number;
  dayCount: number;
  writes: Map<string, StoredWrite>;
}

export class SandboxCaps {
  /** Every call, in arrival order. Read it; `clear()` empties it. */
  readonly log: CallLogEntry[] = [];
  private readonly tenants = new Map<string, TenantState>();
  private readonly overrides = new Map<string, Partial<SandboxCapLimits>>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly drawnFaults = new WeakMap<CallLogEntry, Fault>();
  private readonly latencies = new Map<string, Latency>();
  private readonly held = new Set<() => void>();
  private readonly app: SlidingLog;
  private readonly appPerMinute: number;
  private readonly now: () => number;
  private readonly timeoutHoldMs: number;
  private readonly errorBody: (message: string, status: number) => unknown;
  private latency: Latency;
  private seq = 0;

  constructor(
    private limits: SandboxCapLimits,
    readonly time: TimeScale,
    options: SandboxCapsOptions = {},
  ) {
    this.app = new SlidingLog(time.minuteMs);
    this.appPerMinute = options.appPerMinute ?? APP_PER_MINUTE;
    this.now = options.now ?? Date.now;
    this.timeoutHoldMs = options.timeoutHoldMs ?? 120_000;
    this.errorBody = options.errorBody ?? ((message) => ({ status: "ERROR", errorDescription: message }));
    this.latency = options.latencyMs ?? 0;
    for (const [tenantId, limits] of Object.entries(options.tenantCaps ?? {}))
      this.setLimits(limits, tenantId);
  }

  // ---- configuration ----

  /** Changes the caps for every tenant, or for one (on top of the shared ones). */
  setLimits(limits: Partial<SandboxCapLimits>, tenantId?: string): void {
    if (tenantId === undefined) this.limits = { ...this.limits, ...limits };
    else this.overrides.set(tenantId, { ...this.overrides.get(tenantId), ...limits });
  }

  limitsFor(tenantId: string): SandboxCapLimits {
    return { ...this.limits, ...this.overrides.get(tenantId) };
  }

  /** Sets the latency of every tenant, or of one (undefined: back to the shared latency). */
  setLatency(latency: Latency | undefined, tenantId?: string): void {
    if (tenantId === undefined) this.latency = latency ?? 0;
    else if (latency === undefined) this.latencies.delete(tenantId);
    else this.latencies.set(tenantId, latency);
  }

  /**
   * Queues faults for the next calls of a tenant ("*": of any tenant), used up in order; a tenant's own
   * faults go first. A rateLimit fault refuses the next matching call outright; a status or timeout
   * fault waits for the next matching call that the caps admit (so it is never lost to a 429).
   */
  injectFaults(tenantId: string, faults: Fault | Fault[]): void {
    const queue = this.faults.get(tenantId) ?? [];
    queue.push(...(Array.isArray(faults) ? faults : [faults]));
    this.faults.set(tenantId, queue);
  }

  /** Drops queued faults of one tenant ("*": the global ones), or all of them. */
  clearFaults(tenantId?: string): void {
    if (tenantId === undefined) this.faults.clear();
    else this.faults.delete(tenantId);
  }

  /** Faults still waiting for a call (of a tenant and the global ones, or all). */
  pendingFaults(tenantId?: string): number {
    if (tenantId === undefined)
      return [...this.faults.values()].reduce((sum, queue) => sum + queue.length, 0);
    return (this.faults.get(tenantId)?.length ?? 0) + (this.faults.get("*")?.length ?? 0);
  }

  /** Forgets the minute and day counts (e.g. to start a benchmark on a fresh day). In-flight calls stay. */
  resetUsage(tenantId?: string): void {
    for (const [id, state] of this.tenants) {
      if (tenantId !== undefined && id !== tenantId) continue;
      state.minute = new SlidingLog(this.time.minuteMs);
      state.dayCount = 0;
    }
  }

  /** Where a tenant stands now. */
  usage(tenantId: string): { inFlight: number; minute: number; day: number; limits: SandboxCapLimits } {
    const now = this.now();
    const state = this.state(tenantId, now);
    return {
      inFlight: state.inFlight,
      minute: state.minute.count(now),
      day: state.dayCount,
      limits: this.limitsFor(tenantId),
    };
  }

  // ---- serving a call ----

  /**
   * Serves one call end to end: caps, latency, faults, Idempotency-Key replay, then `handler`.
   * Resolves to the reply to send with the limit headers added, or null when nothing must be sent
   * (a timeout fault whose client went away): the caller then drops the connection.
   */
  async handle(
    call: SandboxCall,
    handler: () => SandboxReply | Promise<SandboxReply>,
  ): Promise<SandboxReply | null> {
    const admission = this.admit(call.tenantId, call.method, call.path, call.idempotencyKey);
    if (!admission.admitted) return this.refusal(admission);
    const { entry } = admission;
    let reply: SandboxReply | null = null;
    try {
      // The platform does the work even when the client has already given up, so latency is not cut short.
      await sleep(this.latencyFor(entry));
      reply = await this.answer(entry, call, handler);
      return reply && { ...reply, headers: { ...reply.headers, ...this.headers(call.tenantId) } };
    } finally {
      if (call.signal?.aborted) entry.clientAborted = true;
      this.finish(entry, reply?.status ?? null);
    }
  }

  /**
   * Decides on a call as it arrives, and logs it. An admitted call holds a concurrency slot until
   * `finish`. Checks run concurrent, day, minute, app minute: a day that is spent is reported as
   * "day" even when the minute is full too, so the client defers instead of retrying every minute.
   */
  admit(tenantId: string, method: string, path: string, idempotencyKey?: string): Admission {
    const now = this.now();
    const entry = this.record(tenantId, method, path, idempotencyKey, now);
    const state = this.state(tenantId, now);
    const forced = this.takeFault(entry, (fault) => fault.kind === "rateLimit");
    if (forced?.kind === "rateLimit") {
      const waitMs =
        forced.retryAfterSeconds === undefined
          ? this.waitFor(forced.problem, state, now)
          : this.time.secondsToMs(forced.retryAfterSeconds);
      return this.refuse(entry, forced.problem, waitMs);
    }
    const problem = this.overLimit(state, tenantId, now);
    if (problem) return this.refuse(entry, problem, this.waitFor(problem, state, now));

    state.inFlight++;
    state.minute.push(now);
    state.dayCount++;
    this.app.push(now);
    entry.admitted = true;
    const fault = this.takeFault(entry, (candidate) => candidate.kind !== "rateLimit");
    if (fault) this.drawnFaults.set(entry, fault);
    return { admitted: true, entry };
  }

  /** The status or timeout fault, if any, that `admit` drew for an admitted call. */
  faultOf(entry: CallLogEntry): Fault | undefined {
    return this.drawnFaults.get(entry);
  }

  /**
   * Records the answer (null: none was sent) and frees the concurrency slot. Safe to call twice.
   * The third argument is ignored (the entry knows whether it was admitted); it is accepted so callers
   * of the first version of this class keep compiling.
   */
  finish(entry: CallLogEntry, status: number | null, _admitted?: boolean): void {
    if (entry.endedAt !== null) return;
    entry.status = status;
    entry.endedAt = this.now();
    if (entry.admitted) {
      const state = this.tenants.get(entry.tenantId);
      if (state) state.inFlight--;
    }
  }

  /** X-MinLimit-Remaining, X-DayLimit-Remaining and X-AppMinLimit-Remaining for a tenant, now. */
  headers(tenantId: string): Record<string, string> {
    const now = this.now();
    const state = this.state(tenantId, now);
    const limits = this.limitsFor(tenantId);
    return {
      "x-minlimit-remaining": String(Math.max(0, limits.perMinute - state.minute.count(now))),
      "x-daylimit-remaining": String(Math.max(0, limits.perDay - state.dayCount)),
      "x-appminlimit-remaining": String(Math.max(0, this.appPerMinute - this.app.count(now))),
    };
  }

  /** Answers every call held by a timeout fault with nothing, so a server can close. */
  releaseHeld(): void {
    for (const release of [...this.held]) release();
  }

  // ---- reading the log ----

  /** Calls the caps admitted (and charged), of one tenant or all. */
  accepted(tenantId?: string): CallLogEntry[] {
    return this.log.filter((e) => e.admitted && (tenantId === undefined || e.tenantId === tenantId));
  }

  /**
   * The most admitted calls ever in flight at once, from the log's intervals. Calls still in flight
   * count up to now. At equal times an end is taken before a start: the server frees a slot before the
   * client can send the next call, and Date.now() cannot tell the two apart.
   */
  maxConcurrency(tenantId?: string): number {
    const now = this.now();
    const events: [at: number, delta: number][] = [];
    for (const e of this.accepted(tenantId)) events.push([e.startedAt, 1], [e.endedAt ?? now, -1]);
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let current = 0;
    let max = 0;
    for (const [, delta] of events) {
      current += delta;
      max = Math.max(max, current);
    }
    return max;
  }

  /** The most admitted calls that started inside any window of `windowMs` (of one tenant, or all). */
  maxInSlidingWindow(
    tenantId: string | undefined,
    windowMs: number,
    filter: (entry: CallLogEntry) => boolean = () => true,
  ): number {
    const starts = this.accepted(tenantId)
      .filter(filter)
      .map((e) => e.startedAt)
      .sort((a, b) => a - b);
    let max = 0;
    let first = 0;
    for (let last = 0; last < starts.length; last++) {
      while (starts[last]! - starts[first]! >= windowMs) first++;
      max = Math.max(max, last - first + 1);
    }
    return max;
  }

  /** Empties the log (the caps' own counts are kept: see resetUsage). */
  clear(): void {
    this.log.length = 0;
  }

  // ---- internals ----

  private record(
    tenantId: string,
    method: string,
    path: string,
    idempotencyKey: string | undefined,
    now: number,
  ): CallLogEntry {
    const entry: CallLogEntry = {
      seq: ++this.seq,
      tenantId,
      method,
      path,
      startedAt: now,
      endedAt: null,
      status: null,
      admitted: false,
    };
    if (idempotencyKey) entry.idempotencyKey = idempotencyKey;
    this.log.push(entry);
    return entry;
  }

  private state(tenantId: string, now: number): TenantState {
    const dayIndex = Math.floor(now / this.time.dayMs);
    let state = this.tenants.get(tenantId);
    if (!state) {
      state = {
        inFlight: 0,
        minute: new SlidingLog(this.time.minuteMs),
        dayIndex,
        dayCount: 0,
        writes: new Map(),
      };
      this.tenants.set(tenantId, state);
    }
    if (state.dayIndex !== dayIndex) {
      state.dayIndex = dayIndex;
      state.dayCount = 0;
    }
    return state;
  }

  private overLimit(state: TenantState, tenantId: string, now: number): RateProblem | undefined {
    const limits = this.limitsFor(tenantId);
    if (state.inFlight >= limits.concurrent) return "concurrent";
    if (state.dayCount >= limits.perDay) return "day";
    if (state.minute.count(now) >= limits.perMinute) return "minute";
    if (this.app.count(now) >= this.appPerMinute) return "appminute";
    return undefined;
  }

  /** Real ms until a call refused for `problem` could be admitted. */
  private waitFor(problem: RateProblem, state: TenantState, now: number): number {
    switch (problem) {
      case "day":
        return (state.dayIndex + 1) * this.time.dayMs - now;
      case "minute":
        return state.minute.count(now) > 0 ? state.minute.nextExpiry() - now : 0;
      case "appminute":
        return this.app.count(now) > 0 ? this.app.nextExpiry() - now : 0;
      case "concurrent":
        // A slot frees when some call ends, which the platform cannot foresee: Xero says "1 second".
        return this.time.secondsToMs(1);
    }
  }

  private refuse(entry: CallLogEntry, problem: RateProblem, waitMs: number): Admission {
    entry.problem = problem;
    entry.status = 429;
    entry.endedAt = entry.startedAt;
    return { admitted: false, entry, problem, retryAfterSeconds: Math.max(1, this.time.msToSeconds(waitMs)) };
  }

  private refusal(admission: Admission & { admitted: false }): SandboxReply {
    return {
      status: 429,
      body: this.errorBody(`Rate limit exceeded: ${admission.problem}`, 429),
      headers: {
        ...this.headers(admission.entry.tenantId),
        "retry-after": String(admission.retryAfterSeconds),
        "x-rate-limit-problem": admission.problem,
      },
    };
  }

  /** Takes the first queued fault (the tenant's, then the global ones) that matches the call and `want`. */
  private takeFault(entry: CallLogEntry, want: (fault: Fault) => boolean): Fault | undefined {
    for (const scope of [entry.tenantId, "*"]) {
      const queue = this.faults.get(scope);
      const index = queue?.findIndex((fault) => matches(fault.match, entry)) ?? -1;
      // Only the first matching fault may fire: faults are used up in the order they were queued.
      if (queue && index >= 0) return want(queue[index]!) ? queue.splice(index, 1)[0] : undefined;
    }
    return undefined;
  }

  private latencyFor(entry: CallLogEntry): number {
    const latency = this.latencies.get(entry.tenantId) ?? this.latency;
    return typeof latency === "function" ? latency(entry) : latency;
  }

  private async answer(
    entry: CallLogEntry,
    call: SandboxCall,
    handler: () => SandboxReply | Promise<SandboxReply>,
  ): Promise<SandboxReply | null> {
    const fault = this.faultOf(entry);
    if (fault?.kind === "timeout") {
      entry.problem = "fault";
      return this.hold(call.signal);
    }
    if (fault?.kind === "status") {
      entry.problem = "fault";
      return { status: fault.status, body: this.errorBody(fault.message ?? "Injected fault", fault.status) };
    }
    return this.applyOnce(entry, call, handler);
  }

  /** A request that gets no answer: until the client aborts (null), or a 504 after timeoutHoldMs. */
  private hold(signal: AbortSignal | undefined): Promise<SandboxReply | null> {
    return new Promise((resolve) => {
      const done = (reply: SandboxReply | null) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", release);
        this.held.delete(release);
        resolve(reply);
      };
      const release = () => done(null);
      const timer = setTimeout(
        () => done({ status: 504, body: this.errorBody("Gateway timeout", 504) }),
        this.timeoutHoldMs,
      );
      this.held.add(release);
      if (signal?.aborted) release();
      else signal?.addEventListener("abort", release, { once: true });
    });
  }

  /**
   * Runs a write at most once per Idempotency-Key and tenant: a repeat (even while the first is still
   * running) gets the first answer. A 5xx is forgotten, since nothing was applied and a retry should be.
   */
  private async applyOnce(
    entry: CallLogEntry,
    call: SandboxCall,
    handler: () => SandboxReply | Promise<SandboxReply>,
  ): Promise<SandboxReply> {
    const key = call.idempotencyKey;
    if (!key || !WRITE_METHODS.has(call.method)) return runHandler(handler, this.errorBody);
    const writes = this.state(call.tenantId, this.now()).writes;
    const first = writes.get(key);
    if (first && (first.method !== call.method || first.path !== call.path)) {
      const message = `Idempotency-Key "${key}" was already used for ${first.method} ${first.path}`;
      return { status: 422, body: this.errorBody(message, 422) };
    }
    if (first) {
      entry.replayed = true;
      return first.reply;
    }
    const reply = runHandler(handler, this.errorBody);
    writes.set(key, { method: call.method, path: call.path, reply });
    const settled = await reply;
    if (settled.status >= 500) writes.delete(key);
    return settled;
  }
}

function matches(match: FaultMatch | undefined, entry: CallLogEntry): boolean {
  if (!match) return true;
  if (match.method !== undefined && match.method.toUpperCase() !== entry.method) return false;
  return match.path === undefined || match.path === entry.path;
}

async function runHandler(
  handler: () => SandboxReply | Promise<SandboxReply>,
  errorBody: (message: string, status: number) => unknown,
): Promise<SandboxReply> {
  try {
    return await handler();
  } catch (error) {
    // A bug in a sandbox route should look like a platform 500, not hang the client.
    return { status: 500, body: errorBody(`Sandbox error: ${(error as Error).message}`, 500) };
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

// ---- node:http glue shared by the sandbox servers ----

/** The request body as text (empty string when there is none). */
export async function readRequestBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Aborts when the connection closes before the response was written: the client gave up. */
export function clientGoneSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Writes a JSON reply; null (nothing to say) drops the connection instead. */
export function writeReply(res: ServerResponse, reply: SandboxReply | null): void {
  if (res.destroyed || res.writableEnded) return;
  if (reply === null) {
    res.destroy();
    return;
  }
  res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", ...reply.headers });
  res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
}
