import { ingestOrders } from "../../commands/ingest-orders.ts";
import { retryFailedPackets } from "../../commands/retry-failed-packets.ts";
import { startAccountingSync } from "../../commands/start-accounting-sync.ts";
import { prisma } from "../../db/client.ts";
import { MAX_ISSUES, NotFoundError } from "../../errors.ts";
import type { PacketTransition } from "../../events.ts";
import { type IngestResult, MAX_ORDERS_PER_CALL, type OrderRejection } from "../../push/orders.ts";
import { packetLogHead, packetTransitionsAfter } from "../../push/packet-log.ts";
import { builder } from "../builder.ts";
import { commandDeps, viewerOf } from "../context.ts";
import { parseGlobalId, targetOf, globalId as toGlobalId } from "../ids.ts";
import type { StreamEnd } from "../live/log.ts";
import { liveLog, startAfter, subscriptionSetup, transitionOf } from "../subscriptions.ts";
import { PacketStateEnum } from "./enums.ts";
import { FieldIssueRef, MUTATION_ERRORS } from "./errors.ts";

/**
 * The accounting push (DESIGN.md "Push", PLATFORMS.md "Accounting push"): orders in, a push run that
 * turns them into mapped packets and sends them, per-packet states streamed live.
 */

// --- Orders in --------------------------------------------------------------------------------------

const OrderItemInput = builder.inputType("OrderItemInput", {
  description: "A line of an order.",
  fields: (t) => ({
    revenueCategory: t.string({ description: "Revenue category (mapped to an account code)." }),
    description: t.string({ required: false, description: "Description." }),
    quantity: t.field({ type: "Decimal", description: "Quantity; not negative." }),
    netAmount: t.field({ type: "Decimal", description: "Net amount of the line, at most 2 decimals." }),
    taxRate: t.string({ description: 'Tax rate name, e.g. "GST 15%" (mapped to a tax type).' }),
    taxAmount: t.field({ type: "Decimal", description: "Tax of the line, at most 2 decimals." }),
  }),
});

const OrderPaymentInput = builder.inputType("OrderPaymentInput", {
  description: "A payment of an order.",
  fields: (t) => ({
    method: t.string({ description: 'Payment method, e.g. "CARD" (mapped to a clearing account).' }),
    amount: t.field({ type: "Decimal", description: "Amount paid, at most 2 decimals." }),
  }),
});

const OrderInput = builder.inputType("OrderInput", {
  description:
    "A sales order from the host. Net plus tax of its items, and its payments, must equal its total.",
  fields: (t) => ({
    externalId: t.string({ description: "The host's order id; sending it again updates the order." }),
    orderedAt: t.field({ type: "DateTime", description: "When the sale happened." }),
    currency: t.string({ description: "ISO 4217 currency code, e.g. NZD." }),
    totalAmount: t.field({ type: "Decimal", description: "Total including tax, at most 2 decimals." }),
    items: t.field({ type: [OrderItemInput], description: "Line items (at least one)." }),
    payments: t.field({ type: [OrderPaymentInput], description: "Payments (at least one)." }),
  }),
});

const IngestOrdersInput = builder.inputType("IngestOrdersInput", {
  description: `Orders to take in, at most ${MAX_ORDERS_PER_CALL} per call.`,
  fields: (t) => ({
    integrationId: t.id({
      required: false,
      description:
        "The accounting integration the orders go to; omit it to push them with any of the tenant's.",
    }),
    orders: t.field({ type: [OrderInput], description: "The orders." }),
  }),
});

const OrderRejectionRef = builder.objectRef<OrderRejection>("OrderRejection").implement({
  description: "An order that was not taken in, and why.",
  fields: (t) => ({
    index: t.exposeInt("index", { description: "Its position in the call's orders." }),
    externalId: t.exposeString("externalId", { nullable: true, description: "Its host id, if it had one." }),
    issues: t.field({
      type: [FieldIssueRef],
      description: `Every problem, each with its field's path (e.g. ["orders", "3", "payments"]): at most ${MAX_ISSUES}.`,
      resolve: (rejection) => rejection.issues,
    }),
  }),
});

