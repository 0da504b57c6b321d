import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../config.ts";
import type { AccessToken, CallCredentials } from "../engine/credentials.ts";
import type { DomainEvent } from "../events.ts";
import type { Integration, PrismaClient } from "../generated/prisma/client.ts";
import type { AuthorizationProblem } from "../generated/prisma/enums.ts";
import { markNeedsAuthorization } from "../integrations/integration-state.ts";
import { logger } from "../logger.ts";
import { tokenRefreshes } from "../observability/metrics.ts";
import { type IdentityContext, listConnections, refreshTokens } from "../platforms/xero-oauth.ts";
import { redisKeys } from "../redis/keys.ts";
import { identityFor, platformName } from "./identity.ts";
import type { RefreshLock } from "./refresh-lock.ts";
import { openCredentials, type StoredCredentials, sealCredentials } from "./token-set.ts";

/**
 * The engine's credentials (CallCredentials): the token each provider call carries, refreshed before it
 * expires and after the platform refuses it, once per integration across every process.
 *
 * - The token set lives in one place, the integration's row, encrypted, with a version that every change
 *   moves. A process remembers the token it last read and uses it until it nears its expiry.
 * - A refresh happens under a Redis lock on the integration. The holder reads the row again first: a set
 *   another process stored meanwhile is used, not refreshed again. The new set is stored only over the
 *   version it refreshed (one UPDATE … WHERE credentialsVersion = v, so storing it retires the old one),
 *   before anyone uses it. Processes that find the lock taken wait for the row to move.
 * - An answer lost on the way (timeout, dropped connection, 5xx) is retried with the same refresh token:
 *   the platform accepts it again for a grace period (Xero: 30 minutes). Nothing is stored meanwhile,
 *   so a holder that dies leaves the same token for the next one to retry.
 * - `invalid_grant`, or a refusal that a fresh token does not cure, moves the integration to
 *   NEEDS_AUTHORIZATION (integration-state.ts) with the reason; its work waits there.
 * A refresh is not a platform API call: it takes nothing from the call budget, but is logged and counted
 * (tokenRefreshCount, tokenRefreshedAt on the integration).
 */

export interface CredentialsDeps {
  prisma: PrismaClient;
  /** The per-integration refresh lock (it outlives an identity call in flight). */
  lock: RefreshLock;
  config: Pick<Config, "encryptionKey" | "oauth" | "time" | "engine" | "redisPrefix">;
  publish(events: readonly DomainEvent[]): void;
}

/** A token this process read, for as long as it does not near its expiry. */
interface Remembered {
  token: string;
  expiresAt: number | null;
}

type CredentialsRow = Pick<
  Integration,
  | "id"
  | "tenantId"
  | "platform"
  | "remoteTenantId"
  | "status"
  | "credentialsEncrypted"
  | "credentialsVersion"
  | "accessTokenExpiresAt"
  | "lastError"
>;

const ROW = {
  id: true,
  tenantId: true,
  platform: true,
  remoteTenantId: true,
  status: true,
  credentialsEncrypted: true,
  credentialsVersion: true,
  accessTokenExpiresAt: true,
  lastError: true,
} as const;

/** Sends of one refresh token by one holder, when answers are lost, before it gives up for now. */
const REFRESH_ATTEMPTS = 3;
/** Real ms between two sends of the same refresh token after a lost answer (doubling). */
const RESEND_AFTER_MS = 200;
/** Real ms between two looks at the row while another process refreshes. */
const WAIT_POLL_MS = 20;

const log = logger.child({ component: "credentials" });

export class IntegrationCredentials implements CallCredentials {
  private readonly remembered = new Map<string, Remembered>();
  /** One resolution per integration at a time in this process; the others join it. */
  private readonly resolving = new Map<string, Promise<AccessToken>>();
  private readonly lock: RefreshLock;
  private readonly keys: ReturnType<typeof redisKeys>;

  constructor(private readonly deps: CredentialsDeps) {
    this.lock = deps.lock;
    this.keys = redisKeys(deps.config.redisPrefix);
  }

  accessTokenFor(integration: Pick<Integration, "id">): Promise<AccessToken> {
    const known = this.remembered.get(integration.id);
    if (known && !this.expiring(known.expiresAt))
      return Promise.resolve({ kind: "token", token: known.token });
    return this.resolve(integration.id, null);
  }

  onUnauthorized(integration: Pick<Integration, "id">, token: string): Promise<AccessToken> {
    if (this.remembered.get(integration.id)?.token === token) this.remembered.delete(integration.id);
    return this.resolve(integration.id, token);
  }

  /** Forgets what this process remembers of an integration's token (its credentials changed here). */
  forget(integrationId: string): void {
    this.remembered.delete(integrationId);
  }

