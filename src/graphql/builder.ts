import SchemaBuilder, { PothosError } from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin, { type AuthFailure, AuthScopeFailureType } from "@pothos/plugin-scope-auth";
import { GraphQLError, isObjectType } from "graphql";
import type { Config } from "../config.ts";
import { prisma } from "../db/client.ts";
import { ForbiddenError } from "../errors.ts";
import type PrismaTypes from "../generated/pothos-types.ts";
import { getDatamodel } from "../generated/pothos-types.ts";
import type { Context } from "./context.ts";
import { checkNodeId } from "./ids.ts";
import { fieldCost } from "./limits.ts";

/**
 * What the builder takes from the config. The builder exists when the schema modules are imported, before
 * any config is loaded, so these are applied when the API is created (createYogaApp → configureBuilder).
 */
const fromConfig = {
  /** Outside production a Prisma selection that a resolver left unused is an error (N+1 regressions). */
  unusedQueryIsError: true,
};

export function configureBuilder(config: Pick<Config, "env">): void {
  fromConfig.unusedQueryIsError = config.env !== "production";
}

/** The roles each auth scope admits. */
const SCOPE_ROLES: Record<string, string[]> = {
  owner: ["OWNER"],
  writer: ["OWNER", "ADMIN"],
  member: ["OWNER", "ADMIN", "VIEWER"],
};

/** The roles that may do what a scope check refused: those of the narrowest scope that failed. */
function rolesThatMay(failure: AuthFailure): string[] {
  const scopes = new Set<string>();
  const walk = (f: AuthFailure) => {
    if (f.kind === AuthScopeFailureType.AuthScope) scopes.add(String(f.scope));
    if ("failures" in f) for (const inner of f.failures) walk(inner);
  };
  walk(failure);
  for (const scope of ["owner", "writer", "member"]) if (scopes.has(scope)) return SCOPE_ROLES[scope]!;
  return SCOPE_ROLES.writer!;
}

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
  plugins: [ErrorsPlugin, ScopeAuthPlugin, PrismaPlugin, RelayPlugin, ComplexityPlugin],
  // Each field's cost; the limit is enforced before execution by graphql/limits.ts (with the variables).
  complexity: { fieldComplexity: (args, _ctx, field) => fieldCost(args, field) },
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      member: ctx.viewer !== null,
      writer: ctx.viewer?.role === "OWNER" || ctx.viewer?.role === "ADMIN",
      owner: ctx.viewer?.role === "OWNER",
    }),
    unauthorizedError: (_parent, ctx, _info, result) =>
      ctx.viewer === null
        ? new GraphQLError("Authentication required: send Authorization: Bearer <token>", {
            extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
          })
        : new ForbiddenError(`Your role (${ctx.viewer.role}) may not do this`, rolesThatMay(result.failure)),
  },
  errors: { defaultTypes: [] },
  prisma: {
    client: () => prisma(),
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: (info) => {
      if (fromConfig.unusedQueryIsError)
        throw new PothosError(
          `Prisma query was unused in resolver for ${info.parentType.name}.${info.fieldName}`,
        );
    },
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    idFieldOptions: {
      description: "Global id (opaque; pass it back to node, or to any field taking this type's id).",
    },
    nodeTypeOptions: { description: "An object with a global id." },
    pageInfoTypeOptions: { description: "Where a page of a connection sits in the whole list." },
    hasNextPageFieldOptions: { description: "Whether more items follow this page." },
    hasPreviousPageFieldOptions: { description: "Whether items precede this page." },
    startCursorFieldOptions: { description: "Cursor of the first item of this page." },
    endCursorFieldOptions: {
      description: "Cursor of the last item of this page; pass it as `after` for the next page.",
    },
    cursorFieldOptions: { description: "Opaque cursor of this item." },
    nodeFieldOptions: { description: "The item." },
    edgesFieldOptions: { description: "The items of this page, with their cursors." },
    pageInfoFieldOptions: { description: "Paging information." },
    firstArgOptions: { description: "Return at most this many items from the start (after `after`)." },
    lastArgOptions: { description: "Return at most this many items from the end (before `before`)." },
    afterArgOptions: { description: "Return items after this cursor." },
    beforeArgOptions: { description: "Return items before this cursor." },
    nodeQueryOptions: {
      description:
        "Fetches any object of your tenant by its global id; null if your tenant has no such object.",
      args: { id: { description: "A global id." } },
      // Node loaders are scoped to the viewer's tenant, so another tenant's id finds no row: that is
      // "no such object" (null), never an error that would reveal it exists.
      resolve: async (_root, args, _ctx, info, resolveNode) => {
        checkNodeId(args.id, (typename) => {
          const type = info.schema.getType(typename);
          return isObjectType(type) && type.getInterfaces().some((i) => i.name === "Node");
        });
        try {
          return await resolveNode(args.id);
        } catch (error) {
          if ((error as { code?: string }).code === "P2025") return null;
          throw error;
        }
      },
    },
    nodesQueryOptions: false,
  },
});
