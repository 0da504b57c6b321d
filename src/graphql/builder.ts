import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { GraphQLError } from "graphql";
import { prisma } from "../db/client.ts";
import type PrismaTypes from "../generated/pothos-types.ts";
import { getDatamodel } from "../generated/pothos-types.ts";
import type { Context } from "./context.ts";
import { ForbiddenError } from "./errors.ts";

/** The Pothos builder and its plugins; types live in ./schema, one file per domain. */
export const builder = new SchemaBuilder<{
  PrismaTypes: PrismaTypes;
  Context: Context;
  AuthScopes: { member: boolean; writer: boolean; owner: boolean };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Decimal: { Input: string; Output: { toString(): string } };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      member: ctx.viewer !== null,
      writer: ctx.viewer?.role === "OWNER" || ctx.viewer?.role === "ADMIN",
      owner: ctx.viewer?.role === "OWNER",
    }),
    unauthorizedError: (_parent, ctx) =>
      ctx.viewer === null
        ? new GraphQLError("Authentication required: send Authorization: Bearer <token>", {
            extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
          })
        : new ForbiddenError(`Your role (${ctx.viewer.role}) may not do this`, ["OWNER", "ADMIN"]),
  },
  errors: { defaultTypes: [] },
  prisma: {
    client: () => prisma(),
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === "production" ? null : "error",
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodeQueryOptions: { description: "Fetches any object of your tenant by its global id." },
    nodesQueryOptions: false,
  },
});
