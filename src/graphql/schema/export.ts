import { enqueueExports, MAX_ITEMS_PER_CALL } from "../../commands/enqueue-exports.ts";
import { resolveExportConflict } from "../../commands/resolve-export-conflict.ts";
import { setExportConflictPolicy } from "../../commands/set-export-conflict-policy.ts";
import { prisma } from "../../db/client.ts";
import type { BudgetWindow, PlatformFigure } from "../../engine/rate-limit/budget.ts";
import { type QueueFigures, queueFigures } from "../../sync/queue-figures.ts";
import { builder } from "../builder.ts";
import { type Context, commandDeps, viewerOf } from "../context.ts";
import { globalId, targetOf } from "../ids.ts";
import type { StateTick } from "../live/state.ts";
import { liveState, ownIntegrationId, subscriptionSetup } from "../subscriptions.ts";
import { ConflictPolicyEnum, ExportItemStatusEnum, LaneEnum } from "./enums.ts";
import { MUTATION_ERRORS } from "./errors.ts";

/** The export outbox and the call budget, as integrators and live monitors see them. */

const LaneDepth = builder.objectRef<QueueFigures["lanes"][number]>("LaneDepth").implement({
  description: "How much work waits in one lane.",
  fields: (t) => ({
    lane: t.field({ type: LaneEnum, description: "The lane.", resolve: (d) => d.lane }),
    depth: t.exposeInt("depth", { description: "Items or runs waiting or in flight in it." }),
  }),
});

const ExportQueueRef = builder.objectRef<QueueFigures>("ExportQueue").implement({
  description: "An integration's queue: depth per lane and the export outbox's progress.",
  fields: (t) => ({
    lanes: t.field({
      type: [LaneDepth],
      description: "Depth per lane, highest lane first.",
      resolve: (q) => q.lanes,
    }),
    pending: t.int({ description: "Exports waiting for budget.", resolve: (q) => q.exports.pending }),
    inFlight: t.int({
      description: "Exports being sent, or read back, now.",
      resolve: (q) => q.exports.sending + q.exports.verifying,
    }),
    inDoubt: t.int({
      description:
        "Exports whose last send's outcome is unknown (answer lost, timed out, a 5xx, a worker that died mid-call), waiting to be read back or resent with their key.",
      resolve: (q) => q.exports.inDoubt,
    }),
    conflicts: t.int({
      description:
        "Exports held because the platform's value changed since the last pull (policy ASK): see Integration.exportConflicts.",
      resolve: (q) => q.exports.conflict,
    }),
    sent: t.int({
      description: "Exports the platform applied (accepted, or found there when read back).",
      resolve: (q) => q.exports.sent,
    }),
    skipped: t.int({
      description: "Exports not sent because a conflict was resolved in favour of the platform's value.",
      resolve: (q) => q.exports.skipped,
    }),
    failed: t.int({
      description: "Exports the platform rejected, or that ran out of retries.",
      resolve: (q) => q.exports.failed,
    }),
    estimatedDrainSeconds: t.float({
      nullable: true,
      description:
        "Estimated seconds until every pending export is sent (null: nothing pending), at the export windows of `rateBudget`. STRICT reserve mode: at the export reserve's rate. ADAPTIVE: at the rate the pull schedule allows now (`rateBudget.exportMinute.limit`) until the next scheduled pull comes near, then at the strict reserve's (after that pull exports may speed up again: the estimate does not count on it); days after today at the strict reserve's figures.",
      resolve: (q) => (q.estimatedDrainMs === null ? null : q.estimatedDrainMs / 1000),
    }),
    estimatedDrainAt: t.field({
      type: "DateTime",
      nullable: true,
      description:
        "When the outbox is expected to be empty: estimatedDrainSeconds after the figures were read, in either reserve mode.",
      resolve: (q) => (q.estimatedDrainMs === null ? null : new Date(q.budget.at + q.estimatedDrainMs)),
    }),
  }),
});

