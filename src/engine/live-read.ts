import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../config.ts";
import type { Integration } from "../generated/prisma/client.ts";
import { logger } from "../logger.ts";
import type { CallOutcome, OutgoingRequest } from "../platforms/http.ts";
import { observeCall } from "./call-observer.ts";
import type { CallCredentials } from "./credentials.ts";
import { callTargetOf, callUnderLease } from "./provider-call.ts";
import type { CallBudget } from "./rate-limit/budget.ts";

/**
 * The caps (or the identity service) would keep the caller waiting longer than it may: try again after
 * `retryAfterMs`.
 */
export type LiveReadOutcome = CallOutcome | { kind: "busy"; retryAfterMs: number };

/** Real ms a waiting caller's claim on the next free unit lasts between two looks at the budget. */
const WAITER_TTL_MS = 2_000;
/** Longest real pause between two looks, so a freed unit is taken promptly. */
const MAX_POLL_MS = 100;

/**
 * Reads made while a user waits (tickets are never stored, so every request is a provider call). They
 * travel in the INTERACTIVE lane: above every queued pull and export, under the same caps. A denied
 * caller registers as a waiter in the budget script, so the engine's lower lanes leave it the next free
 * unit; a caller that would wait longer than `maxWaitMs` (a day cap, a long Retry-After) is told when to
 * come back instead of hanging.
 */
export class LiveReader {
  constructor(
    private readonly deps: {
      budget: CallBudget;
      config: Config;
      credentials: CallCredentials;
      maxWaitMs: number;
    },
  ) {}

  async read(integration: Integration, request: OutgoingRequest): Promise<LiveReadOutcome> {
    const { budget, credentials, maxWaitMs } = this.deps;
    const target = callTargetOf(integration, logger.child({ lane: "INTERACTIVE" }), this.deps.config);
    const credential = await credentials.accessTokenFor(integration);
    if (credential.kind === "unavailable") return { kind: "busy", retryAfterMs: credential.retryAfterMs };
    if (credential.kind === "lost")
      return { kind: "unauthorized", status: 401, message: credential.message, remaining: {} };
    const waiter = { waiterId: randomUUID(), waiterTtlMs: WAITER_TTL_MS };
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const grant = await budget.acquire(integration.id, target.limits, "INTERACTIVE", waiter);
      if (grant.granted) {
        await grant.recorded;
        return observeCall(target, "INTERACTIVE", request, () =>
          callUnderLease(this.deps, target, { request, token: credential.token, leaseId: grant.leaseId }),
        );
      }
      if (Date.now() + grant.waitMs > deadline) {
        await budget.withdraw(integration.id, waiter.waiterId, target.limits);
        return { kind: "busy", retryAfterMs: grant.waitMs };
      }
      await sleep(Math.min(grant.waitMs, MAX_POLL_MS));
    }
  }
}
