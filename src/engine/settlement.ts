import type { CallOutcome } from "../platforms/http.ts";
import type { TimeScale } from "../time.ts";
import { afterTransientFailure } from "./retry.ts";

/**
 * What a provider's answer means for the unit of work that made the call, for every kind of work
 * alike (a packet, an outbox item, a pull page): the one place that turns a CallOutcome into done,
 * failed, retry later or back in line.
 */
export type Settlement =
  | { kind: "done"; body: unknown; headers: Headers }
  /** The platform refused it (a 4xx), or it failed transiently too often. */
  | { kind: "failed"; code: "PLATFORM_REJECTED" | "PLATFORM_UNAVAILABLE"; message: string }
  /** Failed transiently: try again from `notBefore`. */
  | { kind: "retry"; notBefore: Date; message: string }
  /**
   * A 429, or credentials the platform refused: not the work's fault. It goes back in line with its
   * attempt not counted; after a 429 the budget is blocked until Retry-After, and a day problem
   * (`dayCapped`) defers the run that owns it. Refused credentials stop the integration's service until it
   * is authorized again (the credentials decide), its work waiting where it was.
   */
  | { kind: "requeue"; dayCapped: boolean; retryAfterMs: number };

export function settlementOf(outcome: CallOutcome, attempts: number, time: TimeScale): Settlement {
  switch (outcome.kind) {
    case "ok":
      return { kind: "done", body: outcome.body, headers: outcome.headers };
    case "rejected":
      return { kind: "failed", code: "PLATFORM_REJECTED", message: outcome.message };
    case "rateLimited":
      return { kind: "requeue", dayCapped: outcome.problem === "day", retryAfterMs: outcome.retryAfterMs };
    case "unauthorized":
      return { kind: "requeue", dayCapped: false, retryAfterMs: 0 };
    case "retryable": {
      const decision = afterTransientFailure(attempts, outcome.message, time);
      return decision.kind === "retry"
        ? { kind: "retry", notBefore: decision.notBefore, message: outcome.message }
        : { kind: "failed", code: "PLATFORM_UNAVAILABLE", message: decision.message };
    }
  }
}
