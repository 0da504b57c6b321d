import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSecret } from "../../../src/auth/secrets.ts";
import { hashState } from "../../../src/connections/flows.ts";
import { parseGlobalId } from "../../../src/graphql/ids.ts";
import {
  ChooseOrganisationMutation,
  ConnectionFlowQuery,
  DisconnectIntegrationMutation,
  IntegrationAuthorizationQuery,
  StartConnectionMutation,
} from "../../operations.ts";
import {
  authorizeInBrowser,
  type ConnectionsHarness,
  governedOrganisation,
  governedPractice,
  RETURN_URL,
  returned,
  startConnection,
  startConnectionsHarness,
} from "../../support/connections.ts";
import { until } from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";

/**
 * The connect flow over plain HTTP, as a host and its user's browser go through it: startConnection over
 * GraphQL, the sandbox identity server's authorization page, syncline's callback, the host's return URL.
 */
const MINUTE_MS = 1000;
let h: ConnectionsHarness;
let acme: TestTenant;

beforeAll(async () => {
  h = await startConnectionsHarness({ minuteMs: MINUTE_MS });
  acme = await h.t.createTenant("Acme");
});
afterAll(() => h.close());

const prisma = () => h.t.app.db.prisma;
const idOf = (globalId: string, type: string) => parseGlobalId(globalId, type, ["id"]);

/**
 * The rows a connection attempt can write (syncs of earlier tests go on in the background, so the whole
 * database's counts would move by themselves).
 */
async function connectionRows() {
  const [integrations, flows] = await Promise.all([
    prisma().integration.findMany({
      orderBy: { id: "asc" },
      select: { id: true, credentialsVersion: true, credentialsEncrypted: true },
    }),
    prisma().connectionFlow.findMany({
      orderBy: { id: "asc" },
      select: { id: true, status: true, consumedAt: true },
    }),
  ]);
  return { integrations, flows };
}

async function integrationOf(globalId: string) {
  const { integration } = await h.t.data(IntegrationAuthorizationQuery, { id: globalId }, acme.viewer);
  if (integration.__typename !== "Integration") throw new Error(integration.__typename);
  return integration;
}

