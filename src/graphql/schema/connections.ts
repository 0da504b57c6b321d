import { chooseOrganisation } from "../../commands/choose-organisation.ts";
import { startConnection } from "../../commands/start-connection.ts";
import { authorizesWithOAuth } from "../../connections/identity.ts";
import { prisma } from "../../db/client.ts";
import { ContinuousConnectionLimitError, NotFoundError } from "../../errors.ts";
import type * as Prisma from "../../generated/prisma/enums.ts";
import { builder } from "../builder.ts";
import { commandDeps, viewerOf } from "../context.ts";
import { parseGlobalId, targetOf } from "../ids.ts";
import { PlatformKeyEnum } from "./enums.ts";
import { LOOKUP_ERRORS, MUTATION_ERRORS } from "./errors.ts";
import { IntegrationPayload } from "./integration.ts";

/**
 * Connecting through the platform's authorization page (OAuth 2.0 with PKCE): startConnection hands out
 * the URL to open in the user's browser; the platform sends the browser back to syncline's callback
 * (/oauth/callback), which completes the integration, or leaves the connection for chooseOrganisation
 * when the user authorized several organisations. Platforms that connect with API keys (the PSA) keep
 * using connectIntegration.
 */

/** Most organisations one flow lists: every list the API returns has a documented bound. */
const MAX_ORGANISATIONS_LISTED = 500;

const ConnectionFlowStatusEnum = builder.enumType("ConnectionFlowStatus", {
  description: "Where a connection being authorized is.",
  values: {
    AUTHORIZING: {
      description: "Waiting for the user to authorize at the platform (open authorizationUrl).",
    },
    CHOOSING_ORGANISATION: {
      description: "The user authorized several organisations: choose one with chooseOrganisation.",
    },
    COMPLETED: { description: "The integration is connected (or connected again); see integration." },
    FAILED: { description: "Declined, refused by the platform, or not possible; see error." },
  } satisfies Record<Prisma.ConnectionFlowStatus, unknown>,
});

const AuthorizationProblemEnum = builder.enumType("AuthorizationProblem", {
  description: "Why an integration needs to be authorized again.",
  values: {
    REFRESH_REFUSED: {
      description: "The platform refused to refresh the access token (revoked, expired, or replaced).",
    },
    CREDENTIALS_REFUSED: { description: "The platform refused freshly issued credentials, or the API key." },
    CONNECTION_REMOVED: { description: "The organisation's connection was removed at the platform." },
  } satisfies Record<Prisma.AuthorizationProblem, unknown>,
});

const AuthorizationMethodEnum = builder.enumType("AuthorizationMethod", {
  description: "How a platform is connected.",
  values: {
    OAUTH2: { description: "Through the platform's authorization page (startConnection)." },
    API_KEY: { description: "With API keys given to connectIntegration." },
  },
});

interface Organisation {
  remoteTenantId: string;
  name: string | null;
}

const OrganisationRef = builder.objectRef<Organisation>("AuthorizedOrganisation").implement({
  description: "An organisation the user authorized, to choose from.",
  fields: (t) => ({
    remoteTenantId: t.exposeString("remoteTenantId", {
      description: "Its id on the platform (pass it to chooseOrganisation).",
    }),
    name: t.exposeString("name", { nullable: true, description: "Its name, when the platform gives one." }),
  }),
});

