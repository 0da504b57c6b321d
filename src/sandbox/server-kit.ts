import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type TimeScale, timeScale } from "../time.ts";
import {
  clientGoneSignal,
  type Latency,
  readRequestBody,
  type SandboxCapLimits,
  SandboxCaps,
  type SandboxReply,
  writeReply,
} from "./caps.ts";

/**
 * The plumbing every sandbox server shares: options, caps, a node:http server on 127.0.0.1, the
 * tenants' data by remote tenant id, and a close that does not wait for held (timeout-fault) calls.
 * A platform's server brings its default caps, its error body, its base path, how to seed a tenant and
 * how to serve a request (auth, tenant, routes).
 */

/** How a sandbox starts; `Seed` is what seeds one tenant's data. */
export interface SandboxServerOptions<Seed> {
  /** Default 0: any free port. */
  port?: number;
  /** Length of a platform minute in real ms (compressed time); default 60,000. Ignored when `time` is given. */
  minuteMs?: number;
  time?: TimeScale;
  /** Caps per tenant; default the platform catalog's. */
  caps?: Partial<SandboxCapLimits>;
  /** Caps of particular tenants. */
  tenantCaps?: Record<string, Partial<SandboxCapLimits>>;
  /** App-wide calls a minute across tenants; default 10,000. */
  appPerMinute?: number;
  /** Real ms added to every admitted call. */
  latencyMs?: Latency;
  /** Real ms a timeout fault holds a request before a 504; default 120,000. */
  timeoutHoldMs?: number;
  /** Tenants to create at start, by remote tenant id. */
  tenants?: Record<string, Seed>;
  /** Clock of the caps and of the data's modified times; Date.now by default. */
  now?: () => number;
}

/** What every started sandbox gives back; each platform adds its data under its own names. */
export interface SandboxServer<Seed, Data> {
  /** Base URL, with a trailing slash: resolve the platform's route paths against it. */
  url: string;
  port: number;
  time: TimeScale;
  /** Caps, call log, faults, latency. */
  caps: SandboxCaps;
  /** Creates (or replaces) a tenant, seeded from its tenant id. */
  addTenant(tenantId: string, seed?: Seed): Data;
  close(): Promise<void>;
}

/** What a request handler may use. */
export interface SandboxContext<Data> {
  caps: SandboxCaps;
  tenants: ReadonlyMap<string, Data>;
  now: () => number;
  /** The platform's error body. */
  errorBody: (message: string, status: number) => unknown;
}

/** What makes one platform's sandbox. */
export interface SandboxPlatform<Seed, Data> {
  /** Default caps (the catalog's); options.caps go on top. */
  caps: SandboxCapLimits;
  /** The platform's error body, for the caps' 429s and faults and for a request that throws. */
  errorBody: (message: string, status: number) => unknown;
  /** Appended to http://127.0.0.1:port for `url`, e.g. "/api.xro/2.0/". */
  basePath: string;
  /** For "no such tenant" errors, e.g. "XPM sandbox practice". */
  tenantNoun: string;
  createTenant(tenantId: string, seed: Seed | undefined, now: () => number): Data;
  serve(req: IncomingMessage, res: ServerResponse, context: SandboxContext<Data>): Promise<void>;
}

/** A started sandbox with its tenants under generic names, for the platform to rename. */
export interface StartedSandbox<Seed, Data> extends SandboxServer<Seed, Data> {
  tenants: ReadonlyMap<string, Data>;
  /** The data of a tenant; throws when there is none. */
  tenant(tenantId: string): Data;
}

export async function startSandboxServer<Seed, Data>(
  options: SandboxServerOptions<Seed>,
  platform: SandboxPlatform<Seed, Data>,
): Promise<StartedSandbox<Seed, Data>> {
  const time = options.time ?? timeScale(options.minuteMs);
  const now = options.now ?? Date.now;
  const { concurrent, perMinute, perDay } = platform.caps;
  const { errorBody } = platform;
  const caps = new SandboxCaps({ concurrent, perMinute, perDay, ...options.caps }, time, {
    tenantCaps: options.tenantCaps,
    appPerMinute: options.appPerMinute,
    latencyMs: options.latencyMs,
    timeoutHoldMs: options.timeoutHoldMs,
    errorBody,
    now,
  });
  const tenants = new Map<string, Data>();
  const addTenant = (tenantId: string, seed?: Seed) => {
    const data = platform.createTenant(tenantId, seed, now);
    tenants.set(tenantId, data);
    return data;
  };
  for (const [tenantId, seed] of Object.entries(options.tenants ?? {})) addTenant(tenantId, seed);

  const context: SandboxContext<Data> = { caps, tenants, now, errorBody };
  const server = createServer((req, res) => {
    platform.serve(req, res, context).catch((error: Error) => {
      writeReply(res, { status: 500, body: errorBody(`Sandbox error: ${error.message}`, 500) });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${platform.basePath}`,
    port,
    time,
    caps,
    tenants,
    tenant: (tenantId) => {
      const data = tenants.get(tenantId);
      if (!data) throw new Error(`No ${platform.tenantNoun} "${tenantId}"`);
      return data;
    },
    addTenant,
    close: async () => {
      // Held calls and keep-alive connections would otherwise keep server.close waiting.
      caps.releaseHeld();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

// ---- request helpers ----

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

/** One call to a Xero API (XPM, Accounting) as the route sees it, once auth and tenant have passed. */
export interface XeroCall<Data> {
  data: Data;
  method: string;
  body: string;
}

/**
 * Serves a call the way both of Xero's APIs take it. Auth (any Bearer token) and tenant (the
 * `xero-tenant-id` header) come first and are not tenant-scoped, so neither capped nor logged; then the
 * body is read and the call goes through the caps, with Idempotency-Key replay, to `route`.
 */
export async function serveXeroCall<Data>(
  req: IncomingMessage,
  res: ServerResponse,
  { caps, tenants, errorBody }: SandboxContext<Data>,
  path: string,
  route: (call: XeroCall<Data>) => SandboxReply,
): Promise<void> {
  const failure = (status: number, message: string) => ({ status, body: errorBody(message, status) });
  if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? "")) {
    return writeReply(res, failure(401, "Missing or malformed Authorization: Bearer token"));
  }
  const tenantId = requestHeader(req, "xero-tenant-id");
  const data = tenantId ? tenants.get(tenantId) : undefined;
  if (!tenantId || !data) {
    return writeReply(res, failure(403, `Unknown or missing xero-tenant-id "${tenantId ?? ""}"`));
  }
  const signal = clientGoneSignal(res);
  const body = await readRequestBody(req);
  const method = (req.method ?? "GET").toUpperCase();
  const reply = await caps.handle(
    { tenantId, method, path, idempotencyKey: requestHeader(req, "idempotency-key"), signal },
    () => route({ data, method, body }),
  );
  writeReply(res, reply);
}