const IngestOrdersPayload = builder.objectRef<IngestResult>("IngestOrdersPayload").implement({
  description: "What ingestOrders did with each order.",
  fields: (t) => ({
    created: t.exposeInt("created", { description: "New orders." }),
    modified: t.exposeInt("modified", {
      description: "Known orders whose content changed (the next push takes them).",
    }),
    unchanged: t.exposeInt("unchanged", { description: "Known orders sent again unchanged." }),
    rejected: t.field({
      type: [OrderRejectionRef],
      description: `Invalid orders, not taken in (at most one per order sent, so at most ${MAX_ORDERS_PER_CALL}).`,
      resolve: (result) => result.rejected,
    }),
  }),
});

builder.mutationField("ingestOrders", (t) =>
  t.field({
    type: IngestOrdersPayload,
    description:
      "Takes in the host's sales orders (OWNER or ADMIN), idempotent by externalId: an order sent again unchanged changes nothing, a changed one is updated and counted as modified. Each order is validated on its own: valid orders are kept even when others in the same call are rejected, and `rejected` names each invalid order and its fields (payments not summing to the total, unknown currency, negative quantity, …).",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { input: t.arg({ type: IngestOrdersInput, description: "The orders." }) },
    resolve: (_root, { input }, ctx) =>
      ingestOrders(commandDeps(ctx), viewerOf(ctx), {
        // An empty id is a malformed id (refused), not an omitted one.
        integration:
          input.integrationId != null
            ? targetOf(input.integrationId, "Integration", ["input", "integrationId"])
            : null,
        orders: input.orders,
      }),
  }),
);

// --- Push runs ----------------------------------------------------------------------------------------

const StartAccountingSyncPayload = builder
  .objectRef<{ runId: string; alreadyQueued: boolean }>("StartAccountingSyncPayload")
  .implement({
    description: "The result of startAccountingSync.",
    fields: (t) => ({
      syncRun: t.prismaField({
        type: "SyncRun",
        description:
          "The queued PUSH run; follow it with syncRunUpdated and its packets with packetStateChanged.",
        resolve: (query, payload) =>
          prisma().syncRun.findUniqueOrThrow({ ...query, where: { id: payload.runId } }),
      }),
      alreadyQueued: t.exposeBoolean("alreadyQueued", {
        description: "True when a push was already queued or running: that run is returned.",
      }),
    }),
  });

