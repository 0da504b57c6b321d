/**
 * npm run bench:pull — the initial sync of one big XPM practice, judged against a bulk INSERT.
 *
 * One XPM tenant with 50,000 clients and 200,000 time entries (plus jobs and staff), served by a
 * zero-latency sandbox with its caps lifted, pulled by an INITIAL run through the real engine (worker and
 * scheduler roles in this process). Prints:
 * - records/s of the run (SyncedRecord rows written over the wall time, notify → SUCCEEDED) and its peak
 *   memory (RSS and V8 heap, sampled every 50 ms while the run is going);
 * - records/s of a baseline in the same run: the very rows the sync wrote, loaded into a fresh copy of
 *   the SyncedRecord table (a second fresh database, same migrations) by ONE bulk INSERT, and the ratio;
 * - the provider calls made, per entity, next to the fewest the page sizes allow.
 *
 * The sandbox runs in a child process (this file again, with --sandbox): seeding 250,000 records and
 * serialising them would otherwise land in this process's RSS and heap, so the memory figures are
 * syncline's alone. The child reports the call log (and its own peak RSS) over IPC.
 *
 * Needs PostgreSQL and Redis (BENCH_DATABASE_URL, default the local server; REDIS_URL, default local).
 * Smaller runs: BENCH_CLIENTS, BENCH_TIME_ENTRIES, BENCH_JOBS, BENCH_STAFF.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { type App, startApp } from "../src/app.ts";
import { encryptSecret } from "../src/auth/secrets.ts";
import { createTenant } from "../src/auth/tenants.ts";
import { loadConfig } from "../src/config.ts";
import { migrate } from "../src/db/migrate.ts";
import { openPostgresSession } from "../src/db/sql.ts";
import type { RateLimitOverride } from "../src/engine/rate-limit/limits.ts";
import { startXpmSandbox } from "../src/sandbox/xpm/server.ts";
import { queuePullRun } from "../src/sync/runs.ts";
import {
  adminQuery,
  benchEnv,
  databaseUrl,
  dropBenchState,
  LIFTED_CAPS,
  printTable,
  REDIS_URL,
} from "./support.ts";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50_000);
const TIME_ENTRIES = Number(process.env.BENCH_TIME_ENTRIES ?? 200_000);
const JOBS = Number(process.env.BENCH_JOBS ?? 2_000);
const STAFF = Number(process.env.BENCH_STAFF ?? 50);
/** Time entries spread over the last 365 days: all inside the first pull's window (see below). */
const DAYS = 365;
const RUN_TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 30 * 60_000);
const SAMPLE_MS = 50;
const REMOTE_TENANT = "practice-bench-pull";

// The connector's figures (src/platforms/xpm/pull.ts), restated so the minimum can be derived here.
/** Days one time.api/list call covers: `to` a year after `from` (the widest range the API takes). */
const TIME_RANGE_DAYS = 366;
const TIME_HISTORY_DAYS = 365;
const DAY_MS = 86_400_000;

const PATHS = {
  client: "/v3.1/client.api/list",
  job: "/v3.1/job.api/current",
  staff: "/v3.1/staff.api/list",
  time: "/v3.1/time.api/list",
} as const;
type Entity = keyof typeof PATHS;

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`benchmark timed out waiting for ${what}`);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

// ---- the sandbox, in a child process ----

/** What the child says once it listens: its URL and what a full pull should find. */
interface SandboxReady {
  type: "ready";
  url: string;
  seedMs: number;
  expected: Record<Entity, number>;
}

/** The call log of the practice, summed up by path. */
interface SandboxLog {
  type: "log";
  byPath: Record<string, { made: number; refused: number; failed: number }>;
  /** Every call of the practice, for BENCH_DEBUG. */
  calls: { path: string; startedAt: number; endedAt: number | null; status: number | null }[];
  peakRss: number;
}

type ParentMessage = { type: "log" } | { type: "close" };

