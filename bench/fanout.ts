/**
 * npm run bench:fanout — live subscriptions under load: two API nodes and a worker (child processes),
 * graphql-ws and SSE subscribers (in this process) to queueProgress and packetStateChanged during a
 * 1,425-item export drain (XPM, at its export reserve) and a 124-packet accounting push (Xero Accounting),
 * against the sandboxes in compressed time.
 *
 * Prints: delivery latency (p50/p99/max) from publish (as a plain Redis subscriber in this process sees
 * it: the baseline) to receipt by each subscriber; packet transitions missed or duplicated (must be 0);
 * database transactions per event with 0, 100 and 1,000 subscribers (pg_stat_database, every process);
 * API RSS at 0 and 1,000 subscribers; a trivial query's latency during the drain next to without it; then
 * 10,000 subscribers on one node: RSS and p99.
 *
 * Needs PostgreSQL and Redis (BENCH_DATABASE_URL, default the local server; REDIS_URL, default local).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { type ExecutionResult, print } from "graphql";
import { type Client, createClient } from "graphql-ws";
import { Redis } from "ioredis";
import pg from "pg";
import WebSocket from "ws";
import { type App, startApp } from "../src/app.ts";
import { encryptSecret } from "../src/auth/secrets.ts";
import { addMember, createTenant } from "../src/auth/tenants.ts";
import { loadConfig } from "../src/config.ts";
import { globalId } from "../src/graphql/ids.ts";
import { startXeroAccountingSandbox } from "../src/sandbox/xero-accounting/server.ts";
import { startXpmSandbox } from "../src/sandbox/xpm/server.ts";
import { queuePushRun } from "../src/sync/runs.ts";
import { timeScale } from "../src/time.ts";
import {
  EnqueueExportsMutation,
  IngestOrdersMutation,
  PacketLogSubscription,
  QueueDrainSubscription,
  UpsertMappingRuleMutation,
  ViewerQuery,
} from "../test/operations.ts";
import { retailOrder } from "../test/support/orders.ts";
import { benchEnv, freshDatabase, printTable, REDIS_URL } from "./support.ts";

const MINUTE_MS = Number(process.env.BENCH_MINUTE_MS ?? 400);
const DRAIN_ITEMS = 1425;
const PUSH_PACKETS = 124;
const WS_SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const SSE_SUBSCRIBERS = 100;
const COST_ITEMS = 150;
const MANY = Number(process.env.BENCH_MANY ?? 10_000);
const MANY_PER_SOCKET = 5;

type Doc = Parameters<typeof print>[0];

interface Node {
  child: ChildProcess;
  url: string;
}

/** `src/main.ts --role <role>` as a child process; an API node resolves with its URL. */
function spawnRole(role: "api" | "worker", env: Record<string, string>): Promise<Node> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "--role", role], {
    env: { ...process.env, ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code, signal) => {
      if (signal !== "SIGTERM") console.error(`${role} process ${child.pid} exited (${code ?? signal})`);
      reject(new Error(`${role} exited with ${code}`));
    });
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      // A node's errors are shown (logs are JSON lines; level 50 and up).
      for (const line of chunk.toString().split("\n"))
        if (/"level":(5|6)\d/.test(line)) console.error(`${role}: ${line.slice(0, 2000)}`);
      const url = /syncline GraphQL API: (\S+)/.exec(out)?.[1];
      if (role === "api" && url) resolve({ child, url: url.replace("localhost", "127.0.0.1") });
      if (role === "worker" && out.includes("syncline started")) resolve({ child, url: "" });
    });
  });
}

