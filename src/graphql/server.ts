import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BREAK, type DocumentNode, GraphQLError, getOperationAST, visit } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createYoga, isAsyncIterable, maskError, type Plugin, type YogaServerInstance } from "graphql-yoga";
import { WebSocketServer } from "ws";
import { memberForToken } from "../auth/tenants.ts";
import { prisma } from "../db/client.ts";
import { logger } from "../logger.ts";
import { metricsExposition, subscriptionsOpen } from "../observability/metrics.ts";
import { configureBuilder } from "./builder.ts";
import type { Context, Services, Viewer } from "./context.ts";
import { MAX_REQUEST_BYTES, queryLimits } from "./limits.ts";
import { LiveHub } from "./live/hub.ts";
import { useEventSequences } from "./live/transport.ts";
import { monitorPage } from "./monitor-page.ts";
import { schema } from "./schema/index.ts";

export type Yoga = YogaServerInstance<Record<string, unknown>, Context>;

/**
 * The GraphQL endpoint. HTTP requests carry `Authorization: Bearer <token>`; WebSocket connections carry
 * the same in `connectionParams` ({ authorization: "Bearer …" } or { token: "…" }). A token that names
 * nobody is rejected outright; no token at all reaches only the scope check, which says what is missing.
 */
export function createYogaApp(services: Services): Yoga {
  configureBuilder(services.config);
  const log = logger.child({ component: "graphql" });
  const live = new LiveHub(services.feed, services.config.live);
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    graphiql: services.config.env === "development" ? { title: "syncline" } : false,
    landingPage: false,
    plugins: [
      ...queryLimits(),
      ...(services.config.env === "production" ? [introspectionNeedsToken()] : []),
      countSubscriptions(),
      useEventSequences(),
    ],
    maskedErrors: {
      // Unexpected errors stay masked for clients but are logged with their cause, once, here.
      maskError: (error, message, isDev) => {
        const refused = badUserInput(error);
        if (refused) return refused;
        const masked = maskError(error, message, isDev);
        if (masked !== error) log.error({ err: causeOf(error) }, "unexpected error");
        return masked;
      },
    },
    logging: {
      debug: (...args) => log.debug(args),
      info: (...args) => log.info(args),
      warn: (...args) => log.warn(args),
      error: (...args) => log.error(args),
    },
    context: async ({ request, connectionParams }) => ({
      viewer: await authenticate(
        request?.headers.get("authorization") ??
          bearerFromParams(connectionParams as Record<string, unknown>),
      ),
      services,
      live,
    }),
  });
}

/**
 * In production the schema is described only to members: an introspection query (__schema or __type)
 * without a valid token is refused as UNAUTHENTICATED before it executes. Elsewhere it is open.
 */
function introspectionNeedsToken(): Plugin<Context> {
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      if ((args.contextValue as Context).viewer !== null) return;
      let introspects = false;
      visit(args.document, {
        Field: (node) => {
          if (node.name.value !== "__schema" && node.name.value !== "__type") return undefined;
          introspects = true;
          return BREAK;
        },
      });
      if (!introspects) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError("Authentication required: send Authorization: Bearer <token>", {
            extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
          }),
        ],
      });
    },
  };
}

/** Keeps `syncline_subscriptions_open` (by transport and field) as subscriptions start and end. */
function countSubscriptions(): Plugin<Context> {
  return {
    onSubscribe: ({ args }) => {
      const transport = (args.contextValue as { socket?: unknown }).socket ? "ws" : "sse";
      const labels = { transport, field: rootField(args.document, args.operationName) };
      return {
        onSubscribeResult: ({ result }) => {
          if (!isAsyncIterable(result)) return;
          subscriptionsOpen.inc(labels);
          return { onEnd: () => void subscriptionsOpen.dec(labels) };
        },
      };
    },
  };
}

function rootField(document: DocumentNode, operationName?: string | null): string {
  const operation = getOperationAST(document, operationName ?? undefined);
  const field = operation?.selectionSet.selections.find((s) => s.kind === "Field");
  return field && field.kind === "Field" ? field.name.value : "unknown";
}

