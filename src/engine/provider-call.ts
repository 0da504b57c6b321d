import { decryptSecret } from "../auth/secrets.ts";
import type { Config } from "../config.ts";
import type { Integration } from "../generated/prisma/client.ts";
import type { Logger } from "../logger.ts";
import { type CallOutcome, callProvider, type OutgoingRequest } from "../platforms/http.ts";
import type { CallBudget } from "./rate-limit/budget.ts";
import { type CallLimits, limitsFor } from "./rate-limit/limits.ts";

/** What a call needs to know about the integration it is made for. */
export interface CallTarget {
  integration: Integration;
  limits: CallLimits;
  accessToken: string;
  log: Logger;
}

/**
 * What calls for an integration need: its caps (catalog and override), its platform secret (decrypted
 * for the duration of an activation or a live read), a logger naming it.
 */
export function callTargetOf(config: Config, integration: Integration, log: Logger): CallTarget {
  return {
    integration,
    limits: limitsFor(integration.platform, integration.rateLimitOverride),
    accessToken: String(
      JSON.parse(decryptSecret(config.encryptionKey, integration.credentialsEncrypted)).accessToken,
    ),
    log: log.child({ integrationId: integration.id, platform: integration.platform }),
  };
}

/**
 * Makes one provider call under a budget lease the caller was granted, then releases the lease the moment
 * the answer is in: the call is dated at its end, and the platform's remaining figures correct the counts
 * (CallBudget.release). A 429 blocks the integration until its Retry-After.
 */
export async function callUnderLease(
  deps: { budget: CallBudget; config: Config },
  target: CallTarget,
  request: OutgoingRequest,
  leaseId: string,
  idempotencyKey?: string,
): Promise<CallOutcome> {
  const { budget, config } = deps;
  const { integration } = target;
  let outcome: CallOutcome | undefined;
  try {
    outcome = await callProvider(
      {
        platform: integration.platform,
        baseUrl: config.platformUrls[integration.platform],
        ...request,
        accessToken: target.accessToken,
        remoteTenantId: integration.remoteTenantId,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        timeoutMs: config.engine.callTimeoutMs,
      },
      config.time,
    );
  } finally {
    await budget.release(integration.id, leaseId, target.limits, outcome?.remaining);
  }
  if (outcome.kind === "rateLimited") {
    target.log.warn(
      { problem: outcome.problem, retryAfterMs: outcome.retryAfterMs },
      "platform answered 429",
    );
    await budget.blockFor(integration.id, outcome.retryAfterMs);
  }
  return outcome;
}
