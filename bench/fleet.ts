/**
 * npm run bench:fleet — a fleet of XPM integrations behind ONE Xero app, judged by the XPM sandbox's log.
 *
 * Xero caps each tenant (3 concurrent, 60 a minute, 5,000 a day) and the app across all its tenants
 * (10,000 a minute). Here the app's cap is scaled to the run (BENCH_APP_PER_MINUTE, enforced by the
 * sandbox and given to syncline as SYNCLINE_XERO_APP_PER_MINUTE) so that it, not the machine, binds:
 * every integration's export backlog asks 30 a minute, far more than its share. Mixed lanes: export
 * backlogs of different sizes, FREQUENT pulls at the start, DAILY pulls arriving behind the backlogs, a
 * few INTERACTIVE reads. Two worker processes; the benchmark process is the host and the scheduler, and
 * the XPM sandbox runs in a child process of its own (as Xero runs apart from syncline).
 *
 * Prints: calls made; cap violations at each level (the sandbox's 429s the counts called for, and the
 * log's own sliding-window maxima), 429s, the app's utilisation while the fleet is backlogged, Jain's
 * fairness index over the calls of integrations that had work throughout a minute, and preemption latency
 * (a DAILY run or an INTERACTIVE read arriving behind the backlogs, from its arrival (the run committed
 * and announced) until its first call starts; also from before its insert), how often the budget
 * refused an export call for each one made, the workers' CPU time and database statements per
 * provider call (the workers' own counters, from their /metrics), and the activations started per call.
 *
 * `npm run bench:fleet` then runs bench/reserve.ts (`npm run bench:reserve`, at its own 3 s minute) for
 * the rest of what the fleet's figures include: 600 edits drained on one integration, STRICT next to
 * ADAPTIVE, with the 10-minute sync's run times in both, and the calls multi-field coalescing saves.
 *
 * Needs PostgreSQL and Redis (BENCH_DATABASE_URL, default the local server; REDIS_URL, default local).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type App, startApp } from "../src/app.ts";
import { encryptSecret } from "../src/auth/secrets.ts";
import { createTenant } from "../src/auth/tenants.ts";
import { loadConfig } from "../src/config.ts";
import type { Integration } from "../src/generated/prisma/client.ts";
import { CallLog, type CallLogEntry } from "../src/sandbox/kit/call-log.ts";
import { startXpmSandbox } from "../src/sandbox/xpm/server.ts";
import { enqueueEdits } from "../src/sync/export.ts";
import { timeScale } from "../src/time.ts";
import {
  adminQuery,
  benchEnv,
  dropBenchState,
  freePort,
  printTable,
  scrapeSum,
  startWorker,
  sumOf,
} from "./support.ts";

// 300 by default, a run of about two minutes. The issue asks for 2,000 (BENCH_INTEGRATIONS=2000): their
// app of 8,000 a minute is more calls than two cores serve in a 20 s "minute", so give it two
// (BENCH_MINUTE_MS=120000; about ten minutes in all).
const INTEGRATIONS = Number(process.env.BENCH_INTEGRATIONS ?? 300);
const MINUTE_MS = Number(process.env.BENCH_MINUTE_MS ?? 20_000);
/** The app's calls a minute: a share of 4 a minute per integration, where each backlog asks 30. */
const APP_PER_MINUTE = Number(process.env.BENCH_APP_PER_MINUTE ?? INTEGRATIONS * 4);
const WORKERS = 2;
/** The DAILY runs and INTERACTIVE reads arrive spread over this long, while the fleet is backlogged. */
const ARRIVALS_OVER_MS = 1.5 * MINUTE_MS;
/** Every 4th integration has a big backlog (it works for the whole run); the others small ones. */
const backlogOf = (i: number) => (i % 4 === 0 ? 30 : 4 + (i % 7));

interface Stage {
  database: string;
  app: App;
  xpm: SandboxChild;
  workers: ChildProcess[];
  /** Each worker's /metrics. */
  metrics: string[];
  tenantId: string;
}