async function sandboxChild() {
  const send = (message: SandboxReady | SandboxLog) => process.send!(message);
  const xpm = await startXpmSandbox({
    latencyMs: 0,
    caps: { concurrent: 1000, perMinute: 1_000_000_000, perDay: 1_000_000_000 },
    appPerMinute: 1_000_000_000,
  });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, SAMPLE_MS);
  const seeded = performance.now();
  const practice = xpm.addPractice(REMOTE_TENANT, {
    clients: CLIENTS,
    jobs: JOBS,
    staff: STAFF,
    timeEntries: TIME_ENTRIES,
    days: DAYS,
  });
  const seedMs = performance.now() - seeded;
  send({
    type: "ready",
    url: xpm.url,
    seedMs,
    expected: {
      // What the routes serve: pageable clients, current jobs, active staff, every entry of the window.
      client: practice.listClients().filter((c) => c.dto.isArchived === "No").length,
      job: practice.currentJobs().length,
      staff: practice.activeStaff().length,
      time: practice.time.size,
    },
  });
  // The parent went away without saying close (it crashed): nothing left to serve.
  process.on("disconnect", () => process.exit(0));
  process.on("message", async (message: ParentMessage) => {
    if (message.type === "log") {
      const byPath: SandboxLog["byPath"] = {};
      for (const entry of xpm.caps.log) {
        if (entry.tenantId !== REMOTE_TENANT) continue;
        const counts = byPath[entry.path] ?? { made: 0, refused: 0, failed: 0 };
        byPath[entry.path] = counts;
        counts.made++;
        if (entry.status === 429) counts.refused++;
        else if (entry.status === null || entry.status >= 400) counts.failed++;
      }
      const calls = xpm.caps.log
        .filter((entry) => entry.tenantId === REMOTE_TENANT)
        .map(({ path, startedAt, endedAt, status }) => ({ path, startedAt, endedAt, status }));
      send({ type: "log", byPath, calls, peakRss: Math.max(peakRss, process.resourceUsage().maxRSS * 1024) });
    } else {
      clearInterval(sampler);
      await xpm.close();
      process.exit(0);
    }
  });
}

interface SandboxHandle {
  child: ChildProcess;
  ready: SandboxReady;
  log(): Promise<SandboxLog>;
  close(): Promise<void>;
}

async function startSandboxChild(): Promise<SandboxHandle> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--sandbox"], {
    env: process.env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = <T extends SandboxReady | SandboxLog>(type: T["type"]) =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`sandbox child exited with ${code}`));
      const onMessage = (message: SandboxReady | SandboxLog) => {
        if (message.type !== type) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(message as T);
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const ready = await next<SandboxReady>("ready");
  return {
    child,
    ready,
    log: () => {
      const answer = next<SandboxLog>("log");
      child.send({ type: "log" } satisfies ParentMessage);
      return answer;
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send({ type: "close" } satisfies ParentMessage);
      await exited;
    },
  };
}

// ---- syncline's initial pull ----

interface PullResult {
  integrationId: string;
  tenantId: string;
  runId: string;
  records: number;
  byEntity: Record<string, number>;
  fetched: number;
  created: number;
  unchanged: number;
  wallMs: number;
  runMs: number;
  rssBefore: number;
  heapBefore: number;
  peakRss: number;
  peakHeap: number;
  maxRss: number;
  samples: number;
  /** Event-loop delay while the run went (ms): what any other work of this worker waits behind. */
  loopP99Ms: number;
  loopMaxMs: number;
  timeStartedAt: Date;
}

