import { createHash, randomBytes } from "node:crypto";
import { decryptSecret, encryptSecret } from "../auth/secrets.ts";
import type { Config } from "../config.ts";
import { InvalidStateError, NotFoundError, ValidationError } from "../errors.ts";
import type { DomainEvent } from "../events.ts";
import type { ConnectionFlow, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { connect, findOwnIntegration, RECONNECTABLE, reconnect } from "../integrations/lifecycle.ts";
import type { PlatformKey } from "../platforms/catalog.ts";
import {
  authEventIdOf,
  authorizationUrl,
  exchangeCode,
  listConnections,
  type TokenSet,
  XERO_OAUTH_PLATFORMS,
} from "../platforms/xero-oauth.ts";
import { redactText } from "../redact.ts";
import { consumeState, createFlow, moveFlow } from "./flow-state.ts";
import { authorizesWithOAuth, identityFor, platformName } from "./identity.ts";
import { openCredentials, sealCredentials } from "./token-set.ts";

/**
 * The connect flow (OAuth 2.0 authorization code with PKCE). A flow starts with a fresh state and code
 * verifier: the state travels to the platform and back (only its hash is stored), the verifier never
 * leaves the server (stored encrypted). The platform's callback uses the state up (once, before it
 * expires), exchanges the code with the verifier, and lists the organisations the authorization granted:
 * one completes the integration at once, several wait for the client to choose. Reconnecting an
 * integration goes the same way and resumes its waiting work.
 */

type Tx = Prisma.TransactionClient;

/** An organisation an authorization granted. */
export interface GrantedOrganisation {
  remoteTenantId: string;
  /** Its name at the platform, when the platform gives one. */
  name: string | null;
  /** The platform's id of its connection (removed again on disconnect). */
  connectionId: string;
}

/** sha256 of a state, as stored: the state itself is only ever in the user's browser and the platform's. */
export function hashState(state: string): string {
  return createHash("sha256").update(state).digest("hex");
}

/** Whether `url` lies under one of the configured return URLs (same origin, path inside). */
export function isAllowedReturnUrl(config: Pick<Config, "oauth">, url: string): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  return config.oauth.returnUrls.some((entry) => {
    const allowed = new URL(entry);
    if (allowed.origin !== target.origin) return false;
    const base = allowed.pathname.endsWith("/") ? allowed.pathname : `${allowed.pathname}/`;
    return target.pathname === allowed.pathname || target.pathname.startsWith(base);
  });
}

/**
 * Starts a flow for a new connection to `platform`, or for reconnecting `integration`, and returns the
 * platform's authorization URL for the user's browser.
 */
export async function startFlow(
  tx: Tx,
  config: Config,
  actor: { tenantId: string; memberId: string },
  input: {
    platform: PlatformKey;
    name: string | null;
    integration: { id: string; globalId: string } | null;
    returnUrl: string | null;
    redirectUri: string;
  },
): Promise<{ flow: ConnectionFlow; authorizationUrl: string }> {
  let platform = input.platform;
  let name = input.name ?? "";
  if (input.integration) {
    const existing = await findOwnIntegration(
      tx,
      actor.tenantId,
      input.integration.id,
      input.integration.globalId,
    );
    if (!(RECONNECTABLE as readonly string[]).includes(existing.status)) {
      throw new InvalidStateError(
        `Only a DISCONNECTED, ERROR or NEEDS_AUTHORIZATION integration can be connected again; this one is ${existing.status}`,
        existing.status,
      );
    }
    if (existing.platform !== platform) {
      throw ValidationError.at(["input", "platform"], `the integration is on ${existing.platform}`);
    }
    platform = existing.platform;
    name = existing.name;
  }
  if (!authorizesWithOAuth(platform)) {
    throw ValidationError.at(
      ["input", "platform"],
      `${platformName(platform)} connects with API keys, not an authorization page: use connectIntegration`,
    );
  }
  const identity = identityFor(config, platform);
  if (!identity) {
    throw ValidationError.at(
      ["input", "platform"],
      `syncline has no app configured for ${platformName(platform)} (client id and secret)`,
    );
  }
  if (input.returnUrl !== null && !isAllowedReturnUrl(config, input.returnUrl)) {
    throw ValidationError.at(
      ["input", "returnUrl"],
      "is not one of the return URLs syncline is configured to allow",
    );
  }
  const state = randomBytes(32).toString("base64url");
  const codeVerifier = randomBytes(48).toString("base64url");
  const codeChallenge = createHash("sha256").update(codeVerifier).digest("base64url");
  const flow = await createFlow(tx, {
    tenantId: actor.tenantId,
    startedById: actor.memberId,
    platform,
    name,
    integrationId: input.integration?.id ?? null,
    stateHash: hashState(state),
    codeVerifierEncrypted: encryptSecret(config.encryptionKey, codeVerifier),
    returnUrl: input.returnUrl,
    expiresAt: new Date(Date.now() + config.oauth.stateTtlMs),
  });
  const url = authorizationUrl(identity.endpoints, identity.app, {
    platform,
    redirectUri: input.redirectUri,
    state,
    codeChallenge,
  });
  return { flow, authorizationUrl: url };
}

