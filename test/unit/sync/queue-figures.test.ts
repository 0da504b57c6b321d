import { describe, expect, it } from "vitest";
import type { BudgetWindow } from "../../../src/engine/rate-limit/budget.ts";
import { limitsFor } from "../../../src/engine/rate-limit/limits.ts";
import { estimateDrain, withAllowance } from "../../../src/sync/queue-figures.ts";
import { timeScale } from "../../../src/time.ts";

/** The export queue's figures under each reserve mode (XPM's caps: 60 a minute, 5,000 a day; reserve 30, 4,500). */
const time = timeScale(60_000);
const limits = limitsFor("XPM", null);
const at = 1_000 * time.dayMs;
const window = (limit: number, used: number, resetsAt = at): BudgetWindow => ({
  limit,
  used,
  remaining: Math.max(0, limit - used),
  resetsAt,
});
/** The windows the figures are worked out from (BudgetSnapshot's), as CallBudget.snapshot reads them. */
const budget = (used: { day: number; exportDay: number }) => ({
  at,
  minute: window(60, 0),
  day: window(5000, used.day, at + time.dayMs),
  exportMinute: window(30, 0),
  exportDay: window(4500, used.exportDay, at + time.dayMs),
  blockedUntil: null,
});
const strict = { strict: limits.exportReserve, strictFrom: at };

describe("withAllowance", () => {
  it("leaves the reserve's windows under STRICT", () => {
    const snapshot = budget({ day: 100, exportDay: 40 });
    expect(withAllowance(snapshot, limits, null)).toBe(snapshot);
  });

  it("shows the minute the schedule allows, and the day past the reserve as far as the pulls' keep leaves", () => {
    // 600 calls today, 500 of them exports; the rest of the day's pulls need 300.
    const shown = withAllowance(budget({ day: 600, exportDay: 500 }), limits, {
      perMinute: 60,
      dayKeep: 300,
    });
    expect(shown.exportMinute).toMatchObject({ limit: 60, remaining: 60 });
    // 5,000 − 300 kept − 100 pull calls made.
    expect(shown.exportDay).toMatchObject({ limit: 4600, used: 500, remaining: 4100 });
  });

  it("keeps the reserve's day when the pulls' need is unknown or leaves less", () => {
    const snapshot = budget({ day: 600, exportDay: 500 });
    expect(withAllowance(snapshot, limits, { perMinute: 30, dayKeep: -1 }).exportDay.limit).toBe(4500);
    expect(withAllowance(snapshot, limits, { perMinute: 30, dayKeep: 2000 }).exportDay.limit).toBe(4500);
  });
});

describe("estimateDrain", () => {
  it("reckons at the reserve's minute under STRICT", () => {
    expect(estimateDrain(300, budget({ day: 0, exportDay: 0 }), time, strict)).toBe(10 * time.minuteMs);
  });

  it("reckons at the allowed minute while it holds, then at the strict one", () => {
    const shown = withAllowance(budget({ day: 0, exportDay: 0 }), limits, { perMinute: 60, dayKeep: 0 });
    const reserve = limits.exportReserve;
    // No pull scheduled: 60 a minute throughout.
    expect(estimateDrain(300, shown, time, { strict: reserve, strictFrom: Infinity })).toBe(
      5 * time.minuteMs,
    );
    // A pull comes near in 2 minutes: 120 at 60, the other 180 at 30.
    const near = at + 2 * time.minuteMs;
    expect(estimateDrain(300, shown, time, { strict: reserve, strictFrom: near })).toBe(8 * time.minuteMs);
  });

  it("puts what the day's export figure leaves over into the next days, at the reserve's figures", () => {
    // 100 left today under STRICT: those in 200 s, the other 4,600 from tomorrow, 4,500 a day.
    const spent = budget({ day: 4400, exportDay: 4400 });
    const ms = estimateDrain(4700, spent, time, strict)!;
    expect(ms).toBe(time.dayMs + time.dayMs + (100 / 30) * time.minuteMs);
  });
});
