import { type Client, createClient } from "graphql-ws";
import type { TypedDocumentString } from "./generated/graphql.ts";

/** Where the page's one WebSocket stands, as the banner shows it. */
export type Connection =
  | { kind: "connecting" }
  | { kind: "live"; since: Date; reconnects: number }
  | { kind: "reconnecting"; attempt: number; lostAt: Date; reason: string }
  /** The server refused the token (revoked or unknown): no retry can help, the user signs in again. */
  | { kind: "refused"; reason: string };

/** graphql-ws close codes for a missing or refused token. */
const REFUSED = new Set([4401, 4403]);
const isRefusal = (event: unknown) => REFUSED.has((event as { code?: number })?.code ?? 0);

const TOKEN_KEY = "syncline.token";

/** The token lives in this browser only (localStorage), and travels only to this origin. */
export const tokenStore = {
  get: (): string | null => localStorage.getItem(TOKEN_KEY),
  set: (token: string) => localStorage.setItem(TOKEN_KEY, token),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

/** The API's GraphQL endpoint on this page's origin. */
function endpoint(protocol: "http" | "ws"): string {
  const url = new URL("/graphql", window.location.href);
  if (protocol === "ws") url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/**
 * Checks a token over plain HTTP (Authorization: Bearer), so a wrong token is told at sign-in rather than
 * as a closed socket. Returns the GraphQL data, or throws with the server's message.
 */
export async function signInCheck<T, V>(token: string, document: TypedDocumentString<T, V>): Promise<T> {
  const response = await fetch(endpoint("http"), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: document.toString() }),
  });
  const body = (await response.json().catch(() => null)) as {
    data?: T;
    errors?: { message: string }[];
  } | null;
  if (!body || body.errors?.length || !body.data)
    throw new Error(body?.errors?.[0]?.message ?? `The API answered ${response.status}`);
  return body.data;
}

/**
 * One graphql-ws connection for everything the page does (queries, mutations, subscriptions), carrying
 * the token in connectionParams. It reconnects for ever with a growing wait (at most 10 s) and
 * re-subscribes by itself; `onConnection` hears every change, so the page can say so and reload what it
 * shows (events sent while it was away are gone).
 */
export function connect(token: string, onConnection: (state: Connection) => void): Client {
  let reconnects = -1;
  let attempt = 0;
  let lostAt: Date | null = null;
  return createClient({
    url: endpoint("ws"),
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: (event) => !isRefusal(event),
    retryWait: (retries) =>
      new Promise((resolve) =>
        setTimeout(resolve, Math.min(10_000, 500 * 2 ** retries) + Math.random() * 300),
      ),
    on: {
      connected: () => {
        reconnects++;
        attempt = 0;
        lostAt = null;
        onConnection({ kind: "live", since: new Date(), reconnects });
      },
      closed: (event) => {
        const close = event as { code?: number; reason?: string };
        if (isRefusal(event)) {
          onConnection({ kind: "refused", reason: close.reason || "The token was refused" });
          return;
        }
        if (reconnects < 0) return;
        lostAt ??= new Date();
        onConnection({
          kind: "reconnecting",
          attempt: ++attempt,
          lostAt,
          reason: close.reason || (close.code ? `closed (${close.code})` : "connection lost"),
        });
      },
      connecting: () => {
        if (reconnects < 0) onConnection({ kind: "connecting" });
      },
    },
  });
}

/** Runs a query or mutation over the socket and resolves with its data (rejects on GraphQL errors). */
export function request<T, V>(client: Client, document: TypedDocumentString<T, V>, variables: V): Promise<T> {
  return new Promise((resolve, reject) => {
    let data: T | undefined;
    client.subscribe<T>(
      { query: document.toString(), variables: variables as Record<string, unknown> },
      {
        next: (result) => {
          if (result.errors?.length) reject(new Error(result.errors.map((e) => e.message).join("; ")));
          else data = result.data as T;
        },
        error: (error) => reject(error instanceof Error ? error : new Error(describe(error))),
        complete: () => (data === undefined ? reject(new Error("No data")) : resolve(data)),
      },
    );
  });
}

/** Subscribes; `onData` hears every event. Returns the function that ends the subscription. */
export function subscribe<T, V>(
  client: Client,
  document: TypedDocumentString<T, V>,
  variables: V,
  onData: (data: T) => void,
  onError: (message: string) => void = () => {},
): () => void {
  return client.subscribe<T>(
    { query: document.toString(), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.errors?.length) onError(result.errors.map((e) => e.message).join("; "));
        else if (result.data) onData(result.data as T);
      },
      error: (error) => onError(describe(error)),
      complete: () => {},
    },
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e.message ?? String(e)).join("; ");
  const close = error as { reason?: string; code?: number };
  return close.reason || (close.code ? `connection closed (${close.code})` : String(error));
}
