import { once } from "node:events";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { type ExecutionResult, print } from "graphql";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

/**
 * Subscribers as clients run them against a listening API: graphql-ws over real WebSockets, server-sent
 * events over real HTTP (with their `id:` lines, for Last-Event-ID), and a raw socket that can stop
 * reading, as a stuck client does.
 */

/** A graphql-ws client on its own WebSocket. */
export function wsClient(apiUrl: string, token: string): Client {
  return createClient({
    url: apiUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
}

/** What one subscription received, kept as it arrives. */
export interface Received<T> {
  results: ExecutionResult<T>[];
  /** Resolves when `until` first holds for the results so far (checked on every result). */
  reached(until: (results: ExecutionResult<T>[]) => boolean): Promise<void>;
  /** The stream ended (completed, errored or closed). */
  ended: Promise<void>;
  stop(): void;
}

/** Subscribes over graphql-ws and records every result. */
export function subscribe<T, V>(
  client: Client,
  document: TypedDocumentNode<T, V>,
  variables: V,
): Received<T> {
  const results: ExecutionResult<T>[] = [];
  const waiters: { until: (r: ExecutionResult<T>[]) => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (!waiter.until(results)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  let stop: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    stop = client.subscribe<T>(
      { query: print(document), variables: variables as Record<string, unknown> },
      {
        next: (result) => {
          results.push(result as ExecutionResult<T>);
          check();
        },
        error: () => resolve(),
        complete: () => resolve(),
      },
    );
  });
  return {
    results,
    reached: (until) =>
      new Promise<void>((resolve) => {
        waiters.push({ until, resolve });
        check();
      }),
    ended,
    stop: () => stop(),
  };
}

/** One server-sent event: its id line (if any) and its data, parsed. */
export interface ServerSentEvent<T> {
  id: string | null;
  data: T;
}

/** Reads `text/event-stream` events, with their ids, from a fetch response. */
export async function* serverSentEvents<T>(response: Response): AsyncGenerator<ServerSentEvent<T>> {
  if (!response.body) throw new Error("response has no body");
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const lines = buffer.slice(0, end).split("\n");
      buffer = buffer.slice(end + 2);
      const id =
        lines
          .find((line) => line.startsWith("id:"))
          ?.slice(3)
          .trim() ?? null;
      const data = lines
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trim())
        .join("\n");
      if (data) yield { id, data: JSON.parse(data) as T };
    }
  }
}

/** Starts a subscription over SSE (a POST with Accept: text/event-stream), optionally resuming. */
export async function sseSubscribe<T, V>(
  apiUrl: string,
  token: string,
  document: TypedDocumentNode<T, V>,
  variables: V,
  lastEventId?: string,
) {
  const controller = new AbortController();
  const response = await fetch(apiUrl, {
    method: "POST",
    signal: controller.signal,
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${token}`,
      ...(lastEventId ? { "last-event-id": lastEventId } : {}),
    },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return {
    events: serverSentEvents<ExecutionResult<T>>(response),
    stop: () => controller.abort(),
  };
}

/**
 * A graphql-transport-ws client written by hand, so the test holds the socket: it can stop reading it
 * (as a client that hangs does: the kernel's buffers fill, then the server's), and read again later.
 */
export class RawSubscriber {
  readonly messages: { id?: string; type: string; payload?: unknown }[] = [];
  closed: { code: number; reason: string } | null = null;
  private readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on("message", (data) => this.messages.push(JSON.parse(String(data))));
    socket.on("close", (code, reason) => {
      this.closed = { code, reason: String(reason) };
    });
  }

  static async connect(apiUrl: string, token: string): Promise<RawSubscriber> {
    const socket = new WebSocket(apiUrl.replace(/^http/, "ws"), "graphql-transport-ws");
    await once(socket, "open");
    const subscriber = new RawSubscriber(socket);
    socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
    await subscriber.until(() => subscriber.messages.some((m) => m.type === "connection_ack"));
    return subscriber;
  }

  subscribe(id: string, query: string, variables: Record<string, unknown>): void {
    this.socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
  }

  /** Stops reading the socket: what the server sends stays in the kernel's buffers, then in its own. */
  stopReading(): void {
    (this.socket as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  readAgain(): void {
    (this.socket as unknown as { _socket: { resume(): void } })._socket.resume();
  }

  async until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error("raw subscriber: condition not met in time");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  terminate(): void {
    this.socket.terminate();
  }
}