async function pull(app: App): Promise<PullResult> {
  const prisma = app.db.prisma;
  const { tenantId } = await createTenant(prisma, { name: "bench pull" });
  const lifted: RateLimitOverride = LIFTED_CAPS;
  const integration = await prisma.integration.create({
    data: {
      tenantId,
      platform: "XPM",
      name: "Big practice",
      remoteTenantId: REMOTE_TENANT,
      // ONE_OFF: the scheduler queues no periodic pulls next to the initial one.
      syncMode: "ONE_OFF",
      status: "CONNECTED",
      connectedAt: new Date(),
      credentialsEncrypted: encryptSecret(app.config.encryptionKey, JSON.stringify({ accessToken: "bench" })),
      rateLimitOverride: lifted,
    },
  });
  const { run } = await prisma.$transaction((tx) =>
    queuePullRun(tx, integration, "INITIAL", { trigger: "CONNECT" }),
  );

  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  let samples = 0;
  const sampler = setInterval(() => {
    const { rss, heapUsed } = process.memoryUsage();
    peakRss = Math.max(peakRss, rss);
    peakHeap = Math.max(peakHeap, heapUsed);
    samples++;
  }, SAMPLE_MS);

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const started = performance.now();
  let status = "QUEUED";
  try {
    await app.engine.notify(integration.id);
    await waitFor(
      async () => {
        status = (await prisma.syncRun.findUniqueOrThrow({ where: { id: run.id }, select: { status: true } }))
          .status;
        if (status === "PARTIAL" || status === "FAILED" || status === "CANCELLED") return true;
        return status === "SUCCEEDED";
      },
      RUN_TIMEOUT_MS,
      "the initial run",
      SAMPLE_MS,
    );
  } finally {
    clearInterval(sampler);
    loop.disable();
  }
  const wallMs = performance.now() - started;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  if (status !== "SUCCEEDED") {
    const logs = await prisma.syncLog.findMany({ where: { runId: run.id }, orderBy: { sequence: "asc" } });
    throw new Error(
      `initial run ended ${status}:\n${logs.map((l) => `  ${l.level} ${l.entity ?? "-"} ${l.message}`).join("\n")}`,
    );
  }

  const finished = await prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
  const groups = await prisma.syncedRecord.groupBy({
    by: ["entity"],
    where: { integrationId: integration.id },
    _count: { _all: true },
  });
  const byEntity = Object.fromEntries(groups.map((g) => [g.entity, g._count._all]));
  const timeWatermark = await prisma.watermark.findUniqueOrThrow({
    where: { integrationId_entity: { integrationId: integration.id, entity: "time" } },
  });
  return {
    integrationId: integration.id,
    tenantId,
    runId: run.id,
    records: Object.values(byEntity).reduce((a, b) => a + b, 0),
    byEntity,
    fetched: finished.fetchedCount,
    created: finished.createdCount,
    unchanged: finished.skippedCount,
    wallMs,
    runMs: finished.finishedAt!.getTime() - finished.startedAt!.getTime(),
    rssBefore: before.rss,
    heapBefore: before.heapUsed,
    peakRss,
    peakHeap,
    maxRss,
    samples,
    loopP99Ms: loop.percentile(99) / 1e6,
    loopMaxMs: loop.max / 1e6,
    // The watermark is the time entity's `startedAt`: the connector's window ends on its day.
    timeStartedAt: timeWatermark.cursor!,
  };
}

// ---- the baseline: one bulk INSERT ----

interface BaselineResult {
  rows: number;
  payloadBytes: number;
  ms: number;
}

/**
 * Loads the rows the sync wrote (entity, remoteId, data, contentHash) into a fresh database migrated
 * like syncline's, so the table, its unique index and its foreign key are the same, with ONE statement:
 * INSERT … SELECT FROM jsonb_to_recordset($1). Only that statement is timed (the payload is read back
 * from the sync's database beforehand).
 */
async function baseline(syncUrl: string, database: string, pulled: PullResult): Promise<BaselineResult> {
  const source = new pg.Client({ connectionString: syncUrl });
  await source.connect();
  let payload: string;
  try {
    const { rows } = await source.query<{ payload: string }>(
      `SELECT json_agg(json_build_object('entity', entity, 'remoteId', "remoteId", 'data', data,
                                         'contentHash', "contentHash"))::text AS payload
         FROM "SyncedRecord" WHERE "integrationId" = $1`,
      [pulled.integrationId],
    );
    payload = rows[0]!.payload;
  } finally {
    await source.end();
  }

  const url = databaseUrl(database);
  const session = await openPostgresSession(url);
  try {
    await migrate(session);
  } finally {
    await session.close();
  }
  const target = new pg.Client({ connectionString: url });
  await target.connect();
  try {
    await target.query(`INSERT INTO "Tenant" (id, name, "updatedAt") VALUES ($1, 'bench baseline', now())`, [
      pulled.tenantId,
    ]);
    await target.query(
      `INSERT INTO "Integration" (id, "tenantId", platform, name, "remoteTenantId", "syncMode",
                                  "credentialsEncrypted", "updatedAt")
       VALUES ($1, $2, 'XPM', 'Big practice', $3, 'ONE_OFF', 'bench', now())`,
      [pulled.integrationId, pulled.tenantId, REMOTE_TENANT],
    );
    const started = performance.now();
    const result = await target.query(
      `INSERT INTO "SyncedRecord" (id, "integrationId", entity, "remoteId", data, "contentHash", "lastRunId",
                                   "updatedAt")
       SELECT gen_random_uuid(), $2::uuid, r.entity, r."remoteId", r.data, r."contentHash", $3::uuid, now()
         FROM jsonb_to_recordset($1::jsonb) AS r(entity text, "remoteId" text, data jsonb, "contentHash" text)`,
      [payload, pulled.integrationId, pulled.runId],
    );
    const ms = performance.now() - started;
    return { rows: result.rowCount ?? 0, payloadBytes: Buffer.byteLength(payload), ms };
  } finally {
    await target.end();
  }
}

