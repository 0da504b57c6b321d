import type { Lane } from "../engine/lanes.ts";
import { InvalidStateError, NotFoundError, ValidationError } from "../errors.ts";
import type { DomainEvent } from "../events.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { SyncKind } from "../generated/prisma/enums.ts";
import { PLATFORMS } from "../platforms/catalog.ts";
import { ACTIVE_RUN_STATUSES, createRun, moveRun } from "./run-state.ts";

type Tx = Prisma.TransactionClient;

/** The lane a run of a kind travels in. A forced sync travels in the lane of the work it repeats. */
export function laneForKind(kind: SyncKind): Lane {
  switch (kind) {
    case "INITIAL":
      return "INITIAL";
    case "DAILY":
    case "NIGHTLY":
    case "FORCE":
      return "DAILY";
    case "FREQUENT":
      return "FREQUENT";
    case "EXPORT":
    case "PUSH":
      return "EXPORT";
  }
}

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
): Promise<QueuedRun> {
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
): Promise<QueuedRun> {
  if (!PLATFORMS[integration.platform].syncKinds.includes("PUSH")) {
    throw new InvalidStateError(
      `Accounting pushes go to accounting integrations; this one is ${PLATFORMS[integration.platform].name}`,
      integration.platform,
    );
  }
  return queueRunOnce(tx, integration, "PUSH", { trigger: "USER", requestedById: trigger.requestedById });
}

type RunTarget = { id: string; tenantId: string; platform: keyof typeof PLATFORMS; status: string };

/** The run queued (or found already queued), and the events queueing it caused. */
export interface QueuedRun {
  run: { id: string; integrationId: string };
  created: boolean;
  events: DomainEvent[];
}

async function queueRunOnce(
  tx: Tx,
  integration: RunTarget,
  kind: SyncKind,
  trigger: { trigger: "USER" | "SCHEDULE" | "CONNECT"; requestedById?: string | null },
): Promise<QueuedRun> {
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
    select: { id: true, integrationId: true },
  });
  if (existing) return { run: existing, created: false, events: [] };
  const { run, events } = await createRun(tx, {
    tenantId: integration.tenantId,
    integrationId: integration.id,
    kind,
    lane: laneForKind(kind),
    trigger: trigger.trigger,
    requestedById: trigger.requestedById ?? null,
  });
  return { run, created: true, events };
}

/** Queues the initial (opening balances) run that every connect and reconnect starts with. */
export async function queueInitialRun(
  tx: Tx,
  integration: { id: string; tenantId: string },
  memberId: string | null,
): Promise<QueuedRun> {
  const { run, events } = await createRun(tx, {
    tenantId: integration.tenantId,
    integrationId: integration.id,
    kind: "INITIAL",
    trigger: "CONNECT",
    lane: laneForKind("INITIAL"),
    requestedById: memberId,
  });
  return { run, created: true, events };
}

/**
 * Cancels a queued, deferred or running run of the tenant (a page already in flight finishes; no further
 * page is fetched). Throws NotFoundError for another tenant's run, InvalidStateError for a finished one.
 */
export async function cancelRun(
  tx: Tx,
  tenantId: string,
  target: { id: string; globalId: string },
): Promise<{ run: { id: string; integrationId: string }; events: DomainEvent[] }> {
  const run = await tx.syncRun.findFirst({
    where: { id: target.id, tenantId },
    select: { id: true, integrationId: true, status: true },
  });
  if (!run) throw new NotFoundError("SyncRun", target.globalId);
  const moved = await moveRun(
    tx,
    run,
    "CANCELLED",
    { finishedAt: new Date(), error: "Cancelled by a user" },
    [...ACTIVE_RUN_STATUSES],
  ).catch(() => ({ changed: false, events: [] }));
  if (!moved.changed) throw new InvalidStateError(`A ${run.status} run cannot be cancelled`, run.status);
  return { run, events: moved.events };
}
