import { startApp } from "./app.ts";
import { createTenant } from "./auth/tenants.ts";
import { loadConfig, parseRoles } from "./config.ts";
import type { PrismaClient } from "./db/client.ts";
import { logger } from "./logger.ts";

/**
 * `npm start [-- --role api|worker|scheduler ...]`: runs the asked roles (all three by default) on the
 * configured database and Redis, or on the embedded defaults (PGlite under ./data, a local Redis).
 */
async function main() {
  const config = loadConfig();
  const roles = parseRoles(process.argv.slice(2));
  const app = await startApp(config, roles);
  logger.info({ roles, database: config.database.kind, redis: app.redisUrl }, "syncline started");

  const demoToken = await ensureDemoTenant(app.db.prisma);
  if (app.api) {
    const ide = config.env === "development" ? " (open it in a browser for GraphiQL)" : "";
    console.log(`\nsyncline GraphQL API: ${app.api.url}${ide}`);
    console.log(`syncline monitor: ${app.api.monitorUrl} (sign in with a token)`);
  }
  if (demoToken) {
    console.log(
      "Demo tenant created. Its OWNER token (shown once; send it as Authorization: Bearer <token>):",
    );
    console.log(demoToken);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    await app.stop();
    process.exit(process.exitCode ?? 0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  keepServingThroughFaults(() => void shutdown("repeated uncaught exceptions"));
}

/**
 * The last line of defence, for a fault no code caught. A rejected promise unwound nothing half-done:
 * it is logged and the process keeps serving (an API node's other subscribers, a worker's other
 * integrations are not cut off for it). An uncaught exception may have left something half-done: one
 * is logged and the process keeps serving; several within a minute mean something is broken, and it
 * stops (gracefully, exit 1) for its supervisor to start a fresh one.
 */
function keepServingThroughFaults(stop: () => void) {
  const recent: number[] = [];
  process.on("unhandledRejection", (reason) => {
    logger.error({ err: reason }, "unhandled promise rejection; still serving");
  });
  process.on("uncaughtException", (err) => {
    const now = Date.now();
    recent.push(now);
    while (recent.length > 0 && recent[0]! < now - 60_000) recent.shift();
    if (recent.length < 5) {
      logger.error({ err }, "uncaught exception; still serving");
      return;
    }
    logger.fatal({ err }, "uncaught exceptions keep coming; stopping");
    process.exitCode = 1;
    stop();
  });
}

/** On the very first start (no tenant yet) creates a demo tenant and returns its OWNER token. */
async function ensureDemoTenant(prisma: PrismaClient): Promise<string | null> {
  if ((await prisma.tenant.count()) > 0) return null;
  const { token } = await createTenant(prisma, { name: "Demo", ownerName: "Demo owner" });
  return token;
}

main().catch((error) => {
  logger.fatal({ err: error }, "syncline failed to start");
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
