import type { RateProblem } from "./caps.ts";

/**
 * Every call a sandbox received, in arrival order, and the measures tests and benchmarks take on it.
 * The log, not the caps' own counters, is the judge of whether syncline stayed under the caps: it is
 * read from the intervals the calls really occupied.
 */

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
  /** A 429 a test ordered (a rateLimit fault), not one the counts called for. */
  forced?: boolean;
  idempotencyKey?: string;
  /** A repeated Idempotency-Key: the stored answer was replayed and nothing was applied again. */
  replayed?: boolean;
  /**
   * The platform's own handling ran and succeeded (a write was applied), whatever the client got: set
   * also when the client went away, or when a lostAnswer fault replaced the answer.
   */
  applied?: boolean;
  /** The client went away before the answer was written (it may still have been applied). */
  clientAborted?: boolean;
}

export class CallLog {
  /** Every call, in arrival order. */
  readonly entries: CallLogEntry[] = [];
  private seq = 0;

  constructor(private readonly now: () => number) {}

  /** Logs a call as it arrives: neither admitted nor answered yet. */
  record(tenantId: string, method: string, path: string, idempotencyKey?: string): CallLogEntry {
    const entry: CallLogEntry = {
      seq: ++this.seq,
      tenantId,
      method,
      path,
      startedAt: this.now(),
      endedAt: null,
      status: null,
      admitted: false,
    };
    if (idempotencyKey) entry.idempotencyKey = idempotencyKey;
    this.entries.push(entry);
    return entry;
  }

  /** A 429 is answered as the call arrives, so it ends when it started. */
  refused(entry: CallLogEntry, problem: RateProblem, forced = false): void {
    entry.problem = problem;
    if (forced) entry.forced = true;
    entry.status = 429;
    entry.endedAt = entry.startedAt;
  }

  /** Records the answer (null: none was sent); false when the call had already ended. */
  end(entry: CallLogEntry, status: number | null): boolean {
    if (entry.endedAt !== null) return false;
    entry.status = status;
    entry.endedAt = this.now();
    return true;
  }

  /** Calls the caps admitted (and charged), of one tenant or all. */
  accepted(tenantId?: string): CallLogEntry[] {
    return this.entries.filter((e) => e.admitted && (tenantId === undefined || e.tenantId === tenantId));
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

  /**
   * Calls that arrived over a cap (refused by the counts, not by a test's order), by level: the
   * tenant's caps (concurrent, minute, day) and the app's (`appminute`).
   */
  violations(): { tenant: number; app: number } {
    let tenant = 0;
    let app = 0;
    for (const e of this.entries) {
      if (e.status !== 429 || e.forced || e.problem === undefined || e.problem === "fault") continue;
      if (e.problem === "appminute") app++;
      else tenant++;
    }
    return { tenant, app };
  }

  clear(): void {
    this.entries.length = 0;
  }
}
