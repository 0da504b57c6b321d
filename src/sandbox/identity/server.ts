import type { IncomingMessage, ServerResponse } from "node:http";
import { type TimeScale, timeScale } from "../../time.ts";
import { cleanPath, listen, readRequestBody, requestHeader } from "../kit/http.ts";
import {
  type IdentityClient,
  type IdentityOrganisation,
  IdentityState,
  type Lifetimes,
  XERO_LIFETIMES,
} from "./grants.ts";

/**
 * A stand-in for Xero's identity service (PLATFORMS.md, "Xero OAuth 2.0"), all on one port:
 *   GET  /identity/connect/authorize   the login page's authorization (an approval page; or, for tests,
 *                                      `sandbox_grant=<tenant ids>|*` or `sandbox_deny=1` answer at once)
 *   POST /identity/connect/authorize   the approval page's form
 *   POST /connect/token                authorization_code (+ PKCE S256) and refresh_token, client by Basic
 *   POST /connect/revocation           revokes a refresh token's grant
 *   GET  /connections                  the tenants an access token's grant reaches (?authEventId=)
 *   DELETE /connections/{id}           removes one
 * Point SYNCLINE_XERO_LOGIN_URL, SYNCLINE_XERO_IDENTITY_URL and SYNCLINE_XERO_CONNECTIONS_URL at its url.
 * Hand it to the XPM and Xero Accounting sandboxes (their `identity` option) and they answer 401 to a
 * missing, unknown, expired or revoked access token for the organisations it governs.
 */

export interface IdentitySandboxOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Length of a platform minute in real ms; ignored when `time` is given. */
  minuteMs?: number;
  time?: TimeScale;
  now?: () => number;
  /** Registered apps. */
  clients?: IdentityClient[];
  /** The organisations and practices users may authorize (and whose API calls need its tokens). */
  organisations?: IdentityOrganisation[];
  /** Token lifetimes, in platform time; default Xero's. */
  lifetimes?: Partial<Lifetimes>;
}

export interface IdentitySandbox {
  /** Base URL with a trailing slash. */
  url: string;
  port: number;
  /** Grants, tokens, connections, the token endpoint's log and the API calls it refused. */
  state: IdentityState;
  /** The next `count` refresh answers are processed and then lost on the way (the connection drops). */
  loseRefreshAnswers(count: number): void;
  /** Real ms the token endpoint waits before answering (widens races in tests). */
  tokenLatencyMs: number;
  addOrganisation(organisation: IdentityOrganisation): void;
  addClient(client: IdentityClient): void;
  close(): Promise<void>;
}