async function stage(): Promise<Stage> {
  const database = `syncline_bench_fleet_${randomBytes(3).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${database}`);
  const xpm = await startSandboxChild();
  const env = benchEnv(database, {
    SYNCLINE_MINUTE_MS: String(MINUTE_MS),
    SYNCLINE_XPM_URL: xpm.url,
    SYNCLINE_XERO_APP_PER_MINUTE: String(APP_PER_MINUTE),
    SYNCLINE_SWEEP_INTERVAL_MS: "5000",
    SYNCLINE_HEARTBEAT_LAPSE_MS: "5000",
  });
  const app = await startApp(loadConfig(env), ["scheduler"]);
  const { tenantId } = await createTenant(app.db.prisma, { name: "bench fleet" });
  const workers: ChildProcess[] = [];
  const metrics: string[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const port = await freePort();
    workers.push(await startWorker({ ...env, SYNCLINE_METRICS_PORT: String(port) }));
    metrics.push(`http://127.0.0.1:${port}/metrics`);
  }
  return { database, app, xpm, workers, metrics, tenantId };
}

async function teardown(s: Stage) {
  for (const child of s.workers) child.kill("SIGTERM");
  await Promise.all(s.workers.map((child) => new Promise((resolve) => child.once("exit", resolve))));
  await s.app.stop();
  await s.xpm.close();
  await dropBenchState(s.database);
}

async function addIntegration(s: Stage, index: number, jobs: number) {
  const remoteTenantId = `practice-${index}`;
  const jobIds = await s.xpm.addPractice(remoteTenantId, jobs);
  const integration = await s.app.db.prisma.integration.create({
    data: {
      tenantId: s.tenantId,
      platform: "XPM",
      name: `Practice ${index}`,
      remoteTenantId,
      syncMode: "CONTINUOUS",
      status: "CONNECTED",
      credentialsEncrypted: encryptSecret(
        s.app.config.encryptionKey,
        JSON.stringify({ accessToken: "bench" }),
      ),
    },
  });
  return { integration, remoteTenantId, jobIds };
}

