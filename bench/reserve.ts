/**
 * `npm run bench:reserve`: the export reserve's two modes side by side (README, "Performance"), in
 * compressed time against the XPM sandbox at XPM's real caps (60 a minute, 5,000 a day, 3 concurrent;
 * exports' reserve 30 a minute, 4,500 a day). Two integrations drain 600 job budget updates each at the
 * same time, one STRICT, one ADAPTIVE, while their 10-minute syncs fall due as scheduled; a third queues
 * edits of three fields of 200 jobs (budget, name, due date: 600 items) to count what multi-field
 * coalescing saves. One process runs the worker and the scheduler.
 */
import { randomBytes } from "node:crypto";
import { type App, startApp } from "../src/app.ts";
import { encryptSecret } from "../src/auth/secrets.ts";
import { createTenant } from "../src/auth/tenants.ts";
import { loadConfig } from "../src/config.ts";
import type { CallLogEntry } from "../src/sandbox/kit/call-log.ts";
import { startXpmSandbox, type XpmSandbox } from "../src/sandbox/xpm/server.ts";
import type { ExportReserveMode } from "../src/settings/effective.ts";
import { type ExportEdit, enqueueEdits } from "../src/sync/export.ts";
import { timeScale } from "../src/time.ts";
import { adminQuery, benchEnv, dropBenchState, printTable } from "./support.ts";

const MINUTE_MS = Number(process.env.BENCH_MINUTE_MS ?? 3000);
const EDITS = 600;
const MULTI_JOBS = 200;
const MULTI_FIELDS = ["budget", "name", "dueDate"] as const;

const isExport = (e: CallLogEntry) => e.method === "PUT";

async function addIntegration(
  app: App,
  xpm: XpmSandbox,
  tenantId: string,
  name: string,
  jobs: number,
  mode: ExportReserveMode,
) {
  const remoteTenantId = `practice-${name}`;
  xpm.addPractice(remoteTenantId, { jobs, clients: 20, staff: 3, timeEntries: 30 });
  const integration = await app.db.prisma.integration.create({
    data: {
      tenantId,
      platform: "XPM",
      name,
      remoteTenantId,
      syncMode: "CONTINUOUS",
      status: "CONNECTED",
      connectedAt: new Date(),
      exportReserveMode: mode,
      credentialsEncrypted: encryptSecret(app.config.encryptionKey, JSON.stringify({ accessToken: "bench" })),
    },
  });
  return { id: integration.id, remote: remoteTenantId, jobs: [...xpm.practice(remoteTenantId).jobs.keys()] };
}

async function queue(app: App, integrationId: string, edits: ExportEdit[]) {
  await app.db.prisma.$transaction((tx) => enqueueEdits(tx, integrationId, edits), { timeout: 60_000 });
  await app.engine.notify(integrationId);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`benchmark timed out waiting for ${what}`);
}

