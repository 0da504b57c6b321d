import type { Actor, Target } from "../../commands/command.ts";
import { connectIntegration } from "../../commands/connect-integration.ts";
import {
  disconnectIntegration,
  pauseIntegration,
  resumeIntegration,
} from "../../commands/integration-status.ts";
import { reconnectIntegration } from "../../commands/reconnect-integration.ts";
import { prisma } from "../../db/client.ts";
import { ContinuousConnectionLimitError, NotFoundError } from "../../errors.ts";
import type { Integration } from "../../generated/prisma/client.ts";
import { PLATFORMS } from "../../platforms/catalog.ts";
import { loadIntegrationEffectiveSettings } from "../../settings/load.ts";
import { builder } from "../builder.ts";
import { type Context, commandDeps, viewerOf } from "../context.ts";
import { parseGlobalId, targetOf } from "../ids.ts";
import type { StateTick } from "../live/state.ts";
import { liveState, ownIntegrationId, subscriptionSetup } from "../subscriptions.ts";
import { IntegrationStatusEnum, PlatformKeyEnum, SyncModeEnum } from "./enums.ts";
import { LOOKUP_ERRORS, MUTATION_ERRORS } from "./errors.ts";
import { PlatformRef } from "./platform.ts";
import { EffectiveSettingsRef } from "./settings.ts";

export const IntegrationRef = builder.prismaNode("Integration", {
  id: { field: "id" },
  description: "A tenant's connection to one platform and one remote organisation.",
  findUnique: (id, ctx) => ({ id, tenantId: viewerOf(ctx).tenantId }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "Display name." }),
    platform: t.field({
      type: PlatformRef,
      description: "The platform's catalog entry.",
      select: { platform: true },
      resolve: (integration) => PLATFORMS[integration.platform],
    }),
    platformKey: t.field({
      type: PlatformKeyEnum,
      description: "The platform's key.",
      select: { platform: true },
      resolve: (integration) => integration.platform,
    }),
    remoteTenantId: t.exposeString("remoteTenantId", {
      description: "The remote organisation's id on the platform.",
    }),
    status: t.field({
      type: IntegrationStatusEnum,
      description: "Where the integration is in its life.",
      select: { status: true },
      resolve: (integration) => integration.status,
    }),
    syncMode: t.field({
      type: SyncModeEnum,
      description: "One-off or continuous, fixed when connected or reconnected.",
      select: { syncMode: true },
      resolve: (integration) => integration.syncMode,
    }),
    hasCredentials: t.boolean({
      description: "Whether credentials are stored (they are encrypted and never returned).",
      select: { credentialsEncrypted: true },
      resolve: (integration) => integration.credentialsEncrypted.length > 0,
    }),
    connectedAt: t.expose("connectedAt", {
      type: "DateTime",
      nullable: true,
      description: "Last connected.",
    }),
    disconnectedAt: t.expose("disconnectedAt", {
      type: "DateTime",
      nullable: true,
      description: "Last disconnected.",
    }),
    lastError: t.exposeString("lastError", {
      nullable: true,
      description: "The error that put it into ERROR.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    settings: t.field({
      type: EffectiveSettingsRef,
      description:
        "Effective settings: each value with the layer (tenant, platform, integration) it comes from.",
      select: { id: true },
      resolve: (integration) => loadIntegrationEffectiveSettings(prisma(), integration.id),
    }),
    // A connection like every list that grows with data: a page of rules, never all of them (nested under
    // MappingRule.integration an unpaged list multiplied the work at every level).
    mappingRules: t.relatedConnection("mappingRules", {
      description: "Mapping rules, default rules first, then by source type and value.",
      cursor: "id",
      totalCount: true,
      query: { orderBy: [{ sourceType: "asc" }, { sourceValue: "asc" }, { id: "asc" }] },
    }),
    syncRuns: t.relatedConnection("syncRuns", {
      description: "Sync runs, newest first.",
      cursor: "id",
      totalCount: true,
      query: { orderBy: [{ queuedAt: "desc" }, { id: "desc" }] },
    }),
  }),
});

