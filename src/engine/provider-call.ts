import type { Config } from "../config.ts";
import type { Integration } from "../generated/prisma/client.ts";
import type { Logger } from "../logger.ts";
import { type CallOutcome, callProvider, type OutgoingRequest } from "../platforms/http.ts";
import type { CallCredentials } from "./credentials.ts";
import type { CallBudget } from "./rate-limit/budget.ts";
import { type CallLimits, limitsFor } from "./rate-limit/limits.ts";

/** What a call needs to know about the integration it is made for. */
export interface CallTarget {
  integration: Integration;
  limits: CallLimits;
  log: Logger;
}

/**
 * What calls for an integration need: its caps (catalog and override, and its app's as configured), a
 * logger naming it.
 */
export function callTargetOf(integration: Integration, log: Logger, config: Config): CallTarget {
  return {
    integration,
    limits: limitsFor(integration.platform, integration.rateLimitOverride, config.engine.apps),
    log: log.child({ integrationId: integration.id, platform: integration.platform }),
  };
}

/**
 * Makes one provider call with `token` under a budget lease the caller was granted, then releases the
 * lease the moment the answer is in: the call is dated at its end, and the platform's remaining figures
 * correct the counts (CallBudget.release). A 429 blocks the integration until its Retry-After; one
 * whose problem is `appminute` (the app's cap across tenants) blocks every integration of the app.
 *
 * A 401 asks the credentials for a token to retry with (another worker's, or a fresh one) and retries
 * once, under the same lease: the platform refused the call at its door, so it served nothing. When
 * that retry is refused too, the credentials hear of it again and decide whether the authorization is
 * gone; the outcome stays `unauthorized` and the work goes back in line.
 */
export async function callUnderLease(
  deps: { budget: CallBudget; config: Config; credentials: CallCredentials },
  target: CallTarget,
  call: { request: OutgoingRequest; token: string; leaseId: string; idempotencyKey?: string },
): Promise<CallOutcome> {
  const { budget, config, credentials } = deps;
  const { integration } = target;
  let outcome: CallOutcome | undefined;
  try {
    let token = call.token;
    let retried = false;
    for (;;) {
      outcome = await callProvider(
        {
          platform: integration.platform,
          baseUrl: config.platformUrls[integration.platform],
          ...call.request,
          accessToken: token,
          remoteTenantId: integration.remoteTenantId,
          ...(call.idempotencyKey ? { idempotencyKey: call.idempotencyKey } : {}),
          timeoutMs: config.engine.callTimeoutMs,
        },
        config.time,
      );
      if (outcome.kind !== "unauthorized") break;
      const next = await credentials.onUnauthorized(integration, token);
      if (next.kind !== "token" || retried) break;
      target.log.info("platform refused the access token; retrying with a fresh one");
      token = next.token;
      retried = true;
    }
  } finally {
    await budget.release(integration.id, call.leaseId, target.limits, outcome?.remaining);
  }
  if (outcome.kind === "rateLimited") {
    target.log.warn(
      { problem: outcome.problem, retryAfterMs: outcome.retryAfterMs },
      "platform answered 429",
    );
    if (outcome.problem === "appminute" && target.limits.app)
      await budget.blockApp(target.limits.app.app, outcome.retryAfterMs);
    else await budget.blockFor(integration.id, outcome.retryAfterMs);
  }
  return outcome;
}
