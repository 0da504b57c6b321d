import { lexicographicSortSchema, printSchema } from "graphql";
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

export const schema = builder.toSchema();

/** The SDL committed as schema.graphql; CI fails when it differs from the builder's output. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
