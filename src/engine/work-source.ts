import type { CallOutcome, OutgoingRequest } from "../platforms/http.ts";
import type { Lane } from "./lanes.ts";
import type { CallTarget } from "./provider-call.ts";
import type { DenyReason } from "./rate-limit/budget.ts";
import type { ExportAllowance } from "./rate-limit/export-allowance.ts";
import type { ClaimContext } from "./store.ts";

/**
 * Work the dispatcher serves, one provider call at a time: pull pages, push packets, outbox exports.
 * The engine knows nothing else about them: a source claims its next unit of work (doing whatever
 * bookkeeping needs no call on the way), says which call it needs, and records the answer. The
 * dispatcher decides only when: it asks sources in lane order, charges the budget, calls, and parks.
 */
export interface WorkSource<W = unknown> {
  /** For logs. */
  readonly name: string;
  /**
   * The lanes this source's work travels in, highest first. Sources are asked in the order of their
   * highest lane, so two sources' lanes must not interleave (checked when the engine starts).
   */
  readonly lanes: readonly Lane[];
  /**
   * Takes back what an earlier activation left claimed for the integration (its worker died mid-call,
   * or it lost its lock): work whose call may have reached the platform is in doubt. Called by the
   * activation that holds the integration's lock, with its fencing token: the earlier activation can
   * settle none of it any more.
   */
  recoverOrphans(integrationId: string, claim: ClaimContext): Promise<number>;
  /** Integrations with pending work of this source (the scheduler's safety-net sweep). */
  integrationsWithWork(): Promise<string[]>;
  /**
   * Starts serving one integration: what the source keeps for the length of one activation. Its claims
   * carry the activation's fencing token, and so do its settlements. `waitsForBudget`: the activation
   * that parked and woke this one left this source's work refused by the budget, so a session that can say its work
   * waits (WorkSession.waiting) says so from its first look, and the budget is asked before anything is
   * claimed.
   */
  open(target: CallTarget, claim: ClaimContext, options?: { waitsForBudget?: boolean }): WorkSession<W>;
}

export interface WorkSession<W> {
  /** Claims the next unit of work that is due now, or says when some becomes due (null: never by itself). */
  next(): Promise<Offer<W>>;
  /**
   * The budget said wait (`denial`), or the activation stops before the call (null: the integration was
   * paused or disconnected meanwhile): the claimed work goes back in line untouched. A day cap ("day",
   * "exportDay") means the rest of the day is spent: a source with runs defers them.
   */
  unclaim(work: W, denial: { reason: DenyReason; waitMs: number } | null): Promise<void>;
  /**
   * The lane (and export allowance) of work the session knows is still waiting for budget: put back
   * after a denial, due beside the work it last claimed, or left refused by the activation that parked
   * (WorkSource.open). Null: nothing known to wait; claim as usual. The dispatcher then takes the budget first
   * and claims after, so an integration the budget holds back does not claim and put back its work on
   * every look (should the claim find nothing, the unit is given back as a call made). Sessions that
   * cannot tell without a query leave it out.
   */
  waiting?(): Promise<{ lane: Lane; allowance?: ExportAllowance } | null>;
  /** The budget refused the waiting work before it was claimed (see `waiting`): as `unclaim`, with nothing to put back. */
  refused?(denial: { reason: DenyReason; waitMs: number }): Promise<void>;
  /** The budget granted the work's call, which goes out now (a claimed packet is now SENDING). */
  calling?(work: W): void;
  /** Records the platform's answer to the work's call. */
  settle(work: W, outcome: CallOutcome): Promise<void>;
  /** New work was announced for the integration (a source may skip its queries until then). */
  announced(): void;
}

export type Offer<W> =
  | {
      kind: "call";
      lane: Lane;
      work: W;
      request: OutgoingRequest;
      /** Sent as Idempotency-Key, so a resend after a lost answer is applied at most once. */
      idempotencyKey?: string;
      /** Ids every log line of the call and its settlement carries (e.g. the run's), to follow it. */
      logContext?: Record<string, string>;
      /** An EXPORT call in ADAPTIVE reserve mode: what it may use beyond the reserve (none: strict). */
      allowance?: ExportAllowance;
    }
  | { kind: "none"; dueAt: number | null };
