import type { Integration } from "../generated/prisma/client.ts";

/**
 * The secret each provider call carries, as the composition root supplies it (src/work.ts). The engine
 * knows no OAuth: it asks for the integration's token before a call, and says when the platform refused
 * one (HTTP 401). Whatever keeps the secrets (refreshing them before they expire, once per integration
 * across every process; moving an integration whose authorization is gone out of service) lives behind
 * this interface, and its work is not a platform call: it takes nothing from the call budget.
 */
export interface CallCredentials {
  /** The secret for the integration's next call (refreshed first when it is about to expire). */
  accessTokenFor(integration: Integration): Promise<AccessToken>;
  /**
   * The platform refused `token`. Answers a token to retry with (one another worker stored meanwhile, or
   * a fresh one), or that the authorization is gone (the integration now waits to be connected again).
   */
  onUnauthorized(integration: Integration, token: string): Promise<AccessToken>;
}

export type AccessToken =
  | { kind: "token"; token: string }
  /** No token can be had now (the identity service did not answer): ask again after `retryAfterMs`. */
  | { kind: "unavailable"; retryAfterMs: number; message: string }
  /** The platform no longer accepts the integration's authorization: serve none of its work. */
  | { kind: "lost"; message: string };
