import type { TimeScale } from "../time.ts";

/**
 * The one retry policy for provider calls that failed transiently (a 5xx, a timeout, a lost
 * connection), whatever made them: a pull page, a push packet, an outbox export. The wait doubles per
 * attempt (2, 4, 8 … platform seconds, at most 5 minutes), in platform time so it compresses with the
 * rest of the engine; after MAX_ATTEMPTS the work is given up with the last error.
 */
export const MAX_ATTEMPTS = 6;
const BASE_SECONDS = 2;
const MAX_BACKOFF_SECONDS = 300;

export type RetryDecision = { kind: "retry"; notBefore: Date } | { kind: "giveUp"; message: string };

/** What to do after the `attempts`-th attempt failed transiently with `message`. */
export function afterTransientFailure(attempts: number, message: string, time: TimeScale): RetryDecision {
  if (attempts >= MAX_ATTEMPTS) {
    return { kind: "giveUp", message: `${message} (gave up after ${attempts} attempts)` };
  }
  const seconds = Math.min(MAX_BACKOFF_SECONDS, BASE_SECONDS ** attempts);
  return { kind: "retry", notBefore: new Date(Date.now() + time.secondsToMs(seconds)) };
}