builder.mutationField("startAccountingSync", (t) =>
  t.field({
    type: StartAccountingSyncPayload,
    description:
      "Pushes the orders created or modified since the last successful push to an accounting integration (OWNER only). Returns the queued run at once; in the background it builds packets (one per order, or with SummarizeData one per day and payment method), maps them, and sends each through the EXPORT lane. The run SUCCEEDS once every packet was processed; each packet has its own state.",
    authScopes: { owner: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { integrationId: t.arg.id({ description: "The accounting integration's global id." }) },
    resolve: (_root, args, ctx) =>
      startAccountingSync(
        commandDeps(ctx),
        viewerOf(ctx),
        targetOf(args.integrationId, "Integration", ["integrationId"]),
      ),
  }),
);

const RetryFailedPacketsPayload = builder
  .objectRef<{ runId: string; retried: number }>("RetryFailedPacketsPayload")
  .implement({
    description: "The result of retryFailedPackets.",
    fields: (t) => ({
      syncRun: t.prismaField({
        type: "SyncRun",
        description: "The run, RUNNING again until the retried packets are processed.",
        resolve: (query, payload) =>
          prisma().syncRun.findUniqueOrThrow({ ...query, where: { id: payload.runId } }),
      }),
      retried: t.exposeInt("retried", { description: "Failed packets put back in line." }),
    }),
  });

builder.mutationField("retryFailedPackets", (t) =>
  t.field({
    type: RetryFailedPacketsPayload,
    description:
      "Sends a finished push run's FAILED packets again (OWNER only), mapped with the current rules; packets already SENT are never resent.",
    authScopes: { owner: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { runId: t.arg.id({ description: "The PUSH run's global id." }) },
    resolve: (_root, args, ctx) =>
      retryFailedPackets(commandDeps(ctx), viewerOf(ctx), targetOf(args.runId, "SyncRun", ["runId"])),
  }),
);

// --- Live packet states --------------------------------------------------------------------------------

const PacketStateChangeRef = builder.objectRef<PacketTransition>("PacketStateChange").implement({
  description: "One packet moving from one state to the next, numbered in its run's log.",
  fields: (t) => ({
    eventSequence: t.exposeInt("eventSequence", {
      description:
        "Its place in the run's log of packet moves: 1, 2, 3, … without gaps. Pass the last one you saw as afterSequence to resume.",
    }),
    packetId: t.id({
      description: "The packet's global id.",
      resolve: (change) => toGlobalId("SyncPacket", change.packetId),
    }),
    sequence: t.exposeInt("sequence", { description: "The packet's order inside the run." }),
    label: t.exposeString("label", { description: "What the packet summarises." }),
    from: t.field({
      type: PacketStateEnum,
      nullable: true,
      description: "The state it left (null when it was created).",
      resolve: (change) => change.from,
    }),
    to: t.field({
      type: PacketStateEnum,
      description: "The state it entered.",
      resolve: (change) => change.to,
    }),
    attempts: t.exposeInt("attempts", { description: "Send attempts so far." }),
    remoteId: t.exposeString("remoteId", { nullable: true, description: "The platform's id, once SENT." }),
    errorCode: t.exposeString("errorCode", { nullable: true, description: "Why it FAILED, as a code." }),
    errorMessage: t.exposeString("errorMessage", {
      nullable: true,
      description: "Why it FAILED, for people.",
    }),
    at: t.field({
      type: "DateTime",
      description: "When it moved.",
      resolve: (change) => new Date(change.at),
    }),
  }),
});

builder.subscriptionField("packetStateChanged", (t) =>
  t.field({
    type: PacketStateChangeRef,
    description:
      "Streams every state change of a push run's packets, in the order they happened, each exactly once, numbered without gaps (eventSequence; also in the result's extensions and, over SSE, as the event id). A transition stream: it starts with the run's whole log so far (or, given afterSequence, every move after it, replayed from the database; over SSE a reconnect's Last-Event-ID does the same), then follows live. A subscriber that falls too far behind is closed (WebSocket code 4008, or a SLOW_CONSUMER error) and resumes with afterSequence.",
    args: {
      runId: t.arg.id({ description: "The PUSH run's global id." }),
      afterSequence: t.arg.int({
        required: false,
        description: "Resume after this eventSequence (the last one you saw); omitted or 0: from the start.",
      }),
    },
    subscribe: (_root, args, ctx) =>
      subscriptionSetup(async () => {
        const id = parseGlobalId(String(args.runId), "SyncRun", ["runId"]);
        const run = await prisma().syncRun.findFirst({
          where: { id, tenantId: viewerOf(ctx).tenantId },
          select: { id: true },
        });
        if (!run) throw new NotFoundError("SyncRun", String(args.runId));
        return liveLog(ctx, {
          topic: "packetStateChanged",
          channel: id,
          after: startAfter(ctx, args.afterSequence),
          source: {
            readAfter: (after, limit) => packetTransitionsAfter(prisma(), id, after, limit),
            head: () => packetLogHead(prisma(), id),
          },
        });
      }),
    resolve: (change: PacketTransition | StreamEnd) => transitionOf(change),
  }),
);
