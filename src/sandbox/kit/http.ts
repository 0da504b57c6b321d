import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SandboxReply } from "./reply.ts";

/** The node:http glue of the sandbox servers: reading requests, writing replies, listening, closing. */

// ---- requests ----

/** The request body as text (empty string when there is none). */
export async function readRequestBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A request header's first value; undefined when absent or empty. */
export function requestHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

/** "/a//b/" → "/a/b": repeated slashes folded and a trailing one dropped, before routing and logging. */
export function cleanPath(pathname: string): string {
  return pathname.replace(/\/{2,}/g, "/").replace(/(.)\/$/, "$1");
}

/** A JSON body, or undefined when it is not JSON (the route then answers 400). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---- responses ----

/** Aborts when the connection closes before the response was written: the client gave up. */
export function clientGoneSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Writes a JSON reply; null (nothing to say) drops the connection instead. */
export function writeReply(res: ServerResponse, reply: SandboxReply | null): void {
  if (res.destroyed || res.writableEnded) return;
  if (reply === null) {
    res.destroy();
    return;
  }
  res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", ...reply.headers });
  res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
}

// ---- the server ----

export interface Listening {
  port: number;
  /** Closes the server, dropping keep-alive connections rather than waiting for them. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (port 0: any free port). */
export async function listen(port: number, listener: RequestListener): Promise<Listening> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
