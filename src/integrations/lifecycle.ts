import {
  ContinuousConnectionLimitError,
  InvalidStateError,
  NotFoundError,
  ValidationError,
} from "../errors.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { SyncMode } from "../generated/prisma/enums.ts";
import { PLATFORMS, type PlatformKey } from "../platforms/catalog.ts";
import { loadPlatformEffectiveSettings } from "../settings/load.ts";
import { moveIntegrationRuns } from "../sync/run-state.ts";
import { queueInitialRun } from "../sync/runs.ts";
import { createIntegration, HOLDS_CONNECTION, markAuthorized, moveIntegration } from "./integration-state.ts";

/**
 * Connecting, disconnecting, reconnecting, pausing and resuming integrations. Each function runs inside
 * the caller's transaction, so a failure (limit reached, bad state) leaves nothing written, and returns
 * the events its changes cause, to publish once that transaction has committed.
 */

type Tx = Prisma.TransactionClient;

/** Credentials as a connect or reconnect stores them: sealed, and when the access token expires (if it does). */
export interface SealedCredentials {
  credentialsEncrypted: string;
  accessTokenExpiresAt?: Date | null;
}

/** Finds an integration of the tenant, or throws NotFoundError (another tenant's id is "not found"). */
export async function findOwnIntegration(tx: Tx, tenantId: string, id: string, globalId: string) {
  const integration = await tx.integration.findFirst({ where: { id, tenantId } });
  if (!integration) throw new NotFoundError("Integration", globalId);
  return integration;
}

/**
 * Decides one-off or continuous from the effective settings and, for continuous, enforces the
 * platform's limit. A transaction-scoped advisory lock on (tenant, platform) serialises concurrent
 * connects, so two requests cannot both take the last slot.
 */
