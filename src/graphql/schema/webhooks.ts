import { createWebhookEndpoint } from "../../commands/create-webhook-endpoint.ts";
import { deleteWebhookEndpoint } from "../../commands/delete-webhook-endpoint.ts";
import { replayWebhookDelivery } from "../../commands/replay-webhook-delivery.ts";
import { rotateWebhookSecret } from "../../commands/rotate-webhook-secret.ts";
import { updateWebhookEndpoint } from "../../commands/update-webhook-endpoint.ts";
import { disableWebhookEndpoint, enableWebhookEndpoint } from "../../commands/webhook-endpoint-status.ts";
import { prisma } from "../../db/client.ts";
import { NotFoundError } from "../../errors.ts";
import type {
  WebhookDeliveryStatus,
  WebhookEndpointStatus,
  WebhookEventType,
} from "../../generated/prisma/enums.ts";
import { EVENT_NAMES } from "../../webhooks/host-events.ts";
import { builder } from "../builder.ts";
import { commandDeps, viewerOf } from "../context.ts";
import { globalId, parseGlobalId, targetOf } from "../ids.ts";
import { subscriptionSetup } from "../subscriptions.ts";
import { LOOKUP_ERRORS, MUTATION_ERRORS } from "./errors.ts";

/**
 * Webhooks to the host (DESIGN.md, "Records out, and webhooks"): a tenant's endpoints, each event's
 * deliveries with every attempt, and the mutations that manage them. Secrets are shown once (create,
 * rotate) and never again.
 */

const EVENT_DESCRIPTIONS: Record<WebhookEventType, string> = {
  RUN_FINISHED:
    "`run.finished`: a sync run ended (SUCCEEDED, PARTIAL, FAILED or CANCELLED), with its counts.",
  RECORDS_CHANGED:
    "`records.changed`: a pull committed a page that created, updated or deleted records of an entity, with the cursor to read them from.",
  INTEGRATION_STATUS_CHANGED:
    "`integration.status_changed`: an integration's status changed (e.g. it needs authorization again).",
  PACKET_FAILED: "`packet.failed`: a push packet failed (unmapped, or refused by the platform).",
  DAY_BUDGET_EXHAUSTED:
    "`budget.day_exhausted`: a day cap is spent; a run, or the integration's exports (told once a day, with the cap's figures), wait for the next day.",
};

const WebhookEventTypeEnum = builder.enumType("WebhookEventType", {
  description: "What a webhook tells the host about.",
  values: Object.fromEntries(
    Object.entries(EVENT_DESCRIPTIONS).map(([key, description]) => [key, { description }]),
  ) as Record<WebhookEventType, { description: string }>,
});

const WebhookEndpointStatusEnum = builder.enumType("WebhookEndpointStatus", {
  description: "Whether an endpoint receives deliveries.",
  values: {
    ACTIVE: { description: "Receives every event it subscribes to." },
    DISABLED: {
      description:
        "Receives nothing new (disabled by a person, or after a delivery failed for more than a day); its waiting deliveries resume when enabled.",
    },
  } satisfies Record<WebhookEndpointStatus, { description: string }>,
});

const WebhookDeliveryStatusEnum = builder.enumType("WebhookDeliveryStatus", {
  description: "Where one delivery of an event to an endpoint is.",
  values: {
    PENDING: {
      description: "Waiting for its turn (deliveries go in order per endpoint) or for its next attempt.",
    },
    DELIVERED: { description: "The endpoint answered with a 2xx status." },
    FAILED: { description: "Every attempt failed for more than a day: given up (it can be replayed)." },
  } satisfies Record<WebhookDeliveryStatus, { description: string }>,
});

