import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { Redis } from "ioredis";
import type { Config } from "../config.ts";
import { logger } from "../logger.ts";

/**
 * Finds the Redis to use. With REDIS_URL, that one. Without it, 127.0.0.1:6379 if something answers
 * there; otherwise a private `redis-server` started as a child process (data under ./data/redis) and
 * stopped on exit. If there is no redis-server either, it fails with a message saying what to install.
 */
export async function resolveRedis(config: Config): Promise<{ url: string; stop: () => Promise<void> }> {
  const noop = async () => {};
  if (!config.redis.embedded || (await answersPing(config.redis.url)))
    return { url: config.redis.url, stop: noop };
  if (spawnSync("redis-server", ["--version"]).error) {
    throw new Error(
      `No Redis answers at ${config.redis.url} and redis-server is not installed. ` +
        "Install it (e.g. `apt-get install redis-server`) or set REDIS_URL=redis://host:port.",
    );
  }
  const port = await freePort();
  const dir = path.join(config.dataDir, "redis");
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "60 1", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(() => answersPing(url), 5000, "private redis-server did not start");
  logger.info({ url, dir }, "started a private redis-server");
  return { url, stop: () => stopChild(child) };
}

async function answersPing(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, message: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(message);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** A Redis client for syncline's own work (Lua scripts, pub/sub); errors are logged, not thrown. */
export function createRedisClient(url: string, name: string): Redis {
  const client = new Redis(url, { connectionName: `syncline-${name}`, maxRetriesPerRequest: null });
  client.on("error", (error) => logger.warn({ err: error, client: name }, "redis connection error"));
  return client;
}
