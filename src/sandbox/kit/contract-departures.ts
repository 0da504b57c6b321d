/**
 * Where the sandboxes deliberately answer outside Xero's OpenAPI contracts (src/sandbox/specs), each with
 * why and its source. This is the one list: the contract check (contract.ts) accepts an answer that
 * breaks the contract only when an entry here covers it, and every entry says what a reader of the
 * contract alone would not expect.
 *
 * What the contracts leave open is not listed as a departure: extra response headers (the limit
 * headers are extra headers, which OpenAPI allows), and routes the contract does not have (those are
 * answered 404, and a 2xx on one would be a violation).
 */

export type ContractPlatform = "XPM" | "XERO_ACCOUNTING";

export interface Departure {
  /** A short name, shown when the check reports what it let through. */
  name: string;
  platforms: readonly ContractPlatform[];
  /** Response statuses this departure covers (undeclared by the operation). */
  statuses: readonly number[];
  /** Whether the body is still checked, against this schema of the contract ("none": not checked). */
  body: { schema: string } | "none";
  why: string;
  source: string;
}

export const DEPARTURES: readonly Departure[] = [
  {
    name: "rate limits",
    platforms: ["XPM", "XERO_ACCOUNTING"],
    statuses: [429],
    body: "none",
    why:
      "Neither contract declares a 429 nor the limit headers. Xero documents them for both APIs: every " +
      "tenant-scoped answer carries X-DayLimit-Remaining, X-MinLimit-Remaining and X-AppMinLimit-Remaining; " +
      "a call over a cap answers 429 with Retry-After (seconds) and X-Rate-Limit-Problem (minute, day, " +
      "concurrent, appminute). The sandbox sends the platform's error body with it.",
    source:
      "https://developer.xero.com/documentation/guides/oauth2/limits/ (PLATFORMS.md, 'Caps per remote tenant')",
  },
  {
    name: "authentication and tenant",
    platforms: ["XPM", "XERO_ACCOUNTING"],
    statuses: [401, 403],
    body: "none",
    why:
      "Xero's identity gateway answers a missing, malformed or expired bearer token with 401 and a call " +
      "naming a tenant the token is not connected to with 403, on every operation, before the API's own " +
      "contract applies; neither contract lists them on every operation (XPM's paged-list declares 403).",
    source:
      "https://developer.xero.com/documentation/guides/oauth2/troubleshooting/ and " +
      "https://developer.xero.com/documentation/api/accounting/responsecodes",
  },
  {
    name: "Accounting errors outside validation",
    platforms: ["XERO_ACCOUNTING"],
    statuses: [400, 404, 405, 500, 503],
    body: { schema: "Error" },
    why:
      "The Accounting contract declares only 200 (and 400 on writes), but Xero's documented response codes " +
      "include 400 (a request it cannot read, e.g. an If-Modified-Since that is no date), 404 (a record or " +
      "route not found), 500 and 503 on every operation, with the same Error body as validation errors. " +
      "405 is the sandbox's answer to a method a route does not take.",
    source: "https://developer.xero.com/documentation/api/accounting/responsecodes",
  },
  {
    name: "XPM transient failures",
    platforms: ["XPM"],
    statuses: [502, 503, 504],
    body: "none",
    why:
      "XPM's contract declares 500 only. A gateway in front of the API answers 502, 503 and 504 when it " +
      "is overloaded or the API times out: the transient failures syncline retries. The sandbox sends them " +
      "only when a test injects them.",
    source:
      "https://developer.xero.com/documentation/guides/oauth2/limits/ (PLATFORMS.md: 'A provider 5xx or timeout retries')",
  },
  {
    name: "XPM method not allowed",
    platforms: ["XPM"],
    statuses: [405],
    body: { schema: "ResponseErrorDto" },
    why: "A route called with a method it does not take; the contract has no such operation to declare it.",
    source: "RFC 9110 §15.5.6",
  },
];

/**
 * Where a sandbox takes a request the real API would refuse or treat differently. The contract check
 * cannot see these (it judges what the contract says, and these are the sandbox's own leniencies), so
 * they are listed here for a reader of a green test run.
 */
export const LENIENCIES: readonly Omit<Departure, "statuses" | "body">[] = [
  {
    name: "tokens and scopes",
    platforms: ["XPM", "XERO_ACCOUNTING"],
    why:
      "Unless the sandbox is started with its identity server (src/sandbox/identity), any bearer token " +
      "is taken for any tenant: tokens neither expire nor carry the OAuth2 scopes the contract names per " +
      "operation (e.g. practicemanager.job for job.api/update, accounting.transactions for ManualJournals). " +
      "Scopes are not checked even with the identity server.",
    source: "both contracts' securitySchemes (OAuth2) and per-operation security",
  },
  {
    name: "XPM Idempotency-Key",
    platforms: ["XPM"],
    why:
      "The XPM contract declares no Idempotency-Key; the sandbox still replays a repeated key on writes " +
      "(the kit's idempotency.ts), as the Accounting API does. syncline does not count on it for XPM " +
      "(the catalog's honoursIdempotencyKey is false), and a job.api/update sets values, so a repeat " +
      "applied twice would leave the same job.",
    source: "specs/xero-practicemanager-v3-1.yaml (no such parameter); PLATFORMS.md, 'Idempotency'",
  },
  {
    name: "XPM content negotiation",
    platforms: ["XPM"],
    why:
      "XPM checks Accept and Content-Type strictly only when the Xero-Features header asks for " +
      "practice-strict-content-type; the sandbox never does. (The Accounting sandbox refuses a write " +
      "whose Content-Type is not application/json, the contract's only request media type.)",
    source: "specs/xero-practicemanager-v3-1.yaml, the Xero-Features parameter",
  },
  {
    name: "XPM custom field edits",
    platforms: ["XPM"],
    why:
      "Setting a custom field's value in the sandbox does not move the client's or job's modified time " +
      "(the contract does not say whether it does), so a pull follows up custom fields only for records " +
      "it created or changed, or that have none mirrored yet.",
    source: "specs/xero-practicemanager-v3-1.yaml, CustomFieldV31 operations",
  },
];

/** The departures that cover a status of a platform's answer. */
export function departureFor(platform: ContractPlatform, status: number): Departure | undefined {
  return DEPARTURES.find((d) => d.platforms.includes(platform) && d.statuses.includes(status));
}

/**
 * Rules the contracts state in prose rather than in a schema, checked like the schema's own: the
 * check applies them to requests.
 */
export const PROSE_RULES = {
  /** Accounting's idempotencyKey parameter: "128 character max". */
  idempotencyKeyMaxLength: 128,
} as const;
