import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { TimeScale } from "../../time.ts";
import type { TokenAuthority, TokenVerdict } from "../kit/token-authority.ts";

/**
 * The identity server's memory: organisations users may authorize, authorization codes, grants with
 * their connections, and the token sets issued for them, following Xero's documented rules (PLATFORMS.md,
 * "Xero OAuth 2.0"): access tokens expire (30 minutes); every refresh rotates the refresh token and
 * retires the old one, which may be sent again within a grace period (30 minutes) if the refresh's answer
 * was lost; an unused refresh token expires (60 days); revocation ends the grant, its tokens and its
 * connections. All lifetimes are in the platform's (compressible) time.
 */

/** A tenant at Xero that users can authorize: an organisation (Accounting) or a practice (XPM). */
export interface IdentityOrganisation {
  tenantId: string;
  tenantName: string | null;
  tenantType: "ORGANISATION" | "PRACTICEMANAGER";
}

/** A registered app. */
export interface IdentityClient {
  clientId: string;
  clientSecret: string;
  /** Exact redirect URIs; on a loopback host (localhost, 127.0.0.1, [::1]) any port matches (RFC 8252). */
  redirectUris: string[];
}

export interface Lifetimes {
  /** Platform seconds an access token lives (Xero: 1,800). */
  accessTokenSeconds: number;
  /** Platform seconds a retired refresh token may still be sent again (Xero: 1,800). */
  refreshGraceSeconds: number;
  /** Platform days an unused refresh token lives (Xero: 60). */
  refreshTokenDays: number;
  /** Platform seconds an authorization code lives. */
  codeSeconds: number;
}

export const XERO_LIFETIMES: Lifetimes = {
  accessTokenSeconds: 1800,
  refreshGraceSeconds: 1800,
  refreshTokenDays: 60,
  codeSeconds: 300,
};

export interface Connection {
  id: string;
  grantId: string;
  tenantId: string;
  createdAt: number;
}

interface Grant {
  id: string;
  clientId: string;
  authEventId: string;
  scope: string;
  revoked: boolean;
  /** The refresh token at the head of the chain (the one a well-behaved client holds). */
  current: string;
}

interface RefreshRecord {
  grantId: string;
  expiresAt: number;
  /** When it was used to refresh; afterwards only a resend inside the grace period is answered. */
  retiredAt: number | null;
  /** The refresh token its use issued. */
  successor: string | null;
  /** Refused from now on (the grant's refresh was refused for the test: `invalid_grant`). */
  refused: boolean;
}

interface AccessRecord {
  grantId: string;
  expiresAt: number;
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  challenge: string;
  scope: string;
  tenantIds: string[];
  expiresAt: number;
  used: boolean;
}

/** One answer of the token endpoint, for tests to count refreshes and check they were well-behaved. */
export interface TokenEvent {
  at: number;
  grantType: string;
  outcome: "issued" | "refused" | "lost";
  error?: string;
  grantId?: string;
  tenantIds: string[];
  /** A refresh sent with a refresh token that a previous refresh had already retired. */
  resentRetired?: boolean;
}

/** An API call refused because of its access token (what "no call with a retired token" counts). */
export interface RefusedAccess {
  at: number;
  tenantId: string;
  status: 401 | 403;
  detail: string;
}

export type TokenSetBody = {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: "Bearer";
  scope: string;
};

export type TokenResult =
  | { ok: true; body: TokenSetBody; grantId: string }
  | { ok: false; status: number; error: string };

export class IdentityState implements TokenAuthority {
  readonly organisations = new Map<string, IdentityOrganisation>();
  readonly clients = new Map<string, IdentityClient>();
  readonly connections = new Map<string, Connection>();
  readonly tokenLog: TokenEvent[] = [];
  readonly refusedAccess: RefusedAccess[] = [];
  private readonly grants = new Map<string, Grant>();
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  private readonly accessTokens = new Map<string, AccessRecord>();
  private readonly codes = new Map<string, CodeRecord>();

  constructor(
    readonly time: TimeScale,
    readonly lifetimes: Lifetimes,
    readonly now: () => number,
  ) {}

  // ---- what the Xero API sandboxes ask ----

  governs(tenantId: string): boolean {
    return this.organisations.has(tenantId);
  }

  check(accessToken: string, tenantId: string): TokenVerdict {
    const verdict = this.verdict(accessToken, tenantId);
    if (!verdict.ok)
      this.refusedAccess.push({ at: this.now(), tenantId, status: verdict.status, detail: verdict.detail });
    return verdict;
  }