async function queueExports(s: Stage, integrationId: string, jobs: string[]) {
  await s.app.db.prisma.$transaction(
    (tx) =>
      enqueueEdits(
        tx,
        integrationId,
        jobs.map((job) => ({ entity: "job", remoteId: job, field: "budget", value: 100 })),
      ),
    { timeout: 60_000, maxWait: 60_000 },
  );
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`benchmark timed out waiting for ${what}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const percentile = (values: number[], p: number) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

/** Jain's fairness index: (Σx)² / (n Σx²); 1 when every x is equal, 1/n when one takes everything. */
const jain = (xs: number[]) => {
  const sum = xs.reduce((a, b) => a + b, 0);
  const squares = xs.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (xs.length * squares);
};

async function fleet() {
  const s = await stage();
  try {
    const integrations: { integration: Integration; remote: string; backlog: number; jobIds: string[] }[] =
      [];
    for (let i = 0; i < INTEGRATIONS; i++) {
      const { integration, remoteTenantId, jobIds } = await addIntegration(s, i, backlogOf(i));
      integrations.push({ integration, remote: remoteTenantId, backlog: backlogOf(i), jobIds });
    }
    // The workers' own cost from here on: their CPU time and the statements they sent.
    const cpuBefore = await scrapeSum(s.metrics, "process_cpu_seconds_total");
    const statementsBefore = await scrapeSum(s.metrics, "syncline_db_statements");
    // The scheduler's sweep finds the first backlogs while the rest are queued: the run starts here.
    const started = Date.now();
    for (const { integration, jobIds } of integrations) await queueExports(s, integration.id, jobIds);
    // Announced as the host announces edits (enqueueExports): behind work already waiting, no preemption.
    await Promise.all(
      integrations.map(({ integration }) => s.app.engine.notify(integration.id, { preempt: false })),
    );
    // FREQUENT pulls on every 10th integration at once.
    for (const [i, { integration }] of integrations.entries()) {
      if (i % 10 !== 5) continue;
      await s.app.db.prisma.syncRun.create({
        data: {
          tenantId: s.tenantId,
          integrationId: integration.id,
          kind: "FREQUENT",
          trigger: "SCHEDULE",
          lane: "FREQUENT",
        },
      });
      await s.app.engine.notify(integration.id);
    }
    // Once the app is full: DAILY pulls behind big backlogs (every 4th integration) and a few
    // INTERACTIVE reads, spread over the next minute and a half.
    await sleep(MINUTE_MS / 2);
    /** Each DAILY run: when the benchmark began to insert it, and when its row was committed. */
    const preemptions: { remote: string; queuedAt: number; committedAt: number }[] = [];
    /** Each INTERACTIVE read: its practice, and when it was asked for (once it is done). */
    const reads: Promise<{ remote: string; queuedAt: number }>[] = [];
    // Every big backlog of the default 300 (75); every other one of 2,000 (250), so that the p99 is one:
    // of the 60 DAILY runs that 75 arrivals bring, it is the slowest.
    const bigs = integrations.filter((_, i) => i % 4 === 0);
    const arrivals = bigs.filter((_, k) => k % Math.max(1, Math.round(bigs.length / 250)) === 0);
    for (const [k, { integration, remote }] of arrivals.entries()) {
      await sleep(ARRIVALS_OVER_MS / arrivals.length);
      const queuedAt = Date.now();
      if (k % 5 === 4) {
        // A live read while a user waits (INTERACTIVE): the time until its call starts.
        reads.push(
          s.app.engine.live
            .read(integration, { method: "GET", path: "v3.1/staff.api/list" })
            .then(() => ({ remote, queuedAt })),
        );
        continue;
      }
      await s.app.db.prisma.syncRun.create({
        data: {
          tenantId: s.tenantId,
          integrationId: integration.id,
          kind: "DAILY",
          trigger: "SCHEDULE",
          lane: "DAILY",
        },
      });
      // The run has arrived: it is in the database, and syncline is told (as the scheduler or a
      // trigger tells it).
      const committedAt = Date.now();
      await s.app.engine.notify(integration.id);
      preemptions.push({ remote, queuedAt, committedAt });
    }

    const total = integrations.reduce((sum, { backlog }) => sum + backlog, 0);
    await waitFor(
      async () => (await s.app.db.prisma.exportItem.count({ where: { status: "SENT" } })) === total,
      MINUTE_MS * 60,
      "every export",
    );
    await waitFor(
      async () => (await s.app.db.prisma.syncRun.count({ where: { status: { not: "SUCCEEDED" } } })) === 0,
      MINUTE_MS * 20,
      "every pull run",
    );
    const elapsed = Date.now() - started;
    // The sandbox's log of every call, as its process recorded them.
    const caps = await s.xpm.log();
    const readLatencies = (await Promise.all(reads)).map(({ remote, queuedAt }) =>
      firstCall(caps, remote, queuedAt, "staff.api/list"),
    );
    // Each worker's event-loop delay since the last scrape of its metrics (prom-client starts it afresh on
    // each, so first): the one before the run.
    const loopDelay = (texts: string[], name: string) =>
      Math.max(...texts.map((text) => sumOf(text, name))) * 1000;
    const texts = await Promise.all(s.metrics.map(async (url) => (await fetch(url)).text()));
    const loopP99 = loopDelay(texts, "nodejs_eventloop_lag_p99_seconds");
    const loopMax = loopDelay(texts, "nodejs_eventloop_lag_max_seconds");
    // What the workers counted: the budget's refusals of export calls, beside the export calls made.
    const exportRefusals = await scrapeSum(s.metrics, "syncline_budget_refusals_total", { lane: "EXPORT" });
    const exportCalls = await scrapeSum(s.metrics, "syncline_provider_calls_total", { lane: "EXPORT" });
    const putBack = await scrapeSum(s.metrics, "syncline_claims_put_back_total", { lane: "EXPORT" });
    const unusedGrants = await scrapeSum(s.metrics, "syncline_grants_unused_total", { lane: "EXPORT" });
    const workerCpuMs = ((await scrapeSum(s.metrics, "process_cpu_seconds_total")) - cpuBefore) * 1000;
    const workerStatements = (await scrapeSum(s.metrics, "syncline_db_statements")) - statementsBefore;
    // Activations started: each takes its integration's next fencing token, so the tokens' sum counts
    // them (the integrations were created for this run).
    const [{ activations }] = await s.app.db.prisma.$queryRaw<[{ activations: number }]>`
      SELECT coalesce(sum(fence), 0)::int AS activations FROM "ActivationFence"`;

    const isExport = (e: CallLogEntry) => e.method === "PUT";
    const refusedByCounts = caps.violations();
    // The log's own judgement, from the intervals the calls occupied.
    let tenantOver = 0;
    for (const { remote } of integrations) {
      if (caps.maxInSlidingWindow(remote, MINUTE_MS) > 60) tenantOver++;
      if (caps.maxInSlidingWindow(remote, MINUTE_MS, isExport) > 30) tenantOver++;
      if (caps.maxConcurrency(remote) > 3) tenantOver++;
    }
    const appMax = caps.maxInSlidingWindow(undefined, MINUTE_MS);

    // Minute by minute, from the start until the fleet's backlog is gone.
    const exportsOf = new Map<string, CallLogEntry[]>();
    for (const e of caps.accepted().filter(isExport)) {
      const list = exportsOf.get(e.tenantId) ?? [];
      list.push(e);
      exportsOf.set(e.tenantId, list);
    }
    const allExports = [...exportsOf.values()].flat().map((e) => e.startedAt);
    const firstExport = Math.min(...allExports);
    const lastExport = Math.max(...allExports);
    const utilisation: number[] = [];
    const fairness: number[] = [];
    // Platform minutes from the first export on, while the exports still waiting at the minute's start
    // are more than the app's minute allows: the app, not the work, is what limits them.
    for (let from = firstExport; from + MINUTE_MS <= lastExport; from += MINUTE_MS) {
      const to = from + MINUTE_MS;
      const waiting = total - allExports.filter((at) => at < from).length;
      if (waiting < APP_PER_MINUTE) break;
      const inMinute = caps.accepted().filter((e) => e.startedAt >= from && e.startedAt < to);
      utilisation.push(inMinute.length / APP_PER_MINUTE);
      // Integrations with work throughout the minute: exports sent before it and after it.
      const busy = integrations.filter(({ remote }) => {
        const sent = exportsOf.get(remote) ?? [];
        return sent.some((e) => e.startedAt < from) && sent.some((e) => e.startedAt >= to);
      });
      if (busy.length < 2) continue;
      fairness.push(jain(busy.map(({ remote }) => inMinute.filter((e) => e.tenantId === remote).length)));
    }
    const latencies = preemptions.map(({ remote, committedAt }) => firstCall(caps, remote, committedAt, ""));
    // The same, counting the benchmark process's own insert of the run.
    const withInsert = preemptions.map(({ remote, queuedAt }) => firstCall(caps, remote, queuedAt, ""));
    const callTimes = caps
      .accepted()
      .filter((e) => e.endedAt !== null)
      .map((e) => (e.endedAt ?? e.startedAt) - e.startedAt);
    if (process.env.BENCH_DEBUG) {
      for (const { remote, backlog } of integrations.slice(0, 12)) {
        const counts: number[] = [];
        for (let from = firstExport; from < lastExport; from += MINUTE_MS)
          counts.push(
            caps.accepted(remote).filter((e) => e.startedAt >= from && e.startedAt < from + MINUTE_MS).length,
          );
        console.log(remote, backlog, counts.join(" "));
      }
      console.log(
        "preemptions",
        JSON.stringify(preemptions.map((p) => [p.remote, p.queuedAt - started])),
        JSON.stringify(latencies),
      );
    }
    // Small backlogs' drain: from the start to their last export, in platform minutes.
    const drains = (pick: (backlog: number) => boolean) =>
      integrations
        .filter(({ backlog }) => pick(backlog))
        .map(
          ({ remote }) =>
            (Math.max(...(exportsOf.get(remote) ?? []).map((e) => e.startedAt)) - started) / MINUTE_MS,
        );
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    return {
      elapsed,
      firstExportAfter: firstExport - started,
      calls: caps.accepted().length,
      refusedByCounts,
      tenantOver,
      appMax,
      refused: caps.entries.filter((e) => e.status === 429).length,
      utilisation: mean(utilisation),
      utilisationWorst: Math.min(...utilisation),
      minutes: utilisation.length,
      fairness: mean(fairness),
      fairnessWorst: Math.min(...fairness),
      smallDrain: Math.max(...drains((b) => b < 30)),
      bigDrain: mean(drains((b) => b >= 30)),
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      worst: Math.max(...latencies.filter(Number.isFinite)),
      preemptions: latencies.length,
      insertP50: percentile(withInsert, 50),
      insertP99: percentile(withInsert, 99),
      // The same, by when the run arrived: the first third of the arrivals meets the fleet's start (every
      // backlog's first activation at once), the rest a fleet draining in its stride.
      thirds: [0, 1, 2].map((third) => {
        const part = latencies.filter((_, k) => Math.floor((3 * k) / latencies.length) === third);
        return { p50: percentile(part, 50), max: Math.max(...part.filter(Number.isFinite)) };
      }),
      // One provider call, as the target reckons it: the sandbox's time from a call's arrival to its answer.
      callP50: percentile(callTimes, 50),
      callP99: percentile(callTimes, 99),
      readP50: percentile(readLatencies, 50),
      readMax: Math.max(...readLatencies),
      reads: readLatencies.length,
      exportRefusals,
      exportCalls,
      putBack,
      unusedGrants,
      workerCpuMs,
      workerStatements,
      activations,
      loopP99,
      loopMax,
    };
  } finally {
    await teardown(s);
  }
}

/** When the integration's first read (GET) of `path` started after `queuedAt`, in ms after it. */
function firstCall(caps: CallLog, remote: string, queuedAt: number, path: string): number {
  const call = caps
    .accepted(remote)
    .find((e) => e.method === "GET" && e.startedAt >= queuedAt && e.path.includes(path));
  return call ? call.startedAt - queuedAt : Number.NaN;
}

async function main() {
  console.log(
    `syncline fleet benchmark: ${INTEGRATIONS} XPM integrations on one app of ${APP_PER_MINUTE} calls a minute, ` +
      `${WORKERS} worker processes, a minute = ${MINUTE_MS} ms\n`,
  );
  const r = await fleet();
  const rows: [string, string][] = [
    ["provider calls made", String(r.calls)],
    ["wall time from queueing the first backlog to the last pull", `${(r.elapsed / 1000).toFixed(0)} s`],
    [
      "cap violations, tenant level (sandbox 429s the counts called for / log windows over a cap)",
      `${r.refusedByCounts.tenant} / ${r.tenantOver}`,
    ],
    [
      `cap violations, app level (sandbox 429s / most calls in any sliding minute, of ${APP_PER_MINUTE})`,
      `${r.refusedByCounts.app} / ${r.appMax}`,
    ],
    ["429s received", String(r.refused)],
    [
      `app budget utilisation while backlogged, mean / worst minute (${r.minutes} minutes)`,
      `${(r.utilisation * 100).toFixed(1)} % / ${(r.utilisationWorst * 100).toFixed(1)} %`,
    ],
    [
      "Jain's fairness index, calls of integrations with work throughout a minute, mean / worst minute",
      `${r.fairness.toFixed(3)} / ${r.fairnessWorst.toFixed(3)}`,
    ],
    [
      "small backlogs (4-10 exports): the last one done / big backlogs (30): mean, platform minutes",
      `${r.smallDrain.toFixed(2)} / ${r.bigDrain.toFixed(2)}`,
    ],
    [
      `preemption latency, from the run's commit: p50 / p90 / p99 / worst (${r.preemptions} DAILY runs behind backlogs)`,
      `${r.p50} / ${r.p90} / ${r.p99} / ${r.worst} ms`,
    ],
    [
      "  the same by arrival, first / second / last third: p50 (worst)",
      `${r.thirds.map((t) => `${t.p50} (${t.max})`).join(" / ")} ms`,
    ],
    ["  the same from before the run's insert: p50 / p99", `${r.insertP50} / ${r.insertP99} ms`],
    [`INTERACTIVE reads: first call p50 / worst (${r.reads} reads)`, `${r.readP50} / ${r.readMax} ms`],
    ["one provider call at the sandbox (arrival to answer), p50 / p99", `${r.callP50} / ${r.callP99} ms`],
    [
      "budget refusals per export call (the workers' syncline_budget_refusals_total / export calls)",
      `${(r.exportRefusals / Math.max(1, r.exportCalls)).toFixed(2)} (${r.exportRefusals} / ${r.exportCalls})`,
    ],
    [
      "exports claimed and put back when the budget refused them, per export call (and grants taken first, unused)",
      `${(r.putBack / Math.max(1, r.exportCalls)).toFixed(2)} (${r.putBack}; unused grants: ${r.unusedGrants})`,
    ],
    [
      "the workers' CPU time and database statements, per provider call",
      `${(r.workerCpuMs / r.calls).toFixed(2)} ms / ${(r.workerStatements / r.calls).toFixed(2)}`,
    ],
    [
      "activations started (each a lock, a fencing token, a servable read), per provider call",
      `${(r.activations / r.calls).toFixed(2)} (${r.activations})`,
    ],
    [
      "the workers' event-loop delay during the run, p99 / max (the worse of the two)",
      `${r.loopP99.toFixed(0)} / ${r.loopMax.toFixed(0)} ms`,
    ],
  ];
  printTable(rows);
  console.log(
    `\n(first export ${((r.firstExportAfter ?? 0) / 1000).toFixed(1)} s after the backlogs were announced)`,
  );
  const clean =
    r.refusedByCounts.tenant + r.refusedByCounts.app + r.tenantOver === 0 && r.appMax <= APP_PER_MINUTE;
  process.exit(clean ? 0 : 1);
}