// ---- calls: made versus the minimum ----

interface CallRow {
  entity: string;
  made: number;
  minimum: number;
  formula: string;
}

function callCounts(log: SandboxLog, expected: Record<Entity, number>, timeStartedAt: Date): CallRow[] {
  const made = (path: string) => log.byPath[path]?.made ?? 0;
  // As the connector walks it: from the day 365 days before the entity's start to the start's day, in
  // windows of a year starting at the first; a window starts while its first day is not after the last.
  const lastDay = Math.floor(timeStartedAt.getTime() / DAY_MS);
  const firstDay = Math.floor((timeStartedAt.getTime() - TIME_HISTORY_DAYS * DAY_MS) / DAY_MS);
  const windowDays = lastDay - firstDay + 1;
  const slices = Math.ceil(windowDays / TIME_RANGE_DAYS);
  const rows: CallRow[] = [
    {
      // paged-list omits archived clients, which a full pull must keep: one list of every client.
      entity: "client (list, archived included)",
      made: made(PATHS.client),
      minimum: 1,
      formula: `1 call (${expected.client} clients)`,
    },
    { entity: "job (current)", made: made(PATHS.job), minimum: 1, formula: "1 call" },
    { entity: "staff (list)", made: made(PATHS.staff), minimum: 1, formula: "1 call" },
    {
      entity: "time (list by from/to)",
      made: made(PATHS.time),
      minimum: slices,
      formula: `ceil(${windowDays} days (${TIME_HISTORY_DAYS} back, both ends included) / ${TIME_RANGE_DAYS} a call)`,
    },
  ];
  const known = new Set<string>(Object.values(PATHS));
  const other = Object.entries(log.byPath)
    .filter(([path]) => !known.has(path))
    .reduce((sum, [, counts]) => sum + counts.made, 0);
  if (other > 0) rows.push({ entity: "other paths", made: other, minimum: 0, formula: "none needed" });
  return rows;
}

// ---- main ----

/** BENCH_DEBUG: the run's log and the sandbox's calls on one clock, to see where the time goes. */
async function debugTimeline(app: App, runId: string, log: SandboxLog) {
  const lines = await app.db.prisma.syncLog.findMany({ where: { runId }, orderBy: { sequence: "asc" } });
  const events = [
    ...lines.map((l) => ({
      at: l.createdAt.getTime(),
      text: `log  ${l.level} ${l.entity ?? "-"} ${l.message}`,
    })),
    ...log.calls.map((c) => ({
      at: c.startedAt,
      text: `call ${c.path} → ${c.status} in ${c.endedAt === null ? "?" : c.endedAt - c.startedAt} ms`,
    })),
  ].sort((a, b) => a.at - b.at);
  const first = events[0]?.at ?? 0;
  for (const event of events) console.log(`${String(event.at - first).padStart(8)} ms  ${event.text}`);
  console.log();
}

