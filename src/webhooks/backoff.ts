import type { TimeScale } from "../time.ts";

/**
 * When a failed delivery is tried again: 5 s after the first failure, four times longer after each next
 * one, at most 8 hours apart (5 s, 20 s, 80 s, 5 min, 21 min, 85 min, 5.7 h, 8 h, 8 h, 8 h), in platform
 * time so it compresses with SYNCLINE_MINUTE_MS. The eleventh failure, more than a day (≈ 31 h) after the
 * first, gives the delivery up and disables its endpoint.
 */
export const MAX_DELIVERY_ATTEMPTS = 11;
const FIRST_SECONDS = 5;
const FACTOR = 4;
const MAX_SECONDS = 8 * 3600;

/** Real ms to wait after the `attempts`-th failed attempt, or null once it is time to give up. */
export function retryDelayMs(attempts: number, time: TimeScale): number | null {
  if (attempts >= MAX_DELIVERY_ATTEMPTS) return null;
  return time.secondsToMs(Math.min(MAX_SECONDS, FIRST_SECONDS * FACTOR ** (attempts - 1)));
}