builder.prismaNode("WebhookEndpoint", {
  id: { field: "id" },
  description:
    "A URL of yours where the tenant's events are POSTed, signed (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).",
  findUnique: (id, ctx) => ({ id, tenantId: viewerOf(ctx).tenantId }),
  fields: (t) => ({
    url: t.exposeString("url", { description: "Where deliveries are POSTed." }),
    description: t.exposeString("description", { description: "What it is for." }),
    events: t.field({
      type: [WebhookEventTypeEnum],
      description: "The event types it receives.",
      select: { events: true },
      resolve: (endpoint) => endpoint.events,
    }),
    status: t.field({
      type: WebhookEndpointStatusEnum,
      description: "Whether it receives deliveries.",
      select: { status: true },
      resolve: (endpoint) => endpoint.status,
    }),
    disabledReason: t.exposeString("disabledReason", { nullable: true, description: "Why it was disabled." }),
    disabledAt: t.expose("disabledAt", {
      type: "DateTime",
      nullable: true,
      description: "When it was disabled.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was registered." }),
    deliveries: t.relatedConnection("deliveries", {
      description: "Its deliveries, newest first, each with its attempts.",
      cursor: "id",
      totalCount: true,
      args: {
        status: t.arg({ type: WebhookDeliveryStatusEnum, required: false, description: "Only this status." }),
      },
      query: (args) => ({
        where: args.status ? { status: args.status } : {},
        orderBy: [{ createdAt: "desc" }, { sequence: "desc" }],
      }),
    }),
  }),
});

builder.prismaNode("WebhookDelivery", {
  id: { field: "id" },
  description: "One event for one endpoint, from the outbox written with the change that caused it.",
  findUnique: (id, ctx) => ({ id, endpoint: { tenantId: viewerOf(ctx).tenantId } }),
  fields: (t) => ({
    endpoint: t.relation("endpoint", { description: "The endpoint." }),
    eventId: t.exposeString("eventId", {
      description:
        "The event's id, sent as webhook-id: the same for every attempt and replay (de-duplicate by it).",
    }),
    eventType: t.field({
      type: WebhookEventTypeEnum,
      description: "The event's type.",
      select: { eventType: true },
      resolve: (delivery) => delivery.eventType,
    }),
    eventName: t.string({
      description: 'The event\'s type as the body names it, e.g. "run.finished".',
      select: { eventType: true },
      resolve: (delivery) => EVENT_NAMES[delivery.eventType],
    }),
    payload: t.field({
      type: "JSON",
      description: "The body sent: { id, type, createdAt, data }.",
      select: { body: true },
      resolve: (delivery) => JSON.parse(delivery.body) as unknown,
    }),
    status: t.field({
      type: WebhookDeliveryStatusEnum,
      description: "Where it is.",
      select: { status: true },
      resolve: (delivery) => delivery.status,
    }),
    attemptCount: t.exposeInt("attemptCount", { description: "Attempts made so far." }),
    nextAttemptAt: t.expose("nextAttemptAt", {
      type: "DateTime",
      description: "When it is tried next (while PENDING).",
    }),
    deliveredAt: t.expose("deliveredAt", {
      type: "DateTime",
      nullable: true,
      description: "When it was accepted.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the event was written." }),
    replayOfId: t.id({
      nullable: true,
      description: "The global id of the delivery this one replays, if it is a replay.",
      select: { replayOfId: true },
      resolve: (delivery) => (delivery.replayOfId ? globalId("WebhookDelivery", delivery.replayOfId) : null),
    }),
    // Paged: retries and replays add attempts without end, so the list is never returned whole.
    attempts: t.relatedConnection("attempts", {
      description: "Its attempts, oldest first, with the status answered and the response time.",
      cursor: "id",
      totalCount: true,
      query: { orderBy: [{ attemptedAt: "asc" }, { id: "asc" }] },
    }),
  }),
});

builder.prismaObject("WebhookAttempt", {
  description: "One attempt to deliver: what the endpoint answered and how long it took.",
  fields: (t) => ({
    attemptedAt: t.expose("attemptedAt", { type: "DateTime", description: "When it was made." }),
    responseStatus: t.exposeInt("responseStatus", {
      nullable: true,
      description: "The HTTP status answered (null: no answer: refused, timed out, unreachable).",
    }),
    responseTimeMs: t.exposeInt("responseTimeMs", {
      description: "Milliseconds until the answer or the failure.",
    }),
    error: t.exposeString("error", {
      nullable: true,
      description: "Why it failed, when it did not get a 2xx (never the response body).",
    }),
  }),
});

