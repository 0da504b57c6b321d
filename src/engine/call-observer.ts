import { observeProviderCall } from "../observability/metrics.ts";
import { traceProviderCall } from "../observability/tracing.ts";
import type { CallOutcome, OutgoingRequest } from "../platforms/http.ts";
import type { Lane } from "./lanes.ts";
import type { CallTarget } from "./provider-call.ts";

/**
 * Wraps one provider call in what operators see of it: a span (when tracing is on), the call counters
 * and duration histogram by platform, lane and outcome, and a debug line carrying the log context.
 */
export async function observeCall(
  target: CallTarget,
  lane: Lane,
  request: OutgoingRequest,
  call: () => Promise<CallOutcome>,
): Promise<CallOutcome> {
  const { integration } = target;
  const started = performance.now();
  const outcome = await traceProviderCall(
    {
      method: request.method,
      path: request.path,
      platform: integration.platform,
      lane,
      integrationId: integration.id,
    },
    call,
    (answer) => ({
      "syncline.outcome": answer.kind,
      ...(answer.kind === "rateLimited" ? { "syncline.rate_limit_problem": answer.problem } : {}),
      ...("status" in answer && answer.status !== null ? { "http.response.status_code": answer.status } : {}),
      error: answer.kind !== "ok",
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  observeProviderCall(
    {
      platform: integration.platform,
      lane,
      outcome: outcome.kind,
      ...(outcome.kind === "rateLimited" ? { problem: outcome.problem } : {}),
    },
    seconds,
  );
  target.log.debug(
    {
      lane,
      method: request.method,
      path: request.path,
      outcome: outcome.kind,
      ms: Math.round(seconds * 1000),
    },
    "provider call",
  );
  return outcome;
}