  private verdict(accessToken: string, tenantId: string): TokenVerdict {
    const record = this.accessTokens.get(accessToken);
    if (!record) return { ok: false, status: 401, detail: "TokenInvalid: the access token is not valid" };
    const grant = this.grants.get(record.grantId)!;
    if (grant.revoked)
      return { ok: false, status: 401, detail: "TokenRevoked: the authorization was revoked" };
    if (this.now() >= record.expiresAt) {
      return {
        ok: false,
        status: 401,
        detail: `TokenExpired: token expired at ${new Date(record.expiresAt).toISOString()}`,
      };
    }
    if (!this.connectionsOf(grant.id).some((c) => c.tenantId === tenantId)) {
      return { ok: false, status: 403, detail: "AuthenticationUnsuccessful" };
    }
    return { ok: true };
  }

  // ---- the authorization endpoint ----

  /** The registered client, if `redirectUri` is one of its redirect URIs. */
  clientFor(clientId: string, redirectUri: string): IdentityClient | undefined {
    const client = this.clients.get(clientId);
    return client?.redirectUris.some((registered) => sameRedirect(registered, redirectUri))
      ? client
      : undefined;
  }

  /** The organisations a scope can reach (practicemanager: practices; accounting.*: organisations). */
  organisationsFor(scope: string): IdentityOrganisation[] {
    const scopes = scope.split(/\s+/);
    const types = new Set<string>();
    if (scopes.some((s) => s === "practicemanager" || s.startsWith("practicemanager.")))
      types.add("PRACTICEMANAGER");
    if (scopes.some((s) => s.startsWith("accounting."))) types.add("ORGANISATION");
    return [...this.organisations.values()].filter((o) => types.has(o.tenantType));
  }

  issueCode(request: {
    clientId: string;
    redirectUri: string;
    challenge: string;
    scope: string;
    tenantIds: string[];
  }) {
    const code = randomBytes(24).toString("base64url");
    this.codes.set(code, {
      ...request,
      expiresAt: this.now() + this.time.secondsToMs(this.lifetimes.codeSeconds),
      used: false,
    });
    return code;
  }

  // ---- the token endpoint ----

  exchangeCode(clientId: string, code: string, redirectUri: string, verifier: string): TokenResult {
    const record = this.codes.get(code);
    const refuse = (error: string) =>
      this.logged("authorization_code", { ok: false, status: 400, error }, []);
    if (!record || record.used || record.clientId !== clientId || this.now() >= record.expiresAt) {
      return refuse("invalid_grant");
    }
    record.used = true;
    if (record.redirectUri !== redirectUri) return refuse("invalid_grant");
    if (createHash("sha256").update(verifier).digest("base64url") !== record.challenge)
      return refuse("invalid_grant");
    const grant: Grant = {
      id: randomUUID(),
      clientId,
      authEventId: randomUUID(),
      scope: record.scope,
      revoked: false,
      current: "",
    };
    this.grants.set(grant.id, grant);
    for (const tenantId of record.tenantIds) {
      const id = randomUUID();
      this.connections.set(id, { id, grantId: grant.id, tenantId, createdAt: this.now() });
    }
    return this.logged("authorization_code", this.issue(grant), record.tenantIds);
  }

  /**
   * Rotates a refresh token. A retired one is answered again inside the grace period (its answer may
   * have been lost), provided the chain did not move on from the token its first use issued, which is
   * retired in turn: one chain stays live.
   */
  refresh(clientId: string, refreshToken: string): TokenResult {
    const record = this.refreshTokens.get(refreshToken);
    const grant = record && this.grants.get(record.grantId);
    const tenants = grant ? this.connectionsOf(grant.id).map((c) => c.tenantId) : [];
    const refuse = (resentRetired = false) =>
      this.logged(
        "refresh_token",
        { ok: false, status: 400, error: "invalid_grant" },
        tenants,
        grant?.id,
        resentRetired,
      );
    if (!record || !grant || grant.clientId !== clientId || grant.revoked || record.refused) return refuse();
    const now = this.now();
    if (now >= record.expiresAt) return refuse();
    if (record.retiredAt !== null) {
      const successor = record.successor ? this.refreshTokens.get(record.successor) : undefined;
      const inGrace = now < record.retiredAt + this.time.secondsToMs(this.lifetimes.refreshGraceSeconds);
      if (!inGrace || !successor || successor.retiredAt !== null) return refuse(true);
      successor.retiredAt = now;
      successor.refused = true;
    }
    record.retiredAt ??= now;
    const issued = this.issue(grant);
    record.successor = grant.current;
    return this.logged("refresh_token", issued, tenants, grant.id, record.retiredAt !== now);
  }

  /** Records that a refresh's answer was dropped on the way (the fault), after it was processed. */
  markLost(): void {
    const last = this.tokenLog.at(-1);
    if (last) last.outcome = "lost";
  }

  // ---- revocation and connections ----

