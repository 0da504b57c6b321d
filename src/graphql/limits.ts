import { characterLimitPlugin } from "@escape.tech/graphql-armor-character-limit";
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { createComplexityRule } from "@pothos/plugin-complexity";
import {
  type DocumentNode,
  type ExecutionArgs,
  GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  getNullableType,
  isListType,
  type ValidationContext,
  validate,
} from "graphql";
import type { Plugin } from "graphql-yoga";

/**
 * What one GraphQL document may ask for, checked before anything executes, over HTTP, SSE and WebSocket
 * alike (graphql-ws runs through yoga's enveloped pipeline). Each refusal is a GraphQLError with
 * `extensions.code` QUERY_LIMIT and the limit's name, so clients can tell it from any other error.
 */
export const QUERY_LIMITS = {
  /** Characters in the document (checked before it is parsed). */
  characters: 50_000,
  /** Lexical tokens in the document (the parser stops counting past it). */
  tokens: 5_000,
  /** Nesting of selections (introspection's own depth is not counted). */
  depth: 14,
  /** Aliased fields in one operation. */
  aliases: 30,
  /**
   * Cost: every field costs 1, and what is selected below a connection counts once per item it may return
   * (its `first` or `last`, else its default page size), below any other list 10 times.
   */
  cost: 300_000,
} as const;

/** The default page of a connection asked for without `first` or `last` (Pothos' default). */
const DEFAULT_PAGE = 20;
/** A connection's largest page (Pothos' maximum: a larger `first` is cut to it). */
const MAX_PAGE = 100;

/**
 * Bytes a request may carry, over HTTP (its Content-Length) and in one WebSocket message: the query's
 * own limits apply to the document only, and this bounds what is read and parsed before them (variables
 * included). Far above the largest real request (1,000 orders of `ingestOrders`).
 */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

export function limitError(limit: keyof typeof QUERY_LIMITS, message: string): GraphQLError {
  return new GraphQLError(message.replace(/^Syntax Error: /, ""), {
    extensions: { code: "QUERY_LIMIT", limit, max: QUERY_LIMITS[limit], http: { status: 400 } },
  });
}

/**
 * The cost of a field for the complexity rule (Pothos' complexity plugin, `fieldComplexity` in the
 * builder): a connection multiplies what is selected below it by the page it may return; its `edges` add
 * no multiplier of their own; any other list multiplies by 10.
 */
export function fieldCost(
  args: Record<string, unknown>,
  field: Pick<GraphQLField<unknown, unknown>, "name" | "type" | "args">,
): { field: number; multiplier: number } {
  if (field.args.some((arg) => arg.name === "first" || arg.name === "last")) {
    const page = [args.first, args.last].find((n): n is number => typeof n === "number");
    return { field: 1, multiplier: Math.min(Math.max(page ?? DEFAULT_PAGE, 1), MAX_PAGE) };
  }
  if (field.name === "edges") return { field: 1, multiplier: 1 };
  return { field: 1, multiplier: isListType(getNullableType(field.type)) ? 10 : 1 };
}

/** The yoga plugins enforcing QUERY_LIMITS (graphql-armor for the document's shape, Pothos for cost). */
export function queryLimits(): Plugin[] {
  const reject =
    (limit: keyof typeof QUERY_LIMITS) => (context: ValidationContext | null, error: GraphQLError) => {
      const typed = limitError(limit, error.message);
      if (context) context.reportError(typed);
      else throw typed;
    };
  return [
    // maxTokens replaces the parser outright, so it goes first and the character limit wraps it.
    maxTokensPlugin({ n: QUERY_LIMITS.tokens, propagateOnRejection: false, onReject: [reject("tokens")] }),
    characterLimitPlugin({
      maxLength: QUERY_LIMITS.characters,
      propagateOnRejection: false,
      onReject: [reject("characters")],
    }),
    maxDepthPlugin({
      n: QUERY_LIMITS.depth,
      ignoreIntrospection: true,
      propagateOnRejection: false,
      onReject: [reject("depth")],
    }),
    maxAliasesPlugin({
      n: QUERY_LIMITS.aliases,
      propagateOnRejection: false,
      onReject: [reject("aliases")],
    }),
    costLimit(),
  ];
}

/**
 * Cost depends on the variables (`first: $n`), and yoga caches validation by document, so cost is checked
 * when an operation is about to execute or subscribe, with its variables, before any resolver runs.
 */
function costLimit(): Plugin {
  const check = (args: ExecutionArgs): GraphQLError[] =>
    validate(args.schema as GraphQLSchema, args.document as DocumentNode, [
      createComplexityRule({
        context: args.contextValue as object,
        variableValues: (args.variableValues ?? {}) as Record<string, unknown>,
        operationName: args.operationName,
        validate: (result, report) => {
          if (result.complexity > QUERY_LIMITS.cost) {
            report(
              limitError(
                "cost",
                `Query cost ${result.complexity} exceeds the maximum of ${QUERY_LIMITS.cost}: ask for smaller pages`,
              ),
            );
          }
        },
      }),
    ]).map((error) =>
      error.extensions.code
        ? error
        : new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT" } }),
    );
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const errors = check(args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      const errors = check(args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
  };
}