builder.prismaNode("ConnectionFlow", {
  id: { field: "id" },
  description:
    "A connection being authorized at a platform. Its state and code verifier stay on the server; it expires.",
  findUnique: (id, ctx) => ({ id, tenantId: viewerOf(ctx).tenantId }),
  fields: (t) => ({
    platform: t.field({
      type: PlatformKeyEnum,
      description: "The platform being authorized.",
      select: { platform: true },
      resolve: (flow) => flow.platform,
    }),
    name: t.exposeString("name", {
      description: "Display name for the integration (empty: the organisation's name).",
    }),
    status: t.field({
      type: ConnectionFlowStatusEnum,
      description: "Where it is.",
      select: { status: true },
      resolve: (flow) => flow.status,
    }),
    expiresAt: t.expose("expiresAt", {
      type: "DateTime",
      description: "The authorization (and the choice of organisation) must happen before this.",
    }),
    organisations: t.field({
      type: [OrganisationRef],
      description: `The organisations authorized, while one is to be chosen (CHOOSING_ORGANISATION): at most ${MAX_ORGANISATIONS_LISTED}, in the order the platform listed them.`,
      select: { organisations: true, status: true },
      resolve: (flow) =>
        flow.status === "CHOOSING_ORGANISATION"
          ? ((flow.organisations ?? []) as unknown as Organisation[])
              .slice(0, MAX_ORGANISATIONS_LISTED)
              .map(({ remoteTenantId, name }) => ({ remoteTenantId, name }))
          : [],
    }),
    integration: t.relation("integration", {
      nullable: true,
      description: "The integration being connected again, or the one this connected.",
    }),
    error: t.exposeString("error", { nullable: true, description: "Why it failed." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was started." }),
  }),
});

const IntegrationAuthorizationRef = builder
  .objectRef<{
    platform: Prisma.PlatformKey;
    authorizationProblem: Prisma.AuthorizationProblem | null;
    accessTokenExpiresAt: Date | null;
    tokenRefreshCount: number;
    tokenRefreshedAt: Date | null;
  }>("IntegrationAuthorization")
  .implement({
    description:
      "How an integration is authorized at its platform (the credentials themselves are never shown).",
    fields: (t) => ({
      method: t.field({
        type: AuthorizationMethodEnum,
        description: "Authorization page (OAuth 2.0) or API keys.",
        resolve: (a) => (authorizesWithOAuth(a.platform) ? "OAUTH2" : "API_KEY"),
      }),
      problem: t.field({
        type: AuthorizationProblemEnum,
        nullable: true,
        description: "Why it needs to be authorized again (status NEEDS_AUTHORIZATION), else null.",
        resolve: (a) => a.authorizationProblem,
      }),
      accessTokenExpiresAt: t.expose("accessTokenExpiresAt", {
        type: "DateTime",
        nullable: true,
        description:
          "When the current access token expires (null: it does not). syncline refreshes it before.",
      }),
      refreshCount: t.exposeInt("tokenRefreshCount", { description: "Access-token refreshes so far." }),
      lastRefreshedAt: t.expose("tokenRefreshedAt", {
        type: "DateTime",
        nullable: true,
        description: "When the access token was last refreshed.",
      }),
    }),
  });

builder.prismaObjectField("Integration", "authorization", (t) =>
  t.field({
    type: IntegrationAuthorizationRef,
    description: "How it is authorized at its platform, and whether it needs to be authorized again.",
    select: {
      platform: true,
      authorizationProblem: true,
      accessTokenExpiresAt: true,
      tokenRefreshCount: true,
      tokenRefreshedAt: true,
    },
    resolve: (integration) => integration,
  }),
);

builder.queryField("connectionFlow", (t) =>
  t.prismaField({
    type: "ConnectionFlow",
    description: "One of your tenant's connections being authorized, by its id.",
    errors: { types: LOOKUP_ERRORS, directResult: true },
    args: { id: t.arg.id({ description: "The connection's global id (startConnection returns it)." }) },
    resolve: async (query, _root, args, ctx) => {
      const id = parseGlobalId(String(args.id), "ConnectionFlow", ["id"]);
      const flow = await prisma().connectionFlow.findFirst({
        ...query,
        where: { id, tenantId: viewerOf(ctx).tenantId },
      });
      if (!flow) throw new NotFoundError("ConnectionFlow", String(args.id));
      return flow;
    },
  }),
);

const StartConnectionInput = builder.inputType("StartConnectionInput", {
  description: "A connection to authorize at a platform's authorization page.",
  fields: (t) => ({
    platform: t.field({
      type: PlatformKeyEnum,
      description: "The platform (one that authorizes with OAuth).",
    }),
    name: t.string({
      required: false,
      description: "Display name (1 to 200 characters); default: the organisation's name.",
    }),
    integrationId: t.id({
      required: false,
      description: "To connect an existing integration again (NEEDS_AUTHORIZATION, DISCONNECTED or ERROR).",
    }),
    returnUrl: t.string({
      required: false,
      description:
        "Where the callback sends the browser afterwards, with connection, status (connected, choose_organisation, failed), integration and error in the query. It must lie under a configured return URL; default: syncline's own page.",
    }),
  }),
});

const StartConnectionPayload = builder
  .objectRef<{ connectionId: string; authorizationUrl: string; expiresAt: Date }>("StartConnectionPayload")
  .implement({
    description: "A started connection and the URL to open in the user's browser.",
    fields: (t) => ({
      connection: t.prismaField({
        type: "ConnectionFlow",
        description: "The connection, to follow (or to choose its organisation).",
        resolve: (query, payload) =>
          prisma().connectionFlow.findUniqueOrThrow({ ...query, where: { id: payload.connectionId } }),
      }),
      authorizationUrl: t.exposeString("authorizationUrl", {
        description: "The platform's authorization page: open it in the browser of the user who authorizes.",
      }),
      expiresAt: t.expose("expiresAt", {
        type: "DateTime",
        description: "The URL is good until then, once.",
      }),
    }),
  });

builder.mutationField("startConnection", (t) =>
  t.field({
    type: StartConnectionPayload,
    description:
      "Starts connecting a platform through its authorization page (OAuth 2.0 with PKCE), or connecting an integration again (OWNER or ADMIN). Open authorizationUrl in a browser; the platform returns there to syncline, which completes the integration and starts its initial sync (or resumes its waiting work).",
    authScopes: { writer: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    args: { input: t.arg({ type: StartConnectionInput, description: "The connection." }) },
    resolve: (_root, { input }, ctx) =>
      startConnection(commandDeps(ctx), viewerOf(ctx), {
        platform: input.platform,
        name: input.name,
        returnUrl: input.returnUrl,
        // "" is a malformed id (ValidationError), not an omitted one.
        integration:
          input.integrationId != null
            ? targetOf(input.integrationId, "Integration", ["input", "integrationId"])
            : null,
      }),
  }),
);

const ChooseOrganisationInput = builder.inputType("ChooseOrganisationInput", {
  description: "The organisation to connect, of those the user authorized.",
  fields: (t) => ({
    connectionId: t.id({ description: "The connection's global id." }),
    remoteTenantId: t.string({ description: "One of the connection's organisations." }),
  }),
});

builder.mutationField("chooseOrganisation", (t) =>
  t.field({
    type: IntegrationPayload,
    description:
      "Completes a connection whose authorization granted several organisations with the one chosen (OWNER or ADMIN): its initial sync is queued.",
    authScopes: { writer: true },
    errors: { types: [...MUTATION_ERRORS, ContinuousConnectionLimitError], directResult: true },
    args: {
      input: t.arg({ type: ChooseOrganisationInput, description: "The connection and organisation." }),
    },
    resolve: (_root, { input }, ctx) =>
      chooseOrganisation(commandDeps(ctx), viewerOf(ctx), {
        connection: targetOf(input.connectionId, "ConnectionFlow", ["input", "connectionId"]),
        remoteTenantId: input.remoteTenantId,
      }),
  }),
);
