import type { TimeScale } from "../time.ts";
import type { PlatformKey } from "./catalog.ts";

/**
 * Xero's OAuth 2.0 (PLATFORMS.md, "Xero OAuth 2.0"), for both Xero APIs: the authorization code flow with
 * PKCE at login.xero.com, the token endpoint (code exchange, refresh with rotation) and revocation at
 * identity.xero.com, and the connections (the organisations a grant reaches) at api.xero.com. The client
 * authenticates with HTTP Basic. Nothing here keeps state: callers store what it returns.
 */

/** Where Xero's identity service answers (the sandbox's in tests and demos). */
export interface XeroIdentityEndpoints {
  authorizeUrl: string;
  tokenUrl: string;
  revocationUrl: string;
  connectionsUrl: string;
}

/** A registered Xero app. */
export interface OAuthApp {
  clientId: string;
  clientSecret: string;
}

/** What a call to the identity service needs. */
export interface IdentityContext {
  endpoints: XeroIdentityEndpoints;
  app: OAuthApp;
  time: TimeScale;
  /** Real ms before a call is abandoned (its answer counts as lost). */
  timeoutMs: number;
}

/** The scopes each Xero platform asks for, and the kind of tenant (in /connections) that it serves. */
export const XERO_OAUTH_PLATFORMS: Partial<Record<PlatformKey, { scopes: string[]; tenantType: string }>> = {
  XPM: { scopes: ["offline_access", "practicemanager"], tenantType: "PRACTICEMANAGER" },
  XERO_ACCOUNTING: {
    scopes: ["offline_access", "accounting.transactions", "accounting.settings", "accounting.journals.read"],
    tenantType: "ORGANISATION",
  },
};

/** A token set as the token endpoint issues it. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  /** When the access token expires (from `expires_in`, in the platform's time scale). */
  expiresAt: Date | null;
}

export type TokenAnswer =
  | { kind: "issued"; tokens: TokenSet }
  /** The identity service said no (`invalid_grant` and friends): retrying the same request cannot help. */
  | { kind: "refused"; error: string; message: string }
  /** No usable answer (network, timeout, 5xx): the request may or may not have been processed. */
  | { kind: "unavailable"; message: string };

/** One organisation (or practice) a grant reaches. */
export interface XeroConnection {
  /** The connection's id (for DELETE /connections/{id}). */
  id: string;
  tenantId: string;
  tenantType: string;
  /** Xero sends null for some tenant types (practices). */
  tenantName: string | null;
  authEventId?: string;
}

/** The URL of Xero's login page that asks the user to authorize the app for `platform`. */
export function authorizationUrl(
  endpoints: XeroIdentityEndpoints,
  app: Pick<OAuthApp, "clientId">,
  request: { platform: PlatformKey; redirectUri: string; state: string; codeChallenge: string },
): string {
  const platform = XERO_OAUTH_PLATFORMS[request.platform];
  if (!platform) throw new Error(`${request.platform} does not authorize with Xero's OAuth`);
  const url = new URL(endpoints.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: app.clientId,
    redirect_uri: request.redirectUri,
    scope: platform.scopes.join(" "),
    state: request.state,
    code_challenge: request.codeChallenge,
    code_challenge_method: "S256",
  }).toString();
  return url.toString();
}

/** Exchanges an authorization code (with its PKCE verifier) for a token set. */
export function exchangeCode(
  context: IdentityContext,
  grant: { code: string; redirectUri: string; codeVerifier: string },
): Promise<TokenAnswer> {
  return tokenRequest(context, {
    grant_type: "authorization_code",
    code: grant.code,
    redirect_uri: grant.redirectUri,
    code_verifier: grant.codeVerifier,
  });
}

/**
 * Trades a refresh token for a new token set. Xero rotates: the answer carries a new refresh token and
 * retires the old one, which may still be sent again for a grace period if this answer is lost.
 */
export function refreshTokens(context: IdentityContext, refreshToken: string): Promise<TokenAnswer> {
  return tokenRequest(context, { grant_type: "refresh_token", refresh_token: refreshToken });
}

/** Revokes a refresh token: the grant ends, with its access tokens and its connections. */
export async function revokeToken(
  context: IdentityContext,
  token: string,
): Promise<{ kind: "revoked" } | { kind: "unavailable"; message: string }> {
  const answer = await identityCall(context, context.endpoints.revocationUrl, {
    method: "POST",
    headers: { authorization: basicAuth(context.app), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token }).toString(),
  });
  if (answer.kind === "lost") return { kind: "unavailable", message: answer.message };
  // 200: revoked. A 400 says the token is not (or no longer) valid: nothing is left to revoke.
  if (answer.status < 500) return { kind: "revoked" };
  return { kind: "unavailable", message: `revocation answered HTTP ${answer.status}` };
}

