import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IdentitySandbox, startIdentitySandbox } from "../../../src/sandbox/identity/server.ts";
import {
  startXeroAccountingSandbox,
  type XeroAccountingSandbox,
} from "../../../src/sandbox/xero-accounting/server.ts";
import { startXpmSandbox, type XpmSandbox } from "../../../src/sandbox/xpm/server.ts";
import { timeScale } from "../../../src/time.ts";

/**
 * The sandbox identity server against Xero's documented OAuth 2.0 rules, by plain HTTP: PKCE, single-use
 * codes, refresh rotation with a grace period for a lost answer, expiry in compressed time, revocation,
 * connections; and the Xero API sandboxes refusing tokens it did not issue, or no longer honours.
 */
const MINUTE_MS = 600; // an access token of 60 platform seconds lives 600 real ms
const time = timeScale(MINUTE_MS);
const CLIENT = { clientId: "app", clientSecret: "secret" };
const REDIRECT = "http://localhost/callback";
const PRACTICE = "practice-1";
const ORG_A = "org-a";
const ORG_B = "org-b";
let identity: IdentitySandbox;
let xpm: XpmSandbox;
let xero: XeroAccountingSandbox;

beforeAll(async () => {
  identity = await startIdentitySandbox({
    time,
    clients: [{ ...CLIENT, redirectUris: [REDIRECT] }],
    organisations: [
      { tenantId: PRACTICE, tenantName: null, tenantType: "PRACTICEMANAGER" },
      { tenantId: ORG_A, tenantName: "Org A", tenantType: "ORGANISATION" },
      { tenantId: ORG_B, tenantName: "Org B", tenantType: "ORGANISATION" },
    ],
    lifetimes: { accessTokenSeconds: 60, refreshGraceSeconds: 60 },
  });
  xpm = await startXpmSandbox({
    time,
    identity: identity.state,
    tenants: { [PRACTICE]: {}, "ungoverned-practice": {} },
  });
  xero = await startXeroAccountingSandbox({
    time,
    identity: identity.state,
    tenants: { [ORG_A]: {}, [ORG_B]: {} },
  });
});
afterAll(async () => {
  await Promise.all([identity.close(), xpm.close(), xero.close()]);
});