function rssMb(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function post<T>(url: string, token: string, document: Doc, variables: object = {}): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as ExecutionResult<T>;
  if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const ms = (values: number[]) =>
  `${percentile(values, 50).toFixed(0)} / ${percentile(values, 99).toFixed(0)} / ${values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY).toFixed(0)} ms`;

const sleep = (msToWait: number) => new Promise((resolve) => setTimeout(resolve, msToWait));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** What the plain Redis subscriber saw published, by channel: when (ms) each event went out. */
class PublishClock {
  readonly queue = new Map<string, number[]>();
  readonly packets = new Map<number, number>();
  private readonly redis = new Redis(REDIS_URL);
  constructor(private readonly prefix: string) {}
  async start() {
    await this.redis.psubscribe(`${this.prefix}:events:*`);
    this.redis.on("pmessage", (_pattern, channel: string, message: string) => {
      const now = Date.now();
      const [, topic, id] = /:events:([^:]+):(.+)$/.exec(channel) ?? [];
      if (topic === "queueProgress") this.queue.set(id!, [...(this.queue.get(id!) ?? []), now]);
      if (topic === "packetStateChanged") this.packets.set(JSON.parse(message).eventSequence, now);
    });
  }
  /** The last publish for the integration at or before `at` (ms). */
  publishedBefore(integrationId: string, at: number): number | null {
    const times = this.queue.get(integrationId) ?? [];
    let found: number | null = null;
    for (const time of times) if (time <= at + 2) found = time;
    return found;
  }
  close() {
    this.redis.disconnect();
  }
}

interface QueueSeen {
  at: number;
  sent: number;
  pending: number;
  inFlight: number;
  receivedAt: number;
}

/** What the bench's connections went through: closes by code, and subscriptions resumed after one. */
const drops = { byCode: new Map<number, number>(), resumed: 0 };

type Start = (client: Client) => void;

/**
 * One monitor's graphql-ws connection to a node, kept as a monitor keeps it: a close it did not ask for
 * is counted, the connection opened again and its subscriptions resumed (queue figures from a fresh
 * snapshot, packet moves after the last sequence seen).
 */
class Monitor {
  private client!: Client;
  private readonly starts: Start[] = [];
  private disposed = false;

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {
    this.open();
  }

  watch(start: Start): void {
    this.starts.push(start);
    start(this.client);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.client.dispose();
  }

  private open() {
    this.client = createClient({
      url: this.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.token}` },
      retryAttempts: 0,
      on: { closed: (event) => this.closed((event as { code: number }).code) },
    });
  }

  private closed(code: number) {
    if (this.disposed || code === 1000) return;
    drops.byCode.set(code, (drops.byCode.get(code) ?? 0) + 1);
    const dropped = this.client;
    void Promise.resolve(dropped.dispose()).catch(() => {});
    this.open();
    for (const start of this.starts) {
      drops.resumed++;
      start(this.client);
    }
  }
}

function watchQueue(integrationId: string, into: QueueSeen[]): Start {
  return (client) =>
    client.subscribe(
      { query: print(QueueDrainSubscription), variables: { integrationId } },
      {
        next: (result) => {
          const progress = (result.data as { queueProgress: { at: string; exportQueue: QueueSeen } })
            .queueProgress;
          into.push({ ...progress.exportQueue, at: Date.parse(progress.at), receivedAt: Date.now() });
        },
        error: () => {},
        complete: () => {},
      },
    );
}

function watchPackets(runId: string, into: { sequence: number; receivedAt: number }[]): Start {
  return (client) =>
    client.subscribe(
      { query: print(PacketLogSubscription), variables: { runId, afterSequence: into.at(-1)?.sequence } },
      {
        next: (result) => {
          const change = (result.data as { packetStateChanged: { eventSequence: number } } | null)
            ?.packetStateChanged;
          if (change) into.push({ sequence: change.eventSequence, receivedAt: Date.now() });
        },
        error: () => {},
        complete: () => {},
      },
    );
}

/** An SSE subscription, read to its end (or until stopped), recording each result. */
function sse(
  url: string,
  token: string,
  document: Doc,
  variables: object,
  onResult: (data: unknown) => void,
) {
  const controller = new AbortController();
  const done = (async () => {
    try {
      const response = await fetch(url, {
        method: "POST",
        signal: controller.signal,
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ query: print(document), variables }),
      });
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const data = buffer
            .slice(0, end)
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trim())
            .join("");
          buffer = buffer.slice(end + 2);
          if (data) onResult((JSON.parse(data) as ExecutionResult).data);
        }
      }
    } catch {
      // Stopped.
    }
  })();
  return { stop: () => controller.abort(), done };
}

/** Subscriptions of `field` open on an API node (its /metrics). */
async function openSubscriptions(apiUrl: string, field: string): Promise<number> {
  const text = await (await fetch(new URL("/metrics", apiUrl))).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("syncline_subscriptions_open{") && line.includes(`field="${field}"`))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

/** Statements an API node has sent to PostgreSQL so far (its /metrics). */
async function statements(apiUrl: string): Promise<number> {
  const text = await (await fetch(new URL("/metrics", apiUrl))).text();
  return Number(/^syncline_db_statements(?:\{[^}]*\})? (\d+)/m.exec(text)![1]);
}

async function transactions(pool: pg.Pool): Promise<number> {
  // Every backend reports its counts within a second or so of going idle: wait for them.
  await sleep(1500);
  const { rows } = await pool.query<{ n: string }>(
    "SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()",
  );
  return Number(rows[0]!.n);
}

/**
 * A trivial query's latency, `samples` times 20 ms apart, measured by a child process of its own: this
 * process is busy receiving every subscriber's events, and its own event loop would be timed instead.
 */
async function trivialQueryLatency(url: string, token: string, samples: number): Promise<number[]> {
  const probe = `
    const [url, token, samples, query] = process.argv.slice(1);
    const latencies = [];
    for (let i = 0; i < Number(samples); i++) {
      const started = performance.now();
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer " + token },
        body: JSON.stringify({ query }),
      });
      const body = await response.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    process.stdout.write(JSON.stringify(latencies));`;
  const child = spawn(
    process.execPath,
    ["--input-type=module", "-e", probe, url, token, String(samples), print(ViewerQuery)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`the query probe exited with ${code}`);
  return JSON.parse(out) as number[];
}

async function main() {
  console.log(
    `syncline fan-out benchmark: 2 API nodes, 1 worker, ${WS_SUBSCRIBERS} graphql-ws + ${SSE_SUBSCRIBERS} SSE subscribers, a minute = ${MINUTE_MS} ms\n`,
  );
  const database = await freshDatabase("fanout");
  const time = timeScale(MINUTE_MS);
  const [xpm, xero] = await Promise.all([startXpmSandbox({ time }), startXeroAccountingSandbox({ time })]);
  const env = benchEnv(database.name, {
    SYNCLINE_MINUTE_MS: String(MINUTE_MS),
    SYNCLINE_XPM_URL: xpm.url,
    SYNCLINE_XERO_ACCOUNTING_URL: xero.url,
  });
  // This process: the database (migrated) and the tenant; it plays no role.
  const app: App = await startApp(loadConfig(env), []);
  const prisma = app.db.prisma;
  const children: ChildProcess[] = [];
  const clock = new PublishClock(database.name);
  const stats = new pg.Pool({ connectionString: database.url, max: 1 });
  const rows: [string, string][] = [];
  const monitors: Monitor[] = [];
  try {
    const { tenantId, token: owner } = await createTenant(prisma, { name: "bench fanout" });
    const { token: viewer } = await addMember(prisma, { tenantId, name: "Monitor", role: "VIEWER" });
    const credentials = encryptSecret(app.config.encryptionKey, JSON.stringify({ accessToken: "bench" }));
    const xpmIntegration = async (name: string, jobs: number) => {
      const remoteTenantId = `practice-${name}`;
      xpm.addPractice(remoteTenantId, { jobs, clients: 5, staff: 2, timeEntries: 5 });
      const integration = await prisma.integration.create({
        data: {
          tenantId,
          platform: "XPM",
          name,
          remoteTenantId,
          syncMode: "ONE_OFF",
          status: "CONNECTED",
          credentialsEncrypted: credentials,
        },
      });
      return {
        id: integration.id,
        globalId: globalId("Integration", integration.id),
        practice: xpm.practice(remoteTenantId),
      };
    };

    const [a, b] = await Promise.all([spawnRole("api", env), spawnRole("api", env)]);
    children.push(a!.child, b!.child);
    children.push((await spawnRole("worker", env)).child);
    await clock.start();
    const nodes = [a!.url, b!.url];
    const enqueue = async (
      integration: { globalId: string; practice: ReturnType<typeof xpm.practice> },
      count: number,
      value: number,
    ) => {
      const items = [...integration.practice.jobs.keys()]
        .slice(0, count)
        .map((job) => ({ entity: "job", remoteId: job, field: "budget", value }));
      await post(nodes[0]!, owner, EnqueueExportsMutation, {
        input: { integrationId: integration.globalId, items },
      });
    };
    const drained = async (integrationId: string, sent: number) =>
      (await prisma.exportItem.count({ where: { integrationId, status: "SENT" } })) >= sent;

    // --- A trivial query, nothing else going on ----------------------------------------------------------
    const idleQuery = await trivialQueryLatency(nodes[0]!, viewer, 100);

    // --- Database work per event with 0, 100 and 1,000 subscribers --------------------------------------
    const costs: Record<number, { perEvent: number; apiPerEvent: number; events: number }> = {};
    const rss: Record<number, number> = {};
    for (const count of [0, 100, WS_SUBSCRIBERS]) {
      const integration = await xpmIntegration(`cost-${count}`, COST_ITEMS);
      const seen: QueueSeen[][] = [];
      for (let i = 0; i < count; i++) {
        const monitor = new Monitor(nodes[i % 2]!, viewer);
        monitors.push(monitor);
        const into: QueueSeen[] = [];
        seen.push(into);
        monitor.watch(watchQueue(integration.globalId, into));
      }
      await until("every subscriber's first figures", () => seen.every((s) => s.length > 0));
      if (count === 0 || count === WS_SUBSCRIBERS) rss[count] = rssMb(a!.child) + rssMb(b!.child);
      const before = await transactions(stats);
      const apiBefore = (await statements(nodes[0]!)) + (await statements(nodes[1]!));
      const eventsBefore = clock.queue.get(integration.id)?.length ?? 0;
      await enqueue(integration, COST_ITEMS, 7);
      await until("the cost drain", () => drained(integration.id, COST_ITEMS));
      await until("every subscriber on the final figures", () =>
        seen.every((s) => s.at(-1)?.sent === COST_ITEMS && s.at(-1)?.inFlight === 0),
      );
      const events = (clock.queue.get(integration.id)?.length ?? 0) - eventsBefore;
      const api = (await statements(nodes[0]!)) + (await statements(nodes[1]!)) - apiBefore;
      costs[count] = {
        perEvent: ((await transactions(stats)) - before) / events,
        apiPerEvent: api / events,
        events,
      };
      await Promise.all(monitors.splice(0).map((monitor) => monitor.dispose()));
    }

    // --- The drain and the push, watched by every subscriber --------------------------------------------
    const drain = await xpmIntegration("drain", DRAIN_ITEMS);
    const accounts = await prisma.integration.create({
      data: {
        tenantId,
        platform: "XERO_ACCOUNTING",
        name: "Accounts",
        remoteTenantId: "bench-organisation",
        syncMode: "ONE_OFF",
        status: "CONNECTED",
        credentialsEncrypted: credentials,
        // A push at 4 a minute, so its 124 sends spread over the drain as a real one's 4 minutes do.
        rateLimitOverride: { exportPerMinute: 4 },
      },
    });
    xero.addOrganisation("bench-organisation");
    const accountsId = globalId("Integration", accounts.id);
    for (const [sourceType, sourceValue, targetType, targetValue] of [
      ["REVENUE_CATEGORY", "Retail", "ACCOUNT_CODE", "200"],
      ["TAX_RATE", "GST 15%", "TAX_TYPE", "OUTPUT"],
      ["PAYMENT_METHOD", "CARD", "ACCOUNT_CODE", "090"],
    ]) {
      await post(nodes[0]!, owner, UpsertMappingRuleMutation, {
        input: { integrationId: accountsId, sourceType, sourceValue, targetType, targetValue },
      });
    }
    const orders = Array.from({ length: PUSH_PACKETS }, (_, n) =>
      retailOrder(`bench-${n}`, new Date(Date.UTC(2026, 10, 1) + n * 60_000).toISOString()),
    );
    await post(nodes[1]!, owner, IngestOrdersMutation, { input: { integrationId: accountsId, orders } });

    const queueSeen: QueueSeen[][] = [];
    for (let i = 0; i < WS_SUBSCRIBERS; i++) {
      const monitor = new Monitor(nodes[i % 2]!, viewer);
      monitors.push(monitor);
      const into: QueueSeen[] = [];
      queueSeen.push(into);
      monitor.watch(watchQueue(drain.globalId, into));
    }
    const sseQueue: QueueSeen[][] = [];
    const streams: { stop(): void; done: Promise<void> }[] = [];
    for (let i = 0; i < SSE_SUBSCRIBERS / 2; i++) {
      const into: QueueSeen[] = [];
      sseQueue.push(into);
      streams.push(
        sse(nodes[i % 2]!, viewer, QueueDrainSubscription, { integrationId: drain.globalId }, (data) => {
          const progress = (data as { queueProgress: { at: string; exportQueue: QueueSeen } }).queueProgress;
          into.push({ ...progress.exportQueue, at: Date.parse(progress.at), receivedAt: Date.now() });
        }),
      );
    }
    await until("every queue subscriber's first figures", () =>
      [...queueSeen, ...sseQueue].every((s) => s.length > 0),
    );
    rss[-1] = rssMb(a!.child) + rssMb(b!.child);

    // The push is queued but not announced until every subscriber listens, so they see its build live.
    const { run } = await prisma.$transaction((tx) =>
      queuePushRun(tx, accounts, { requestedById: null as never }),
    );
    const runId = run.id;
    const runGlobalId = globalId("SyncRun", runId);
    const packetSeen: { sequence: number; receivedAt: number }[][] = [];
    for (const [i, monitor] of monitors.entries()) {
      const into: { sequence: number; receivedAt: number }[] = [];
      packetSeen.push(into);
      monitor.watch(watchPackets(runGlobalId, into));
      if (i < SSE_SUBSCRIBERS / 2) {
        const sseInto: { sequence: number; receivedAt: number }[] = [];
        packetSeen.push(sseInto);
        streams.push(
          sse(nodes[i % 2]!, viewer, PacketLogSubscription, { runId: runGlobalId }, (data) => {
            const change = (data as { packetStateChanged: { eventSequence: number } }).packetStateChanged;
            sseInto.push({ sequence: change.eventSequence, receivedAt: Date.now() });
          }),
        );
      }
    }
    const expected = WS_SUBSCRIBERS + SSE_SUBSCRIBERS / 2;
    await until(`${expected} packetStateChanged subscriptions open`, async () => {
      const open = await Promise.all(nodes.map((node) => openSubscriptions(node, "packetStateChanged")));
      return open[0]! + open[1]! >= expected;
    });
    const attachedAt = Date.now();
    const drainStarted = Date.now();
    await enqueue(drain, DRAIN_ITEMS, 42);
    // The push starts once the drain has (its build: every packet created and mapped in one commit).
    await sleep(2000);
    await app.engine.notify(accounts.id);
    const busyQuery = trivialQueryLatency(nodes[0]!, viewer, 100);
    await until("the drain", () => drained(drain.id, DRAIN_ITEMS));
    const lastSent = await prisma.exportItem.aggregate({
      where: { integrationId: drain.id },
      _max: { sentAt: true },
    });
    const drainEnded = lastSent._max.sentAt!.getTime();
    await until(
      "the push",
      async () => (await prisma.syncRun.findUniqueOrThrow({ where: { id: runId } })).status === "SUCCEEDED",
    );
    const head = (await prisma.syncRun.findUniqueOrThrow({ where: { id: runId } })).packetTransitionCount;
    const finalQueue = (s: QueueSeen[]) =>
      s.at(-1)?.sent === DRAIN_ITEMS && s.at(-1)?.pending === 0 && s.at(-1)?.inFlight === 0;
    await until("every queue subscriber on the final state", () =>
      [...queueSeen, ...sseQueue].every(finalQueue),
    );
    await until("every packet subscriber at the end of the log", () =>
      packetSeen.every((s) => s.length >= head),
    );
    const busy = await busyQuery;

    // Latencies: a transition from its publish; queue figures from the last publish before they were read.
    // The build's moves (every packet created and mapped: 2 × packets in one commit) arrive as one burst.
    const built = 2 * PUSH_PACKETS;
    const packetLatency = (from: number, to: number) =>
      packetSeen.flatMap((s) =>
        s.flatMap(({ sequence, receivedAt }) => {
          const published = clock.packets.get(sequence);
          return sequence > from && sequence <= to && published !== undefined && published >= attachedAt
            ? [receivedAt - published]
            : [];
        }),
      );
    const queueLatency = [...queueSeen, ...sseQueue].flatMap((s) =>
      s.flatMap((seen) => {
        const published = clock.publishedBefore(drain.id, seen.at);
        return published !== null && published >= drainStarted ? [seen.receivedAt - published] : [];
      }),
    );
    const wrong = packetSeen.map((s) => {
      const sequences = s.map((e) => e.sequence);
      const missed = Array.from({ length: head }, (_, i) => i + 1).filter(
        (n) => !sequences.includes(n),
      ).length;
      return { missed, duplicated: sequences.length - new Set(sequences).size };
    });
    // When each subscriber first showed the final figures, after the drain's last export was sent.
    const endLag = [...queueSeen, ...sseQueue].map(
      (s) => s.find((seen) => seen.sent === DRAIN_ITEMS && seen.inFlight === 0)!.receivedAt - drainEnded,
    );
    await Promise.all(monitors.splice(0).map((monitor) => monitor.dispose()));
    for (const stream of streams) stream.stop();

    // --- 10,000 subscribers on one node -------------------------------------------------------------------
    const many = await xpmIntegration("many", COST_ITEMS);
    const manySeen: QueueSeen[][] = [];
    for (let socket = 0; socket < MANY / MANY_PER_SOCKET; socket++) {
      const monitor = new Monitor(nodes[0]!, viewer);
      monitors.push(monitor);
      for (let i = 0; i < MANY_PER_SOCKET; i++) {
        const into: QueueSeen[] = [];
        manySeen.push(into);
        monitor.watch(watchQueue(many.globalId, into));
      }
    }
    await until(`${MANY} subscribers' first figures`, () => manySeen.every((s) => s.length > 0), 600_000);
    const manyRss = rssMb(a!.child);
    const manyStarted = Date.now();
    await enqueue(many, COST_ITEMS, 9);
    await until("the many drain", () => drained(many.id, COST_ITEMS));
    await until(`${MANY} subscribers on the final state`, () =>
      manySeen.every((s) => s.at(-1)?.sent === COST_ITEMS && s.at(-1)?.inFlight === 0),
    );
    const manyLatency = manySeen.flatMap((s) =>
      s.flatMap((seen) => {
        const published = clock.publishedBefore(many.id, seen.at);
        return published !== null && published >= manyStarted ? [seen.receivedAt - published] : [];
      }),
    );
    await Promise.all(monitors.splice(0).map((monitor) => monitor.dispose()));

    const subscribers = `${WS_SUBSCRIBERS} graphql-ws + ${SSE_SUBSCRIBERS} SSE`;
    rows.push(
      [
        `packetStateChanged delivery, publish → receipt, p50 / p99 / max: the sends (${subscribers})`,
        ms(packetLatency(built, Number.POSITIVE_INFINITY)),
      ],
      [
        `packetStateChanged delivery: the build's burst of ${built} moves in one commit`,
        ms(packetLatency(0, built)),
      ],
      [`queueProgress delivery, publish → receipt, p50 / p99 / max (${subscribers})`, ms(queueLatency)],
      [
        "transitions missed / duplicated (every subscriber, every one of the run's moves)",
        `${wrong.reduce((n, w) => n + w.missed, 0)} / ${wrong.reduce((n, w) => n + w.duplicated, 0)} (${head} moves × ${packetSeen.length} subscribers)`,
      ],
      [
        "connections dropped and subscriptions resumed (by close code)",
        drops.byCode.size === 0
          ? "none"
          : `${[...drops.byCode].map(([code, n]) => `${n} × ${code}`).join(", ")}; ${drops.resumed} resumed`,
      ],
      [
        "subscribers on the drain's final state after its last export, max",
        `${Math.max(0, ...endLag).toFixed(0)} ms`,
      ],
      ...([0, 100, WS_SUBSCRIBERS] as const).map((count): [string, string] => [
        `database statements per queueProgress event by the API nodes, ${count} subscribers`,
        `${costs[count]!.apiPerEvent.toFixed(1)} (${costs[count]!.events} events)`,
      ]),
      ...([0, 100, WS_SUBSCRIBERS] as const).map((count): [string, string] => [
        `database transactions per queueProgress event, every process (the worker's calls and pollers too), ${count} subscribers`,
        costs[count]!.perEvent.toFixed(1),
      ]),
      ["API RSS, both nodes: 0 subscribers", `${rss[0]!.toFixed(0)} MB`],
      [`API RSS, both nodes: ${WS_SUBSCRIBERS} subscribers`, `${rss[WS_SUBSCRIBERS]!.toFixed(0)} MB`],
      [
        `API RSS, both nodes: ${subscribers} during the drain`,
        `${(rssMb(a!.child) + rssMb(b!.child)).toFixed(0)} MB`,
      ],
      ["trivial query (viewer) p50 / p99 / max: idle", ms(idleQuery)],
      [`trivial query (viewer) p50 / p99 / max: during the drain, ${subscribers}`, ms(busy)],
      [
        `${MANY.toLocaleString("en")} subscribers on one node (${MANY_PER_SOCKET} per socket): RSS`,
        `${manyRss.toFixed(0)} MB`,
      ],
      [
        `${MANY.toLocaleString("en")} subscribers on one node: queueProgress p50 / p99 / max`,
        ms(manyLatency),
      ],
    );
    printTable(rows);
  } finally {
    await Promise.all(monitors.map((monitor) => monitor.dispose().catch(() => {})));
    clock.close();
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((child) => new Promise((resolve) => child.once("exit", resolve))));
    await stats.end();
    await app.stop();
    await Promise.all([xpm.close(), xero.close()]);
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