builder.queryField("integrations", (t) =>
  t.prismaConnection({
    type: "Integration",
    cursor: "id",
    description: "Your tenant's integrations, oldest first, optionally filtered by platform and status.",
    args: {
      platform: t.arg({ type: PlatformKeyEnum, required: false, description: "Only this platform." }),
      status: t.arg({ type: IntegrationStatusEnum, required: false, description: "Only this status." }),
    },
    totalCount: (_parent, args, ctx) => prisma().integration.count({ where: integrationFilter(ctx, args) }),
    resolve: (query, _root, args, ctx) =>
      prisma().integration.findMany({
        ...query,
        where: integrationFilter(ctx, args),
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      }),
  }),
);

function integrationFilter(
  ctx: Context,
  args: { platform?: Integration["platform"] | null; status?: Integration["status"] | null },
) {
  return {
    tenantId: viewerOf(ctx).tenantId,
    ...(args.platform ? { platform: args.platform } : {}),
    ...(args.status ? { status: args.status } : {}),
  };
}

builder.queryField("integration", (t) =>
  t.prismaField({
    type: "Integration",
    description: "One of your tenant's integrations by its id.",
    errors: { types: LOOKUP_ERRORS, directResult: true },
    args: { id: t.arg.id({ description: "The integration's global id." }) },
    resolve: async (query, _root, args, ctx) => {
      const id = parseGlobalId(String(args.id), "Integration", ["id"]);
      const integration = await prisma().integration.findFirst({
        ...query,
        where: { id, tenantId: viewerOf(ctx).tenantId },
      });
      if (!integration) throw new NotFoundError("Integration", String(args.id));
      return integration;
    },
  }),
);

// --- Mutations --------------------------------------------------------------------------------------

const CredentialsInput = builder.inputType("CredentialsInput", {
  description: "Credentials for the remote platform. They are encrypted at rest and can never be read back.",
  fields: (t) => ({
    accessToken: t.string({ description: "OAuth access token or API key." }),
    refreshToken: t.string({
      required: false,
      description: "OAuth refresh token, if the platform issues one.",
    }),
    expiresAt: t.field({ type: "DateTime", required: false, description: "When the access token expires." }),
  }),
});

const ConnectIntegrationInput = builder.inputType("ConnectIntegrationInput", {
  description: "A new connection to a platform.",
  fields: (t) => ({
    platform: t.field({ type: PlatformKeyEnum, description: "The platform to connect." }),
    name: t.string({ description: "Display name (1 to 200 characters)." }),
    remoteTenantId: t.string({
      description: "The remote organisation's id on the platform (e.g. Xero's tenant id).",
    }),
    credentials: t.field({ type: CredentialsInput, description: "Credentials for the remote platform." }),
  }),
});

const ReconnectIntegrationInput = builder.inputType("ReconnectIntegrationInput", {
  description: "Fresh credentials for a disconnected integration.",
  fields: (t) => ({
    integrationId: t.id({ description: "The integration's global id." }),
    credentials: t.field({
      type: CredentialsInput,
      description: "Fresh credentials for the remote platform.",
    }),
  }),
});

/** What integration mutations return: the integration and the run they queued, if any. */
export const IntegrationPayload = builder
  .objectRef<{ integrationId: string; syncRunId?: string | null }>("IntegrationPayload")
  .implement({
    description: "The result of a mutation on an integration.",
    fields: (t) => ({
      integration: t.prismaField({
        type: "Integration",
        description: "The integration after the change.",
        resolve: (query, payload) =>
          prisma().integration.findUniqueOrThrow({ ...query, where: { id: payload.integrationId } }),
      }),
      syncRun: t.prismaField({
        type: "SyncRun",
        nullable: true,
        description: "The sync run this mutation queued (the initial sync on connect and reconnect).",
        resolve: (query, payload) =>
          payload.syncRunId
            ? prisma().syncRun.findUnique({ ...query, where: { id: payload.syncRunId } })
            : null,
      }),
    }),
  });