/**
 * Input the library or the database refused, answered as BAD_USER_INPUT rather than masked: Pothos'
 * own argument checks (a malformed cursor or global id, a negative `first`), and, as a last resort behind
 * the commands' validation, PostgreSQL refusing a value (an invalid UUID or byte sequence, NUL, a date out
 * of range, an index row too large). Messages are cut short so a huge input is never echoed back.
 */
function badUserInput(error: unknown): GraphQLError | null {
  const cause = causeOf(error) as { name?: string; message?: string; code?: string; cause?: unknown };
  const pothos = cause?.name === "PothosValidationError";
  const database = DATABASE_INPUT_ERRORS.test(`${cause?.code ?? ""} ${cause?.message ?? ""}`);
  if (!pothos && !database) return null;
  if (database)
    logger.warn({ err: cause }, "input refused by the database: a command's validation missed it");
  const text = pothos ? String(cause.message) : "The input holds a value the database cannot store";
  return new GraphQLError(text.length > 200 ? `${text.slice(0, 200)}…` : text, {
    path: error instanceof GraphQLError ? error.path : undefined,
    extensions: { code: "BAD_USER_INPUT" },
  });
}

const DATABASE_INPUT_ERRORS =
  /\b(P2023|22P02|22021|22P05|22008|54000)\b|invalid input syntax for type uuid|Error creating UUID|invalid byte sequence|unsupported Unicode escape|out of range|index row size/;

function causeOf(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? error.originalError : error;
}

function bearerFromParams(params: Record<string, unknown> | undefined): string | null {
  if (!params) return null;
  if (typeof params.authorization === "string") return params.authorization;
  if (typeof params.Authorization === "string") return params.Authorization;
  if (typeof params.token === "string") return `Bearer ${params.token}`;
  return null;
}

async function authenticate(header: string | null): Promise<Viewer | null> {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  const member = match ? await memberForToken(prisma(), match[1]!) : null;
  if (!member) {
    throw new GraphQLError("Invalid or revoked token", {
      extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
    });
  }
  return { memberId: member.id, tenantId: member.tenantId, role: member.role };
}

