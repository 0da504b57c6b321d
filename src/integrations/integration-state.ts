import type { SqlPool } from "../db/client.ts";
import { type ModelColumns, selectList } from "../db/rows.ts";
import { inTransaction } from "../db/transaction.ts";
import { sourcesOf, type TransitionTable } from "../engine/transitions.ts";
import type { DomainEvent } from "../events.ts";
import type { Integration, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type {
  AuthorizationProblem,
  ExportReserveMode,
  IntegrationStatus,
} from "../generated/prisma/enums.ts";
import { redactText } from "../redact.ts";
import { integrationStatusChanged, recordHostEvents } from "../webhooks/host-events.ts";

/**
 * An integration's status, and the only code that writes it. Every move is a guarded UPDATE that
 * follows this table, and returns the events it causes for the caller to publish after commit.
 */
export const INTEGRATION_TRANSITIONS: TransitionTable<IntegrationStatus> = {
  /** Connected, its initial sync not yet done. */
  PENDING: ["SYNCING", "CONNECTED", "PAUSED", "DISCONNECTED", "NEEDS_AUTHORIZATION"],
  CONNECTED: ["SYNCING", "PAUSED", "DISCONNECTED", "NEEDS_AUTHORIZATION"],
  SYNCING: ["CONNECTED", "PAUSED", "DISCONNECTED", "NEEDS_AUTHORIZATION"],
  /** Resumed: CONNECTED, or PENDING when its initial sync never finished. */
  PAUSED: ["CONNECTED", "PENDING", "DISCONNECTED"],
  ERROR: ["PENDING", "SYNCING", "CONNECTED", "PAUSED", "DISCONNECTED", "NEEDS_AUTHORIZATION"],
  /**
   * Authorized again (CONNECTED, or PENDING when its initial sync never finished): its waiting work
   * resumes where it stopped.
   */
  NEEDS_AUTHORIZATION: ["CONNECTED", "PENDING", "DISCONNECTED"],
  /** Reconnected with fresh credentials. */
  DISCONNECTED: ["PENDING"],
};

/**
 * Statuses that hold a connection (and so count towards the continuous limit when continuous). One
 * that needs authorization still holds its place: its work waits for it to be reconnected.
 */
export const HOLDS_CONNECTION: IntegrationStatus[] = [
  "PENDING",
  "CONNECTED",
  "SYNCING",
  "PAUSED",
  "ERROR",
  "NEEDS_AUTHORIZATION",
];

/**
 * Statuses in which the engine serves an integration's work. Paused, disconnected and needing
 * authorization are not: their runs, outbox items and packets wait untouched.
 */
export const SERVABLE: IntegrationStatus[] = ["PENDING", "CONNECTED", "SYNCING", "ERROR"];

const INTEGRATION_COLUMNS: ModelColumns<Integration> = {
  id: "plain",
  tenantId: "plain",
  platform: "enum",
  name: "plain",
  remoteTenantId: "plain",
  status: "enum",
  syncMode: "enum",
  credentialsEncrypted: "plain",
  summarizeData: "plain",
  rateLimitOverride: "plain",
  connectedAt: "timestamp",
  disconnectedAt: "timestamp",
  lastError: "plain",
  createdAt: "timestamp",
  updatedAt: "timestamp",
  accessTokenExpiresAt: "timestamp",
  authorizationProblem: "enum",
  credentialsVersion: "plain",
  tokenRefreshCount: "plain",
  tokenRefreshedAt: "timestamp",
  conflictPolicy: "enum",
  runTransitionCount: "plain",
  exportReserveMode: "enum",
};

/**
 * An integration as the engine serves it: its row, and beside it the one setting its export sessions
 * read at once, the platform layer's export reserve mode (its own is in the row; settings/effective.ts
 * resolves the two). Read together, a fleet's activations spend no statement on it.
 */
export type ServedIntegration = Integration & { platformExportReserveMode: ExportReserveMode | null };

const SERVABLE_READ = `SELECT ${selectList("i", INTEGRATION_COLUMNS)},
    p."exportReserveMode"::text AS "platformExportReserveMode"
  FROM "Integration" i
  LEFT JOIN "PlatformSettings" p ON p."tenantId" = i."tenantId" AND p.platform = i.platform
  WHERE i.id = $1::uuid AND i.status::text = ANY($2::text[])`;

/**
 * The integration if the engine may serve it now (SERVABLE), else null: read when an activation starts
 * and whenever work is announced for it, so one prepared statement (db/rows.ts).
 */
export async function servableIntegration(
  sql: SqlPool,
  integrationId: string,
): Promise<ServedIntegration | null> {
  const rows = await sql.query<ServedIntegration>(SERVABLE_READ, [integrationId, SERVABLE], {
    prepared: true,
  });
  return rows[0] ?? null;
}

type Db = Prisma.TransactionClient | PrismaClient;

function statusChanged(integration: Pick<Integration, "id" | "tenantId">): DomainEvent[] {
  return [
    { topic: "integrationStatusChanged", tenantId: integration.tenantId, integrationId: integration.id },
  ];
}

/**
 * Creates an integration (PENDING until its initial sync is done): the only way one comes to be. The
 * host is told (an `integration.status_changed` webhook), in the same transaction.
 */
export async function createIntegration(
  tx: Db,
  data: Omit<Prisma.IntegrationUncheckedCreateInput, "status">,
): Promise<{ integration: Integration; events: DomainEvent[] }> {
  return inTransaction(tx, async (db) => {
    const integration = await db.integration.create({ data: { ...data, status: "PENDING" } });
    await recordHostEvents(db, [integrationStatusChanged(integration)]);
    return { integration, events: statusChanged(integration) };
  });
}

/**
 * Moves an integration to `to` if its status allows (and is one of `from`, when given), setting
 * `data` with it. Returns the integration after the move, or null when it was not allowed. A move tells
 * the host (an `integration.status_changed` webhook), in the same transaction.
 */
export async function moveIntegration(
  db: Db,
  integration: Pick<Integration, "id" | "tenantId">,
  to: IntegrationStatus,
  data: Omit<Prisma.IntegrationUpdateManyMutationInput, "status"> = {},
  from?: readonly IntegrationStatus[],
  where: Prisma.IntegrationWhereInput = {},
): Promise<{ integration: Integration | null; events: DomainEvent[] }> {
  return inTransaction(db, async (tx) => {
    const [moved] = await tx.integration.updateManyAndReturn({
      where: { ...where, id: integration.id, status: { in: sourcesOf(INTEGRATION_TRANSITIONS, to, from) } },
      data: { ...data, status: to },
    });
    if (moved) await recordHostEvents(tx, [integrationStatusChanged(moved)]);
    return { integration: moved ?? null, events: moved ? statusChanged(moved) : [] };
  });
}

/** A run of the integration started: it is SYNCING (unless paused or disconnected meanwhile). */
export function markSyncing(db: Db, integration: Pick<Integration, "id" | "tenantId">) {
  return moveIntegration(db, integration, "SYNCING", {}, ["PENDING", "CONNECTED", "ERROR"]);
}

/** A push ended: its integration is no longer syncing. */
export function markSynced(db: Db, integration: Pick<Integration, "id" | "tenantId">) {
  return moveIntegration(db, integration, "CONNECTED", {}, ["SYNCING"]);
}

/**
 * The platform no longer accepts the integration's authorization: it waits, with all its work, until it
 * is authorized again. Only while its credentials are still those that failed (`credentialsVersion`), so
 * a reconnect that landed meanwhile is not undone.
 */
export function markNeedsAuthorization(
  db: Db,
  integration: Pick<Integration, "id" | "tenantId">,
  problem: AuthorizationProblem,
  message: string,
  credentialsVersion: number,
) {
  return moveIntegration(
    db,
    integration,
    "NEEDS_AUTHORIZATION",
    { authorizationProblem: problem, lastError: redactText(message) },
    undefined,
    { credentialsVersion },
  );
}

/**
 * Authorized again: back to CONNECTED, or to PENDING when its initial sync never finished, with its
 * waiting work resuming where it stopped.
 */
export async function markAuthorized(
  db: Db,
  integration: Pick<Integration, "id" | "tenantId">,
  data: Omit<Prisma.IntegrationUpdateManyMutationInput, "status"> = {},
) {
  const initialDone = await db.syncRun.count({
    where: { integrationId: integration.id, kind: "INITIAL", status: "SUCCEEDED" },
  });
  return moveIntegration(
    db,
    integration,
    initialDone > 0 ? "CONNECTED" : "PENDING",
    { ...data, authorizationProblem: null, lastError: null },
    ["NEEDS_AUTHORIZATION"],
  );
}