/** Why a callback's state was refused; nothing was changed. */
export type StateRefusal = "missing" | "unknown" | "used" | "expired";

/** Uses up the state a callback carries: its flow, or why the state is refused. */
export async function claimState(
  prisma: PrismaClient,
  state: string | null,
): Promise<{ flow: ConnectionFlow } | { refused: StateRefusal }> {
  if (!state) return { refused: "missing" };
  const stateHash = hashState(state);
  const flow = await consumeState(prisma, stateHash);
  if (flow) return { flow };
  const known = await prisma.connectionFlow.findUnique({
    where: { stateHash },
    select: { consumedAt: true, status: true },
  });
  if (!known) return { refused: "unknown" };
  return { refused: known.consumedAt || known.status !== "AUTHORIZING" ? "used" : "expired" };
}

/** What the platform granted: a token set and the organisations it reaches (of the platform's kind). */
export type Authorization =
  | { kind: "granted"; tokens: TokenSet; organisations: GrantedOrganisation[] }
  | { kind: "failed"; message: string; tokens?: TokenSet };

/** Exchanges the callback's code (with the flow's verifier) and lists what it granted. */
export async function authorize(
  config: Config,
  flow: ConnectionFlow,
  grant: { code: string; redirectUri: string },
): Promise<Authorization> {
  const identity = identityFor(config, flow.platform);
  if (!identity)
    return { kind: "failed", message: `syncline has no app configured for ${platformName(flow.platform)}` };
  const codeVerifier = decryptSecret(config.encryptionKey, flow.codeVerifierEncrypted);
  const exchanged = await exchangeCode(identity, { ...grant, codeVerifier });
  const name = platformName(flow.platform);
  if (exchanged.kind === "refused")
    return { kind: "failed", message: `${name} refused the authorization (${exchanged.error})` };
  if (exchanged.kind === "unavailable")
    return { kind: "failed", message: `${name} did not complete the authorization: ${exchanged.message}` };
  const { tokens } = exchanged;
  const listed = await listConnections(identity, tokens.accessToken, authEventIdOf(tokens.accessToken));
  if (listed.kind !== "ok") {
    return { kind: "failed", message: `${name} did not list the authorized organisations`, tokens };
  }
  const tenantType = XERO_OAUTH_PLATFORMS[flow.platform]?.tenantType;
  const organisations = listed.connections
    .filter((connection) => connection.tenantType === tenantType)
    .map((connection) => ({
      remoteTenantId: connection.tenantId,
      name: connection.tenantName,
      connectionId: connection.id,
    }));
  return { kind: "granted", tokens, organisations };
}

/** The organisation a granted authorization connects, or why none can be chosen by itself. */
export async function organisationFor(
  tx: Tx,
  flow: ConnectionFlow,
  organisations: GrantedOrganisation[],
): Promise<
  { kind: "one"; organisation: GrantedOrganisation } | { kind: "several" } | { kind: "none"; message: string }
> {
  const name = platformName(flow.platform);
  if (flow.integrationId) {
    const target = await tx.integration.findUnique({ where: { id: flow.integrationId } });
    const organisation = organisations.find((o) => o.remoteTenantId === target?.remoteTenantId);
    return organisation
      ? { kind: "one", organisation }
      : {
          kind: "none",
          message: `The authorization does not include the integration's organisation at ${name}`,
        };
  }
  if (organisations.length === 0)
    return { kind: "none", message: `The authorization granted no ${name} organisation` };
  return organisations.length === 1 ? { kind: "one", organisation: organisations[0]! } : { kind: "several" };
}

/** Leaves the flow waiting for the client to choose one of several organisations. */
export async function awaitChoice(
  tx: Tx,
  config: Pick<Config, "encryptionKey">,
  flow: ConnectionFlow,
  tokens: TokenSet,
  organisations: GrantedOrganisation[],
): Promise<ConnectionFlow | null> {
  return moveFlow(tx, flow.id, "CHOOSING_ORGANISATION", {
    organisations: organisations as unknown as Prisma.InputJsonValue,
    tokenSetEncrypted: sealCredentials(config.encryptionKey, storedTokens(tokens, null)),
  });
}

