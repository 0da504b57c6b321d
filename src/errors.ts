import type { PlatformKey } from "./platforms/catalog.ts";

/**
 * syncline's domain errors, thrown by the domain and commands. GraphQL maps them to its error types: mutations (and lookups by id) return them as members of a result union
 * through the errors plugin, so clients get typed, documented failures; anything else thrown is an
 * unexpected fault and stays masked.
 */

export class BaseError extends Error {}

/** An id that is well-formed but names nothing this tenant can see. */
export class NotFoundError extends BaseError {
  constructor(
    readonly typename: string,
    readonly id: string,
  ) {
    super(`${typename} ${id} not found`);
  }
}

export interface FieldIssue {
  /** Path of the offending input field, e.g. ["input", "entities", "0", "entity"]. */
  path: string[];
  message: string;
}

/** Most issues one ValidationError reports: a huge bad input is answered briefly, not issue by issue. */
export const MAX_ISSUES = 100;

/** Bad input, with the path of every offending field (the first MAX_ISSUES of them). */
export class ValidationError extends BaseError {
  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[]) {
    const kept = issues.slice(0, MAX_ISSUES);
    super(kept.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "));
    this.issues = kept;
  }

  static at(path: (string | number)[], message: string): ValidationError {
    return new ValidationError([{ path: path.map(String), message }]);
  }
}

/** The member's role may not do this. */
export class ForbiddenError extends BaseError {
  constructor(
    message: string,
    readonly requiredRoles: string[],
  ) {
    super(message);
  }
}

/** The object is in a state that does not allow this (e.g. resuming an integration that is not paused). */
export class InvalidStateError extends BaseError {
  constructor(
    message: string,
    readonly currentState: string,
  ) {
    super(message);
  }
}

/** The tenant already holds the platform's maximum of continuous connections. */
export class ContinuousConnectionLimitError extends BaseError {
  constructor(
    readonly platform: PlatformKey,
    readonly limit: number,
    readonly current: number,
  ) {
    super(
      `The continuous-connection limit for ${platform} is reached (${current} of ${limit}). ` +
        "Disconnect one, or use one-off sync for this platform.",
    );
  }
}

/** The platform's caps leave no call for this request now: try again after `retryAfterSeconds`. */
export class RateLimitedError extends BaseError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      `The platform's rate caps allow no call for this integration now; try again in ${retryAfterSeconds} s`,
    );
  }
}

/**
 * A records cursor from before the entity's tombstones were last pruned: deletions it would read next
 * are gone. The reader resyncs from a zero cursor (no `after`), which returns every record that exists.
 */
export class CursorExpiredError extends BaseError {
  readonly code = "CURSOR_EXPIRED";

  constructor(
    readonly entity: string,
    readonly prunedAt: Date,
  ) {
    super(
      `This cursor is older than the ${entity} deletions kept (tombstones were pruned at ${prunedAt.toISOString()}): ` +
        "resync from a zero cursor (read without after)",
    );
  }
}

/** The platform failed or refused a live read. */
export class PlatformError extends BaseError {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}