builder.queryField("webhookEndpoints", (t) =>
  t.prismaConnection({
    type: "WebhookEndpoint",
    cursor: "id",
    description: "Your tenant's webhook endpoints, oldest first.",
    totalCount: (_parent, _args, ctx) =>
      prisma().webhookEndpoint.count({ where: { tenantId: viewerOf(ctx).tenantId } }),
    resolve: (query, _root, _args, ctx) =>
      prisma().webhookEndpoint.findMany({
        ...query,
        where: { tenantId: viewerOf(ctx).tenantId },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      }),
  }),
);

builder.queryField("webhookDelivery", (t) =>
  t.prismaField({
    type: "WebhookDelivery",
    description: "One of your tenant's webhook deliveries by its id, with its attempts.",
    errors: { types: LOOKUP_ERRORS, directResult: true },
    args: { id: t.arg.id({ description: "The delivery's global id." }) },
    resolve: async (query, _root, args, ctx) => {
      const id = parseGlobalId(String(args.id), "WebhookDelivery", ["id"]);
      const delivery = await prisma().webhookDelivery.findFirst({
        ...query,
        where: { id, endpoint: { tenantId: viewerOf(ctx).tenantId } },
      });
      if (!delivery) throw new NotFoundError("WebhookDelivery", String(args.id));
      return delivery;
    },
  }),
);

// --- Mutations --------------------------------------------------------------------------------------

const CreateWebhookEndpointInput = builder.inputType("CreateWebhookEndpointInput", {
  description: "A webhook endpoint to register.",
  fields: (t) => ({
    url: t.string({
      description:
        "Where to POST deliveries: https, on a public address (loopback and private networks are refused unless configuration allows them).",
    }),
    events: t.field({
      type: [WebhookEventTypeEnum],
      description: "The event types it receives (at least one).",
    }),
    description: t.string({ required: false, description: "What it is for (up to 500 characters)." }),
  }),
});

const UpdateWebhookEndpointInput = builder.inputType("UpdateWebhookEndpointInput", {
  description: "Changes to an endpoint; fields left out stay as they are.",
  fields: (t) => ({
    endpointId: t.id({ description: "The endpoint's global id." }),
    url: t.string({ required: false, description: "A new URL (same rules as when registering)." }),
    events: t.field({ type: [WebhookEventTypeEnum], required: false, description: "The new event types." }),
    description: t.string({ required: false, description: "A new description." }),
  }),
});

const WebhookEndpointPayload = builder.objectRef<{ endpointId: string }>("WebhookEndpointPayload").implement({
  description: "The result of a mutation on a webhook endpoint.",
  fields: (t) => ({
    endpoint: t.prismaField({
      type: "WebhookEndpoint",
      description: "The endpoint after the change.",
      resolve: (query, payload) =>
        prisma().webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: payload.endpointId } }),
    }),
  }),
});

const WebhookSecretPayload = builder
  .objectRef<{ endpointId: string; secret: string }>("WebhookSecretPayload")
  .implement({
    description: "An endpoint with its signing secret, shown this once (keep it: it cannot be read again).",
    fields: (t) => ({
      endpoint: t.prismaField({
        type: "WebhookEndpoint",
        description: "The endpoint.",
        resolve: (query, payload) =>
          prisma().webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: payload.endpointId } }),
      }),
      secret: t.exposeString("secret", {
        description:
          "The signing secret (whsec_…): verify each delivery's webhook-signature with it, e.g. with a Standard Webhooks library.",
      }),
    }),
  });

builder.mutationField("createWebhookEndpoint", (t) =>
  t.field({
    type: WebhookSecretPayload,
    description: "Registers a webhook endpoint (OWNER or ADMIN) and returns its signing secret, once.",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { input: t.arg({ type: CreateWebhookEndpointInput, description: "The endpoint." }) },
    resolve: (_root, { input }, ctx) => createWebhookEndpoint(commandDeps(ctx), viewerOf(ctx), input),
  }),
);

builder.mutationField("updateWebhookEndpoint", (t) =>
  t.field({
    type: WebhookEndpointPayload,
    description: "Changes an endpoint's URL, events or description (OWNER or ADMIN).",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { input: t.arg({ type: UpdateWebhookEndpointInput, description: "The changes." }) },
    resolve: (_root, { input }, ctx) =>
      updateWebhookEndpoint(commandDeps(ctx), viewerOf(ctx), {
        endpoint: targetOf(input.endpointId, "WebhookEndpoint", ["input", "endpointId"]),
        url: input.url,
        events: input.events,
        description: input.description,
      }),
  }),
);

