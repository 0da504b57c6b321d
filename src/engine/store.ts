import type { PlatformKey } from "../platforms/catalog.ts";
import type { Lane } from "./lanes.ts";

/**
 * What the engine keeps in PostgreSQL (its storage is given by the composition root: src/work.ts builds
 * it over src/db). Redis holds the fast scheduling state and may lose it; these are what must not be lost.
 */
export interface EngineStore {
  fences: ActivationFences;
  ledger: CallLedger;
}

/**
 * Fencing tokens (DESIGN.md, "In doubt, conflicts, fencing"): a number per integration that only grows,
 * taken each time an activation acquires the integration's lock. Claims carry it, and settling or putting
 * back a claim needs it to still be the integration's current token, so an activation that lost its lock
 * (its Redis key vanished, its process stalled past the lock's TTL) can settle nothing, even if it runs on.
 */
export interface ActivationFences {
  /**
   * Takes the integration's next token: greater than every token taken before. `urgent`: for an
   * activation of work above the EXPORT lane, on connections the export fleet does not hold up.
   */
  take(integrationId: string, options?: { urgent?: boolean }): Promise<number>;
}

/** What an activation's work sources need to claim work (and recover what a lost activation left). */
export interface ClaimContext {
  /** The activation's fencing token. */
  fence: number;
  /**
   * Real ms after which a provider call is abandoned: a call a lost worker left in flight can no longer
   * reach the platform later than this after it was claimed.
   */
  callTimeoutMs: number;
}

/** One provider call as the ledger keeps it. Times are Redis time (ms), as the budget charges them. */
export interface LedgerCall {
  /** The call's budget lease id. */
  id: string;
  integrationId: string;
  lane: Lane;
  /** Counted against the export reserve too. */
  export: boolean;
  startedAt: number;
  /** null: in flight, or its worker died before it ended. */
  endedAt: number | null;
}

/** What the ledger says about an integration's calls since a moment: enough to rebuild its windows. */
export interface LedgerWindows {
  /** Calls started since `dayStart`, and how many of them were exports. */
  day: { calls: number; exports: number };
  /** Every call started at or after `recentFrom` (for the minute windows and the leases in flight). */
  recent: LedgerCall[];
}

/**
 * The durable call ledger: every provider call, recorded when the budget grants it and closed when it
 * ends. It is what Redis' budget windows are rebuilt from when Redis has lost them (CallBudget).
 */
export interface CallLedger {
  /** Records a granted call before it goes out (awaited: the call must be durable first). */
  begin(call: Omit<LedgerCall, "endedAt">): Promise<void>;
  /** Records a call's end (may be written a moment later, with other ends). */
  end(id: string, endedAt: number): void;
  /** An integration's calls since `dayStart` (counts) and since `recentFrom` (rows). */
  windows(integrationId: string, dayStart: number, recentFrom: number): Promise<LedgerWindows>;
  /**
   * The calls started at or after `recentFrom` of every integration of the given platforms (an app's
   * window: the integrations of all its tenants), read by start time, not integration by integration.
   */
  platformCalls(platforms: readonly PlatformKey[], recentFrom: number): Promise<LedgerCall[]>;
  /** Deletes the rows of calls started before `before`; returns how many. */
  prune(before: number): Promise<number>;
  /** Forgets an integration's calls (tests and benchmarks start from a clean budget). */
  forget(integrationId: string): Promise<void>;
  /** Writes the ends still buffered. */
  flush(): Promise<void>;
}
