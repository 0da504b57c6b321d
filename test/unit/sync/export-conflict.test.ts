import { describe, expect, it } from "vitest";
import { XPM_EXPORTS } from "../../../src/platforms/xpm/export.ts";
import { isConflict, knownRemote, verificationOf, verify } from "../../../src/sync/export-conflict.ts";

/** Seeing someone else's change on the platform, for an XPM job's budget and dates. */
const job = XPM_EXPORTS.job!;
const known = (value: unknown) => ({ value: value as never });

describe("the platform's value as syncline knows it", () => {
  it("is the newer of the last pull's and the last export's", () => {
    const mirror = { data: { id: "J1", budget: 100 }, at: "2026-12-01T10:00:00.000" };
    expect(knownRemote(job, { field: "budget", mirror, lastSent: null })).toEqual({ value: 100 });
    const sentBefore = { value: 50, at: "2026-12-01T09:00:00.000" };
    expect(knownRemote(job, { field: "budget", mirror, lastSent: sentBefore })).toEqual({ value: 100 });
    const sentAfter = { value: 150, at: "2026-12-01T11:00:00.000" };
    expect(knownRemote(job, { field: "budget", mirror, lastSent: sentAfter })).toEqual({ value: 150 });
    expect(knownRemote(job, { field: "budget", mirror: null, lastSent: null })).toBeUndefined();
  });
});

describe("a conflict", () => {
  it("is a platform value that is neither the one the edit was based on nor the edit's", () => {
    expect(isConflict(job, "budget", known(100), 999, 150)).toBe(true);
    expect(isConflict(job, "budget", known(100), 100, 150)).toBe(false);
    expect(isConflict(job, "budget", known(100), 150, 150)).toBe(false);
  });

  it("is never seen without a base (nothing was known when the edit was made)", () => {
    expect(isConflict(job, "budget", undefined, 999, 150)).toBe(false);
  });

  it("compares a field as the platform stores it: a date with or without its time", () => {
    expect(isConflict(job, "dueDate", known("2026-01-01"), "2026-01-01T00:00:00", "2026-02-01")).toBe(false);
    expect(isConflict(job, "dueDate", known("2026-01-01"), "2026-03-01T00:00:00", "2026-02-01")).toBe(true);
  });
});

describe("reading back an in-doubt write", () => {
  const item = { field: "budget", value: 150, base: known(100) };
  const answer = (budget: number | null) => ({ status: "OK", job: { id: "J1", budget } });

  it("finds it applied when the edit's value is there", () => {
    expect(verify(job, item, answer(150))).toEqual({ kind: "applied", remote: 150 });
  });

  it("finds it not applied when the base value is still there", () => {
    expect(verify(job, item, answer(100))).toEqual({ kind: "notApplied", remote: 100 });
  });

  it("finds a conflict when someone else's value is there", () => {
    expect(verify(job, item, answer(999))).toEqual({ kind: "conflict", remote: 999 });
  });

  it("fails when the answer holds no job", () => {
    expect(verify(job, item, { status: "OK" })).toMatchObject({ kind: "failed" });
  });
});

describe("a read back that got no answer", () => {
  const item = { field: "budget", value: 150, base: known(100) };
  const notBefore = new Date(Date.now() + 1000);

  it("is read again later, its attempt counted when the platform failed", () => {
    expect(verificationOf(job, item, { kind: "retry", notBefore, message: "HTTP 503" })).toEqual({
      kind: "again",
      notBefore,
      countAttempt: true,
      message: "HTTP 503",
    });
  });

  it("is read again without counting the attempt when the platform only refused it for now (a 429)", () => {
    const requeue = { kind: "requeue", dayCapped: false, retryAfterMs: 500 } as const;
    expect(verificationOf(job, item, requeue)).toMatchObject({ kind: "again", countAttempt: false });
  });

  it("fails the item when the platform refuses the read itself (the job is gone)", () => {
    const failed = { kind: "failed", code: "PLATFORM_REJECTED", message: "Job J1 not found" } as const;
    expect(verificationOf(job, item, failed)).toEqual({ kind: "failed", message: "Job J1 not found" });
  });
});