describe("connecting through the authorization page", () => {
  it("connects one practice: start → authorize → callback → the host's return URL → initial sync", async () => {
    const { tenantId, practice } = governedPractice(h, { clients: 30, jobs: 10, staff: 3, timeEntries: 20 });
    const { connectionId, authorizationUrl } = await startConnection(h, acme, {
      platform: "XPM",
      name: "Acme XPM",
    });

    // The URL carries a state and a PKCE challenge; the verifier stays on the server.
    expect(`${authorizationUrl.origin}/`).toBe(h.identity.url);
    expect(authorizationUrl.pathname).toBe("/identity/connect/authorize");
    const params = authorizationUrl.searchParams;
    expect(params.get("redirect_uri")).toBe(`${h.apiOrigin}/oauth/callback`);
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("scope")).toContain("offline_access");
    const state = params.get("state")!;
    expect(state.length).toBeGreaterThanOrEqual(43);
    const flow = await prisma().connectionFlow.findUniqueOrThrow({
      where: { id: idOf(connectionId, "ConnectionFlow") },
    });
    expect(flow.stateHash).toBe(hashState(state));
    expect(JSON.stringify(flow)).not.toContain(state);
    const verifier = decryptSecret(h.t.config.encryptionKey, flow.codeVerifierEncrypted);
    expect(authorizationUrl.toString()).not.toContain(verifier);

    const { callback, callbackUrl, location } = await authorizeInBrowser(authorizationUrl, [tenantId]);
    expect(callback.status).toBe(303);
    // Neither the code nor the state travels on to the host.
    expect(location).not.toContain(callbackUrl.searchParams.get("code")!);
    expect(location).not.toContain(state);
    const back = returned(location);
    expect(back).toMatchObject({ connection: connectionId, status: "connected" });
    expect(Object.keys(back).sort()).toEqual(["connection", "integration", "status"]);

    const integration = await integrationOf(back.integration!);
    expect(integration).toMatchObject({
      name: "Acme XPM",
      platformKey: "XPM",
      remoteTenantId: tenantId,
      hasCredentials: true,
      authorization: { method: "OAUTH2", problem: null, refreshCount: 0 },
    });
    expect(integration.authorization.accessTokenExpiresAt).not.toBeNull();
    const { connectionFlow } = await h.t.data(ConnectionFlowQuery, { id: connectionId }, acme.viewer);
    expect(connectionFlow).toMatchObject({ status: "COMPLETED", integration: { id: back.integration } });

    // The initial sync runs with the token the exchange gave, and the organisation's data arrives.
    const integrationId = idOf(back.integration!, "Integration");
    await until(
      "the initial sync",
      async () =>
        (await prisma().syncRun.findFirst({ where: { integrationId, kind: "INITIAL" } }))?.status ===
        "SUCCEEDED",
      20_000,
    );
    expect(await prisma().syncedRecord.count({ where: { integrationId, entity: "client" } })).toBe(
      practice.clients.size,
    );
    expect(h.identity.state.refusedAccess.filter((r) => r.tenantId === tenantId)).toEqual([]);
    const stored = JSON.parse(
      decryptSecret(
        h.t.config.encryptionKey,
        (await prisma().integration.findUniqueOrThrow({ where: { id: integrationId } })).credentialsEncrypted,
      ),
    );
    expect(h.identity.state.check(stored.accessToken, tenantId)).toEqual({ ok: true });
    expect(JSON.stringify(back)).not.toContain(stored.accessToken);
  });

  it("several organisations: the connection waits for the client's choice, then connects that one", async () => {
    const first = governedOrganisation(h, {}, "First");
    const second = governedOrganisation(h, {}, "Second");
    const { connectionId, authorizationUrl } = await startConnection(h, acme, {
      platform: "XERO_ACCOUNTING",
    });
    const { location } = await authorizeInBrowser(authorizationUrl, [first.tenantId, second.tenantId]);
    expect(returned(location)).toEqual({ connection: connectionId, status: "choose_organisation" });

    const { connectionFlow } = await h.t.data(ConnectionFlowQuery, { id: connectionId }, acme.viewer);
    if (connectionFlow.__typename !== "ConnectionFlow") throw new Error(connectionFlow.__typename);
    expect(connectionFlow.status).toBe("CHOOSING_ORGANISATION");
    expect(connectionFlow.organisations.map((o) => o.remoteTenantId).sort()).toEqual(
      [first.tenantId, second.tenantId].sort(),
    );

    // Not one of them: a typed error, and nothing changes.
    const other = await h.t.createTenant("Other");
    const before = await connectionRows();
    const wrong = await h.t.data(
      ChooseOrganisationMutation,
      { input: { connectionId, remoteTenantId: "someone-else" } },
      acme.admin,
    );
    expect(wrong.chooseOrganisation).toMatchObject({
      __typename: "ValidationError",
      issues: [{ path: ["input", "remoteTenantId"] }],
    });
    // Another tenant cannot see, let alone complete, this tenant's connection.
    const foreign = await h.t.data(
      ChooseOrganisationMutation,
      { input: { connectionId, remoteTenantId: second.tenantId } },
      other.admin,
    );
    expect(foreign.chooseOrganisation.__typename).toBe("NotFoundError");
    expect(await connectionRows()).toEqual(before);

    const chosen = await h.t.data(
      ChooseOrganisationMutation,
      { input: { connectionId, remoteTenantId: second.tenantId } },
      acme.admin,
    );
    if (chosen.chooseOrganisation.__typename !== "IntegrationPayload")
      throw new Error(JSON.stringify(chosen));
    expect(chosen.chooseOrganisation.integration).toMatchObject({
      remoteTenantId: second.tenantId,
      name: `Second ${second.tenantId.slice(0, 4)}`,
      status: "PENDING",
    });
    expect(chosen.chooseOrganisation.syncRun).toMatchObject({ kind: "INITIAL" });
    const flow = await prisma().connectionFlow.findUniqueOrThrow({
      where: { id: idOf(connectionId, "ConnectionFlow") },
    });
    expect(flow).toMatchObject({ status: "COMPLETED", tokenSetEncrypted: null });
    const integrationId = idOf(chosen.chooseOrganisation.integration.id, "Integration");
    await until(
      "the initial sync",
      async () =>
        (await prisma().syncRun.findFirst({ where: { integrationId, kind: "INITIAL" } }))?.status ===
        "SUCCEEDED",
      20_000,
    );
    expect(
      await prisma().syncedRecord.count({ where: { integrationId, entity: "account" } }),
    ).toBeGreaterThan(0);

    const again = await h.t.data(
      ChooseOrganisationMutation,
      { input: { connectionId, remoteTenantId: first.tenantId } },
      acme.admin,
    );
    expect(again.chooseOrganisation).toMatchObject({
      __typename: "InvalidStateError",
      currentState: "COMPLETED",
    });
  });

  it("a reused, forged, missing or expired state is refused on the page and changes nothing", async () => {
    const { tenantId } = governedPractice(h);
    const { authorizationUrl } = await startConnection(h, acme, { platform: "XPM" });
    const { callbackUrl, callback } = await authorizeInBrowser(authorizationUrl, [tenantId]);
    expect(callback.status).toBe(303);
    const before = await connectionRows();

    const replay = await fetch(callbackUrl, { redirect: "manual" });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("already used");

    const forged = new URL(callbackUrl);
    forged.searchParams.set("state", "x".repeat(43));
    const forgedAnswer = await fetch(forged, { redirect: "manual" });
    expect(forgedAnswer.status).toBe(400);
    expect(await forgedAnswer.text()).toContain("not one syncline handed out");

    const missing = new URL(callbackUrl);
    missing.searchParams.delete("state");
    expect((await fetch(missing, { redirect: "manual" })).status).toBe(400);
    expect(await connectionRows()).toEqual(before);

    // A state past its time: the user took too long.
    const late = await startConnection(h, acme, { platform: "XPM" });
    const lateId = idOf(late.connectionId, "ConnectionFlow");
    await prisma().connectionFlow.update({
      where: { id: lateId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const afterStart = await connectionRows();
    const expired = await authorizeInBrowser(late.authorizationUrl, [tenantId]);
    expect(expired.callback.status).toBe(400);
    expect(await expired.callback.text()).toContain("expired");
    expect(await connectionRows()).toEqual(afterStart);
    expect(await prisma().connectionFlow.findUniqueOrThrow({ where: { id: lateId } })).toMatchObject({
      status: "AUTHORIZING",
      consumedAt: null,
    });
  });

  it("a declined authorization fails the connection and tells the host why", async () => {
    governedPractice(h);
    const { connectionId, authorizationUrl } = await startConnection(h, acme, { platform: "XPM" });
    const { location } = await authorizeInBrowser(authorizationUrl, "deny");
    expect(returned(location)).toEqual({
      connection: connectionId,
      status: "failed",
      error: "The authorization was declined",
    });
    const { connectionFlow } = await h.t.data(ConnectionFlowQuery, { id: connectionId }, acme.viewer);
    expect(connectionFlow).toMatchObject({
      status: "FAILED",
      error: "The authorization was declined",
      integration: null,
    });
  });

  it("an organisation already connected and working is not connected twice", async () => {
    const { tenantId } = governedPractice(h);
    const first = await startConnection(h, acme, { platform: "XPM" });
    expect(returned((await authorizeInBrowser(first.authorizationUrl, [tenantId])).location).status).toBe(
      "connected",
    );
    const before = await connectionRows();
    const second = await startConnection(h, acme, { platform: "XPM" });
    const back = returned((await authorizeInBrowser(second.authorizationUrl, [tenantId])).location);
    expect(back).toMatchObject({ status: "failed", error: expect.stringContaining("already connected") });
    const after = await connectionRows();
    expect(after.integrations).toEqual(before.integrations);
  });

  it("without a return URL the callback answers with a page of its own", async () => {
    const { tenantId } = governedPractice(h);
    const { authorizationUrl } = await startConnection(h, acme, { platform: "XPM", returnUrl: null });
    const { callback } = await authorizeInBrowser(authorizationUrl, [tenantId]);
    expect(callback.status).toBe(200);
    expect(callback.headers.get("content-type")).toContain("text/html");
    expect(await callback.text()).toContain("Connected");
  });

  it("refuses what it cannot start, with typed errors and nothing written", async () => {
    const before = await connectionRows();
    const start = (input: Parameters<typeof startConnection>[2]) =>
      h.t.data(StartConnectionMutation, { input: { returnUrl: RETURN_URL, ...input } }, acme.admin);
    expect((await start({ platform: "PSA" })).startConnection).toMatchObject({
      __typename: "ValidationError",
      issues: [{ path: ["input", "platform"], message: expect.stringContaining("API keys") }],
    });
    expect(
      (await start({ platform: "XPM", returnUrl: "https://evil.example/steal" })).startConnection,
    ).toMatchObject({
      __typename: "ValidationError",
      issues: [{ path: ["input", "returnUrl"] }],
    });
    expect(
      (await start({ platform: "XPM", returnUrl: "https://host.example/elsewhere" })).startConnection,
    ).toMatchObject({
      __typename: "ValidationError",
    });
    const viewer = await h.t.data(StartConnectionMutation, { input: { platform: "XPM" } }, acme.viewer);
    expect(viewer.startConnection.__typename).toBe("ForbiddenError");
    expect(await connectionRows()).toEqual(before);
  });
});

describe("disconnecting", () => {
  it("revokes the authorization at the platform, then forgets the credentials", async () => {
    const { tenantId } = governedPractice(h, { clients: 5, jobs: 2, staff: 1, timeEntries: 2 });
    const { authorizationUrl } = await startConnection(h, acme, { platform: "XPM" });
    const back = returned((await authorizeInBrowser(authorizationUrl, [tenantId])).location);
    const integrationId = idOf(back.integration!, "Integration");
    const row = await prisma().integration.findUniqueOrThrow({ where: { id: integrationId } });
    const { accessToken } = JSON.parse(decryptSecret(h.t.config.encryptionKey, row.credentialsEncrypted));
    expect(h.identity.state.isRevoked(tenantId)).toBe(false);

    const { disconnectIntegration } = await h.t.data(
      DisconnectIntegrationMutation,
      { id: back.integration! },
      acme.admin,
    );
    expect(disconnectIntegration).toMatchObject({
      integration: { status: "DISCONNECTED", hasCredentials: false },
    });
    expect(h.identity.state.isRevoked(tenantId)).toBe(true);
    expect([...h.identity.state.connections.values()].filter((c) => c.tenantId === tenantId)).toEqual([]);
    expect(h.identity.state.check(accessToken, tenantId)).toMatchObject({ ok: false, status: 401 });
    expect(await prisma().integration.findUniqueOrThrow({ where: { id: integrationId } })).toMatchObject({
      credentialsEncrypted: "",
      accessTokenExpiresAt: null,
    });
  });

  it("a one-off integration gives its authorization back after its sync: a re-sync needs a new one", {
    timeout: 120_000,
  }, async () => {
    const oneOff = await h.t.createTenant("One-off");
    await prisma().tenantSettings.upsert({
      where: { tenantId: oneOff.id },
      create: { tenantId: oneOff.id, oneOffSync: true },
      update: { oneOffSync: true },
    });
    const { tenantId } = governedPractice(h, { clients: 5, jobs: 2, staff: 1, timeEntries: 2 });
    const { authorizationUrl } = await startConnection(h, oneOff, { platform: "XPM" });
    const back = returned((await authorizeInBrowser(authorizationUrl, [tenantId])).location);
    const integrationId = idOf(back.integration!, "Integration");
    await until(
      "synced once, disconnected and released",
      async () => {
        const row = await prisma().integration.findUniqueOrThrow({ where: { id: integrationId } });
        return row.status === "DISCONNECTED" && row.credentialsEncrypted === "";
      },
      90_000,
    );
    expect(await prisma().integration.findUniqueOrThrow({ where: { id: integrationId } })).toMatchObject({
      syncMode: "ONE_OFF",
    });
    expect(h.identity.state.isRevoked(tenantId)).toBe(true);

    // Syncing again starts with a new authorization of the same integration.
    const again = await startConnection(h, oneOff, { platform: "XPM", integrationId: back.integration! });
    expect(returned((await authorizeInBrowser(again.authorizationUrl, [tenantId])).location)).toMatchObject({
      status: "connected",
      integration: back.integration,
    });
    expect(await prisma().syncRun.count({ where: { integrationId, kind: "INITIAL" } })).toBe(2);
  });
});