async function chooseSyncMode(
  tx: Tx,
  tenantId: string,
  platform: PlatformKey,
  excludeId?: string,
): Promise<SyncMode> {
  const settings = await loadPlatformEffectiveSettings(tx, tenantId, platform);
  if (settings.oneOffSync.value) return "ONE_OFF";
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`continuous:${tenantId}:${platform}`}))`;
  const current = await tx.integration.count({
    where: {
      tenantId,
      platform,
      syncMode: "CONTINUOUS",
      status: { in: HOLDS_CONNECTION },
      ...(excludeId ? { id: { not: excludeId } } : {}),
    },
  });
  const limit = PLATFORMS[platform].continuousConnectionLimit;
  if (current >= limit) throw new ContinuousConnectionLimitError(platform, limit, current);
  return "CONTINUOUS";
}

export async function connect(
  tx: Tx,
  viewer: { tenantId: string; memberId: string | null },
  input: { platform: PlatformKey; name: string; remoteTenantId: string } & SealedCredentials,
) {
  const duplicate = await tx.integration.findFirst({
    where: { tenantId: viewer.tenantId, platform: input.platform, remoteTenantId: input.remoteTenantId },
    select: { id: true },
  });
  if (duplicate) {
    throw ValidationError.at(
      ["input", "remoteTenantId"],
      "this remote organisation is already connected; use reconnectIntegration",
    );
  }
  const syncMode = await chooseSyncMode(tx, viewer.tenantId, input.platform);
  const created = await createIntegration(tx, {
    tenantId: viewer.tenantId,
    platform: input.platform,
    name: input.name,
    remoteTenantId: input.remoteTenantId,
    credentialsEncrypted: input.credentialsEncrypted,
    accessTokenExpiresAt: input.accessTokenExpiresAt ?? null,
    syncMode,
    connectedAt: new Date(),
  });
  const queued = await queueInitialRun(tx, created.integration, viewer.memberId);
  return { integration: created.integration, run: queued.run, events: [...created.events, ...queued.events] };
}

/** Statuses from which an integration can be connected again. */
export const RECONNECTABLE = ["DISCONNECTED", "ERROR", "NEEDS_AUTHORIZATION"] as const;

/**
 * Connects an integration again with fresh credentials. One that needs authorization resumes where it
 * stopped: its waiting runs, exports and packets go on, and no new run is queued. A disconnected (or
 * failed) one starts over with an initial sync.
 */
export async function reconnect(
  tx: Tx,
  viewer: { tenantId: string; memberId: string | null },
  target: { id: string; globalId: string },
  credentials: SealedCredentials,
) {
  const existing = await findOwnIntegration(tx, viewer.tenantId, target.id, target.globalId);
  if (!(RECONNECTABLE as readonly string[]).includes(existing.status)) {
    throw new InvalidStateError(
      `Only a DISCONNECTED, ERROR or NEEDS_AUTHORIZATION integration can be reconnected; this one is ${existing.status}`,
      existing.status,
    );
  }
  const stored = {
    credentialsEncrypted: credentials.credentialsEncrypted,
    accessTokenExpiresAt: credentials.accessTokenExpiresAt ?? null,
    credentialsVersion: { increment: 1 },
    connectedAt: new Date(),
  };
  if (existing.status === "NEEDS_AUTHORIZATION") {
    const moved = await markAuthorized(tx, existing, stored);
    return { integration: moved.integration ?? existing, run: null, events: moved.events };
  }
  const syncMode = await chooseSyncMode(tx, viewer.tenantId, existing.platform, existing.id);
  const moved = await moveIntegration(tx, existing, "PENDING", { ...stored, syncMode, lastError: null });
  const integration = moved.integration ?? existing;
  const queued = await queueInitialRun(tx, integration, viewer.memberId);
  return { integration, run: queued.run, events: [...moved.events, ...queued.events] };
}

export async function disconnect(tx: Tx, tenantId: string, target: { id: string; globalId: string }) {
  const existing = await findOwnIntegration(tx, tenantId, target.id, target.globalId);
  if (existing.status === "DISCONNECTED") return { integration: existing, changed: false, events: [] };
  // Work that has not started yet will never run for a disconnected integration.
  const cancelled = await moveIntegrationRuns(tx, existing.id, "CANCELLED", ["QUEUED", "DEFERRED"], {
    finishedAt: new Date(),
    error: "Integration disconnected",
  });
  const moved = await moveIntegration(tx, existing, "DISCONNECTED", { disconnectedAt: new Date() });
  return {
    integration: moved.integration ?? existing,
    changed: moved.integration !== null,
    events: [...cancelled, ...moved.events],
  };
}

export async function pause(tx: Tx, tenantId: string, target: { id: string; globalId: string }) {
  const existing = await findOwnIntegration(tx, tenantId, target.id, target.globalId);
  if (existing.status === "PAUSED") return { integration: existing, changed: false, events: [] };
  if (existing.status === "DISCONNECTED" || existing.status === "NEEDS_AUTHORIZATION") {
    throw new InvalidStateError(
      existing.status === "DISCONNECTED"
        ? "A disconnected integration cannot be paused"
        : "An integration that needs authorization cannot be paused; connect it again first",
      existing.status,
    );
  }
  const moved = await moveIntegration(tx, existing, "PAUSED");
  return {
    integration: moved.integration ?? existing,
    changed: moved.integration !== null,
    events: moved.events,
  };
}

export async function resume(tx: Tx, tenantId: string, target: { id: string; globalId: string }) {
  const existing = await findOwnIntegration(tx, tenantId, target.id, target.globalId);
  if (existing.status !== "PAUSED") {
    throw new InvalidStateError(
      `Only a PAUSED integration can be resumed; this one is ${existing.status}`,
      existing.status,
    );
  }
  // An integration that never finished its initial sync goes back to waiting for it.
  const initialDone = await tx.syncRun.count({
    where: { integrationId: existing.id, kind: "INITIAL", status: "SUCCEEDED" },
  });
  const moved = await moveIntegration(tx, existing, initialDone > 0 ? "CONNECTED" : "PENDING");
  return {
    integration: moved.integration ?? existing,
    changed: moved.integration !== null,
    events: moved.events,
  };
}