  /** Revokes the grant of a refresh token: its tokens stop working, its connections go. */
  revoke(clientId: string, refreshToken: string): void {
    const record = this.refreshTokens.get(refreshToken);
    const grant = record && this.grants.get(record.grantId);
    if (grant && grant.clientId === clientId) this.endGrant(grant);
  }

  /** The grant an access token belongs to, while it works. */
  grantOfAccessToken(accessToken: string): Grant | undefined {
    const record = this.accessTokens.get(accessToken);
    const grant = record && this.grants.get(record.grantId);
    return grant && !grant.revoked && this.now() < record!.expiresAt ? grant : undefined;
  }

  connectionsOf(grantId: string): Connection[] {
    return [...this.connections.values()].filter((c) => c.grantId === grantId);
  }

  authEventIdOf(grantId: string): string {
    return this.grants.get(grantId)!.authEventId;
  }

  /** Grants that reach a tenant and still work. */
  grantsFor(tenantId: string): string[] {
    return [...this.grants.values()]
      .filter((g) => !g.revoked && this.connectionsOf(g.id).some((c) => c.tenantId === tenantId))
      .map((g) => g.id);
  }

  /** The user disconnects the app from the tenant's organisation at Xero: its grants end. */
  revokeTenant(tenantId: string): void {
    for (const id of this.grantsFor(tenantId)) this.endGrant(this.grants.get(id)!);
  }

  /** Every refresh of the tenant's grants answers `invalid_grant` from now on (access tokens live on). */
  refuseRefreshes(tenantId: string): void {
    const grants = new Set(this.grantsFor(tenantId));
    for (const record of this.refreshTokens.values()) if (grants.has(record.grantId)) record.refused = true;
  }

  /** Removes the tenant's connections (the grants stay): calls for it answer 403. */
  removeConnections(tenantId: string): void {
    for (const [id, c] of this.connections) if (c.tenantId === tenantId) this.connections.delete(id);
  }

  /** Whether the grants that reached a tenant are all revoked (a disconnect revoked them). */
  isRevoked(tenantId: string): boolean {
    return this.grantsFor(tenantId).length === 0;
  }

  /** Every token it ever issued (tests look for them where they must never appear, e.g. logs). */
  issuedTokens(): string[] {
    return [...this.accessTokens.keys(), ...this.refreshTokens.keys()];
  }

  // ---- helpers ----

  private endGrant(grant: Grant): void {
    grant.revoked = true;
    for (const [id, c] of this.connections) if (c.grantId === grant.id) this.connections.delete(id);
  }

  private issue(grant: Grant): TokenResult {
    const now = this.now();
    const accessToken = jwtLike({
      jti: randomUUID(),
      authentication_event_id: grant.authEventId,
      exp: Math.floor((now + this.time.secondsToMs(this.lifetimes.accessTokenSeconds)) / 1000),
    });
    const refreshToken = randomBytes(32).toString("hex");
    this.accessTokens.set(accessToken, {
      grantId: grant.id,
      expiresAt: now + this.time.secondsToMs(this.lifetimes.accessTokenSeconds),
    });
    this.refreshTokens.set(refreshToken, {
      grantId: grant.id,
      expiresAt: now + this.lifetimes.refreshTokenDays * this.time.dayMs,
      retiredAt: null,
      successor: null,
      refused: false,
    });
    grant.current = refreshToken;
    return {
      ok: true,
      grantId: grant.id,
      body: {
        access_token: accessToken,
        refresh_token: refreshToken,
        expires_in: this.lifetimes.accessTokenSeconds,
        token_type: "Bearer",
        scope: grant.scope,
      },
    };
  }

  private logged(
    grantType: string,
    result: TokenResult,
    tenantIds: string[],
    grantId?: string,
    resentRetired?: boolean,
  ): TokenResult {
    this.tokenLog.push({
      at: this.now(),
      grantType,
      outcome: result.ok ? "issued" : "refused",
      ...(result.ok ? {} : { error: result.error }),
      grantId: result.ok ? result.grantId : grantId,
      tenantIds,
      ...(resentRetired ? { resentRetired } : {}),
    });
    return result;
  }
}

/** A JWT-shaped token (Xero's access tokens are JWTs; clients read its authentication_event_id). */
function jwtLike(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.${randomBytes(16).toString("base64url")}`;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Exact match, except that a loopback redirect URI may use any port and loopback name. */
function sameRedirect(registered: string, given: string): boolean {
  if (registered === given) return true;
  try {
    const a = new URL(registered);
    const b = new URL(given);
    return (
      LOOPBACK.has(a.hostname) &&
      LOOPBACK.has(b.hostname) &&
      a.protocol === b.protocol &&
      a.pathname === b.pathname &&
      a.search === b.search
    );
  } catch {
    return false;
  }
}
