import type { Failure, SandboxReply } from "./reply.ts";

/** A route table by path pattern, then by method, for the platforms whose routes are fixed paths. */

/** `params` are the pattern's capture groups, URI-decoded. */
export type RouteHandler<Context> = (context: Context, params: string[]) => SandboxReply;

export interface Route<Context> {
  path: RegExp;
  methods: Partial<Record<string, RouteHandler<Context>>>;
}

/**
 * The reply of the first route whose pattern matches `path`, or a 405 when that route does not take
 * `method`; undefined when no pattern matches (the platform words its own 404).
 */
export function routeCall<Context>(
  routes: readonly Route<Context>[],
  method: string,
  path: string,
  context: Context,
  failure: Failure,
): SandboxReply | undefined {
  for (const route of routes) {
    const match = route.path.exec(path);
    if (!match) continue;
    const handler = route.methods[method];
    if (!handler) return failure(405, `${method} is not allowed on ${path}`);
    return handler(context, match.slice(1).map(decodeURIComponent));
  }
  return undefined;
}