/**
 * Completes a flow with one organisation: connects a new integration (with its initial sync), or
 * reconnects the one being reconnected, or the tenant's integration of that organisation that waits for
 * it, so its work resumes. Throws a domain error (the limit on continuous connections, an organisation
 * already connected and working) and changes nothing then.
 */
export async function completeFlow(
  tx: Tx,
  config: Pick<Config, "encryptionKey">,
  flow: ConnectionFlow,
  organisation: GrantedOrganisation,
  tokens: TokenSet,
): Promise<{ integrationId: string; syncRunId: string | null; events: DomainEvent[] }> {
  const actor = { tenantId: flow.tenantId, memberId: flow.startedById };
  const sealed = {
    credentialsEncrypted: sealCredentials(
      config.encryptionKey,
      storedTokens(tokens, organisation.connectionId),
    ),
    accessTokenExpiresAt: tokens.expiresAt,
  };
  const existing = flow.integrationId
    ? await tx.integration.findFirst({ where: { id: flow.integrationId, tenantId: flow.tenantId } })
    : await tx.integration.findFirst({
        where: {
          tenantId: flow.tenantId,
          platform: flow.platform,
          remoteTenantId: organisation.remoteTenantId,
        },
      });
  if (flow.integrationId && !existing) throw new NotFoundError("Integration", flow.integrationId);
  if (!flow.integrationId && existing && !(RECONNECTABLE as readonly string[]).includes(existing.status)) {
    throw new InvalidStateError(
      `This organisation is already connected (its integration is ${existing.status}); disconnect it first to connect it again`,
      existing.status,
    );
  }
  const done = existing
    ? await reconnect(tx, actor, { id: existing.id, globalId: existing.id }, sealed)
    : await connect(tx, actor, {
        platform: flow.platform,
        name: flow.name || organisation.name || platformName(flow.platform),
        remoteTenantId: organisation.remoteTenantId,
        ...sealed,
      });
  const completed = await moveFlow(tx, flow.id, "COMPLETED", {
    integrationId: done.integration.id,
    tokenSetEncrypted: null,
  });
  if (!completed)
    throw new InvalidStateError("The connection was completed or failed meanwhile", flow.status);
  return { integrationId: done.integration.id, syncRunId: done.run?.id ?? null, events: done.events };
}

/** The client's choice among several organisations: the flow and the token set waiting for it. */
export async function chosenOrganisation(
  tx: Tx,
  config: Pick<Config, "encryptionKey">,
  tenantId: string,
  target: { id: string; globalId: string },
  remoteTenantId: string,
): Promise<{ flow: ConnectionFlow; organisation: GrantedOrganisation; tokens: TokenSet }> {
  const flow = await tx.connectionFlow.findFirst({ where: { id: target.id, tenantId } });
  if (!flow) throw new NotFoundError("ConnectionFlow", target.globalId);
  if (flow.status !== "CHOOSING_ORGANISATION") {
    throw new InvalidStateError(
      `This connection is ${flow.status}, not waiting for an organisation`,
      flow.status,
    );
  }
  const waiting = flow.tokenSetEncrypted
    ? openCredentials(config.encryptionKey, flow.tokenSetEncrypted)
    : null;
  if (flow.expiresAt.getTime() <= Date.now() || !waiting) {
    throw new InvalidStateError(
      "The time to choose an organisation has run out: start the connection again",
      "EXPIRED",
    );
  }
  const organisations = (flow.organisations ?? []) as unknown as GrantedOrganisation[];
  const organisation = organisations.find((o) => o.remoteTenantId === remoteTenantId);
  if (!organisation)
    throw ValidationError.at(["input", "remoteTenantId"], "is not one of the organisations authorized");
  const tokens: TokenSet = {
    accessToken: waiting.accessToken,
    refreshToken: waiting.refreshToken ?? null,
    expiresAt: waiting.expiresAt ? new Date(waiting.expiresAt) : null,
  };
  return { flow, organisation, tokens };
}

/** Ends a flow that came to nothing, with the reason (and forgets any token set it held). */
export function failFlow(db: Tx | PrismaClient, flow: Pick<ConnectionFlow, "id">, message: string) {
  return moveFlow(db, flow.id, "FAILED", { error: redactText(message), tokenSetEncrypted: null });
}

function storedTokens(tokens: TokenSet, connectionId: string | null) {
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: tokens.expiresAt?.toISOString() ?? null,
    connectionId,
  };
}
