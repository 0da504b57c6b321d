import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { afterTransientFailure, MAX_ATTEMPTS } from "../../../src/engine/retry.ts";
import { timeScale } from "../../../src/time.ts";

/** The one retry policy for transient failures, on a frozen clock. */
const NOW = Date.UTC(2026, 10, 20, 1, 0, 0);
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

const waitSeconds = (attempts: number, minuteMs = 60_000) => {
  const decision = afterTransientFailure(attempts, "503 Service Unavailable", timeScale(minuteMs));
  if (decision.kind !== "retry") throw new Error(`gave up after ${attempts}`);
  return ((decision.notBefore.getTime() - NOW) / minuteMs) * 60;
};

describe("retry after a transient failure", () => {
  it("waits 2, 4, 8 … platform seconds, doubling per attempt, never more than 5 minutes", () => {
    const waits = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => waitSeconds(i + 1));
    expect(waits.slice(0, 3)).toEqual([2, 4, 8]);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBe(Math.min(300, waits[i - 1]! * 2));
    expect(Math.max(...waits)).toBeLessThanOrEqual(300);
  });

  it("counts the wait in platform time, so it compresses with the windows", () => {
    // A platform minute of 600 ms: 2 platform seconds are 20 ms.
    const decision = afterTransientFailure(1, "timeout", timeScale(600));
    expect(decision).toEqual({ kind: "retry", notBefore: new Date(NOW + 20) });
    expect(waitSeconds(3, 600)).toBeCloseTo(8);
  });

  it(`gives up after ${MAX_ATTEMPTS} attempts, keeping the last error`, () => {
    expect(afterTransientFailure(MAX_ATTEMPTS - 1, "x", timeScale()).kind).toBe("retry");
    expect(afterTransientFailure(MAX_ATTEMPTS, "503 Service Unavailable", timeScale())).toEqual({
      kind: "giveUp",
      message: `503 Service Unavailable (gave up after ${MAX_ATTEMPTS} attempts)`,
    });
  });
});
