import type { IncomingMessage, ServerResponse } from "node:http";
import { type TimeScale, timeScale } from "../../time.ts";
import type { SandboxCapLimits } from "./caps.ts";
import { type Contract, contractChecksEnabled, loadContract } from "./contract.ts";
import type { ContractPlatform } from "./contract-departures.ts";
import { clientGoneSignal, listen, readRequestBody, writeReply } from "./http.ts";
import { bugReply, type ErrorBody, type Failure, failureFrom, type SandboxReply } from "./reply.ts";
import { SandboxCaps, type SandboxCapsOptions } from "./sandbox-caps.ts";
import type { TokenAuthority } from "./token-authority.ts";

/**
 * A sandbox server, composed from the kit: options, caps, a node:http server on 127.0.0.1, the tenants'
 * data by remote tenant id, and a close that does not wait for held (timeout-fault) calls. A platform
 * brings its default caps, its error body, its base path, its words for a tenant, how to seed one, and
 * how to accept a request (auth, tenant, route path); every accepted call then takes the same way
 * through the caps to the platform's answer.
 */

/**
 * How a sandbox starts; `Seed` is what seeds one tenant's data. The caps' options (tenantCaps,
 * appPerMinute, latencyMs, timeoutHoldMs, now) pass through; `now` also stamps the data's changes.
 */
export interface SandboxServerOptions<Seed> extends Omit<SandboxCapsOptions, "errorBody"> {
  /** Default 0: any free port. */
  port?: number;
  /** Length of a platform minute in real ms (compressed time); default 60,000. Ignored when `time` is given. */
  minuteMs?: number;
  time?: TimeScale;
  /** Caps per tenant; default the platform catalog's. */
  caps?: Partial<SandboxCapLimits>;
  /** Tenants to create at start, by remote tenant id. */
  tenants?: Record<string, Seed>;
  /** The sandbox identity server whose tenants need its access tokens (Xero's APIs; see xero-call.ts). */
  identity?: TokenAuthority;
}

/** What every started sandbox gives back. */
export interface SandboxServer<Seed, Data> {
  /** Base URL, with a trailing slash (the platform's base path): resolve route paths against it. */
  url: string;
  port: number;
  time: TimeScale;
  /** Caps, call log, faults, latency. */
  caps: SandboxCaps;
  /** Creates (or replaces) a tenant, seeded from its tenant id unless `seed` says otherwise. */
  addTenant(tenantId: string, seed?: Seed): Data;
  close(): Promise<void>;
}

/** A platform's words for its tenants, e.g. { all: "practices", one: "practice", add: "addPractice" }. */
export interface TenantNames {
  /** The tenants' data, by remote tenant id. */
  all: string;
  /** The data of one tenant; throws when there is none. */
  one: string;
  /** addTenant under the platform's word. */
  add: string;
}

/** A started sandbox with its tenants under the platform's words (see TenantNames). */
export type NamedSandbox<Seed, Data, Names extends TenantNames> = SandboxServer<Seed, Data> & {
  readonly [K in Names["all"]]: ReadonlyMap<string, Data>;
} & { readonly [K in Names["one"]]: (tenantId: string) => Data } & {
  readonly [K in Names["add"]]: (tenantId: string, seed?: Seed) => Data;
};

/** What a platform may use to accept a request. */
export interface SandboxContext<Data> {
  tenants: ReadonlyMap<string, Data>;
  now: () => number;
  /** An error reply in the platform's words. */
  failure: Failure;
  /** The identity server checking access tokens, if the sandbox was started with one. */
  identity?: TokenAuthority;
}

/** A request that passed auth and names a tenant: what the caps log, and how the platform answers it. */
export interface TenantCall {
  tenantId: string;
  /** The route path without query string or mount prefix, as the call log records it. */
  path: string;
  idempotencyKey?: string;
  answer(method: string, body: string): SandboxReply;
}

