/**
 * How XPM v3.1 says no. Its contract (specs/xero-practicemanager-v3-1.yaml) declares for job.api/update,
 * and for most operations, only 200 and a 500 whose body is a ResponseErrorDto ({ status,
 * errorDescription }): the API answers a request it refuses (an unknown job number, a field it cannot
 * take, a value out of range) with that 500 and a description of what is wrong, where another API
 * would answer 400 or 404. Retrying such a request cannot help: the same request gets the same 500.
 *
 * Told apart from a transient failure by the body, not the status:
 * - a refusal: HTTP 500 with a ResponseErrorDto whose status is "ERROR" and whose errorDescription says
 *   something about the request (anything but the generic texts below);
 * - transient: 502, 503 and 504 (the gateway in front of the API), any 5xx without a ResponseErrorDto
 *   (an HTML or empty body from a proxy), and a ResponseErrorDto whose errorDescription is missing or
 *   generic: the contract's own words for its 500, "An unexpected error occurred", or one that speaks
 *   of a timeout, of being unavailable or of trying again.
 */

/** Descriptions that say the platform failed, not the request. */
const TRANSIENT_DESCRIPTION =
  /unexpected error|internal (server )?error|timed? ?out|time-out|unavailable|try again|temporar|overload|busy|maintenance/i;

/** The errorDescription of an XPM 500 that refuses the request itself; null when the failure may be transient. */
export function xpmRefusal(status: number, body: unknown): string | null {
  if (status !== 500 || !body || typeof body !== "object" || Array.isArray(body)) return null;
  const { status: outcome, errorDescription } = body as { status?: unknown; errorDescription?: unknown };
  if (typeof outcome !== "string" || outcome.toUpperCase() !== "ERROR") return null;
  if (typeof errorDescription !== "string" || errorDescription.trim() === "") return null;
  return TRANSIENT_DESCRIPTION.test(errorDescription) ? null : errorDescription;
}
