import { cancelSyncRun } from "../../commands/cancel-sync-run.ts";
import { triggerSync } from "../../commands/trigger-sync.ts";
import { prisma } from "../../db/client.ts";
import { NotFoundError } from "../../errors.ts";
import type { RunStatusTransition } from "../../events.ts";
import { type EntityProgress, entityProgress } from "../../sync/progress.ts";
import { runLogHead, runLogStart, runTransitionsAfter } from "../../sync/run-log.ts";
import { ACTIVE_RUN_STATUSES } from "../../sync/run-state.ts";
import { builder } from "../builder.ts";
import { commandDeps, viewerOf } from "../context.ts";
import { globalId, parseGlobalId, targetOf } from "../ids.ts";
import type { StreamEnd } from "../live/log.ts";
import type { StateTick } from "../live/state.ts";
import {
  liveLog,
  liveState,
  ownIntegrationId,
  startAfter,
  subscriptionSetup,
  transitionOf,
} from "../subscriptions.ts";
import {
  LaneEnum,
  LogLevelEnum,
  PacketStateEnum,
  SyncKindEnum,
  SyncRunStatusEnum,
  SyncTriggerEnum,
} from "./enums.ts";
import { LOOKUP_ERRORS, MUTATION_ERRORS } from "./errors.ts";

const EntityProgressRef = builder.objectRef<EntityProgress>("EntityProgress").implement({
  description: "Where a pull run stands with one entity, and what it did with its records so far.",
  fields: (t) => ({
    entity: t.exposeString("entity", { description: 'The entity key, e.g. "client".' }),
    state: t.exposeString("state", {
      description: "PENDING, PULLING, DONE, or FAILED (skipped after errors).",
    }),
    fetched: t.exposeInt("fetched", { description: "Records fetched." }),
    created: t.exposeInt("created", { description: "Records created locally." }),
    updated: t.exposeInt("updated", { description: "Records rewritten because they changed." }),
    unchanged: t.exposeInt("unchanged", { description: "Records seen unchanged (not rewritten)." }),
    deleted: t.exposeInt("deleted", { description: "Records marked deleted." }),
  }),
});

builder.prismaNode("SyncRun", {
  id: { field: "id" },
  description: "One run of one kind against one integration, with its counts, timings and log.",
  findUnique: (id, ctx) => ({ id, tenantId: viewerOf(ctx).tenantId }),
  fields: (t) => ({
    // Loaded by its own query for the rows returned, not joined into the parent's: a join would load it,
    // and everything selected below it, for the extra row a page reads to know whether more follow, so
    // nesting connections through it would double the work at every level.
    integration: t.prismaField({
      type: "Integration",
      description: "The integration.",
      select: { integrationId: true },
      resolve: (query, row) =>
        prisma().integration.findUniqueOrThrow({ ...query, where: { id: row.integrationId } }),
    }),
    kind: t.field({
      type: SyncKindEnum,
      description: "What the run does.",
      select: { kind: true },
      resolve: (r) => r.kind,
    }),
    trigger: t.field({
      type: SyncTriggerEnum,
      description: "Why it started.",
      select: { trigger: true },
      resolve: (r) => r.trigger,
    }),
    lane: t.field({
      type: LaneEnum,
      description: "The engine lane it runs in.",
      select: { lane: true },
      resolve: (r) => r.lane,
    }),
    status: t.field({
      type: SyncRunStatusEnum,
      description: "Where it is.",
      select: { status: true },
      resolve: (r) => r.status,
    }),
    requestedBy: t.relation("requestedBy", { nullable: true, description: "Who asked for it." }),
    fetchedCount: t.exposeInt("fetchedCount", { description: "Records fetched from the platform." }),
    createdCount: t.exposeInt("createdCount", { description: "Records created locally." }),
    updatedCount: t.exposeInt("updatedCount", { description: "Records updated locally." }),
    deletedCount: t.exposeInt("deletedCount", { description: "Records marked deleted." }),
    skippedCount: t.exposeInt("skippedCount", { description: "Records or packets skipped." }),
    sentCount: t.exposeInt("sentCount", { description: "Packets or items sent." }),
    failedCount: t.exposeInt("failedCount", { description: "Packets or items that failed." }),
    windowFrom: t.expose("windowFrom", {
      type: "DateTime",
      nullable: true,
      description: "Start of the data window.",
    }),
    windowTo: t.expose("windowTo", {
      type: "DateTime",
      nullable: true,
      description: "End of the data window.",
    }),
    queuedAt: t.expose("queuedAt", { type: "DateTime", description: "When queued." }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true, description: "When it started." }),
    finishedAt: t.expose("finishedAt", {
      type: "DateTime",
      nullable: true,
      description: "When it finished.",
    }),
    deferredUntil: t.expose("deferredUntil", {
      type: "DateTime",
      nullable: true,
      description: "Deferred until this time (the platform's day budget).",
    }),
    error: t.exposeString("error", { nullable: true, description: "Error summary for FAILED or PARTIAL." }),
    entities: t.field({
      type: [EntityProgressRef],
      description: "A pull run's entities in pull order, each with its state and counts (empty for pushes).",
      select: { id: true, cursor: true },
      resolve: (run) => entityProgress(run),
    }),
    packets: t.relatedConnection("packets", {
      description: "Packets sent in this run, in order.",
      cursor: "id",
      totalCount: true,
      query: { orderBy: [{ sequence: "asc" }] },
    }),
    logs: t.relatedConnection("logs", {
      description: "Log lines, in order.",
      cursor: "id",
      totalCount: true,
      query: { orderBy: [{ sequence: "asc" }] },
    }),
  }),
});