/** The organisations a token reaches; with `authEventId`, only those granted by that authorization. */
export async function listConnections(
  context: Pick<IdentityContext, "endpoints" | "timeoutMs">,
  accessToken: string,
  authEventId?: string,
): Promise<
  | { kind: "ok"; connections: XeroConnection[] }
  | { kind: "unauthorized" }
  | { kind: "unavailable"; message: string }
> {
  const url = new URL(context.endpoints.connectionsUrl);
  if (authEventId) url.searchParams.set("authEventId", authEventId);
  const answer = await identityCall(context, url.toString(), {
    method: "GET",
    headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
  });
  if (answer.kind === "lost") return { kind: "unavailable", message: answer.message };
  if (answer.status === 401 || answer.status === 403) return { kind: "unauthorized" };
  if (answer.status !== 200 || !Array.isArray(answer.body))
    return { kind: "unavailable", message: `connections answered HTTP ${answer.status}` };
  return { kind: "ok", connections: answer.body.filter(isConnection) };
}

/** Removes one organisation's connection from the grant. */
export async function deleteConnection(
  context: Pick<IdentityContext, "endpoints" | "timeoutMs">,
  accessToken: string,
  connectionId: string,
): Promise<{ kind: "deleted" } | { kind: "unauthorized" } | { kind: "unavailable"; message: string }> {
  const url = new URL(encodeURIComponent(connectionId), slashed(context.endpoints.connectionsUrl));
  const answer = await identityCall(context, url.toString(), {
    method: "DELETE",
    headers: { authorization: `Bearer ${accessToken}` },
  });
  if (answer.kind === "lost") return { kind: "unavailable", message: answer.message };
  if (answer.status === 401 || answer.status === 403) return { kind: "unauthorized" };
  // 204: removed; 404: already gone.
  if (answer.status < 300 || answer.status === 404) return { kind: "deleted" };
  return { kind: "unavailable", message: `connection removal answered HTTP ${answer.status}` };
}

/**
 * The authorization event an access token belongs to. Xero's access tokens are JWTs whose
 * `authentication_event_id` claim names it; /connections filtered by it lists what that authorization
 * granted. Undefined for a token that is not a JWT.
 */
export function authEventIdOf(accessToken: string): string | undefined {
  const payload = accessToken.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    return typeof claims.authentication_event_id === "string" ? claims.authentication_event_id : undefined;
  } catch {
    return undefined;
  }
}

// ---- the token endpoint ----

async function tokenRequest(context: IdentityContext, form: Record<string, string>): Promise<TokenAnswer> {
  const answer = await identityCall(context, context.endpoints.tokenUrl, {
    method: "POST",
    headers: {
      authorization: basicAuth(context.app),
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: new URLSearchParams(form).toString(),
  });
  if (answer.kind === "lost") return { kind: "unavailable", message: answer.message };
  const body = (answer.body ?? {}) as Record<string, unknown>;
  if (answer.status >= 500)
    return { kind: "unavailable", message: `token endpoint answered HTTP ${answer.status}` };
  if (answer.status !== 200) {
    const error = typeof body.error === "string" ? body.error : `http_${answer.status}`;
    const description = typeof body.error_description === "string" ? `: ${body.error_description}` : "";
    return { kind: "refused", error, message: `${error}${description}` };
  }
  if (typeof body.access_token !== "string" || body.access_token === "") {
    return { kind: "unavailable", message: "token endpoint answered without an access token" };
  }
  const expiresIn = Number(body.expires_in);
  return {
    kind: "issued",
    tokens: {
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : null,
      expiresAt: Number.isFinite(expiresIn)
        ? new Date(Date.now() + context.time.secondsToMs(expiresIn))
        : null,
    },
  };
}

// ---- HTTP ----

type IdentityAnswer = { kind: "answered"; status: number; body: unknown } | { kind: "lost"; message: string };

/** One call to the identity service. A lost answer says only how it was lost (never the request). */
async function identityCall(
  context: Pick<IdentityContext, "timeoutMs">,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<IdentityAnswer> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(context.timeoutMs) });
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    return {
      kind: "lost",
      message: timedOut ? "identity service timed out" : "identity service unreachable",
    };
  }
  let text: string;
  try {
    text = await response.text();
  } catch {
    return { kind: "lost", message: "identity service dropped its answer" };
  }
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  return { kind: "answered", status: response.status, body };
}

function basicAuth(app: OAuthApp): string {
  // RFC 6749 §2.3.1: both parts form-encoded before Basic.
  const pair = `${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`;
  return `Basic ${Buffer.from(pair).toString("base64")}`;
}

function slashed(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

function isConnection(value: unknown): value is XeroConnection {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.id === "string" &&
    typeof record.tenantId === "string" &&
    typeof record.tenantType === "string"
  );
}
