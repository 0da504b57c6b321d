import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../config.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { logger } from "../logger.ts";
import { deleteConnection, revokeToken } from "../platforms/xero-oauth.ts";
import type { RedisKeys } from "../redis/keys.ts";
import { moveFlow } from "./flow-state.ts";
import { identityFor } from "./identity.ts";
import type { RefreshLock } from "./refresh-lock.ts";
import { openCredentials, type StoredCredentials } from "./token-set.ts";

/**
 * Giving authorizations back. A DISCONNECTED integration (a user's disconnect, or a one-off integration's
 * after its initial sync) that still holds credentials has them revoked at the platform (its
 * organisation's connection removed, then the refresh token revoked, which ends the grant) and only then
 * forgotten locally, so a re-sync needs a new authorization. The same goes for the token set of a flow
 * whose organisation was never chosen. The disconnect command releases at once; the scheduler's sweep
 * retries whatever the platform could not take then.
 */

const log = logger.child({ component: "credentials-release" });

/** Real ms a release waits for a refresh in flight (which holds the same lock) to finish. */
const LOCK_WAIT_POLL_MS = 20;
/** Releases one sweep attempts at most. */
const SWEEP_BATCH = 50;

export type ReleaseResult = "released" | "nothing to release" | "platform unavailable";

export class CredentialsRelease {
  private sweeping = false;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      config: Pick<Config, "encryptionKey" | "oauth" | "time" | "engine">;
      lock: RefreshLock;
      keys: RedisKeys;
      /** Called once an integration's credentials are forgotten (a process's remembered token goes too). */
      forgotten(integrationId: string): void;
    },
  ) {}

  /** Revokes and forgets the credentials of a DISCONNECTED integration. */
  async releaseIntegration(integrationId: string): Promise<ReleaseResult> {
    const key = this.deps.keys.credentialsLock(integrationId);
    const deadline = Date.now() + this.deps.lock.ttlMs;
    // No refresh may rotate the token set while it is being revoked.
    let held = await this.deps.lock.tryAcquire(key);
    while (!held && Date.now() < deadline) {
      await sleep(LOCK_WAIT_POLL_MS);
      held = await this.deps.lock.tryAcquire(key);
    }
    if (!held) return "platform unavailable";
    try {
      const row = await this.deps.prisma.integration.findUnique({ where: { id: integrationId } });
      if (row?.status !== "DISCONNECTED" || !row.credentialsEncrypted) return "nothing to release";
      const credentials = openCredentials(this.deps.config.encryptionKey, row.credentialsEncrypted);
      if (credentials) {
        const revoked = await this.revoke(row.platform, credentials, row.accessTokenExpiresAt);
        if (!revoked) return "platform unavailable";
      }
      const forgotten = await this.deps.prisma.integration.updateMany({
        where: { id: row.id, status: "DISCONNECTED", credentialsVersion: row.credentialsVersion },
        data: { credentialsEncrypted: "", accessTokenExpiresAt: null, credentialsVersion: { increment: 1 } },
      });
      this.deps.forgotten(row.id);
      if (forgotten.count > 0)
        log.info({ integrationId: row.id, platform: row.platform }, "credentials released");
      return "released";
    } finally {
      await held.release();
    }
  }

  /**
   * The scheduler's sweep: releases what a disconnect or a one-off sync left holding credentials, and the
   * token sets of flows whose organisation was never chosen in time. Never throws.
   */
  async releaseDue(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const { prisma } = this.deps;
      const integrations = await prisma.integration.findMany({
        where: { status: "DISCONNECTED", credentialsEncrypted: { not: "" } },
        select: { id: true },
        take: SWEEP_BATCH,
      });
      for (const { id } of integrations) await this.releaseIntegration(id);
      const flows = await prisma.connectionFlow.findMany({
        where: { status: "CHOOSING_ORGANISATION", expiresAt: { lte: new Date() } },
        take: SWEEP_BATCH,
      });
      for (const flow of flows) {
        const credentials = flow.tokenSetEncrypted
          ? openCredentials(this.deps.config.encryptionKey, flow.tokenSetEncrypted)
          : null;
        if (credentials && !(await this.revoke(flow.platform, credentials, null))) continue;
        await moveFlow(prisma, flow.id, "FAILED", {
          tokenSetEncrypted: null,
          error: "No organisation was chosen in time; the authorization was revoked",
        });
      }
    } catch (err) {
      log.warn({ err }, "credentials sweep failed; the next one retries");
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * Revokes a token set at its platform: removes the organisation's connection (while the access token
   * still works), then revokes the refresh token. API keys have nothing to revoke here. False when the
   * platform could not be reached (nothing is forgotten then, so a later sweep tries again).
   */
  async revoke(
    platform: Parameters<typeof identityFor>[1],
    credentials: StoredCredentials,
    accessTokenExpiresAt: Date | null,
  ): Promise<boolean> {
    const identity = identityFor(this.deps.config, platform);
    if (!identity) return true;
    const accessLive = accessTokenExpiresAt === null || accessTokenExpiresAt.getTime() > Date.now();
    if (credentials.connectionId && accessLive) {
      const removed = await deleteConnection(identity, credentials.accessToken, credentials.connectionId);
      if (removed.kind === "unavailable") return false;
    }
    if (credentials.refreshToken) {
      const revoked = await revokeToken(identity, credentials.refreshToken);
      if (revoked.kind === "unavailable") {
        log.warn({ platform, reason: revoked.message }, "revocation failed; retrying later");
        return false;
      }
    }
    return true;
  }
}
