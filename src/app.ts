import type { Config, Role } from "./config.ts";
import { CALLBACK_PATH, type Connections, createConnections } from "./connections/index.ts";
import { type Database, openDatabase } from "./db/client.ts";
import { type Engine, startEngine } from "./engine/index.ts";
import { createEventBus, type EventBus, publishEvents } from "./events.ts";
import { oauthCallbackRoute } from "./graphql/oauth-callback.ts";
import { type ApiServer, createYogaApp, startApiServer, type Yoga } from "./graphql/server.ts";
import { configureLogger, logger } from "./logger.ts";
import { observeApps, observeFleet } from "./observability/metrics.ts";
import { startMetricsServer } from "./observability/metrics-server.ts";
import { startTracing } from "./observability/tracing.ts";
import { createRedisClient, resolveRedis } from "./redis/client.ts";
import { appFigures, fleetFigures } from "./sync/fleet-figures.ts";
import { WebhookDeliverer } from "./webhooks/deliverer.ts";
import { engineWork } from "./work.ts";

/** A running syncline process: the roles it was asked to play and what they share. */
export interface App {
  config: Config;
  db: Database;
  redisUrl: string;
  events: EventBus;
  engine: Engine;
  connections: Connections;
  yoga: Yoga;
  api?: ApiServer;
  stop(): Promise<void>;
}

/**
 * Opens the database (migrating it), finds or starts Redis, and starts the requested roles. Everything
 * started is stopped again, in reverse order, by `stop`.
 */
export async function startApp(config: Config, roles: Role[]): Promise<App> {
  configureLogger(config);
  const stack: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const close of stack.reverse())
      await close().catch((err) => logger.error({ err }, "shutdown step failed"));
  };
  try {
    const tracing = startTracing({ otlpTracesUrl: config.observability.otlpTracesUrl, roles });
    stack.push(() => tracing.close());
    const redis = await resolveRedis(config);
    stack.push(redis.stop);
    const db = await openDatabase(config.database);
    stack.push(() => db.close());
    const events = createEventBus(redis.url, config.redisPrefix);
    stack.push(() => events.close());
    const credentialsRedis = createRedisClient(redis.url, "credentials");
    stack.push(async () => void (await credentialsRedis.quit()));
    const connections = createConnections({
      prisma: db.prisma,
      redis: credentialsRedis,
      config,
      publish: (list) => publishEvents(events.pubSub, list),
    });
    // Every role can announce work; only the worker role serves it, only the scheduler role sweeps.
    const engine = await startEngine({
      config,
      redisUrl: redis.url,
      work: engineWork(config, db, events.pubSub, connections),
      worker: roles.includes("worker"),
      scheduler: roles.includes("scheduler"),
    });
    stack.push(() => engine.close());
    if (roles.includes("worker")) {
      // Webhooks go out from a loop of their own beside the engine, never in its way.
      const deliverer = new WebhookDeliverer({
        prisma: db.prisma,
        sql: db.sql,
        config,
        publish: (list) => publishEvents(events.pubSub, list),
      });
      deliverer.start();
      stack.push(() => deliverer.stop());
    }
    const yoga = createYogaApp({ config, events: events.pubSub, feed: events.feed, engine, connections });
    const app: App = { config, db, redisUrl: redis.url, events, engine, connections, yoga, stop };

    if (roles.includes("api")) {
      const probe = createRedisClient(redis.url, "readiness");
      stack.push(async () => void (await probe.quit()));
      app.api = await startApiServer({
        yoga,
        host: config.host,
        port: config.port,
        ready: async () => ({
          database: await db.prisma.$queryRaw`SELECT 1`.then(
            () => true,
            () => false,
          ),
          redis: await probe.ping().then(
            (pong) => pong === "PONG",
            () => false,
          ),
        }),
        routes: {
          [CALLBACK_PATH]: oauthCallbackRoute(() => ({
            prisma: db.prisma,
            config,
            events: events.pubSub,
            engine,
            connections,
          })),
        },
      });
      stack.push(() => app.api!.close());
      connections.listeningAt(app.api.url);
      // API nodes report the fleet's budgets, lanes and outbox when scraped (read from PostgreSQL and Redis).
      const unobserve = observeFleet(() => fleetFigures(db.prisma, engine.budget));
      stack.push(async () => unobserve());
      // And each app-wide cap's window, by app (figures only: an app is shared across tenants).
      const unobserveApps = observeApps(() => appFigures(engine.budget, config.engine.apps));
      stack.push(async () => unobserveApps());
    } else if (config.observability.metricsPort !== null) {
      const metrics = await startMetricsServer(config.host, config.observability.metricsPort);
      stack.push(() => metrics.close());
      logger.info({ url: metrics.url }, "metrics served");
    }
    return app;
  } catch (error) {
    await stop();
    throw error;
  }
}
