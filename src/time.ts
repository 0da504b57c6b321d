/**
 * Compressed time. Every window length and schedule in syncline is expressed in "platform minutes"
 * and converted here, so tests and benchmarks can run a "minute" in a second with the same code paths
 * as production (DESIGN.md, "The dispatch engine").
 */
export interface TimeScale {
  /** Length of one platform minute in real milliseconds (60,000 in production). */
  readonly minuteMs: number;
  /** Length of one platform day in real milliseconds (1,440 platform minutes). */
  readonly dayMs: number;
  /** Converts platform seconds (e.g. a Retry-After header) to real milliseconds. */
  secondsToMs(seconds: number): number;
  /** Converts real milliseconds to platform seconds, rounded up (for Retry-After). */
  msToSeconds(ms: number): number;
}

export function timeScale(minuteMs = 60_000): TimeScale {
  if (!Number.isFinite(minuteMs) || minuteMs <= 0)
    throw new Error(`minuteMs must be positive, got ${minuteMs}`);
  return {
    minuteMs,
    dayMs: minuteMs * 1440,
    secondsToMs: (seconds) => (seconds * minuteMs) / 60,
    msToSeconds: (ms) => Math.max(0, Math.ceil((ms * 60) / minuteMs)),
  };
}