  private resolve(integrationId: string, refused: string | null): Promise<AccessToken> {
    const running = this.resolving.get(integrationId);
    if (running) {
      // Joins the resolution in flight, unless it settles on the very token this caller saw refused.
      return running.then((result) =>
        result.kind === "token" && result.token === refused ? this.resolve(integrationId, refused) : result,
      );
    }
    const started = this.resolveNow(integrationId, refused).finally(() =>
      this.resolving.delete(integrationId),
    );
    this.resolving.set(integrationId, started);
    return started;
  }

  private async resolveNow(integrationId: string, refused: string | null): Promise<AccessToken> {
    const row = await this.read(integrationId);
    const usable = this.usable(row, refused);
    if (usable) return usable;
    const credentials = row && this.open(row);
    if (!row || !credentials || row.status === "NEEDS_AUTHORIZATION" || row.status === "DISCONNECTED")
      return lost(row);
    const identity = identityFor(this.deps.config, row.platform);
    if (!credentials.refreshToken || !identity) {
      // An API key, or a token that cannot be refreshed: used while it lasts, given up once refused.
      if (refused === null) return this.remember(row, credentials);
      return this.dropOut(
        row,
        "CREDENTIALS_REFUSED",
        `${platformName(row.platform)} refused the stored credentials`,
      );
    }
    if (refused === credentials.accessToken && credentials.issuedAfterRefusal) {
      // The platform refuses even the token issued in answer to its last refusal.
      return this.dropOut(row, ...(await this.refusal(row, credentials.accessToken, identity)));
    }
    return this.refreshOnce(row, refused, identity);
  }

  /** Refreshes under the integration's lock, or waits for the process that holds it. */
  private async refreshOnce(row: CredentialsRow, refused: string | null, identity: IdentityContext) {
    const key = this.keys.credentialsLock(row.id);
    const deadline = Date.now() + (REFRESH_ATTEMPTS + 1) * this.lock.ttlMs;
    let seen = row;
    for (;;) {
      const held = await this.lock.tryAcquire(key);
      if (held) {
        try {
          // Read again under the lock: another process may have refreshed it since.
          const current = await this.read(row.id);
          const usable = this.usable(current, refused);
          if (usable) return usable;
          const credentials = current && this.open(current);
          if (!current || !credentials?.refreshToken || current.status === "NEEDS_AUTHORIZATION")
            return lost(current);
          const refreshable = { ...credentials, refreshToken: credentials.refreshToken };
          return await this.refreshHeld(current, refreshable, refused, identity, held);
        } finally {
          await held.release();
        }
      }
      if (Date.now() > deadline) {
        return unavailable(this.lock.ttlMs, "another process's token refresh did not finish");
      }
      await sleep(WAIT_POLL_MS);
      const current = await this.read(row.id);
      if (current?.credentialsVersion !== seen.credentialsVersion) {
        const usable = this.usable(current, refused);
        if (usable) return usable;
        if (!current || current.status === "NEEDS_AUTHORIZATION" || !this.open(current)) return lost(current);
        seen = current;
      }
    }
  }

  /** The refresh itself, by the lock's holder: one token set in, its successor stored and out. */
  private async refreshHeld(
    row: CredentialsRow,
    credentials: StoredCredentials & { refreshToken: string },
    refused: string | null,
    identity: IdentityContext,
    held: { renew(): Promise<boolean> },
  ): Promise<AccessToken> {
    const name = platformName(row.platform);
    for (let attempt = 1; ; attempt++) {
      const answer = await refreshTokens(identity, credentials.refreshToken);
      if (answer.kind === "issued") {
        const { tokens } = answer;
        const next: StoredCredentials = {
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken ?? credentials.refreshToken,
          expiresAt: tokens.expiresAt?.toISOString() ?? null,
          connectionId: credentials.connectionId ?? null,
          issuedAfterRefusal: refused !== null,
        };
        // Stored over the set it refreshed, in one statement: the old set is retired as the new one lands.
        const stored = await this.deps.prisma.integration.updateMany({
          where: { id: row.id, credentialsVersion: row.credentialsVersion },
          data: {
            credentialsEncrypted: sealCredentials(this.deps.config.encryptionKey, next),
            credentialsVersion: { increment: 1 },
            accessTokenExpiresAt: tokens.expiresAt,
            tokenRefreshCount: { increment: 1 },
            tokenRefreshedAt: new Date(),
          },
        });
        const context = {
          integrationId: row.id,
          platform: row.platform,
          attempt,
          afterRefusal: refused !== null,
        };
        if (stored.count === 0) {
          // Only a holder that lost its lock gets here (it outlived the lock): the stored set wins.
          log.warn(context, "credentials changed during the refresh; using the stored ones");
          const current = await this.read(row.id);
          return this.usable(current, refused) ?? lost(current);
        }
        log.info({ ...context, version: row.credentialsVersion + 1 }, "access token refreshed");
        tokenRefreshes.inc({ platform: row.platform, outcome: "refreshed" });
        this.remembered.set(row.id, {
          token: next.accessToken,
          expiresAt: tokens.expiresAt?.getTime() ?? null,
        });
        return { kind: "token", token: next.accessToken };
      }
      if (answer.kind === "refused") {
        tokenRefreshes.inc({ platform: row.platform, outcome: "refused" });
        if (answer.error === "invalid_grant") {
          return this.dropOut(
            row,
            "REFRESH_REFUSED",
            `${name} refused to refresh the access token (invalid_grant): the connection must be authorized again`,
          );
        }
        // Our app's own problem (a wrong client secret, say): authorizing again would not help.
        log.error({ integrationId: row.id, error: answer.error }, "token refresh refused");
        return unavailable(this.lock.ttlMs, `${name} refused the token refresh (${answer.error})`);
      }
      tokenRefreshes.inc({ platform: row.platform, outcome: "failed" });
      log.warn(
        { integrationId: row.id, platform: row.platform, attempt, reason: answer.message },
        "token refresh got no answer; sending the same refresh token again",
      );
      if (attempt >= REFRESH_ATTEMPTS) return unavailable(this.lock.ttlMs, answer.message);
      await sleep(RESEND_AFTER_MS * 2 ** (attempt - 1));
      if (!(await held.renew())) return unavailable(0, "lost the refresh lock");
    }
  }