export const BudgetWindowRef = builder.objectRef<BudgetWindow>("BudgetWindow").implement({
  description: "Calls used and left in one rate window.",
  fields: (t) => ({
    limit: t.exposeInt("limit", { description: "Calls allowed in the window." }),
    used: t.exposeInt("used", { description: "Calls made in the window." }),
    remaining: t.exposeInt("remaining", { description: "Calls left." }),
    resetsAt: t.field({
      type: "DateTime",
      description: "When the next call frees up (minute windows) or the window resets (day windows).",
      resolve: (w) => new Date(w.resetsAt),
    }),
  }),
});

const PlatformFigureRef = builder.objectRef<PlatformFigure>("PlatformRemaining").implement({
  description: "What the platform itself said remains, in its own limit headers.",
  fields: (t) => ({
    remaining: t.exposeInt("remaining", { description: "Calls the platform said remain." }),
    seenAt: t.field({
      type: "DateTime",
      description: "When the platform said it (the answer that carried the header).",
      resolve: (f) => new Date(f.seenAt),
    }),
  }),
});

const PlatformFiguresRef = builder.objectRef<QueueFigures["budget"]["platform"]>("PlatformBudget").implement({
  description:
    "The platform's own figures, as last seen in its headers (X-MinLimit-Remaining, X-DayLimit-Remaining), next to syncline's count. They differ when another client shares the platform's budget, when the platform's caps differ from the ones configured here, or before the first answer of a window.",
  fields: (t) => ({
    minute: t.field({
      type: PlatformFigureRef,
      nullable: true,
      description: "X-MinLimit-Remaining, last seen (null: not seen yet).",
      resolve: (p) => p.minute,
    }),
    day: t.field({
      type: PlatformFigureRef,
      nullable: true,
      description: "X-DayLimit-Remaining, last seen (null: not seen yet).",
      resolve: (p) => p.day,
    }),
  }),
});

const ConcurrencyRef = builder
  .objectRef<QueueFigures["budget"]["concurrent"]>("ConcurrencyBudget")
  .implement({
    description: "Calls in flight against the concurrency cap.",
    fields: (t) => ({
      limit: t.exposeInt("limit", { description: "Calls allowed in flight at once." }),
      inFlight: t.exposeInt("inFlight", { description: "Calls in flight now." }),
    }),
  });

export const RateBudgetRef = builder.objectRef<QueueFigures["budget"]>("RateBudget").implement({
  description:
    "An integration's call budget now: what the engine may still spend in each window. The windows are syncline's own count of the calls it made (kept in Redis, rebuilt from its durable call ledger if Redis loses them), raised, never lowered, to what the platform's headers say was used; `platform` has the platform's own figures as it last said them.",
  fields: (t) => ({
    concurrent: t.field({ type: ConcurrencyRef, description: "Concurrency.", resolve: (b) => b.concurrent }),
    minute: t.field({
      type: BudgetWindowRef,
      description:
        "All calls, sliding minute: syncline's count, raised to the platform's when X-MinLimit-Remaining says more were used.",
      resolve: (b) => b.minute,
    }),
    day: t.field({
      type: BudgetWindowRef,
      description:
        "All calls, today: syncline's count against the configured day cap, raised to (cap − X-DayLimit-Remaining) when the platform says more were used.",
      resolve: (b) => b.day,
    }),
    exportMinute: t.field({
      type: BudgetWindowRef,
      description:
        "Export calls (the outbox's and pushes'), sliding minute. STRICT reserve mode: the export reserve (XPM: 30 of 60). ADAPTIVE: what the pull schedule allows now, the same figure the engine applies: the whole minute cap while no pull is queued, running or due within the next minute window, else the reserve's figure; it changes as pulls come near and end.",
      resolve: (b) => b.exportMinute,
    }),
    exportDay: t.field({
      type: BudgetWindowRef,
      description:
        "Export calls (the outbox's and pushes'), today. STRICT reserve mode: the export reserve (XPM: 4,500 of 5,000). ADAPTIVE: past the reserve's figure as far as the rest of the day's scheduled pulls leave room (the day cap, less the calls pulls made today and what the day's remaining scheduled runs are expected to need), the same figure the engine applies; the reserve's figure while that need is unknown.",
      resolve: (b) => b.exportDay,
    }),
    blockedUntil: t.field({
      type: "DateTime",
      nullable: true,
      description: "The platform answered 429: no call goes out before this time.",
      resolve: (b) => (b.blockedUntil === null ? null : new Date(b.blockedUntil)),
    }),
    platform: t.field({
      type: PlatformFiguresRef,
      description: "The platform's own remaining figures, as its headers last said them.",
      resolve: (b) => b.platform,
    }),
  }),
});

