import { describe, expect, it } from "vitest";
import { MAX_ATTEMPTS } from "../../../src/engine/retry.ts";
import { settlementOf } from "../../../src/engine/settlement.ts";
import type { CallOutcome } from "../../../src/platforms/http.ts";
import { timeScale } from "../../../src/time.ts";

/** What an answer means for the work that made the call: a write whose outcome is unknown is in doubt. */
const time = timeScale(60_000);
const lost: CallOutcome = {
  kind: "retryable",
  status: 504,
  message: "HTTP 504: Gateway timeout",
  remaining: {},
};
const timedOut: CallOutcome = { kind: "retryable", status: null, message: "timed out", remaining: {} };

describe("settlement", () => {
  it("leaves a write that timed out, lost its answer or met a 5xx in doubt, not simply to retry", () => {
    for (const outcome of [lost, timedOut]) {
      const settlement = settlementOf(outcome, 1, time, { write: true });
      expect(settlement).toMatchObject({ kind: "inDoubt", message: outcome.message });
      if (settlement.kind !== "inDoubt") throw new Error(settlement.kind);
      expect(settlement.notBefore.getTime()).toBeGreaterThan(Date.now());
    }
  });

  it("retries a read that failed the same way: a read changes nothing", () => {
    expect(settlementOf(lost, 1, time)).toMatchObject({ kind: "retry" });
    expect(settlementOf(timedOut, 1, time, { write: false })).toMatchObject({ kind: "retry" });
  });

  it("gives a write up after the last attempt, saying its outcome is unknown", () => {
    const settlement = settlementOf(lost, MAX_ATTEMPTS, time, { write: true });
    expect(settlement).toMatchObject({ kind: "failed", code: "PLATFORM_UNAVAILABLE" });
    if (settlement.kind !== "failed") throw new Error(settlement.kind);
    expect(settlement.message).toMatch(/outcome is unknown/);
  });

  it("settles an answer the platform gave the same way for writes and reads", () => {
    const ok: CallOutcome = { kind: "ok", status: 200, body: {}, headers: new Headers(), remaining: {} };
    const refused: CallOutcome = { kind: "rejected", status: 400, message: "no", body: null, remaining: {} };
    for (const write of [true, false]) {
      expect(settlementOf(ok, 1, time, { write }).kind).toBe("done");
      expect(settlementOf(refused, 1, time, { write }).kind).toBe("failed");
    }
  });
});
