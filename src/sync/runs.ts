import { laneForKind } from "../engine/lanes.ts";
import { InvalidStateError, ValidationError } from "../errors.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { SyncKind } from "../generated/prisma/enums.ts";
import { PLATFORMS } from "../platforms/catalog.ts";

type Tx = Prisma.TransactionClient;

/** Run statuses in which a run still has work ahead of it. */
export const ACTIVE_RUN_STATUSES = ["QUEUED", "RUNNING", "DEFERRED"] as const;

/** The kinds a person or a schedule may start as a pull. */
const PULL_KINDS: SyncKind[] = ["INITIAL", "DAILY", "FREQUENT", "NIGHTLY", "FORCE"];

/**
 * Queues a pull run of `kind`, unless one of that kind is already queued or running: then that one is
 * returned (a second "Sync now" never doubles the work). Runs inside the caller's transaction; a
 * transaction-scoped advisory lock on (integration, kind) makes two simultaneous triggers agree.
 */
export async function queuePullRun(
  tx: Tx,
  integration: RunTarget,
  kind: SyncKind,
  trigger: { trigger: "USER" | "SCHEDULE" | "CONNECT"; requestedById?: string | null },
): Promise<{ run: { id: string }; created: boolean }> {
  if (
    !PULL_KINDS.includes(kind) ||
    !(kind === "FORCE" || PLATFORMS[integration.platform].syncKinds.includes(kind))
  ) {
    const allowed = PULL_KINDS.filter(
      (k) => k === "FORCE" || PLATFORMS[integration.platform].syncKinds.includes(k),
    );
    throw ValidationError.at(["input", "kind"], `${integration.platform} pulls by ${allowed.join(", ")}`);
  }
  return queueRunOnce(tx, integration, kind, trigger);
}

/**
 * Queues an accounting push (PUSH, in the EXPORT lane), unless one is queued or running already: then
 * that one is returned.
 */
export async function queuePushRun(
  tx: Tx,
  integration: RunTarget,
  trigger: { requestedById: string },
): Promise<{ run: { id: string }; created: boolean }> {
  if (!PLATFORMS[integration.platform].syncKinds.includes("PUSH")) {
    throw new InvalidStateError(
      `Accounting pushes go to accounting integrations; this one is ${PLATFORMS[integration.platform].name}`,
      integration.platform,
    );
  }
  return queueRunOnce(tx, integration, "PUSH", { trigger: "USER", requestedById: trigger.requestedById });
}

type RunTarget = { id: string; tenantId: string; platform: keyof typeof PLATFORMS; status: string };

async function queueRunOnce(
  tx: Tx,
  integration: RunTarget,
  kind: SyncKind,
  trigger: { trigger: "USER" | "SCHEDULE" | "CONNECT"; requestedById?: string | null },
): Promise<{ run: { id: string }; created: boolean }> {
  if (integration.status === "DISCONNECTED" || integration.status === "PAUSED") {
    throw new InvalidStateError(
      integration.status === "DISCONNECTED"
        ? "The integration is disconnected: reconnect it with fresh credentials first"
        : "The integration is paused: resume it first",
      integration.status,
    );
  }
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`run:${integration.id}:${kind}`}))`;
  const existing = await tx.syncRun.findFirst({
    where: { integrationId: integration.id, kind, status: { in: [...ACTIVE_RUN_STATUSES] } },
    orderBy: { queuedAt: "asc" },
    select: { id: true },
  });
  if (existing) return { run: existing, created: false };
  const run = await tx.syncRun.create({
    data: {
      tenantId: integration.tenantId,
      integrationId: integration.id,
      kind,
      lane: laneForKind(kind),
      trigger: trigger.trigger,
      requestedById: trigger.requestedById ?? null,
    },
    select: { id: true },
  });
  return { run, created: true };
}