function figures(ctx: Context, integrationId: string) {
  return queueFigures(prisma(), ctx.services.engine.budget, ctx.services.config.time, integrationId);
}

builder.prismaObjectFields("Integration", (t) => ({
  exportQueue: t.field({
    type: ExportQueueRef,
    description: "The integration's queue: depth per lane and the export outbox's progress.",
    select: { id: true },
    resolve: (integration, _args, ctx) => figures(ctx, integration.id),
  }),
  rateBudget: t.field({
    type: RateBudgetRef,
    description: "Calls used and left in each window, calls in flight, and any block from a 429.",
    select: { id: true },
    resolve: async (integration, _args, ctx) => (await figures(ctx, integration.id)).budget,
  }),
}));

const QueueProgressRef = builder.objectRef<QueueFigures>("QueueProgress").implement({
  description: "An integration's queue and budget at one moment.",
  fields: (t) => ({
    integrationId: t.id({
      description: "The integration's global id.",
      resolve: (q) => globalId("Integration", q.integrationId),
    }),
    exportQueue: t.field({
      type: ExportQueueRef,
      description: "Depths and outbox progress.",
      resolve: (q) => q,
    }),
    rateBudget: t.field({ type: RateBudgetRef, description: "The call budget.", resolve: (q) => q.budget }),
    at: t.field({
      type: "DateTime",
      description: "When the figures were read.",
      resolve: (q) => new Date(q.budget.at),
    }),
  }),
});

builder.subscriptionField("queueProgress", (t) =>
  t.field({
    type: QueueProgressRef,
    description:
      "Streams an integration's queue depths and call budget: first as they are now, then as they change (calls, enqueues; a few times a second at most, the final figures always). A state stream: a subscriber that falls behind gets the latest figures, never a backlog.",
    args: { integrationId: t.arg.id({ description: "The integration's global id." }) },
    subscribe: (_root, args, ctx) =>
      subscriptionSetup(async () => {
        const id = await ownIntegrationId(ctx, String(args.integrationId));
        return liveState(ctx, {
          topic: "queueProgress",
          channel: id,
          cell: "queue",
          idOf: () => id,
          initial: () => [id],
        });
      }),
    // Read once per change on this node, whatever the number of subscribers.
    resolve: (tick: StateTick, _args, ctx) => tick.read("figures", () => figures(ctx, tick.id)),
  }),
);

// --- enqueueExports -----------------------------------------------------------------------------

const ExportItemInput = builder.inputType("ExportItemInput", {
  description: "One local edit to send to the platform.",
  fields: (t) => ({
    entity: t.string({ description: 'Remote entity (e.g. "job").' }),
    remoteId: t.string({ description: "The remote object's id (e.g. an XPM job number)." }),
    field: t.string({ description: 'The field that changed (e.g. "budget").' }),
    value: t.field({ type: "JSON", description: "The new value (a number for a budget)." }),
  }),
});

const EnqueueExportsInput = builder.inputType("EnqueueExportsInput", {
  description: "Local edits for one integration.",
  fields: (t) => ({
    integrationId: t.id({ description: "The integration's global id." }),
    items: t.field({
      type: [ExportItemInput],
      description: `The edits (at most ${MAX_ITEMS_PER_CALL} per call).`,
    }),
  }),
});

const EnqueueExportsPayload = builder
  .objectRef<{ integrationId: string; added: number; coalesced: number; superseded: number }>(
    "EnqueueExportsPayload",
  )
  .implement({
    description: "The result of enqueueExports.",
    fields: (t) => ({
      added: t.exposeInt("added", { description: "New items now waiting in the outbox." }),
      coalesced: t.exposeInt("coalesced", {
        description: "Items that replaced the value of one already waiting for the same object and field.",
      }),
      superseded: t.exposeInt("superseded", {
        description:
          "Edits of this call that a later edit of the same object and field in the same call replaced (only the last is queued).",
      }),
      exportQueue: t.field({
        type: ExportQueueRef,
        description: "The queue right after the edits were accepted.",
        resolve: (payload, _args, ctx) => figures(ctx, payload.integrationId),
      }),
    }),
  });

