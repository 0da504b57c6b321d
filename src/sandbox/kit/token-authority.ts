/**
 * What a Xero API sandbox asks the sandbox identity server (src/sandbox/identity) about a call's bearer
 * token. The identity server governs the organisations it lets users authorize: a call for one of them
 * must carry a live access token of a grant that reaches it, as at Xero. Calls for the other tenants (the
 * ones tests create directly in a sandbox) take any bearer token, as before.
 */
export interface TokenAuthority {
  /** Whether calls for this tenant need an access token the identity server issued. */
  governs(tenantId: string): boolean;
  /** The access token's verdict for a call to `tenantId`. */
  check(accessToken: string, tenantId: string): TokenVerdict;
}

export type TokenVerdict =
  | { ok: true }
  /**
   * 401: the token is unknown, expired or revoked. 403 "AuthenticationUnsuccessful": the token is live but
   * its grant does not reach the tenant (its connection was removed), as Xero answers.
   */
  | { ok: false; status: 401 | 403; detail: string };
