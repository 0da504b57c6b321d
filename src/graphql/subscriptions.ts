import { GraphQLError } from "graphql";
import { prisma } from "../db/client.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { type Viewer, viewerOf } from "./context.ts";
import { parseGlobalId } from "./ids.ts";

/**
 * Subscriptions have no result union to carry a domain error, so their setup errors travel as GraphQL
 * errors with a code (NOT_FOUND, BAD_USER_INPUT), unmasked and typed by that code.
 */
export function subscriptionError(error: unknown): unknown {
  if (error instanceof NotFoundError)
    return new GraphQLError(error.message, { extensions: { code: "NOT_FOUND" } });
  if (error instanceof ValidationError) {
    return new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT", issues: error.issues } });
  }
  return error;
}

/** Runs a subscription's setup, turning domain errors into coded GraphQL errors. */
export async function subscriptionSetup<T>(setup: () => Promise<T> | T): Promise<T> {
  try {
    return await setup();
  } catch (error) {
    throw subscriptionError(error);
  }
}

/**
 * The database id of one of the viewer's integrations, from its global id, for subscriptions (which
 * check ownership once, when they start). Throws ValidationError or NotFoundError.
 */
export async function ownIntegrationId(
  ctx: { viewer: Viewer | null },
  globalIdValue: string,
): Promise<string> {
  const id = parseGlobalId(globalIdValue, "Integration", ["integrationId"]);
  const owned = await prisma().integration.findFirst({
    where: { id, tenantId: viewerOf(ctx).tenantId },
    select: { id: true },
  });
  if (!owned) throw new NotFoundError("Integration", globalIdValue);
  return id;
}