// ---- the sandbox, in a child process ----
//
// The XPM sandbox runs in a process of its own (this file again, with --sandbox), as Xero runs apart from
// syncline: the moment it logs a call's arrival, which every latency here is measured to, is not held
// back by this process's own work (the scheduler's sweeps, the host's inserts of runs and edits). The
// child answers requests over IPC: add a practice, hand over the call log, close.

type SandboxAsk = { type: "add"; remote: string; jobs: number } | { type: "log" } | { type: "close" };
/** A request to the child; its answer carries the same id. */
type SandboxRequest = SandboxAsk & { id: number };

/** The child's answer to request `id` (0: it listens, at `url`). */
interface SandboxAnswer {
  id: number;
  url?: string;
  /** The practice's job ids (add). */
  jobIds?: string[];
  /** Every call, in arrival order (log). */
  entries?: CallLogEntry[];
}

interface SandboxChild {
  url: string;
  /** Adds a practice with `jobs` jobs (and a few clients, staff and time entries); its job ids. */
  addPractice(remote: string, jobs: number): Promise<string[]>;
  /** The call log so far, to measure on. */
  log(): Promise<CallLog>;
  close(): Promise<void>;
}

async function sandboxChild() {
  const xpm = await startXpmSandbox({ time: timeScale(MINUTE_MS), appPerMinute: APP_PER_MINUTE });
  const answer = (message: SandboxAnswer) => process.send!(message);
  // The parent went away without saying close (it crashed): nothing left to serve.
  process.on("disconnect", () => process.exit(0));
  process.on("message", async (request: SandboxRequest) => {
    if (request.type === "add") {
      const practice = xpm.addPractice(request.remote, {
        jobs: request.jobs,
        clients: 5,
        staff: 2,
        timeEntries: 5,
      });
      answer({ id: request.id, jobIds: [...practice.jobs.keys()] });
    } else if (request.type === "log") {
      answer({ id: request.id, entries: xpm.caps.log });
    } else {
      await xpm.close();
      answer({ id: request.id });
      process.exit(0);
    }
  });
  answer({ id: 0, url: xpm.url });
}

