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
   * A write whose outcome is unknown: it timed out, its answer was lost, or it failed with a 5xx after
   * the request went out, so the platform may have applied it. Look again from `notBefore`: resend with
   * the same idempotency key where the platform honours one, else read the remote object first.
   */
  | { kind: "inDoubt"; notBefore: Date; message: string }
  /**
   * A 429, or credentials the platform refused: not the work's fault. It goes back in line with its
   * attempt not counted; after a 429 the budget is blocked until Retry-After, and a day problem
   * (`dayCapped`) defers the run that owns it. Refused credentials stop the integration's service until it
   * is authorized again (the credentials decide), its work waiting where it was.
   */
  | { kind: "requeue"; dayCapped: boolean; retryAfterMs: number };

/**
 * `write`: the call changes the platform (an export, a packet), so a transient failure leaves it in
 * doubt rather than simply to retry; reads (pull pages, verifications) are retried.
 */
export function settlementOf(
  outcome: CallOutcome,
  attempts: number,
  time: TimeScale,
  options: { write?: boolean } = {},
): Settlement {
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
      if (decision.kind === "giveUp")
        return {
          kind: "failed",
          code: "PLATFORM_UNAVAILABLE",
          message: options.write
            ? `${decision.message}; the last send's outcome is unknown`
            : decision.message,
        };
      return {
        kind: options.write ? "inDoubt" : "retry",
        notBefore: decision.notBefore,
        message: outcome.message,
      };
    }
  }
}