builder.prismaNode("SyncPacket", {
  id: { field: "id" },
  description: "One unit sent to a platform inside a run, with its own state.",
  findUnique: (id, ctx) => ({ id, run: { tenantId: viewerOf(ctx).tenantId } }),
  fields: (t) => ({
    sequence: t.exposeInt("sequence", { description: "Order inside the run." }),
    state: t.field({
      type: PacketStateEnum,
      description: "Where it is.",
      select: { state: true },
      resolve: (p) => p.state,
    }),
    attempts: t.exposeInt("attempts", { description: "Send attempts so far." }),
    label: t.exposeString("label", { description: 'What it summarises (e.g. "2026-11-20 / CARD").' }),
    totalAmount: t.field({
      type: "Decimal",
      description: 'Total amount, exact, with its two decimals ("125.00").',
      select: { totalAmount: true },
      resolve: (p) => p.totalAmount.toFixed(2),
    }),
    idempotencyKey: t.exposeString("idempotencyKey", {
      description: "Sent as Idempotency-Key, derived from the content, so a resend never duplicates.",
    }),
    remoteId: t.exposeString("remoteId", { nullable: true, description: "Id the platform gave the object." }),
    errorCode: t.exposeString("errorCode", { nullable: true, description: "Machine-readable error code." }),
    errorMessage: t.exposeString("errorMessage", { nullable: true, description: "Human-readable error." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When its state last changed." }),
  }),
});

builder.prismaNode("SyncLog", {
  id: { field: "id" },
  description: "One line of what a run did.",
  findUnique: (id, ctx) => ({ id, run: { tenantId: viewerOf(ctx).tenantId } }),
  fields: (t) => ({
    sequence: t.exposeInt("sequence", { description: "Order inside the run." }),
    level: t.field({
      type: LogLevelEnum,
      description: "Severity.",
      select: { level: true },
      resolve: (l) => l.level,
    }),
    entity: t.exposeString("entity", { nullable: true, description: "The entity concerned." }),
    message: t.exposeString("message", { description: "What happened." }),
    data: t.expose("data", { type: "JSON", nullable: true, description: "Structured detail." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When written." }),
  }),
});

builder.queryField("syncRun", (t) =>
  t.prismaField({
    type: "SyncRun",
    description: "One of your tenant's sync runs by its id.",
    errors: { types: LOOKUP_ERRORS, directResult: true },
    args: { id: t.arg.id({ description: "The run's global id." }) },
    resolve: async (query, _root, args, ctx) => {
      const id = parseGlobalId(String(args.id), "SyncRun", ["id"]);
      const run = await prisma().syncRun.findFirst({
        ...query,
        where: { id, tenantId: viewerOf(ctx).tenantId },
      });
      if (!run) throw new NotFoundError("SyncRun", String(args.id));
      return run;
    },
  }),
);

/** A run as a state stream shows it: read once per change on this node for each selection asked. */
function runState(query: object, tick: StateTick) {
  return tick.read(query, () => prisma().syncRun.findUniqueOrThrow({ ...query, where: { id: tick.id } }));
}

builder.subscriptionField("syncRunUpdated", (t) =>
  t.prismaField({
    type: "SyncRun",
    description:
      "Streams a sync run: first as it is now, then each time its status, counts or cursor change (progress a few times a second at most, its final state always), until you unsubscribe. A state stream: a subscriber that falls behind gets the latest state, never a backlog; for every status change in order, see syncRunStatusChanged.",
    args: { id: t.arg.id({ description: "The run's global id." }) },
    subscribe: (_root, args, ctx) =>
      subscriptionSetup(async () => {
        const id = parseGlobalId(String(args.id), "SyncRun", ["id"]);
        const run = await prisma().syncRun.findFirst({
          where: { id, tenantId: viewerOf(ctx).tenantId },
          select: { id: true },
        });
        if (!run) throw new NotFoundError("SyncRun", String(args.id));
        return liveState(ctx, {
          topic: "syncRunUpdated",
          channel: id,
          cell: "run",
          idOf: () => id,
          initial: () => [id],
        });
      }),
    resolve: (query, tick: StateTick) => runState(query, tick),
  }),
);

// --- Starting and cancelling runs -----------------------------------------------------------------

const TriggerSyncInput = builder.inputType("TriggerSyncInput", {
  description: "A sync to start now.",
  fields: (t) => ({
    integrationId: t.id({ description: "The integration's global id." }),
    kind: t.field({
      type: SyncKindEnum,
      description: "What to pull: FORCE (everything enabled), or one of the platform's kinds (e.g. DAILY).",
    }),
  }),
});

const TriggerSyncPayload = builder
  .objectRef<{ runId: string; alreadyQueued: boolean }>("TriggerSyncPayload")
  .implement({
    description: "The result of triggerSync.",
    fields: (t) => ({
      syncRun: t.prismaField({
        type: "SyncRun",
        description: "The queued run; follow it with syncRunUpdated, check it afterwards in its logs.",
        resolve: (query, payload) =>
          prisma().syncRun.findUniqueOrThrow({ ...query, where: { id: payload.runId } }),
      }),
      alreadyQueued: t.exposeBoolean("alreadyQueued", {
        description: "True when a run of this kind was already queued or running: that run is returned.",
      }),
    }),
  });

builder.mutationField("triggerSync", (t) =>
  t.field({
    type: TriggerSyncPayload,
    description:
      'Starts a sync now ("Sync now"; OWNER or ADMIN). Returns the queued run at once; it runs in the background in its kind\'s lane, ahead of queued lower lanes. A second trigger while one of the same kind is queued or running returns that run.',
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { input: t.arg({ type: TriggerSyncInput, description: "The integration and kind." }) },
    resolve: (_root, { input }, ctx) =>
      triggerSync(commandDeps(ctx), viewerOf(ctx), {
        integration: targetOf(input.integrationId, "Integration", ["input", "integrationId"]),
        kind: input.kind,
      }),
  }),
);

const CancelSyncRunPayload = builder.objectRef<{ runId: string }>("CancelSyncRunPayload").implement({
  description: "The result of cancelSyncRun.",
  fields: (t) => ({
    syncRun: t.prismaField({
      type: "SyncRun",
      description: "The run, now CANCELLED.",
      resolve: (query, payload) =>
        prisma().syncRun.findUniqueOrThrow({ ...query, where: { id: payload.runId } }),
    }),
  }),
});

builder.mutationField("cancelSyncRun", (t) =>
  t.field({
    type: CancelSyncRunPayload,
    description:
      "Cancels a queued, deferred or running sync run (OWNER or ADMIN). A page already in flight finishes; no further page is fetched.",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { id: t.arg.id({ description: "The run's global id." }) },
    resolve: (_root, args, ctx) =>
      cancelSyncRun(commandDeps(ctx), viewerOf(ctx), targetOf(args.id, "SyncRun", ["id"])),
  }),
);

builder.subscriptionField("integrationSyncRuns", (t) =>
  t.prismaField({
    type: "SyncRun",
    description:
      "Streams the sync runs of an integration: first those queued, running or deferred now (oldest first), then each run as it is queued, progresses (status, counts) and ends; its logs field gives the lines written so far. A state stream: a subscriber that falls behind gets each run's latest state, never a backlog; for every status change in order, see syncRunStatusChanged.",
    args: { integrationId: t.arg.id({ description: "The integration's global id." }) },
    subscribe: (_root, args, ctx) =>
      subscriptionSetup(async () => {
        const integrationId = await ownIntegrationId(ctx, String(args.integrationId));
        return liveState(ctx, {
          topic: "integrationSyncRuns",
          channel: integrationId,
          cell: "run",
          idOf: (event) => event.runId,
          initial: async () => {
            const active = await prisma().syncRun.findMany({
              where: { integrationId, status: { in: [...ACTIVE_RUN_STATUSES] } },
              orderBy: [{ queuedAt: "asc" }, { id: "asc" }],
              select: { id: true },
            });
            return active.map((run) => run.id);
          },
        });
      }),
    resolve: (query, tick: StateTick) => runState(query, tick),
  }),
);

const SyncRunStatusChangeRef = builder.objectRef<RunStatusTransition>("SyncRunStatusChange").implement({
  description: "One sync run moving from one status to the next, numbered in its integration's log.",
  fields: (t) => ({
    eventSequence: t.exposeInt("eventSequence", {
      description:
        "Its place in the integration's log of run status changes: 1, 2, 3, … without gaps. Pass the last one you saw as afterSequence to resume.",
    }),
    runId: t.id({
      description: "The run's global id.",
      resolve: (change) => globalId("SyncRun", change.runId),
    }),
    kind: t.field({
      type: SyncKindEnum,
      description: "What the run does.",
      resolve: (change) => change.kind,
    }),
    from: t.field({
      type: SyncRunStatusEnum,
      nullable: true,
      description: "The status it left (null when it was queued).",
      resolve: (change) => change.from,
    }),
    to: t.field({
      type: SyncRunStatusEnum,
      description: "The status it entered.",
      resolve: (change) => change.to,
    }),
    error: t.exposeString("error", {
      nullable: true,
      description: "The run's error summary as it moved (FAILED, PARTIAL, CANCELLED).",
    }),
    at: t.field({
      type: "DateTime",
      description: "When it moved.",
      resolve: (change) => new Date(change.at),
    }),
  }),
});

builder.subscriptionField("syncRunStatusChanged", (t) =>
  t.field({
    type: SyncRunStatusChangeRef,
    description:
      "Streams every status change of an integration's sync runs, in order, each exactly once, numbered without gaps (eventSequence; also in the result's extensions and, over SSE, as the event id). A transition stream: it starts with the changes of the runs active now (or, given afterSequence, every change after it, replayed from the database; over SSE a reconnect's Last-Event-ID does the same), then follows live. A subscriber that falls too far behind is closed (WebSocket code 4008, or a SLOW_CONSUMER error) and resumes with afterSequence.",
    args: {
      integrationId: t.arg.id({ description: "The integration's global id." }),
      afterSequence: t.arg.int({
        required: false,
        description: "Resume after this eventSequence (the last one you saw); 0 replays the whole log.",
      }),
    },
    subscribe: (_root, args, ctx) =>
      subscriptionSetup(async () => {
        const integrationId = await ownIntegrationId(ctx, String(args.integrationId));
        const given = startAfter(ctx, args.afterSequence);
        const after =
          args.afterSequence == null && given === 0 ? await runLogStart(prisma(), integrationId) : given;
        return liveLog(ctx, {
          topic: "syncRunStatusChanged",
          channel: integrationId,
          after,
          source: {
            readAfter: (from, limit) => runTransitionsAfter(prisma(), integrationId, from, limit),
            head: () => runLogHead(prisma(), integrationId),
          },
        });
      }),
    resolve: (change: RunStatusTransition | StreamEnd) => transitionOf(change),
  }),
);
