import { describe, expect, it } from "vitest";
import { nextWallClock } from "../../../src/engine/wall-clock.ts";

describe("nightly wall-clock schedule", () => {
  it("fires at 02:00 tenant time on ordinary days", () => {
    expect(nextWallClock("02:00", "Pacific/Auckland", new Date("2026-06-10T00:00:00Z")).toISOString()).toBe(
      "2026-06-10T14:00:00.000Z", // NZST is UTC+12
    );
    expect(nextWallClock("02:00", "Europe/London", new Date("2026-01-15T03:00:00Z")).toISOString()).toBe(
      "2026-01-16T02:00:00.000Z",
    );
  });

  it("fires at 02:00 on both sides of a spring-forward change (London, 29 March 2026)", () => {
    // Clocks go from 01:00 to 02:00 GMT (01:00 UTC): 02:00 BST exists and is 01:00 UTC.
    expect(nextWallClock("02:00", "Europe/London", new Date("2026-03-28T12:00:00Z")).toISOString()).toBe(
      "2026-03-29T01:00:00.000Z",
    );
    expect(nextWallClock("02:00", "Europe/London", new Date("2026-03-27T12:00:00Z")).toISOString()).toBe(
      "2026-03-28T02:00:00.000Z",
    );
    expect(nextWallClock("02:00", "Europe/London", new Date("2026-03-29T12:00:00Z")).toISOString()).toBe(
      "2026-03-30T01:00:00.000Z",
    );
  });

  it("runs a time skipped by the change at the first instant after the gap (New York, 8 March 2026)", () => {
    // 02:30 does not exist on 8 March in New York (02:00 EST jumps to 03:00 EDT, at 07:00 UTC).
    expect(nextWallClock("02:30", "America/New_York", new Date("2026-03-08T05:00:00Z")).toISOString()).toBe(
      "2026-03-08T07:00:00.000Z",
    );
  });

  it("runs a time that happens twice only once (Auckland, 5 April 2026 fall-back)", () => {
    // At 03:00 NZDT clocks go back to 02:00 NZST: 02:30 happens at 13:30 and 14:30 UTC on 4 April.
    const first = nextWallClock("02:30", "Pacific/Auckland", new Date("2026-04-04T00:00:00Z"));
    expect(first.toISOString()).toBe("2026-04-04T13:30:00.000Z");
    const next = nextWallClock("02:30", "Pacific/Auckland", first);
    expect(next.toISOString()).toBe("2026-04-05T14:30:00.000Z");
  });
});
