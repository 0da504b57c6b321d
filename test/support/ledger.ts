import type { CallLedger } from "../../src/engine/store.ts";

/** A call ledger that does what `real` does, but for the methods a test replaces (to gate or watch them). */
export function ledgerWith(real: CallLedger, replaced: Partial<CallLedger>): CallLedger {
  return {
    begin: (call) => real.begin(call),
    end: (id, endedAt) => real.end(id, endedAt),
    windows: (id, dayStart, recentFrom) => real.windows(id, dayStart, recentFrom),
    platformCalls: (platforms, recentFrom) => real.platformCalls(platforms, recentFrom),
    prune: (before) => real.prune(before),
    forget: (id) => real.forget(id),
    flush: () => real.flush(),
    ...replaced,
  };
}
