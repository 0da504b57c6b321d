import type { CallLogEntry } from "./call-log.ts";
import type { ForcedRefusal } from "./caps.ts";
import type { Failure, SandboxReply } from "./reply.ts";

/**
 * What tests stage on a sandbox beyond its caps: latency, and faults queued for the next calls (a
 * status, a timeout that holds the request, a 429 regardless of counts, an answer lost after the call
 * was applied).
 */

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
  | ({ kind: "rateLimit" } & ForcedRefusal)
  /**
   * The platform applies the call, then its answer is lost on the way back: the client gets `status`
   * (default 504, as a gateway that gave up) instead, or, with status null, the connection is dropped.
   */
  | { kind: "lostAnswer"; status?: number | null }
) & { match?: FaultMatch };

/** Real milliseconds added to each admitted call: fixed, or chosen per call. */
export type Latency = number | ((entry: CallLogEntry) => number);

export interface FaultOptions {
  latencyMs?: Latency;
  /** Real ms a timeout fault holds the request before giving up with a 504 (default 120 s). */
  timeoutHoldMs?: number;
}

export class FaultInjector {
  private readonly queues = new Map<string, Fault[]>();
  private readonly drawn = new WeakMap<CallLogEntry, Fault>();
  private readonly latencies = new Map<string, Latency>();
  private readonly held = new Set<() => void>();
  private readonly timeoutHoldMs: number;
  private latency: Latency;

  constructor(
    private readonly failure: Failure,
    options: FaultOptions = {},
  ) {
    this.latency = options.latencyMs ?? 0;
    this.timeoutHoldMs = options.timeoutHoldMs ?? 120_000;
  }

  /** Sets the latency of every tenant, or of one (undefined: back to the shared latency). */
  setLatency(latency: Latency | undefined, tenantId?: string): void {
    if (tenantId === undefined) this.latency = latency ?? 0;
    else if (latency === undefined) this.latencies.delete(tenantId);
    else this.latencies.set(tenantId, latency);
  }

  /** Waits out the latency of an admitted call. */
  delay(entry: CallLogEntry): Promise<void> {
    const latency = this.latencies.get(entry.tenantId) ?? this.latency;
    const ms = typeof latency === "function" ? latency(entry) : latency;
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  }

  /**
   * Queues faults for the next calls of a tenant ("*": of any tenant), used up in order; a tenant's own
   * faults go first. A rateLimit fault refuses the next matching call outright; a status or timeout
   * fault waits for the next matching call that the caps admit (so it is never lost to a 429).
   */
  inject(tenantId: string, faults: Fault | Fault[]): void {
    const queue = this.queues.get(tenantId) ?? [];
    queue.push(...(Array.isArray(faults) ? faults : [faults]));
    this.queues.set(tenantId, queue);
  }

  /** Drops queued faults of one tenant ("*": the global ones), or all of them. */
  clear(tenantId?: string): void {
    if (tenantId === undefined) this.queues.clear();
    else this.queues.delete(tenantId);
  }

  /** Faults still waiting for a call (of a tenant and the global ones, or all). */
  pending(tenantId?: string): number {
    if (tenantId === undefined)
      return [...this.queues.values()].reduce((sum, queue) => sum + queue.length, 0);
    return (this.queues.get(tenantId)?.length ?? 0) + (this.queues.get("*")?.length ?? 0);
  }

  /** The rateLimit fault next in line for an arriving call, if any: it is refused before the caps count it. */
  takeRefusal(entry: CallLogEntry): ForcedRefusal | undefined {
    const fault = this.take(entry, (candidate) => candidate.kind === "rateLimit");
    return fault?.kind === "rateLimit" ? fault : undefined;
  }

  /** Draws the status or timeout fault, if one is next in line, that will answer an admitted call. */
  draw(entry: CallLogEntry): void {
    const fault = this.take(entry, (candidate) => candidate.kind !== "rateLimit");
    if (fault) this.drawn.set(entry, fault);
  }

  /** The fault `draw` drew for a call. */
  drawnFor(entry: CallLogEntry): Fault | undefined {
    return this.drawn.get(entry);
  }

  /**
   * The answer of a call's drawn fault: its status, or nothing for a held request (null: the client
   * went away) or a 504 after timeoutHoldMs. undefined when no fault was drawn: the platform answers.
   */
  answer(entry: CallLogEntry, signal: AbortSignal | undefined): Promise<SandboxReply | null> | undefined {
    const fault = this.drawn.get(entry);
    // A lost answer comes after the platform's own (SandboxCaps applies the call first).
    if (fault?.kind !== "timeout" && fault?.kind !== "status") return undefined;
    entry.problem = "fault";
    if (fault.kind === "status") {
      return Promise.resolve(this.failure(fault.status, fault.message ?? "Injected fault"));
    }
    return this.hold(signal);
  }

  /**
   * The answer the client gets for an applied call: `applied` itself, or, when a lostAnswer fault was
   * drawn for it, the fault's status instead (null: the connection is dropped).
   */
  lose(entry: CallLogEntry, applied: SandboxReply | null): SandboxReply | null {
    const fault = this.drawn.get(entry);
    if (fault?.kind !== "lostAnswer") return applied;
    entry.problem = "fault";
    return fault.status === null ? null : this.failure(fault.status ?? 504, "Gateway timeout");
  }

  /** Answers every call held by a timeout fault with nothing, so a server can close. */
  releaseHeld(): void {
    for (const release of [...this.held]) release();
  }

  /** Takes the first queued fault (the tenant's, then the global ones) that matches the call and `want`. */
  private take(entry: CallLogEntry, want: (fault: Fault) => boolean): Fault | undefined {
    for (const scope of [entry.tenantId, "*"]) {
      const queue = this.queues.get(scope);
      const index = queue?.findIndex((fault) => matches(fault.match, entry)) ?? -1;
      // Only the first matching fault may fire: faults are used up in the order they were queued.
      if (queue && index >= 0) return want(queue[index]!) ? queue.splice(index, 1)[0] : undefined;
    }
    return undefined;
  }

  private hold(signal: AbortSignal | undefined): Promise<SandboxReply | null> {
    return new Promise((resolve) => {
      const done = (reply: SandboxReply | null) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", release);
        this.held.delete(release);
        resolve(reply);
      };
      const release = () => done(null);
      const timer = setTimeout(() => done(this.failure(504, "Gateway timeout")), this.timeoutHoldMs);
      this.held.add(release);
      if (signal?.aborted) release();
      else signal?.addEventListener("abort", release, { once: true });
    });
  }
}

function matches(match: FaultMatch | undefined, entry: CallLogEntry): boolean {
  if (!match) return true;
  if (match.method !== undefined && match.method.toUpperCase() !== entry.method) return false;
  return match.path === undefined || match.path === entry.path;
}