builder.mutationField("connectIntegration", (t) =>
  t.field({
    type: IntegrationPayload,
    description:
      "Connects a platform (OWNER or ADMIN) and queues its initial sync. Continuous connections count towards the platform's limit.",
    authScopes: { writer: true },
    errors: { types: [...MUTATION_ERRORS, ContinuousConnectionLimitError], directResult: true },
    args: { input: t.arg({ type: ConnectIntegrationInput, description: "The connection." }) },
    resolve: (_root, args, ctx) => connectIntegration(commandDeps(ctx), viewerOf(ctx), args.input),
  }),
);

builder.mutationField("reconnectIntegration", (t) =>
  t.field({
    type: IntegrationPayload,
    description:
      "Reconnects a DISCONNECTED or ERROR integration with fresh credentials (OWNER or ADMIN) and queues its initial sync.",
    authScopes: { writer: true },
    errors: { types: [...MUTATION_ERRORS, ContinuousConnectionLimitError], directResult: true },
    args: {
      input: t.arg({ type: ReconnectIntegrationInput, description: "The integration and credentials." }),
    },
    resolve: (_root, { input }, ctx) =>
      reconnectIntegration(commandDeps(ctx), viewerOf(ctx), {
        integration: targetOf(input.integrationId, "Integration", ["input", "integrationId"]),
        credentials: input.credentials,
      }),
  }),
);

/** disconnect, pause and resume share one shape: an integration id in, the integration out. */
function statusMutation(
  name: string,
  description: string,
  command: (
    deps: ReturnType<typeof commandDeps>,
    viewer: Actor,
    target: Target,
  ) => Promise<{ integrationId: string }>,
) {
  builder.mutationField(name, (t) =>
    t.field({
      type: IntegrationPayload,
      description,
      authScopes: { writer: true },
      errors: { types: MUTATION_ERRORS, directResult: true },
      args: { id: t.arg.id({ description: "The integration's global id." }) },
      resolve: (_root, args, ctx) =>
        command(commandDeps(ctx), viewerOf(ctx), targetOf(args.id, "Integration", ["id"])),
    }),
  );
}

statusMutation(
  "disconnectIntegration",
  "Disconnects an integration (OWNER or ADMIN) and cancels its queued runs. Disconnecting twice is a no-op.",
  disconnectIntegration,
);
statusMutation(
  "pauseIntegration",
  "Pauses an integration (OWNER or ADMIN): no scheduled or queued work runs until it is resumed.",
  pauseIntegration,
);
statusMutation("resumeIntegration", "Resumes a PAUSED integration (OWNER or ADMIN).", resumeIntegration);

// --- Subscriptions ----------------------------------------------------------------------------------

builder.subscriptionField("integrationStatusChanged", (t) =>
  t.prismaField({
    type: "Integration",
    description:
      "Streams your tenant's integrations (or only one): first each as it is now (oldest first), then each time its status changes. A state stream: a subscriber that falls behind gets each integration's latest state, never a backlog. Another tenant's integration id answers NOT_FOUND.",
    args: {
      integrationId: t.arg.id({ required: false, description: "Only this integration." }),
    },
    subscribe: (_root, args, ctx) =>
      subscriptionSetup(async () => {
        const tenantId = viewerOf(ctx).tenantId;
        // Only an omitted (null) id means "every integration": "" is a malformed id like any other.
        const only =
          args.integrationId != null ? await ownIntegrationId(ctx, String(args.integrationId)) : null;
        return liveState(ctx, {
          topic: "integrationStatusChanged",
          channel: tenantId,
          cell: "integration",
          idOf: (event) => (only === null || event.integrationId === only ? event.integrationId : null),
          initial: async () => {
            if (only) return [only];
            const own = await prisma().integration.findMany({
              where: { tenantId },
              orderBy: [{ createdAt: "asc" }, { id: "asc" }],
              select: { id: true },
            });
            return own.map((integration) => integration.id);
          },
        });
      }),
    // Read once per change on this node for each selection asked, whatever the number of subscribers.
    resolve: (query, tick: StateTick) =>
      tick.read(query, () => prisma().integration.findUniqueOrThrow({ ...query, where: { id: tick.id } })),
  }),
);