builder.mutationField("enqueueExports", (t) =>
  t.field({
    type: EnqueueExportsPayload,
    description:
      "Accepts local edits into the integration's durable outbox at once, in one transaction (OWNER or ADMIN). They are sent under the export reserve; items for the same remote object and field coalesce while waiting, so only the latest value is sent. All edits are accepted, or none.",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { input: t.arg({ type: EnqueueExportsInput, description: "The edits." }) },
    resolve: (_root, { input }, ctx) =>
      enqueueExports(commandDeps(ctx), viewerOf(ctx), {
        integration: targetOf(input.integrationId, "Integration", ["input", "integrationId"]),
        items: input.items,
      }),
  }),
);

// --- conflicts and in-doubt items --------------------------------------------------------------

builder.prismaNode("ExportItem", {
  id: { field: "id" },
  description:
    "One local edit in an integration's outbox: the value to send, where it is, and, for a conflict, the platform's value next to the one the edit was based on.",
  findUnique: (id, ctx) => ({ id, integration: { tenantId: viewerOf(ctx).tenantId } }),
  fields: (t) => ({
    // Loaded by its own query for the rows returned (see SyncRun.integration): joined, it would be loaded
    // with everything below it for the extra row of every exportConflicts page.
    integration: t.prismaField({
      type: "Integration",
      description: "The integration.",
      select: { integrationId: true },
      resolve: (query, item) =>
        prisma().integration.findUniqueOrThrow({ ...query, where: { id: item.integrationId } }),
    }),
    entity: t.exposeString("entity", { description: 'Remote entity (e.g. "job").' }),
    remoteId: t.exposeString("remoteId", { description: "The remote object's id (e.g. an XPM job number)." }),
    field: t.exposeString("field", { description: 'The field (e.g. "budget").' }),
    value: t.expose("value", { type: "JSON", nullable: true, description: "The local value to send." }),
    baseValue: t.expose("baseValue", {
      type: "JSON",
      nullable: true,
      description:
        "The value syncline knew the platform held when the edit was made (the last pull's, or an export sent since); null when none was known or the field was empty.",
    }),
    remoteValue: t.expose("remoteValue", {
      type: "JSON",
      nullable: true,
      description: "The platform's value when a conflict was seen, or when an in-doubt send was read back.",
    }),
    status: t.field({
      type: ExportItemStatusEnum,
      description: "Where it is.",
      select: { status: true },
      resolve: (item) => item.status,
    }),
    attempts: t.exposeInt("attempts", { description: "Calls made for it so far (sends and reads back)." }),
    error: t.exposeString("error", { nullable: true, description: "The last problem, if any." }),
    enqueuedAt: t.expose("enqueuedAt", { type: "DateTime", description: "When it was enqueued." }),
    sentAt: t.expose("sentAt", {
      type: "DateTime",
      nullable: true,
      description: "When the platform applied it.",
    }),
    conflictAt: t.expose("conflictAt", {
      type: "DateTime",
      nullable: true,
      description: "When a conflict was seen (null: none).",
    }),
  }),
});

builder.prismaObjectFields("Integration", (t) => ({
  conflictPolicy: t.field({
    type: ConflictPolicyEnum,
    description:
      "What happens to an export whose remote field was changed on the platform since the last pull (setExportConflictPolicy).",
    select: { conflictPolicy: true },
    resolve: (integration) => integration.conflictPolicy,
  }),
  exportConflicts: t.relatedConnection("exportItems", {
    description:
      "Exports held as CONFLICT (policy ASK), oldest first: each with its value, the platform's and the one it was based on.",
    cursor: "id",
    totalCount: true,
    query: { where: { status: "CONFLICT" }, orderBy: [{ sequence: "asc" }] },
  }),
}));

