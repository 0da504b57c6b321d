import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import pg from "pg";

/** What the benchmarks share: fresh databases on the local server, memory sampling, a printed table. */

export const BASE_URL = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export function databaseUrl(database: string): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A rate-limit override that lifts an integration's caps (overhead and throughput measurements). */
export const LIFTED_CAPS = {
  concurrent: 10,
  perMinute: 1_000_000_000,
  perDay: 1_000_000_000,
  exportPerMinute: 1_000_000_000,
  exportPerDay: 1_000_000_000,
};

/** syncline's environment for a benchmark on its own database (and Redis prefix), plus `extra`. */
export function benchEnv(database: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: "production",
    DATABASE_URL: databaseUrl(database),
    REDIS_URL,
    SYNCLINE_REDIS_PREFIX: database,
    SYNCLINE_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    LOG_LEVEL: "silent",
    PORT: "0",
    ...extra,
  };
}

/** Deletes every Redis key under a benchmark's prefix (SYNCLINE_REDIS_PREFIX, its database's name). */
export async function wipeRedis(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** Drops a benchmark's database and its Redis keys (benchEnv gives both the same name). */
export async function dropBenchState(database: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await wipeRedis(database);
}

/** Creates an empty database named after the benchmark; returns its name and URL. */
export async function freshDatabase(
  label: string,
): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `syncline_bench_${label}_${randomBytes(3).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    name,
    url: databaseUrl(name),
    drop: () => dropBenchState(name),
  };
}

/** Samples this process's memory every `everyMs` until stopped; reports the peaks above the start. */
export function sampleMemory(everyMs = 20): () => { peakRssMb: number; peakHeapMb: number } {
  const start = process.memoryUsage();
  let peakRss = start.rss;
  let peakHeap = start.heapUsed;
  const take = () => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  };
  const timer = setInterval(take, everyMs);
  return () => {
    take();
    clearInterval(timer);
    const mb = (bytes: number) => bytes / 1024 / 1024;
    return { peakRssMb: mb(peakRss - start.rss), peakHeapMb: mb(peakHeap - start.heapUsed) };
  };
}

/** Prints rows as a Markdown table (ready for the README's performance section). */
export function printTable(rows: [string, string][], header: [string, string] = ["measure", "value"]): void {
  const width = Math.max(header[0].length, ...rows.map(([label]) => label.length));
  console.log(`| ${header[0].padEnd(width)} | ${header[1]} |`);
  console.log(`| ${"-".repeat(width)} | ${"-".repeat(header[1].length)} |`);
  for (const [label, value] of rows) console.log(`| ${label.padEnd(width)} | ${value} |`);
}

/**
 * A worker process (`src/main.ts --role worker`) with `env`; resolves once it has started. Node flags for
 * it come from BENCH_WORKER_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles` to profile a benchmark's
 * workers: Node refuses --cpu-prof in NODE_OPTIONS).
 */
export function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const extra = process.env.BENCH_WORKER_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...extra, "--import", "tsx", "src/main.ts", "--role", "worker"], {
    env: { ...process.env, ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    const failed = (code: number | null) => reject(new Error(`worker exited with ${code}`));
    child.once("exit", failed);
    child.stdout!.on("data", (chunk: Buffer) => {
      if (!chunk.toString().includes("syncline started")) return;
      child.off("exit", failed);
      resolve(child);
    });
  });
}

/** A TCP port free on this machine now (a worker's SYNCLINE_METRICS_PORT). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The sum of a metric's samples on the Prometheus pages at `urls` whose labels include `labels`. */
export async function scrapeSum(urls: string[], name: string, labels: Record<string, string> = {}) {
  let sum = 0;
  for (const url of urls) sum += sumOf(await (await fetch(url)).text(), name, labels);
  return sum;
}

/** The sum of a metric's samples (those with `labels`) in a Prometheus text exposition. */
export function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