export interface ApiServer {
  server: Server;
  url: string;
  /** The live monitor page. */
  monitorUrl: string;
  /**
   * Stops gracefully: /readyz answers 503 from the first moment, no new connection is taken, WebSocket
   * clients are told the node is going away (graphql-ws clients reconnect, through the load balancer, to
   * another node), requests in flight get up to `graceMs` to finish, then what is left (SSE streams) is cut.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * One port for everything: GraphQL over HTTP and SSE (yoga), GraphQL over WebSocket (graphql-ws through
 * yoga's enveloped pipeline, so auth, masking and limits apply there too), /healthz, /readyz, /metrics
 * (Prometheus) and the monitor page (/monitor/).
 */
export async function startApiServer(options: {
  yoga: Yoga;
  host: string;
  port: number;
  ready: () => Promise<Record<string, boolean>>;
  /** Plain HTTP routes beside GraphQL by path (e.g. the connect flow's callback, /oauth/callback). */
  routes?: Record<string, Route>;
}): Promise<ApiServer> {
  const { yoga } = options;
  const page = monitorPage();
  let draining = false;
  /** Requests in flight that end by themselves (not event streams): a graceful stop waits for them. */
  let pending = 0;
  const server = createServer((req, res) => {
    if (req.url === "/healthz") return void json(res, 200, { status: "ok" });
    const route = options.routes?.[(req.url ?? "/").split("?")[0]!];
    if (route) return void serveRoute(route, req, res);
    if (req.url === "/readyz") {
      if (draining) return void json(res, 503, { status: "stopping", checks: {} });
      return void readiness(res, options.ready);
    }
    if (req.url === "/metrics") return void metrics(res);
    if (page(req, res)) return;
    if (refusedBody(req, res)) return;
    if (!req.headers.accept?.includes("text/event-stream")) {
      pending++;
      res.once("close", () => pending--);
    }
    yoga(req, res);
  });
  // A larger message closes its socket with 1009 (Message Too Big) before it is parsed.
  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: MAX_REQUEST_BYTES,
  });
  const wsCleanup = useServer(
    {
      // The enveloped execute/subscribe travel on rootValue from onSubscribe (yoga's graphql-ws recipe).
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      // Refused at the door: every operation needs a member, so a connection without a token is closed
      // with 4401 and one whose token names nobody with 4403, before any operation is taken.
      onConnect: async (ctx) => {
        const header = bearerFromParams(ctx.connectionParams);
        const wsLog = logger.child({
          component: "graphql-ws",
          remote: ctx.extra.request.socket.remoteAddress,
        });
        if (!header) {
          // One structured line per refusal (never the token), instead of a stack trace.
          wsLog.warn({ closeCode: 4401 }, "WebSocket refused: no token");
          ctx.extra.socket.close(
            4401,
            'Unauthorized: send connectionParams { authorization: "Bearer <token>" }',
          );
          return false;
        }
        const viewer = await authenticate(header).catch(() => null);
        if (viewer === null) wsLog.warn({ closeCode: 4403 }, "WebSocket refused: invalid or revoked token");
        return viewer !== null;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        const document = enveloped.parse(payload.query);
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        return {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
    },
    wsServer,
  );
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const { port } = server.address() as AddressInfo;
  const host = options.host === "0.0.0.0" || options.host === "::" ? "localhost" : options.host;
  return {
    server,
    url: `http://${host}:${port}${yoga.graphqlEndpoint}`,
    monitorUrl: `http://${host}:${port}/monitor/`,
    close: async (graceMs = 10_000) => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await wsCleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (pending > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function metrics(res: ServerResponse) {
  try {
    const { contentType, body } = await metricsExposition();
    res.writeHead(200, { "content-type": contentType }).end(body);
  } catch (err) {
    logger.error({ err }, "metrics exposition failed");
    res.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n");
  }
}

/** A plain HTTP route: answers the request itself. */
export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function serveRoute(route: Route, req: IncomingMessage, res: ServerResponse) {
  route(req, res).catch((err) => {
    logger.error({ err }, "route failed");
    if (!res.headersSent) res.writeHead(500).end();
  });
}

type OperationResult = ReturnType<NonNullable<Parameters<typeof useServer>[0]["execute"]>>;
type EnvelopedRoot = {
  execute: (args: unknown) => OperationResult;
  subscribe: (args: unknown) => OperationResult;
};

async function readiness(res: ServerResponse, ready: () => Promise<Record<string, boolean>>) {
  const checks = await ready().catch(() => ({ checks: false }));
  const ok = Object.values(checks).every(Boolean);
  json(res, ok ? 200 : 503, { status: ok ? "ready" : "not ready", checks });
}

/**
 * A body over MAX_REQUEST_BYTES is refused before any of it is read (413), and so is one whose length is
 * not declared (411: a chunked body could grow without bound while it is read).
 */
function refusedBody(req: IncomingMessage, res: ServerResponse<IncomingMessage>): boolean {
  const declared = req.headers["content-length"];
  const refuse = (status: number, message: string) => {
    json(res, status, {
      errors: [{ message, extensions: { code: "QUERY_LIMIT", limit: "bytes", max: MAX_REQUEST_BYTES } }],
    });
    // The body is not read: the connection closes once the answer is out.
    res.once("finish", () => req.destroy());
    return true;
  };
  if (declared === undefined)
    return req.headers["transfer-encoding"] ? refuse(411, "A request body needs a Content-Length") : false;
  if (Number(declared) > MAX_REQUEST_BYTES)
    return refuse(413, `Request body over ${MAX_REQUEST_BYTES} bytes`);
  return false;
}

function json(res: ServerResponse<IncomingMessage>, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