/** The mutations that take an endpoint's id and return it. */
function endpointMutation(name: string, description: string, command: typeof enableWebhookEndpoint) {
  builder.mutationField(name, (t) =>
    t.field({
      type: WebhookEndpointPayload,
      description,
      authScopes: { writer: true },
      errors: { types: MUTATION_ERRORS, directResult: true },
      args: { id: t.arg.id({ description: "The endpoint's global id." }) },
      resolve: (_root, args, ctx) =>
        command(commandDeps(ctx), viewerOf(ctx), targetOf(args.id, "WebhookEndpoint", ["id"])),
    }),
  );
}

endpointMutation(
  "enableWebhookEndpoint",
  "Enables an endpoint (OWNER or ADMIN), e.g. after it was disabled for failing: its waiting deliveries resume, in order.",
  enableWebhookEndpoint,
);
endpointMutation(
  "disableWebhookEndpoint",
  "Disables an endpoint (OWNER or ADMIN): it receives nothing new until enabled; what waits for it stays.",
  disableWebhookEndpoint,
);

const DeleteWebhookEndpointPayload = builder
  .objectRef<{ endpointId: string }>("DeleteWebhookEndpointPayload")
  .implement({
    description: "The result of deleteWebhookEndpoint.",
    fields: (t) => ({
      deletedId: t.id({
        description: "The global id of the endpoint removed.",
        resolve: (payload) => globalId("WebhookEndpoint", payload.endpointId),
      }),
    }),
  });

builder.mutationField("deleteWebhookEndpoint", (t) =>
  t.field({
    type: DeleteWebhookEndpointPayload,
    description: "Removes an endpoint with its waiting deliveries and history (OWNER or ADMIN).",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { id: t.arg.id({ description: "The endpoint's global id." }) },
    resolve: (_root, args, ctx) =>
      deleteWebhookEndpoint(commandDeps(ctx), viewerOf(ctx), targetOf(args.id, "WebhookEndpoint", ["id"])),
  }),
);

builder.mutationField("rotateWebhookSecret", (t) =>
  t.field({
    type: WebhookSecretPayload,
    description:
      "Gives an endpoint a new signing secret (OWNER or ADMIN), returned once; the old one stops at once.",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { id: t.arg.id({ description: "The endpoint's global id." }) },
    resolve: (_root, args, ctx) =>
      rotateWebhookSecret(commandDeps(ctx), viewerOf(ctx), targetOf(args.id, "WebhookEndpoint", ["id"])),
  }),
);

const ReplayWebhookDeliveryPayload = builder
  .objectRef<{ deliveryId: string }>("ReplayWebhookDeliveryPayload")
  .implement({
    description: "The result of replayWebhookDelivery.",
    fields: (t) => ({
      delivery: t.prismaField({
        type: "WebhookDelivery",
        description: "The new delivery: the same event (id and body), at the end of the endpoint's line.",
        resolve: (query, payload) =>
          prisma().webhookDelivery.findUniqueOrThrow({ ...query, where: { id: payload.deliveryId } }),
      }),
    }),
  });

builder.mutationField("replayWebhookDelivery", (t) =>
  t.field({
    type: ReplayWebhookDeliveryPayload,
    description:
      "Sends a delivery's event again, by hand (OWNER or ADMIN): a new delivery of the same event, signed when it goes. The endpoint must be enabled.",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { id: t.arg.id({ description: "The delivery's global id." }) },
    resolve: (_root, args, ctx) =>
      replayWebhookDelivery(commandDeps(ctx), viewerOf(ctx), targetOf(args.id, "WebhookDelivery", ["id"])),
  }),
);

builder.subscriptionField("webhookEndpointChanged", (t) =>
  t.prismaField({
    type: "WebhookEndpoint",
    description:
      "Streams your tenant's webhook endpoints each time one's status changes, e.g. disabled after a day of failed deliveries.",
    subscribe: (_root, _args, ctx) =>
      subscriptionSetup(() =>
        ctx.services.events.subscribe("webhookEndpointChanged", viewerOf(ctx).tenantId),
      ),
    resolve: (query, event: { endpointId: string }) =>
      prisma().webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: event.endpointId } }),
  }),
);