const ConflictResolutionEnum = builder.enumType("ConflictResolution", {
  description: "How a person resolves an export held as CONFLICT.",
  values: {
    LOCAL: { description: "Send the local edit after all, overwriting the platform's value." },
    REMOTE: { description: "Keep the platform's value; the edit is not sent (SKIPPED)." },
  },
});

const ResolveExportConflictInput = builder.inputType("ResolveExportConflictInput", {
  description: "An export held as CONFLICT, and which value wins.",
  fields: (t) => ({
    exportItemId: t.id({ description: "The export item's global id." }),
    keep: t.field({ type: ConflictResolutionEnum, description: "Which value wins." }),
  }),
});

const ResolveExportConflictPayload = builder
  .objectRef<{ exportItemId: string }>("ResolveExportConflictPayload")
  .implement({
    description: "The result of resolveExportConflict.",
    fields: (t) => ({
      exportItem: t.prismaField({
        type: "ExportItem",
        description: "The item: PENDING again (LOCAL) or SKIPPED (REMOTE).",
        resolve: (query, payload) =>
          prisma().exportItem.findUniqueOrThrow({ ...query, where: { id: payload.exportItemId } }),
      }),
    }),
  });

builder.mutationField("resolveExportConflict", (t) =>
  t.field({
    type: ResolveExportConflictPayload,
    description:
      "Resolves an export held as CONFLICT (OWNER or ADMIN): LOCAL sends it after all, REMOTE keeps the platform's value. InvalidStateError when it holds no conflict.",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { input: t.arg({ type: ResolveExportConflictInput, description: "The item and the winner." }) },
    resolve: (_root, { input }, ctx) =>
      resolveExportConflict(commandDeps(ctx), viewerOf(ctx), {
        item: targetOf(input.exportItemId, "ExportItem", ["input", "exportItemId"]),
        keep: input.keep,
      }),
  }),
);

const SetExportConflictPolicyInput = builder.inputType("SetExportConflictPolicyInput", {
  description: "An integration and its conflict policy.",
  fields: (t) => ({
    integrationId: t.id({ description: "The integration's global id." }),
    policy: t.field({ type: ConflictPolicyEnum, description: "The policy." }),
  }),
});

const SetExportConflictPolicyPayload = builder
  .objectRef<{ integrationId: string }>("SetExportConflictPolicyPayload")
  .implement({
    description: "The result of setExportConflictPolicy.",
    fields: (t) => ({
      integration: t.prismaField({
        type: "Integration",
        description: "The integration, with its policy.",
        resolve: (query, payload) =>
          prisma().integration.findUniqueOrThrow({ ...query, where: { id: payload.integrationId } }),
      }),
    }),
  });

builder.mutationField("setExportConflictPolicy", (t) =>
  t.field({
    type: SetExportConflictPolicyPayload,
    description:
      "Chooses what happens to the integration's exports whose remote field changed on the platform since the last pull (OWNER or ADMIN): LOCAL_WINS, REMOTE_WINS or ASK (the default). Conflicts already held stay held.",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: {
      input: t.arg({ type: SetExportConflictPolicyInput, description: "The integration and policy." }),
    },
    resolve: (_root, { input }, ctx) =>
      setExportConflictPolicy(commandDeps(ctx), viewerOf(ctx), {
        integration: targetOf(input.integrationId, "Integration", ["input", "integrationId"]),
        policy: input.policy,
      }),
  }),
);

builder.subscriptionField("exportConflicts", (t) =>
  t.prismaField({
    type: "ExportItem",
    description:
      "Streams each export of the integration that met a change made on the platform since the last pull, as its policy decided it (held as CONFLICT, SKIPPED, or sent anyway).",
    args: { integrationId: t.arg.id({ description: "The integration's global id." }) },
    subscribe: (_root, args, ctx) =>
      subscriptionSetup(async () =>
        ctx.services.events.subscribe(
          "exportConflict",
          await ownIntegrationId(ctx, String(args.integrationId)),
        ),
      ),
    resolve: (query, event: { exportItemId: string }) =>
      prisma().exportItem.findUniqueOrThrow({ ...query, where: { id: event.exportItemId } }),
  }),
);