async function main() {
  console.log(`syncline export reserve benchmark: a minute = ${MINUTE_MS} ms\n`);
  const database = `syncline_bench_reserve_${randomBytes(3).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${database}`);
  const xpm = await startXpmSandbox({ time: timeScale(MINUTE_MS) });
  xpm.caps.setIdempotency(false);
  const env = benchEnv(database, {
    SYNCLINE_MINUTE_MS: String(MINUTE_MS),
    SYNCLINE_XPM_URL: xpm.url,
    SYNCLINE_SWEEP_INTERVAL_MS: String(Math.max(100, MINUTE_MS / 10)),
  });
  const app = await startApp(loadConfig(env), ["worker", "scheduler"]);
  try {
    const { tenantId } = await createTenant(app.db.prisma, { name: "bench reserve" });
    const strict = await addIntegration(app, xpm, tenantId, "strict", EDITS, "STRICT");
    const adaptive = await addIntegration(app, xpm, tenantId, "adaptive", EDITS, "ADAPTIVE");
    const multi = await addIntegration(app, xpm, tenantId, "multi", MULTI_JOBS, "STRICT");

    const started = Date.now();
    const budgets = (jobs: string[]) =>
      jobs.map((job, i) => ({ entity: "job", remoteId: job, field: "budget", value: 1000 + i }));
    await Promise.all([
      queue(app, strict.id, budgets(strict.jobs)),
      queue(app, adaptive.id, budgets(adaptive.jobs)),
      queue(
        app,
        multi.id,
        multi.jobs.flatMap((job) =>
          MULTI_FIELDS.map((field) => ({
            entity: "job",
            remoteId: job,
            field,
            value: field === "budget" ? 500 : field === "name" ? `Job ${job}` : "2027-06-30",
          })),
        ),
      ),
    ]);
    const sent = (id: string) =>
      app.db.prisma.exportItem.count({ where: { integrationId: id, status: "SENT" } });
    await waitFor(
      async () =>
        (await sent(strict.id)) === EDITS &&
        (await sent(adaptive.id)) === EDITS &&
        (await sent(multi.id)) === MULTI_JOBS * MULTI_FIELDS.length,
      60 * MINUTE_MS,
      "every export",
    );
    const ended = Date.now();

    const { caps } = xpm;
    const figures = async (integration: { id: string; remote: string }) => {
      const calls = caps.accepted(integration.remote);
      const exports = calls.filter(isExport);
      const drain = (Math.max(...exports.map((e) => e.endedAt ?? e.startedAt)) - started) / MINUTE_MS;
      const runs = await app.db.prisma.syncRun.findMany({
        where: { integrationId: integration.id, kind: "FREQUENT", queuedAt: { lte: new Date(ended) } },
        orderBy: { queuedAt: "asc" },
      });
      // A run's time: queued to finished, and queued to its first call, in platform seconds.
      const seconds = (ms: number) => (ms * 60) / MINUTE_MS;
      const runTimes = runs.map((run) => {
        const firstCall = calls.find((c) => !isExport(c) && c.startedAt >= run.queuedAt.getTime());
        return {
          status: run.status,
          total: run.finishedAt ? seconds(run.finishedAt.getTime() - run.queuedAt.getTime()) : Number.NaN,
          toFirstCall: firstCall ? seconds(firstCall.startedAt - run.queuedAt.getTime()) : Number.NaN,
        };
      });
      return {
        drain,
        exports: exports.length,
        runTimes,
        overMinute: caps.maxInSlidingWindow(integration.remote, MINUTE_MS) > 60,
        overConcurrent: caps.maxConcurrency(integration.remote) > 3,
        refused: caps.log.filter((e) => e.tenantId === integration.remote && e.status === 429).length,
      };
    };
    const [s, a, m] = [await figures(strict), await figures(adaptive), await figures(multi)];
    const describeRuns = (runs: { status: string; total: number; toFirstCall: number }[]) =>
      runs.length === 0
        ? "none fell due"
        : runs
            .map(
              (r) => `${r.total.toFixed(1)} s (first call after ${r.toFirstCall.toFixed(1)} s, ${r.status})`,
            )
            .join("; ");
    const strictExportsInAMinute = caps.maxInSlidingWindow(strict.remote, MINUTE_MS, isExport);
    const rows: [string, string][] = [
      [`${EDITS} job budget updates, STRICT: drain time`, `${s.drain.toFixed(1)} platform minutes`],
      [`${EDITS} job budget updates, ADAPTIVE: drain time`, `${a.drain.toFixed(1)} platform minutes`],
      ["ADAPTIVE / STRICT", `${((a.drain / s.drain) * 100).toFixed(0)} %`],
      ["10-minute sync during the drain, STRICT: queued → finished", describeRuns(s.runTimes)],
      ["10-minute sync during the drain, ADAPTIVE: queued → finished", describeRuns(a.runTimes)],
      [
        "most exports in one sliding minute, STRICT / ADAPTIVE",
        `${strictExportsInAMinute} / ${caps.maxInSlidingWindow(adaptive.remote, MINUTE_MS, isExport)}`,
      ],
      [
        `multi-field: ${MULTI_JOBS} jobs × ${MULTI_FIELDS.length} fields (${MULTI_JOBS * MULTI_FIELDS.length} items), calls`,
        `${m.exports} (one per field: ${MULTI_JOBS * MULTI_FIELDS.length})`,
      ],
      [
        "calls saved by multi-field coalescing",
        `${MULTI_JOBS * MULTI_FIELDS.length - m.exports} (${(((MULTI_JOBS * MULTI_FIELDS.length - m.exports) / (MULTI_JOBS * MULTI_FIELDS.length)) * 100).toFixed(0)} %)`,
      ],
      [
        "cap violations (sandbox log: > 60 a minute or > 3 at once; must be 0)",
        String([s, a, m].filter((f) => f.overMinute || f.overConcurrent).length),
      ],
      ["429s received", String(s.refused + a.refused + m.refused)],
    ];
    printTable(rows);
  } finally {
    await app.stop();
    await xpm.close();
    await dropBenchState(database);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