async function startSandboxChild(): Promise<SandboxChild> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--sandbox"], {
    env: process.env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, (answer: SandboxAnswer) => void>();
  let failed: Error | null = null;
  child.on("message", (answer: SandboxAnswer) => {
    pending.get(answer.id)?.(answer);
    pending.delete(answer.id);
  });
  let closing = false;
  const fail = (error: Error) => {
    failed ??= error;
    for (const settle of pending.values()) settle({ id: -1 });
    pending.clear();
    // Without its sandbox the run cannot go on, nor be judged: stop now, not at the next wait's timeout.
    if (!closing) {
      console.error(failed);
      process.exit(1);
    }
  };
  child.on("error", fail);
  child.once("exit", (code, signal) => fail(new Error(`sandbox child exited with ${signal ?? code}`)));
  const answerTo = (id: number) =>
    new Promise<SandboxAnswer>((resolve, reject) => {
      if (failed) return reject(failed);
      pending.set(id, (answer) => (answer.id === -1 ? reject(failed) : resolve(answer)));
    });
  let nextId = 1;
  const ask = (request: SandboxAsk) => {
    const id = nextId++;
    const answer = answerTo(id);
    child.send({ ...request, id });
    return answer;
  };
  const { url } = await answerTo(0);
  return {
    url: url!,
    addPractice: async (remote, jobs) => (await ask({ type: "add", remote, jobs })).jobIds!,
    log: async () => {
      const { entries } = await ask({ type: "log" });
      const log = new CallLog(Date.now);
      for (const entry of entries!) log.entries.push(entry);
      return log;
    },
    close: async () => {
      closing = true;
      if (child.exitCode !== null) return;
      await ask({ type: "close" }).catch(() => {});
    },
  };
}

(process.argv.includes("--sandbox") ? sandboxChild() : main()).catch((error) => {
  console.error(error);
  process.exit(1);
});
