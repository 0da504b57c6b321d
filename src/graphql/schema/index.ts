import { type GraphQLSchema, isObjectType, isUnionType, lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "../builder.ts";
import "./scalars.ts";
import "./errors.ts";
import "./enums.ts";
import "./platform.ts";
import "./tenant.ts";
import "./settings.ts";
import "./integration.ts";
import "./mapping.ts";
import "./sync-run.ts";
import "./export.ts";
import "./app-budget.ts";
import "./tickets.ts";
import "./push.ts";
import "./connections.ts";
import "./records.ts";
import "./webhooks.ts";
import "./schedule.ts";

builder.queryType({
  description: "Reads. Every field needs a bearer token and sees only the token's tenant.",
  authScopes: { member: true },
});
builder.mutationType({
  description: "Changes. Each runs in one transaction: a mutation that returns an error changed nothing.",
  authScopes: { member: true },
});
builder.subscriptionType({
  description: "Live streams over graphql-ws (WebSocket) or server-sent events.",
  authScopes: { member: true },
});

export const schema = describeGeneratedTypes(builder.toSchema());

/**
 * Pothos generates wrapper types for result unions and connections from field names. Integrator
 * tooling reads every description by introspection, so each wrapper gets one derived from the field it
 * wraps, in one place rather than at every field.
 */
function describeGeneratedTypes(built: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(built.getTypeMap())) {
    if (type.description || type.name.startsWith("__")) continue;
    const result = /^(Query|Mutation)(\w+)Result$/.exec(type.name);
    if (result && isUnionType(type)) {
      const field = result[2]!.charAt(0).toLowerCase() + result[2]!.slice(1);
      type.description =
        result[1] === "Mutation"
          ? `The result of ${field}: its payload, or a typed error (in which case nothing changed).`
          : `The result of ${field}: the object, or a typed error (not found, malformed id).`;
    } else if (type.name.endsWith("ConnectionEdge")) {
      type.description = `One item of a ${type.name.replace(/Edge$/, "")} page, with its cursor.`;
    } else if (type.name.endsWith("Connection") && isObjectType(type)) {
      type.description = "A page of a list, with relay-style cursors.";
    }
    if (type.name.endsWith("Connection") && isObjectType(type)) {
      const totalCount = type.getFields().totalCount;
      if (totalCount && !totalCount.description)
        totalCount.description = "Items in the whole list, ignoring paging.";
    }
  }
  return built;
}

/** The SDL committed as schema.graphql; CI fails when it differs from the builder's output. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
