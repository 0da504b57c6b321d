import type { ServerResponse } from "node:http";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { WebSocket } from "ws";
import { subscribersClosedSlow } from "../../observability/metrics.ts";

/**
 * What a live subscription needs from the connection it travels on: closing it when its subscriber
 * cannot keep up, and (over server-sent events) naming each transition by its sequence, so a client
 * that reconnects with `Last-Event-ID` resumes where it was.
 */

/** WebSocket close code for a subscriber that fell too far behind (4000–4999 are the application's). */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;

/**
 * Closes the connection of a subscriber that could not keep up: a WebSocket with 4008 and `reason` (at
 * most 123 bytes), cut off if it has not closed after `graceMs` (a peer that stopped reading never
 * answers the close); an event stream ends after its last event, and is cut off the same way.
 */
export function closeSlowConsumer(ctx: object, reason: string, graceMs: number): void {
  const { socket, res } = ctx as { socket?: WebSocket; res?: ServerResponse };
  subscribersClosedSlow.inc({ transport: socket ? "ws" : "sse" });
  if (socket && typeof socket.close === "function") {
    socket.close(SLOW_CONSUMER_CLOSE_CODE, Buffer.from(reason).subarray(0, 123).toString());
    setTimeout(() => socket.terminate(), graceMs).unref();
  } else if (res && typeof res.destroy === "function") {
    setTimeout(() => {
      if (!res.writableEnded) res.destroy();
    }, graceMs).unref();
  }
}

/** The sequence of the transition an operation's subscription yielded last, by operation context. */
const positions = new WeakMap<object, number>();

/** Records that `ctx`'s subscription is about to deliver the transition numbered `sequence`. */
export function markPosition(ctx: object, sequence: number): void {
  positions.set(ctx, sequence);
}

/** `Last-Event-ID` of an event-stream request (a reconnecting EventSource sends it), as a sequence. */
export function lastEventId(ctx: object): number | null {
  const request = (ctx as { request?: Request }).request;
  const value = request?.headers.get("last-event-id");
  if (!value || !/^\d{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}

/**
 * Transition streams carry their sequence: each result of a transition subscription gets
 * `extensions.eventSequence` (over WebSocket and SSE alike), and over SSE it is also the event's `id:`.
 */
export function useEventSequences(): Plugin {
  return {
    onSubscribe({ args }) {
      const ctx = args.contextValue as object;
      return {
        onSubscribeResult: () => ({
          onNext: ({ result, setResult }) => {
            const sequence = positions.get(ctx);
            if (sequence === undefined) return;
            positions.delete(ctx);
            setResult({ ...result, extensions: { ...result.extensions, eventSequence: sequence } });
          },
        }),
      };
    },
    onResultProcess({ request, result, setResultProcessor }) {
      if (!isAsyncIterable(result)) return;
      const accept = request.headers.get("accept") ?? "";
      if (accept.includes("text/event-stream")) setResultProcessor(eventStream, "text/event-stream");
    },
  };
}

type Result = { errors?: readonly unknown[]; extensions?: Record<string, unknown> };

/** A result as clients see it: without yoga's internal extensions (an HTTP status, "unexpected"). */
function serialize(result: Result): string {
  const { http: _http, ...extensions } = result.extensions ?? {};
  const errors = result.errors?.map((error) => {
    const json = (
      typeof (error as { toJSON?: unknown }).toJSON === "function"
        ? (error as { toJSON(): object }).toJSON()
        : error
    ) as { extensions?: Record<string, unknown> };
    const { http: _status, unexpected: _unexpected, ...rest } = json.extensions ?? {};
    return { ...json, extensions: Object.keys(rest).length > 0 ? rest : undefined };
  });
  return JSON.stringify({
    ...result,
    ...(errors ? { errors } : {}),
    extensions: Object.keys(extensions).length > 0 ? extensions : undefined,
  });
}

/**
 * Server-sent events as yoga writes them (an `event: next` per result, `event: complete` at the end, a
 * comment line every 12 s to keep proxies from closing an idle stream), plus an `id:` line for results
 * that carry an event sequence. Pulled by the response as it drains: a client that stops reading holds
 * up the stream, never a queue.
 */
function eventStream(
  result: unknown,
  fetchAPI: {
    ReadableStream: typeof ReadableStream;
    Response: typeof Response;
    TextEncoder: typeof TextEncoder;
  },
): Response {
  const iterator = (result as AsyncIterable<Result>)[Symbol.asyncIterator]();
  const encoder = new fetchAPI.TextEncoder();
  let keepAlive: NodeJS.Timeout | undefined;
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      // Some clients show nothing until the first bytes arrive.
      controller.enqueue(encoder.encode(":\n\n"));
      keepAlive = setInterval(() => {
        if (controller.desiredSize === null) clearInterval(keepAlive);
        else if (controller.desiredSize > 0) controller.enqueue(encoder.encode(":\n\n"));
      }, 12_000);
    },
    async pull(controller) {
      try {
        const { value, done } = await iterator.next();
        if (value != null) {
          const sequence = value.extensions?.eventSequence;
          const id = typeof sequence === "number" ? `id: ${sequence}\n` : "";
          controller.enqueue(encoder.encode(`${id}event: next\ndata: ${serialize(value)}\n\n`));
        }
        if (done) {
          controller.enqueue(encoder.encode("event: complete\ndata:\n\n"));
          clearInterval(keepAlive);
          controller.close();
        }
      } catch (error) {
        clearInterval(keepAlive);
        controller.error(error);
      }
    },
    async cancel() {
      clearInterval(keepAlive);
      await iterator.return?.();
    },
  });
  return new fetchAPI.Response(body, {
    status: 200,
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "content-encoding": "none",
    },
  });
}
