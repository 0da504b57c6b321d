import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { parseGlobalId } from "../../src/graphql/ids.ts";
import type { PlatformKey } from "../../src/platforms/catalog.ts";
import type { Lifetimes } from "../../src/sandbox/identity/grants.ts";
import { type IdentitySandbox, startIdentitySandbox } from "../../src/sandbox/identity/server.ts";
import type { SandboxCapLimits } from "../../src/sandbox/kit/caps.ts";
import type { OrganisationSeed } from "../../src/sandbox/xero-accounting/data.ts";
import {
  startXeroAccountingSandbox,
  type XeroAccountingSandbox,
} from "../../src/sandbox/xero-accounting/server.ts";
import type { SeedSizes } from "../../src/sandbox/xpm/data.ts";
import { startXpmSandbox, type XpmSandbox } from "../../src/sandbox/xpm/server.ts";
import { timeScale } from "../../src/time.ts";
import { StartConnectionMutation } from "../operations.ts";
import { until } from "./engine.ts";
import { startTestApp, type TestApp, type TestTenant } from "./harness.ts";

/**
 * syncline with its API listening on a real port, the Xero sandboxes, and the sandbox identity server
 * that governs their organisations: the connect flow end to end over plain HTTP, in compressed time.
 */
export interface ConnectionsHarness {
  t: TestApp;
  identity: IdentitySandbox;
  xpm: XpmSandbox;
  xero: XeroAccountingSandbox;
  /** syncline's API origin, e.g. http://127.0.0.1:41234. */
  apiOrigin: string;
  /** The OAuth settings syncline runs with, for processes of its own (worker processes). */
  oauthEnv: Record<string, string>;
  close(): Promise<void>;
}

export const CLIENT = { clientId: "syncline-test", clientSecret: "test-secret" };
/** The host's page the callback returns to (only its allowlisting matters: nothing listens there). */
export const RETURN_URL = "https://host.example/integrations/connected";

export async function startConnectionsHarness(options: {
  minuteMs: number;
  roles?: ("api" | "worker" | "scheduler")[];
  lifetimes?: Partial<Lifetimes>;
  /** The XPM sandbox's caps per practice (default the catalog's). */
  xpmCaps?: Partial<SandboxCapLimits>;
  env?: Record<string, string>;
}): Promise<ConnectionsHarness> {
  const time = timeScale(options.minuteMs);
  const identity = await startIdentitySandbox({
    time,
    lifetimes: options.lifetimes,
    clients: [{ ...CLIENT, redirectUris: ["http://127.0.0.1/oauth/callback"] }],
  });
  const [xpm, xero] = await Promise.all([
    startXpmSandbox({
      time,
      identity: identity.state,
      ...(options.xpmCaps ? { caps: options.xpmCaps } : {}),
    }),
    startXeroAccountingSandbox({ time, identity: identity.state }),
  ]);
  const oauthEnv = {
    SYNCLINE_XERO_LOGIN_URL: identity.url,
    SYNCLINE_XERO_IDENTITY_URL: identity.url,
    SYNCLINE_XERO_CONNECTIONS_URL: identity.url,
    SYNCLINE_XERO_CLIENT_ID: CLIENT.clientId,
    SYNCLINE_XERO_CLIENT_SECRET: CLIENT.clientSecret,
    SYNCLINE_OAUTH_RETURN_URLS: new URL("/integrations/", RETURN_URL).toString(),
    ...options.env,
  };
  const t = await startTestApp({
    roles: options.roles ?? ["api", "worker", "scheduler"],
    env: {
      SYNCLINE_MINUTE_MS: String(options.minuteMs),
      SYNCLINE_XPM_URL: xpm.url,
      SYNCLINE_XERO_ACCOUNTING_URL: xero.url,
      SYNCLINE_SWEEP_INTERVAL_MS: "500",
      SYNCLINE_CALL_TIMEOUT_MS: "2000",
      ...oauthEnv,
    },
  });
  const apiOrigin = t.app.api ? new URL(t.app.api.url).origin : "";
  return {
    t,
    identity,
    xpm,
    xero,
    apiOrigin,
    oauthEnv,
    close: async () => {
      const prisma = t.app.db.prisma;
      await prisma.exportItem.deleteMany({ where: { status: "PENDING" } });
      await prisma.syncRun.updateMany({
        where: { status: { in: ["QUEUED", "RUNNING", "DEFERRED"] } },
        data: { status: "CANCELLED" },
      });
      await t.close();
      await Promise.all([xpm.close(), xero.close(), identity.close()]);
    },
  };
}