  /** Why the platform refuses a fresh token: the organisation's connection is gone, or the grant is. */
  private async refusal(
    row: CredentialsRow,
    token: string,
    identity: IdentityContext,
  ): Promise<[AuthorizationProblem, string]> {
    const name = platformName(row.platform);
    const listed = await listConnections(identity, token);
    if (listed.kind === "ok" && !listed.connections.some((c) => c.tenantId === row.remoteTenantId)) {
      return ["CONNECTION_REMOVED", `The organisation's connection to ${name} was removed: connect it again`];
    }
    return ["CREDENTIALS_REFUSED", `${name} refused a freshly refreshed access token: connect it again`];
  }

  /** Moves the integration to NEEDS_AUTHORIZATION (unless its credentials changed meanwhile). */
  private async dropOut(
    row: CredentialsRow,
    problem: AuthorizationProblem,
    message: string,
  ): Promise<AccessToken> {
    this.remembered.delete(row.id);
    const moved = await markNeedsAuthorization(
      this.deps.prisma,
      row,
      problem,
      message,
      row.credentialsVersion,
    );
    if (moved.integration) {
      log.warn({ integrationId: row.id, platform: row.platform, problem }, "integration needs authorization");
      this.deps.publish(moved.events);
      return { kind: "lost", message };
    }
    // Reconnected (or paused, or disconnected) meanwhile: whatever is stored now decides.
    const current = await this.read(row.id);
    return current && current.credentialsVersion !== row.credentialsVersion
      ? (this.usable(current, null) ?? lost(current))
      : { kind: "lost", message };
  }

  /** The stored token, when it can be used as it is: servable, not the one refused, not near its expiry. */
  private usable(row: CredentialsRow | null, refused: string | null): AccessToken | null {
    if (!row || row.status === "NEEDS_AUTHORIZATION" || row.status === "DISCONNECTED") return null;
    const credentials = this.open(row);
    if (!credentials || credentials.accessToken === refused) return null;
    if (this.expiring(row.accessTokenExpiresAt?.getTime() ?? null)) return null;
    return this.remember(row, credentials);
  }

  private remember(row: CredentialsRow, credentials: StoredCredentials): AccessToken {
    this.remembered.set(row.id, {
      token: credentials.accessToken,
      expiresAt: row.accessTokenExpiresAt?.getTime() ?? null,
    });
    return { kind: "token", token: credentials.accessToken };
  }

  /** Whether a token expiring at `expiresAt` has less than the configured margin left. */
  private expiring(expiresAt: number | null): boolean {
    if (expiresAt === null) return false;
    const margin = this.deps.config.time.secondsToMs(this.deps.config.oauth.refreshMarginSeconds);
    return expiresAt - Date.now() < margin;
  }

  private open(row: CredentialsRow): StoredCredentials | null {
    return openCredentials(this.deps.config.encryptionKey, row.credentialsEncrypted);
  }

  private read(integrationId: string): Promise<CredentialsRow | null> {
    return this.deps.prisma.integration.findUnique({ where: { id: integrationId }, select: ROW });
  }
}

function lost(row: Pick<Integration, "lastError"> | null): AccessToken {
  return { kind: "lost", message: row?.lastError ?? "The integration has no usable credentials" };
}

function unavailable(retryAfterMs: number, message: string): AccessToken {
  return { kind: "unavailable", retryAfterMs: Math.max(retryAfterMs, WAIT_POLL_MS), message };
}