export async function startIdentitySandbox(options: IdentitySandboxOptions = {}): Promise<IdentitySandbox> {
  const time = options.time ?? timeScale(options.minuteMs);
  const state = new IdentityState(time, { ...XERO_LIFETIMES, ...options.lifetimes }, options.now ?? Date.now);
  for (const client of options.clients ?? []) state.clients.set(client.clientId, client);
  for (const organisation of options.organisations ?? [])
    state.organisations.set(organisation.tenantId, organisation);
  let refreshAnswersToLose = 0;
  const sandbox = {
    tokenLatencyMs: 0,
  };

  const server = await listen(options.port ?? 0, (req, res) => {
    serve(req, res).catch((error: Error) => {
      if (!res.headersSent) json(res, 500, { error: "server_error", error_description: error.message });
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://identity");
    const path = cleanPath(url.pathname).toLowerCase();
    const method = (req.method ?? "GET").toUpperCase();
    if (path === "/identity/connect/authorize" && method === "GET") return authorize(res, url.searchParams);
    if (path === "/identity/connect/authorize" && method === "POST") {
      return authorize(res, new URLSearchParams(await readRequestBody(req)));
    }
    if (path === "/connect/token" && method === "POST") return token(req, res);
    if (path === "/connect/revocation" && method === "POST") return revocation(req, res);
    if (path === "/connections" && method === "GET") return listConnections(req, res, url.searchParams);
    const removal = /^\/connections\/([^/]+)$/.exec(path);
    if (removal && method === "DELETE") return deleteConnection(req, res, decodeURIComponent(removal[1]!));
    json(res, 404, { error: "not_found" });
  }

  /** The authorization request: an approval page, or (tests, the page's form) the decision itself. */
  function authorize(res: ServerResponse, params: URLSearchParams) {
    const redirectUri = params.get("redirect_uri") ?? "";
    const client = state.clientFor(params.get("client_id") ?? "", redirectUri);
    // Without a registered client and redirect URI nothing may be redirected (RFC 6749 §4.1.2.1).
    if (!client)
      return page(res, 400, "Unknown app", "<p>The client id or redirect URI is not registered.</p>");
    const back = (query: Record<string, string>) => {
      const target = new URL(redirectUri);
      for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
      const stateParam = params.get("state");
      if (stateParam !== null) target.searchParams.set("state", stateParam);
      res.writeHead(302, { location: target.toString() }).end();
    };
    const scope = params.get("scope") ?? "";
    const challenge = params.get("code_challenge") ?? "";
    if (params.get("response_type") !== "code") return back({ error: "unsupported_response_type" });
    if (!challenge || params.get("code_challenge_method") !== "S256") {
      return back({ error: "invalid_request", error_description: "PKCE with S256 is required" });
    }
    const offered = state.organisationsFor(scope);
    if (offered.length === 0) return back({ error: "invalid_scope" });
    if (params.get("sandbox_deny") === "1" || params.get("decision") === "deny")
      return back({ error: "access_denied" });
    const asked =
      params.get("sandbox_grant") ??
      (params.get("decision") === "allow" ? params.getAll("tenant").join(",") : null);
    if (asked === null) return approvalPage(res, params, offered);
    const tenantIds =
      asked === "*"
        ? offered.map((o) => o.tenantId)
        : asked.split(",").filter((id) => offered.some((o) => o.tenantId === id));
    if (tenantIds.length === 0)
      return back({ error: "access_denied", error_description: "no organisation chosen" });
    const code = state.issueCode({ clientId: client.clientId, redirectUri, challenge, scope, tenantIds });
    back({ code, scope });
  }

  async function token(req: IncomingMessage, res: ServerResponse) {
    const form = new URLSearchParams(await readRequestBody(req));
    const client = authenticatedClient(req);
    if (!client) return json(res, 401, { error: "invalid_client" });
    if (sandbox.tokenLatencyMs > 0)
      await new Promise((resolve) => setTimeout(resolve, sandbox.tokenLatencyMs));
    const grantType = form.get("grant_type");
    const result =
      grantType === "authorization_code"
        ? state.exchangeCode(
            client.clientId,
            form.get("code") ?? "",
            form.get("redirect_uri") ?? "",
            form.get("code_verifier") ?? "",
          )
        : grantType === "refresh_token"
          ? state.refresh(client.clientId, form.get("refresh_token") ?? "")
          : ({ ok: false, status: 400, error: "unsupported_grant_type" } as const);
    if (!result.ok) return json(res, result.status, { error: result.error });
    if (grantType === "refresh_token" && refreshAnswersToLose > 0) {
      // Processed, rotated, and then the answer never arrives.
      refreshAnswersToLose--;
      state.markLost();
      res.destroy();
      return;
    }
    json(res, 200, result.body);
  }

  async function revocation(req: IncomingMessage, res: ServerResponse) {
    const form = new URLSearchParams(await readRequestBody(req));
    const client = authenticatedClient(req);
    if (!client) return json(res, 401, { error: "invalid_client" });
    state.revoke(client.clientId, form.get("token") ?? "");
    // RFC 7009: an unknown or already revoked token is answered like a revoked one.
    res.writeHead(200).end();
  }

  function listConnections(req: IncomingMessage, res: ServerResponse, params: URLSearchParams) {
    const grant = state.grantOfAccessToken(bearer(req));
    if (!grant) return json(res, 401, unauthorized());
    const authEventId = params.get("authEventId");
    if (authEventId && authEventId !== grant.authEventId) return json(res, 200, []);
    json(
      res,
      200,
      state.connectionsOf(grant.id).map((c) => {
        const organisation = state.organisations.get(c.tenantId)!;
        const at = new Date(c.createdAt).toISOString();
        return {
          id: c.id,
          authEventId: grant.authEventId,
          tenantId: c.tenantId,
          tenantType: organisation.tenantType,
          tenantName: organisation.tenantName,
          createdDateUtc: at,
          updatedDateUtc: at,
        };
      }),
    );
  }

  function deleteConnection(req: IncomingMessage, res: ServerResponse, id: string) {
    const grant = state.grantOfAccessToken(bearer(req));
    if (!grant) return json(res, 401, unauthorized());
    const connection = state.connections.get(id);
    if (!connection || connection.grantId !== grant.id)
      return json(res, 404, { Title: "Not Found", Status: 404 });
    state.connections.delete(id);
    res.writeHead(204).end();
  }

  function authenticatedClient(req: IncomingMessage): IdentityClient | undefined {
    const header = requestHeader(req, "authorization") ?? "";
    const match = /^Basic\s+(\S+)$/i.exec(header);
    if (!match) return undefined;
    const [id, secret] = Buffer.from(match[1]!, "base64").toString("utf8").split(":").map(decodeURIComponent);
    const client = state.clients.get(id ?? "");
    return client && client.clientSecret === secret ? client : undefined;
  }

  return Object.assign(sandbox, {
    url: `http://127.0.0.1:${server.port}/`,
    port: server.port,
    state,
    loseRefreshAnswers: (count: number) => {
      refreshAnswersToLose += count;
    },
    addOrganisation: (organisation: IdentityOrganisation) =>
      state.organisations.set(organisation.tenantId, organisation),
    addClient: (client: IdentityClient) => state.clients.set(client.clientId, client),
    close: () => server.close(),
  }) as IdentitySandbox;
}

function bearer(req: IncomingMessage): string {
  return (requestHeader(req, "authorization") ?? "").replace(/^Bearer\s+/i, "").trim();
}

function unauthorized() {
  return { Type: null, Title: "Unauthorized", Status: 401, Detail: "AuthenticationUnsuccessful" };
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/** The approval page: the organisations the scope reaches, to tick, and Allow or Cancel. */
function approvalPage(res: ServerResponse, params: URLSearchParams, offered: IdentityOrganisation[]) {
  const hidden = [...params.entries()]
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("");
  const choices = offered
    .map(
      (o, i) =>
        `<label><input type="checkbox" name="tenant" value="${escapeHtml(o.tenantId)}"${i === 0 ? " checked" : ""}> ${escapeHtml(o.tenantName ?? o.tenantId)} <small>(${o.tenantType.toLowerCase()})</small></label><br>`,
    )
    .join("");
  page(
    res,
    200,
    "Allow access?",
    `<p>An app asks to access (scope <code>${escapeHtml(params.get("scope") ?? "")}</code>):</p>
<form method="post" action="/identity/connect/authorize">${hidden}${choices}
<p><button name="decision" value="allow">Allow access</button> <button name="decision" value="deny">Cancel</button></p></form>`,
  );
}

function page(res: ServerResponse, status: number, title: string, html: string) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Xero sandbox login</title></head><body><h1>${escapeHtml(title)}</h1>${html}</body></html>`,
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