/** A practice in the XPM sandbox that users authorize through the identity server. */
export function governedPractice(h: ConnectionsHarness, seed: SeedSizes = {}, name = "Practice") {
  const tenantId = `practice-${randomUUID()}`;
  const practice = h.xpm.addPractice(tenantId, seed);
  h.identity.addOrganisation({
    tenantId,
    tenantName: `${name} ${tenantId.slice(9, 13)}`,
    tenantType: "PRACTICEMANAGER",
  });
  return { tenantId, practice };
}

/** An organisation in the Xero Accounting sandbox that users authorize through the identity server. */
export function governedOrganisation(
  h: ConnectionsHarness,
  seed: OrganisationSeed = {},
  name = "Organisation",
) {
  const tenantId = randomUUID();
  const organisation = h.xero.addOrganisation(tenantId, seed);
  h.identity.addOrganisation({
    tenantId,
    tenantName: `${name} ${tenantId.slice(0, 4)}`,
    tenantType: "ORGANISATION",
  });
  return { tenantId, organisation };
}

/** startConnection as the tenant's ADMIN: the connection's global id and the authorization URL. */
export async function startConnection(
  h: ConnectionsHarness,
  tenant: TestTenant,
  input: { platform: PlatformKey; name?: string; integrationId?: string; returnUrl?: string | null },
) {
  const { startConnection: payload } = await h.t.data(
    StartConnectionMutation,
    { input: { returnUrl: RETURN_URL, ...input } },
    tenant.admin,
  );
  if (payload.__typename !== "StartConnectionPayload")
    throw new Error(`startConnection: ${JSON.stringify(payload)}`);
  return {
    connectionId: payload.connection.id,
    authorizationUrl: new URL(payload.authorizationUrl),
    payload,
  };
}

/**
 * The user's browser: opens the authorization URL (the identity server answers at once for the tenants
 * in `grant`), follows its redirect to syncline's callback, and returns the callback's answer.
 */
export async function authorizeInBrowser(authorizationUrl: URL, grant: string[] | "*" | "deny") {
  const url = new URL(authorizationUrl);
  if (grant === "deny") url.searchParams.set("sandbox_deny", "1");
  else url.searchParams.set("sandbox_grant", grant === "*" ? "*" : grant.join(","));
  const atIdentity = await fetch(url, { redirect: "manual" });
  expect(atIdentity.status).toBe(302);
  const callbackUrl = new URL(atIdentity.headers.get("location")!);
  const callback = await fetch(callbackUrl, { redirect: "manual" });
  return { callbackUrl, callback, location: callback.headers.get("location") };
}

/** The query of the host's return URL the callback redirected to. */
export function returned(location: string | null): Record<string, string> {
  expect(location).not.toBeNull();
  const url = new URL(location!);
  expect(`${url.origin}${url.pathname}`).toBe(RETURN_URL);
  return Object.fromEntries(url.searchParams);
}

/**
 * Connects (or, with `integrationId`, connects again) an organisation through the whole flow and, for a
 * new connection, waits for its initial sync: the integration's database id and global id.
 */
export async function connectThroughFlow(
  h: ConnectionsHarness,
  tenant: TestTenant,
  input: { platform: PlatformKey; remoteTenantId: string; integrationId?: string },
) {
  const { authorizationUrl } = await startConnection(h, tenant, {
    platform: input.platform,
    ...(input.integrationId ? { integrationId: input.integrationId } : {}),
  });
  const back = returned((await authorizeInBrowser(authorizationUrl, [input.remoteTenantId])).location);
  expect(back.status).toBe("connected");
  const globalId = back.integration!;
  const id = parseGlobalId(globalId, "Integration", ["integration"]);
  if (!input.integrationId) {
    await until(
      "the initial sync",
      async () =>
        (await h.t.app.db.prisma.syncRun.findFirst({ where: { integrationId: id, kind: "INITIAL" } }))
          ?.status === "SUCCEEDED",
      30_000,
    );
  }
  return { id, globalId };
}