const basic = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString("base64")}`;

function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrl(params: Record<string, string>) {
  const url = new URL("identity/connect/authorize", identity.url);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: CLIENT.clientId,
    redirect_uri: REDIRECT,
    scope: "offline_access accounting.transactions",
    state: "s1",
    code_challenge_method: "S256",
    ...params,
  }).toString();
  return url;
}

/** Authorizes non-interactively: the code the redirect carries. */
async function code(challenge: string, grant: string, scope = "offline_access accounting.transactions") {
  const response = await fetch(authorizeUrl({ code_challenge: challenge, sandbox_grant: grant, scope }), {
    redirect: "manual",
  });
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get("location")!);
  expect(location.searchParams.get("state")).toBe("s1");
  return location.searchParams.get("code")!;
}

async function token(form: Record<string, string>, authorization = basic) {
  const response = await fetch(new URL("connect/token", identity.url), {
    method: "POST",
    headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string | number> };
}

async function tokensFor(grant: string, scope?: string) {
  const { verifier, challenge } = pkce();
  const issued = await token({
    grant_type: "authorization_code",
    code: await code(challenge, grant, scope),
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  expect(issued.status).toBe(200);
  return issued.body as { access_token: string; refresh_token: string; expires_in: number };
}

const organisations = (accessToken: string, tenantId: string) =>
  fetch(new URL("Organisation", xero.url), {
    headers: {
      authorization: `Bearer ${accessToken}`,
      "xero-tenant-id": tenantId,
      accept: "application/json",
    },
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("authorization", () => {
  it("shows an approval page listing the organisations the scope reaches, whose form decides", async () => {
    const { challenge } = pkce();
    const page = await fetch(authorizeUrl({ code_challenge: challenge }));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Org A");
    expect(html).toContain("Org B");
    expect(html).not.toContain(PRACTICE);
    const form = new URLSearchParams({
      response_type: "code",
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT,
      scope: "offline_access accounting.transactions",
      state: "s1",
      code_challenge: challenge,
      code_challenge_method: "S256",
      tenant: ORG_B,
      decision: "allow",
    });
    const allowed = await fetch(new URL("identity/connect/authorize", identity.url), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
      redirect: "manual",
    });
    expect(allowed.status).toBe(302);
    expect(new URL(allowed.headers.get("location")!).searchParams.get("code")).toBeTruthy();
    form.set("decision", "deny");
    const denied = await fetch(new URL("identity/connect/authorize", identity.url), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
      redirect: "manual",
    });
    expect(new URL(denied.headers.get("location")!).searchParams.get("error")).toBe("access_denied");
  });

  it("refuses an unregistered redirect URI without redirecting, and requires PKCE", async () => {
    const unknown = await fetch(
      authorizeUrl({ redirect_uri: "https://evil.example/cb", code_challenge: "x" }),
      {
        redirect: "manual",
      },
    );
    expect(unknown.status).toBe(400);
    const noPkce = await fetch(authorizeUrl({ code_challenge_method: "plain", code_challenge: "x" }), {
      redirect: "manual",
    });
    expect(new URL(noPkce.headers.get("location")!).searchParams.get("error")).toBe("invalid_request");
  });

  it("exchanges a code once, only with its verifier, redirect URI and client", async () => {
    const { verifier, challenge } = pkce();
    const first = await code(challenge, ORG_A);
    const wrongVerifier = await token({
      grant_type: "authorization_code",
      code: first,
      redirect_uri: REDIRECT,
      code_verifier: pkce().verifier,
    });
    expect(wrongVerifier).toEqual({ status: 400, body: { error: "invalid_grant" } });
    // A failed exchange used the code up.
    const again = await token({
      grant_type: "authorization_code",
      code: first,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    expect(again.body).toEqual({ error: "invalid_grant" });

    const second = await code(challenge, ORG_A);
    const badClient = await token(
      { grant_type: "authorization_code", code: second, redirect_uri: REDIRECT, code_verifier: verifier },
      `Basic ${Buffer.from("app:wrong").toString("base64")}`,
    );
    expect(badClient).toEqual({ status: 401, body: { error: "invalid_client" } });
    const ok = await token({
      grant_type: "authorization_code",
      code: second,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      token_type: "Bearer",
      expires_in: 60,
      scope: "offline_access accounting.transactions",
    });
    const replay = await token({
      grant_type: "authorization_code",
      code: second,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    expect(replay.body).toEqual({ error: "invalid_grant" });
  });
});

describe("connections", () => {
  it("lists what one authorization granted (by authEventId), and removes one", async () => {
    const tokens = await tokensFor(`${ORG_A},${ORG_B}`);
    const claims = JSON.parse(Buffer.from(tokens.access_token.split(".")[1]!, "base64url").toString());
    const list = async (query = "") =>
      (await fetch(new URL(`connections${query}`, identity.url), {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      }).then((r) => r.json())) as {
        id: string;
        tenantId: string;
        tenantType: string;
        authEventId: string;
      }[];
    const all = await list(`?authEventId=${claims.authentication_event_id}`);
    expect(all.map((c) => c.tenantId).sort()).toEqual([ORG_A, ORG_B]);
    expect(all.every((c) => c.tenantType === "ORGANISATION")).toBe(true);
    expect(await list("?authEventId=00000000-0000-0000-0000-000000000000")).toEqual([]);

    const removeB = await fetch(
      new URL(`connections/${all.find((c) => c.tenantId === ORG_B)!.id}`, identity.url),
      {
        method: "DELETE",
        headers: { authorization: `Bearer ${tokens.access_token}` },
      },
    );
    expect(removeB.status).toBe(204);
    expect((await list()).map((c) => c.tenantId)).toEqual([ORG_A]);
    expect((await organisations(tokens.access_token, ORG_A)).status).toBe(200);
    // The token no longer reaches B: Xero's 403 AuthenticationUnsuccessful.
    const refused = await organisations(tokens.access_token, ORG_B);
    expect(refused.status).toBe(403);
    expect(JSON.stringify(await refused.json())).toContain("AuthenticationUnsuccessful");
  });
});

describe("tokens at the API sandboxes", () => {
  it("a governed tenant needs a live access token; an ungoverned one takes any bearer token", async () => {
    const missing = await organisations("not-a-token", ORG_A);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toContain("invalid_token");
    const practiceCall = (tenantId: string, bearer: string) =>
      fetch(new URL("v3.1/staff.api/list", xpm.url), {
        headers: {
          authorization: `Bearer ${bearer}`,
          "xero-tenant-id": tenantId,
          accept: "application/json",
        },
      });
    expect((await practiceCall("ungoverned-practice", "anything")).status).toBe(200);
    expect((await practiceCall(PRACTICE, "anything")).status).toBe(401);
    const tokens = await tokensFor(PRACTICE, "offline_access practicemanager");
    expect((await practiceCall(PRACTICE, tokens.access_token)).status).toBe(200);
  });

  it("an access token expires in compressed time", async () => {
    const tokens = await tokensFor(ORG_A);
    expect((await organisations(tokens.access_token, ORG_A)).status).toBe(200);
    await sleep(time.secondsToMs(60) + 50);
    const expired = await organisations(tokens.access_token, ORG_A);
    expect(expired.status).toBe(401);
    expect(JSON.stringify(await expired.json())).toContain("TokenExpired");
  });
});

describe("refresh", () => {
  it("rotates: the new set works, the old refresh token is retired", async () => {
    const first = await tokensFor(ORG_A);
    const second = await token({ grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect((await organisations(String(second.body.access_token), ORG_A)).status).toBe(200);
    const third = await token({
      grant_type: "refresh_token",
      refresh_token: String(second.body.refresh_token),
    });
    expect(third.status).toBe(200);
    // The chain moved on from the first token's successor: the first is refused, grace or not.
    expect((await token({ grant_type: "refresh_token", refresh_token: first.refresh_token })).body).toEqual({
      error: "invalid_grant",
    });
  });

  it("a lost answer: the retired token is answered again inside the grace period, and its lost successor retired", async () => {
    const first = await tokensFor(ORG_A);
    identity.loseRefreshAnswers(1);
    const lost = await fetch(new URL("connect/token", identity.url), {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: first.refresh_token,
      }).toString(),
    }).then(
      () => "answered",
      () => "lost",
    );
    expect(lost).toBe("lost");
    const retry = await token({ grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(retry.status).toBe(200);
    expect(identity.state.tokenLog.slice(-2).map((e) => [e.outcome, e.resentRetired ?? false])).toEqual([
      ["lost", false],
      ["issued", true],
    ]);
    const next = await token({
      grant_type: "refresh_token",
      refresh_token: String(retry.body.refresh_token),
    });
    expect(next.status).toBe(200);
  });

  it("after the grace period a retired refresh token is refused", async () => {
    const first = await tokensFor(ORG_A);
    expect((await token({ grant_type: "refresh_token", refresh_token: first.refresh_token })).status).toBe(
      200,
    );
    await sleep(time.secondsToMs(60) + 50);
    expect((await token({ grant_type: "refresh_token", refresh_token: first.refresh_token })).body).toEqual({
      error: "invalid_grant",
    });
  });

  it("revocation ends the grant: its tokens stop working and its connections go", async () => {
    const tokens = await tokensFor(ORG_B);
    const revoked = await fetch(new URL("connect/revocation", identity.url), {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.refresh_token }).toString(),
    });
    expect(revoked.status).toBe(200);
    expect((await organisations(tokens.access_token, ORG_B)).status).toBe(401);
    expect((await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token })).body).toEqual({
      error: "invalid_grant",
    });
    const connections = await fetch(new URL("connections", identity.url), {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(connections.status).toBe(401);
  });
});