/** What makes one platform's sandbox. */
export interface SandboxPlatform<Seed, Data, Names extends TenantNames> {
  /** Default caps (the catalog's); options.caps go on top. */
  caps: SandboxCapLimits;
  /** The platform's error body, for the caps' 429s and faults and for a request that throws. */
  errorBody: ErrorBody;
  /** The OpenAPI contract its calls are checked against when contract checks are on (contract.ts). */
  contract?: ContractPlatform;
  /** The route path of a request (as the call log records it), for checking calls refused at auth. */
  routePath?(req: IncomingMessage): string;
  /** Appended to http://127.0.0.1:port for `url`, e.g. "/api.xro/2.0/". */
  basePath: string;
  names: Names;
  /** For "no such tenant" errors, e.g. "XPM sandbox practice". */
  tenantNoun: string;
  createTenant(tenantId: string, seed: Seed | undefined, now: () => number): Data;
  /**
   * Auth, tenant and route path of a request. A failure is answered as it is: it is not tenant-scoped,
   * so neither capped nor logged.
   */
  accept(req: IncomingMessage, context: SandboxContext<Data>): TenantCall | SandboxReply;
}

function checkCall(
  contract: Contract,
  req: IncomingMessage,
  method: string,
  path: string,
  body: string,
  reply: SandboxReply | null,
  injected: boolean,
): void {
  const query = new URL(req.url ?? "/", "http://sandbox").searchParams;
  contract.record({ method, path, query, headers: req.headers, body, reply, injected });
}

export async function startSandboxServer<Seed, Data, const Names extends TenantNames>(
  options: SandboxServerOptions<Seed>,
  platform: SandboxPlatform<Seed, Data, Names>,
): Promise<NamedSandbox<Seed, Data, Names>> {
  const {
    port,
    minuteMs,
    time = timeScale(minuteMs),
    caps: capsOverride,
    tenants: seeds,
    identity,
    ...rest
  } = options;
  const now = options.now ?? Date.now;
  const { concurrent, perMinute, perDay } = platform.caps;
  const { errorBody } = platform;
  const failure = failureFrom(errorBody);
  const caps = new SandboxCaps({ concurrent, perMinute, perDay, ...capsOverride }, time, {
    ...rest,
    errorBody,
    now,
  });
  const tenants = new Map<string, Data>();
  const addTenant = (tenantId: string, seed?: Seed) => {
    const data = platform.createTenant(tenantId, seed, now);
    tenants.set(tenantId, data);
    return data;
  };
  for (const [tenantId, seed] of Object.entries(seeds ?? {})) addTenant(tenantId, seed);
  const tenant = (tenantId: string) => {
    const data = tenants.get(tenantId);
    if (!data) throw new Error(`No ${platform.tenantNoun} "${tenantId}"`);
    return data;
  };

  const contract =
    platform.contract && contractChecksEnabled() ? await loadContract(platform.contract) : undefined;
  const context: SandboxContext<Data> = { tenants, now, failure, identity };
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const accepted = platform.accept(req, context);
    const method = (req.method ?? "GET").toUpperCase();
    if (!("answer" in accepted)) {
      // Refused before it named a tenant (auth): checked too, when the call is a contract's operation.
      const path = platform.routePath?.(req);
      if (contract && path) checkCall(contract, req, method, path, "", accepted, false);
      return writeReply(res, accepted);
    }
    const signal = clientGoneSignal(res);
    const body = await readRequestBody(req);
    const { tenantId, path, idempotencyKey, answer } = accepted;
    const observe = contract
      ? (reply: SandboxReply | null, injected: boolean) =>
          checkCall(contract, req, method, path, body, reply, injected)
      : undefined;
    const reply = await caps.handle({ tenantId, method, path, idempotencyKey, signal, observe }, () =>
      answer(method, body),
    );
    writeReply(res, reply);
  };
  const server = await listen(port ?? 0, (req, res) => {
    serve(req, res).catch((error) => writeReply(res, bugReply(failure, error)));
  });

  const sandbox: SandboxServer<Seed, Data> = {
    url: `http://127.0.0.1:${server.port}${platform.basePath}`,
    port: server.port,
    time,
    caps,
    addTenant,
    close: async () => {
      // Held calls would otherwise keep the server from closing.
      caps.releaseHeld();
      await server.close();
    },
  };
  const { names } = platform;
  // The mapped type cannot be built member by member; these three are exactly its named members.
  return Object.assign(sandbox, {
    [names.all]: tenants,
    [names.one]: tenant,
    [names.add]: addTenant,
  }) as NamedSandbox<Seed, Data, Names>;
}
