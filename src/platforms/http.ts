import { redactText, rememberSecret } from "../redact.ts";
import type { TimeScale } from "../time.ts";
import type { PlatformKey } from "./catalog.ts";
import { xpmRefusal } from "./xpm/errors.ts";

/**
 * One call to a platform, and what the engine needs to know about its answer. Xero-family platforms
 * answer every tenant-scoped call with X-MinLimit-Remaining / X-DayLimit-Remaining, and a 429 with
 * Retry-After (seconds) and X-Rate-Limit-Problem (PLATFORMS.md).
 */
/** A call as a connector describes it: the platform's path, query and body, nothing about auth. */
export interface OutgoingRequest {
  method: "GET" | "PUT" | "POST";
  path: string;
  query?: Record<string, string>;
  /** Headers the platform reads besides auth, e.g. Xero's If-Modified-Since. */
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ProviderRequest {
  platform: PlatformKey;
  baseUrl: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: Record<string, string | number | undefined>;
  /** Headers the platform reads besides auth (auth and content headers cannot be overridden). */
  headers?: Record<string, string>;
  body?: unknown;
  /** Xero: the OAuth access token. PSA: the API member's "publicKey:privateKey". */
  accessToken: string;
  /** Xero: the tenant (organisation or practice) id. PSA: the company id. */
  remoteTenantId: string;
  idempotencyKey?: string;
  /** Real milliseconds before the call is abandoned as a timeout. */
  timeoutMs: number;
}

export interface RemainingBudget {
  minute?: number;
  day?: number;
  /** What the app may still call this minute across all its tenants (Xero's X-AppMinLimit-Remaining). */
  app?: number;
}

export type RateLimitProblem = "minute" | "day" | "concurrent" | "appminute";

export type CallOutcome =
  | { kind: "ok"; status: number; body: unknown; headers: Headers; remaining: RemainingBudget }
  /** Over a cap: block until retryAfterMs; a "day" problem defers work to the next day. */
  | { kind: "rateLimited"; problem: RateLimitProblem; retryAfterMs: number; remaining: RemainingBudget }
  /** 5xx, timeout or network failure: retry with backoff. */
  | { kind: "retryable"; status: number | null; message: string; remaining: RemainingBudget }
  /** The platform rejected the request (4xx): retrying the same request cannot help. */
  | { kind: "rejected"; status: number; message: string; body: unknown; remaining: RemainingBudget }
  /**
   * The platform refused the credentials (401, or Xero's 403 "AuthenticationUnsuccessful" for an
   * organisation the token does not reach): a fresh token may cure it, or the user must authorize again.
   */
  | { kind: "unauthorized"; status: number; message: string; remaining: RemainingBudget };

export async function callProvider(request: ProviderRequest, time: TimeScale): Promise<CallOutcome> {
  const url = new URL(
    request.path.replace(/^\//, ""),
    request.baseUrl.endsWith("/") ? request.baseUrl : `${request.baseUrl}/`,
  );
  for (const [key, value] of Object.entries(request.query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  const headers: Record<string, string> = {
    ...request.headers,
    ...authHeaders(request),
    accept: "application/json",
  };
  if (request.body !== undefined) headers["content-type"] = "application/json";
  if (request.idempotencyKey) headers["idempotency-key"] = request.idempotencyKey;

  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    return {
      kind: "retryable",
      status: null,
      // Never the error's own text: fetch names a header value it refused, which can be the credential.
      message: timedOut ? "timed out" : callFailure(error),
      remaining: {},
    };
  }
  const remaining = readRemaining(response.headers);
  const body = await readBody(response);
  if (response.ok) return { kind: "ok", status: response.status, body, headers: response.headers, remaining };
  if (response.status === 429) {
    const problem = (
      response.headers.get("x-rate-limit-problem") ?? "minute"
    ).toLowerCase() as RateLimitProblem;
    const seconds = Number(response.headers.get("retry-after") ?? "60");
    return {
      kind: "rateLimited",
      problem,
      retryAfterMs: time.secondsToMs(Number.isFinite(seconds) ? seconds : 60),
      remaining,
    };
  }
  const message = redactText(describeError(response.status, body));
  if (refusedCredentials(request.platform, response.status, message)) {
    return { kind: "unauthorized", status: response.status, message, remaining };
  }
  // XPM refuses a request with a 500 that says what is wrong with it (xpm/errors.ts): no retry can help.
  if (request.platform === "XPM" && xpmRefusal(response.status, body) !== null) {
    return { kind: "rejected", status: response.status, message, body, remaining };
  }
  if (response.status >= 500 || response.status === 408) {
    return { kind: "retryable", status: response.status, message, remaining };
  }
  return { kind: "rejected", status: response.status, message, body, remaining };
}

/**
 * What went wrong with a call that got no answer, without any request header: the network's error code
 * (ECONNREFUSED, ENOTFOUND, …) or the kind of failure, never the message (which can quote a header).
 */
function callFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; name?: unknown } }).cause;
  if (typeof cause?.code === "string") return `request failed: ${cause.code}`;
  if (error instanceof TypeError) return "request failed: the request could not be sent (invalid request)";
  return `request failed: ${(error as Error).name ?? "error"}`;
}

/**
 * Xero names the tenant in a header next to the OAuth token; a ConnectWise-style PSA takes Basic auth of
 * "companyId+publicKey:privateKey", the company being the tenant.
 */
function authHeaders(request: ProviderRequest): Record<string, string> {
  rememberSecret(request.accessToken);
  if (request.platform === "PSA") {
    const basic = Buffer.from(`${request.remoteTenantId}+${request.accessToken}`).toString("base64");
    return { authorization: `Basic ${basic}` };
  }
  return { authorization: `Bearer ${request.accessToken}`, "xero-tenant-id": request.remoteTenantId };
}

/**
 * A 401 from any platform. Xero also answers 403 "AuthenticationUnsuccessful" when the token does not
 * reach the organisation named in Xero-Tenant-Id (its connection was removed).
 */
function refusedCredentials(platform: PlatformKey, status: number, message: string): boolean {
  if (status === 401) return true;
  return status === 403 && platform !== "PSA" && message.includes("AuthenticationUnsuccessful");
}

/** Whether a `Link` header (RFC 8288, as ConnectWise pages) names a next page. */
export function hasNextPage(headers: Headers): boolean {
  return /<[^>]*>\s*;\s*rel="?next"?/i.test(headers.get("link") ?? "");
}

function readRemaining(headers: Headers): RemainingBudget {
  const number = (name: string) => {
    const value = headers.get(name);
    return value === null || value === "" || Number.isNaN(Number(value)) ? undefined : Number(value);
  };
  return {
    minute: number("x-minlimit-remaining"),
    day: number("x-daylimit-remaining"),
    app: number("x-appminlimit-remaining"),
  };
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describeError(status: number, body: unknown): string {
  if (body && typeof body === "object") {
    const record = body as Record<string, unknown>;
    const detail = record.errorDescription ?? record.Message ?? record.message ?? record.Detail;
    const elements = record.Elements as { ValidationErrors?: { Message?: string }[] }[] | undefined;
    const validation = elements?.flatMap((e) => e.ValidationErrors ?? []).map((e) => e.Message);
    if (validation?.length) return `HTTP ${status}: ${validation.join("; ")}`;
    if (typeof detail === "string" && detail) return `HTTP ${status}: ${detail}`;
  }
  return `HTTP ${status}`;
}
