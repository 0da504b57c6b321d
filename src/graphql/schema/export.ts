import { enqueueExports, MAX_ITEMS_PER_CALL } from "../../commands/enqueue-exports.ts";
import { prisma } from "../../db/client.ts";
import type { BudgetWindow } from "../../engine/rate-limit/budget.ts";
import { type QueueFigures, queueFigures } from "../../sync/queue-figures.ts";
import { builder } from "../builder.ts";
import { type Context, commandDeps, viewerOf } from "../context.ts";
import { globalId, targetOf } from "../ids.ts";
import type { StateTick } from "../live/state.ts";
import { liveState, ownIntegrationId, subscriptionSetup } from "../subscriptions.ts";
import { LaneEnum } from "./enums.ts";
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
    inFlight: t.int({ description: "Exports being sent now.", resolve: (q) => q.exports.sending }),
    sent: t.int({ description: "Exports the platform accepted.", resolve: (q) => q.exports.sent }),
    failed: t.int({
      description: "Exports the platform rejected, or that ran out of retries.",
      resolve: (q) => q.exports.failed,
    }),
    estimatedDrainSeconds: t.float({
      nullable: true,
      description: "Estimated seconds until every pending export is sent (null: nothing pending).",
      resolve: (q) => (q.estimatedDrainMs === null ? null : q.estimatedDrainMs / 1000),
    }),
    estimatedDrainAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the outbox is expected to be empty.",
      resolve: (q) => (q.estimatedDrainMs === null ? null : new Date(q.budget.at + q.estimatedDrainMs)),
    }),
  }),
});

const BudgetWindowRef = builder.objectRef<BudgetWindow>("BudgetWindow").implement({
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

const ConcurrencyRef = builder
  .objectRef<QueueFigures["budget"]["concurrent"]>("ConcurrencyBudget")
  .implement({
    description: "Calls in flight against the concurrency cap.",
    fields: (t) => ({
      limit: t.exposeInt("limit", { description: "Calls allowed in flight at once." }),
      inFlight: t.exposeInt("inFlight", { description: "Calls in flight now." }),
    }),
  });

const RateBudgetRef = builder.objectRef<QueueFigures["budget"]>("RateBudget").implement({
  description: "An integration's call budget now: what the engine may still spend in each window.",
  fields: (t) => ({
    concurrent: t.field({ type: ConcurrencyRef, description: "Concurrency.", resolve: (b) => b.concurrent }),
    minute: t.field({
      type: BudgetWindowRef,
      description: "All calls, sliding minute.",
      resolve: (b) => b.minute,
    }),
    day: t.field({ type: BudgetWindowRef, description: "All calls, today.", resolve: (b) => b.day }),
    exportMinute: t.field({
      type: BudgetWindowRef,
      description: "Export reserve, sliding minute.",
      resolve: (b) => b.exportMinute,
    }),
    exportDay: t.field({
      type: BudgetWindowRef,
      description: "Export reserve, today.",
      resolve: (b) => b.exportDay,
    }),
    blockedUntil: t.field({
      type: "DateTime",
      nullable: true,
      description: "The platform answered 429: no call goes out before this time.",
      resolve: (b) => (b.blockedUntil === null ? null : new Date(b.blockedUntil)),
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
  .objectRef<{ integrationId: string; added: number; coalesced: number }>("EnqueueExportsPayload")
  .implement({
    description: "The result of enqueueExports.",
    fields: (t) => ({
      added: t.exposeInt("added", { description: "New items now waiting in the outbox." }),
      coalesced: t.exposeInt("coalesced", {
        description: "Items that replaced the value of one already waiting for the same object and field.",
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