async function cleanRedis(prefix: string) {
  const redis = new Redis(REDIS_URL);
  try {
    const stream = redis.scanStream({ match: `${prefix}*`, count: 1000 });
    for await (const keys of stream as AsyncIterable<string[]>) if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

async function main() {
  console.log(
    `syncline pull benchmark: one XPM practice, ${CLIENTS} clients, ${JOBS} jobs, ${STAFF} staff, ` +
      `${TIME_ENTRIES} time entries over ${DAYS} days; zero-latency sandbox (child process), caps lifted\n`,
  );
  const suffix = randomBytes(3).toString("hex");
  const syncDatabase = `syncline_bench_pull_${suffix}`;
  const baseDatabase = `syncline_bench_pull_base_${suffix}`;
  await adminQuery(`CREATE DATABASE ${syncDatabase}`);
  await adminQuery(`CREATE DATABASE ${baseDatabase}`);
  let sandbox: SandboxHandle | undefined;
  let app: App | undefined;
  try {
    sandbox = await startSandboxChild();
    const env = benchEnv(syncDatabase, {
      SYNCLINE_XPM_URL: sandbox.ready.url,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    });
    app = await startApp(loadConfig(env), ["worker", "scheduler"]);
    const pulled = await pull(app);
    const log = await sandbox.log();
    const expected = sandbox.ready.expected;
    const calls = callCounts(log, expected, pulled.timeStartedAt);
    const made = calls.reduce((sum, row) => sum + row.made, 0);
    const minimum = calls.reduce((sum, row) => sum + row.minimum, 0);
    // Calls beyond the minimum are explained by the timeline: which page went twice, and after what.
    if (process.env.BENCH_DEBUG || made !== minimum) await debugTimeline(app, pulled.runId, log);
    await app.stop();
    app = undefined;
    const base = await baseline(databaseUrl(syncDatabase), baseDatabase, pulled);

    const expectedTotal = Object.values(expected).reduce((a, b) => a + b, 0);
    const syncRate = pulled.records / (pulled.wallMs / 1000);
    const baseRate = base.rows / (base.ms / 1000);
    const refused = Object.values(log.byPath).reduce((sum, c) => sum + c.refused, 0);
    const failed = Object.values(log.byPath).reduce((sum, c) => sum + c.failed, 0);
    const entityList = (counts: Record<string, number>) =>
      (Object.keys(PATHS) as Entity[]).map((e) => `${e} ${counts[e] ?? 0}`).join(", ");

    const rows: [string, string][] = [
      ["records expected (sandbox: pageable clients, current jobs, staff, time)", String(expectedTotal)],
      ["SyncedRecord rows written by the INITIAL run", String(pulled.records)],
      ["  by entity", entityList(pulled.byEntity)],
      [
        "  the run's counts: fetched / created / unchanged",
        `${pulled.fetched} / ${pulled.created} / ${pulled.unchanged}`,
      ],
      ["syncline wall time (notify → SUCCEEDED seen)", `${(pulled.wallMs / 1000).toFixed(2)} s`],
      ["  the run's own startedAt → finishedAt", `${(pulled.runMs / 1000).toFixed(2)} s`],
      ["syncline records/s", syncRate.toFixed(0)],
      // The sampler runs on the event loop, which the run blocks for seconds at a time (see the delay
      // below), so samples miss the top: the kernel's high-water mark is the peak. RSS was far lower
      // before the run (next line), so that mark was set by the run.
      ["peak RSS, syncline process only (kernel high-water mark)", mb(pulled.maxRss)],
      [`  highest RSS sample (every ${SAMPLE_MS} ms while the run went)`, mb(pulled.peakRss)],
      ["  RSS when the run was queued", mb(pulled.rssBefore)],
      [`peak V8 heap used (highest ${SAMPLE_MS} ms sample: a lower bound)`, mb(pulled.peakHeap)],
      ["  heap used when the run was queued", mb(pulled.heapBefore)],
      [`  memory samples taken (${(pulled.wallMs / SAMPLE_MS).toFixed(0)} were due)`, String(pulled.samples)],
      [
        "event-loop delay during the run, p99 / max",
        `${pulled.loopP99Ms.toFixed(0)} ms / ${pulled.loopMaxMs.toFixed(0)} ms`,
      ],
      ["sandbox child peak RSS (not syncline's; for reference)", mb(log.peakRss)],
      ["  sandbox seeding time (before the run)", `${(sandbox.ready.seedMs / 1000).toFixed(2)} s`],
      ["baseline: rows in ONE bulk INSERT (jsonb_to_recordset, fresh DB)", String(base.rows)],
      ["baseline: payload sent", mb(base.payloadBytes)],
      ["baseline: INSERT time", `${(base.ms / 1000).toFixed(2)} s`],
      ["baseline records/s", baseRate.toFixed(0)],
      [
        "syncline / baseline records/s",
        `${((syncRate / baseRate) * 100).toFixed(1)} % (baseline ${(baseRate / syncRate).toFixed(1)}× faster)`,
      ],
      ...calls.map((row): [string, string] => [
        `calls: ${row.entity}, made / minimum`,
        `${row.made} / ${row.minimum}  [min = ${row.formula}]`,
      ]),
      ["calls: total, made / minimum", `${made} / ${minimum}`],
      ["calls refused (429) / failed (4xx, 5xx, unanswered)", `${refused} / ${failed}`],
    ];
    printTable(rows);
    const ok = pulled.records === expectedTotal && base.rows === pulled.records;
    if (!ok) console.error(`\nrecord counts disagree: expected ${expectedTotal} (${entityList(expected)})`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    await app?.stop();
    await sandbox?.close();
    await cleanRedis(syncDatabase).catch((error) => console.error("redis cleanup failed:", error));
    await dropBenchState(syncDatabase);
    await adminQuery(`DROP DATABASE IF EXISTS ${baseDatabase} WITH (FORCE)`);
  }
}

if (process.argv.includes("--sandbox")) {
  sandboxChild().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
