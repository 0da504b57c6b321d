import { GraphQLError } from "graphql";
import { prisma } from "../db/client.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import type { Topics } from "../events.ts";
import { type Context, type Viewer, viewerOf } from "./context.ts";
import { parseGlobalId } from "./ids.ts";
import type { CellKind } from "./live/hub.ts";
import { type LogSource, type Sequenced, StreamEnd } from "./live/log.ts";
import type { StateTick } from "./live/state.ts";
import { closeSlowConsumer, lastEventId, markPosition } from "./live/transport.ts";

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

/** A transition stream's end, as its subscriber is told: why, and where to resume. */
export function streamEndError(end: StreamEnd): GraphQLError {
  return end.reason === "overflow"
    ? new GraphQLError(
        `This subscription fell more than the allowed number of events behind and was closed; subscribe again with afterSequence: ${end.afterSequence} to resume`,
        { extensions: { code: "SLOW_CONSUMER", afterSequence: end.afterSequence } },
      )
    : new GraphQLError(
        `This subscription was interrupted; subscribe again with afterSequence: ${end.afterSequence} to resume`,
        { extensions: { code: "STREAM_INTERRUPTED", afterSequence: end.afterSequence } },
      );
}

/** A transition stream's item, or its end turned into the subscriber's error. */
export function transitionOf<T>(value: T | StreamEnd): T {
  if (value instanceof StreamEnd) throw streamEndError(value);
  return value;
}

/**
 * Where a transition stream starts: after `afterSequence` when given, else after the `Last-Event-ID` an
 * event-stream client reconnects with, else from the beginning of the log.
 */
export function startAfter(ctx: object, afterSequence: number | null | undefined): number {
  if (afterSequence !== null && afterSequence !== undefined) {
    if (!Number.isInteger(afterSequence) || afterSequence < 0)
      throw ValidationError.at(["afterSequence"], "must be a sequence number (0 or more)");
    return afterSequence;
  }
  return lastEventId(ctx) ?? 0;
}

/** A state stream for a subscription field (a subscriber that falls behind skips to the latest state). */
export function liveState<K extends keyof Topics>(
  ctx: Context,
  spec: {
    topic: K;
    channel: string;
    cell: CellKind;
    idOf: (payload: Topics[K][1]) => string | null;
    initial: () => Promise<string[]> | string[];
  },
): Promise<AsyncIterableIterator<StateTick>> {
  return ctx.live.state(spec);
}

/**
 * A transition stream for a subscription field: every entry after `after`, each result carrying its
 * sequence (extensions.eventSequence, and the SSE event id); a subscriber that falls too far behind is
 * closed (WebSocket 4008) and told where to resume.
 */
export async function liveLog<K extends keyof Topics, T extends Topics[K][1] & Sequenced>(
  ctx: Context,
  spec: { topic: K; channel: string; source: LogSource<T>; after: number },
): Promise<AsyncIterableIterator<T | StreamEnd>> {
  const subscription = await ctx.live.log<K, T>({
    ...spec,
    onOverflow: (end) =>
      closeSlowConsumer(
        ctx,
        `Subscriber too slow: resume with afterSequence ${end.afterSequence}`,
        ctx.services.config.live.closeGraceMs,
      ),
  });
  const iterator: AsyncIterableIterator<T | StreamEnd> = {
    next: async () => {
      const result = await subscription.next();
      if (!result.done && !(result.value instanceof StreamEnd)) markPosition(ctx, result.value.eventSequence);
      return result;
    },
    return: () => subscription.return(),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
