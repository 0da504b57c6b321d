/**
 * npm run bench:faults — exactly once and fast recovery under the faults that break them, judged by the
 * XPM sandbox's call log. The sandbox ignores Idempotency-Key (XPM's contract declares none), so a write
 * sent twice is applied twice.
 *
 * 20 rounds, each a drain of 600 job budget edits through one worker process under XPM's caps (3 at once,
 * 60 a minute, the export reserve's 30), in compressed time. Part-way through a drain:
 * - 10 rounds kill the worker with SIGKILL (its calls in flight) and start another;
 * - 10 rounds delete every Redis key of the deployment (budget windows, locks, activation jobs).
 * Prints edits lost, edits applied twice, cap windows exceeded, and the recovery time (the fault, or
 * the restarted worker being ready, until the next call reaches the platform), p50 and p99.
 *
 * Needs PostgreSQL and Redis (BENCH_DATABASE_URL, default the local server; REDIS_URL, default local).
 */
import type { ChildProcess } from "node:child_process";
import { startApp } from "../src/app.ts";
import { encryptSecret } from "../src/auth/secrets.ts";
import { createTenant } from "../src/auth/tenants.ts";
import { loadConfig } from "../src/config.ts";
import type { CallLogEntry } from "../src/sandbox/kit/call-log.ts";
import { startXpmSandbox } from "../src/sandbox/xpm/server.ts";
import { enqueueEdits } from "../src/sync/export.ts";
import { timeScale } from "../src/time.ts";
import { benchEnv, freshDatabase, printTable, startWorker, wipeRedis } from "./support.ts";

const ROUNDS_EACH = Number(process.env.BENCH_ROUNDS ?? 10);
const EDITS = Number(process.env.BENCH_EDITS ?? 600);
// 600 edits at 30 a minute: 20 minutes, 30 s at a "minute" of 1.5 s.
const MINUTE_MS = Number(process.env.BENCH_MINUTE_MS ?? 1500);
/** Real ms each call spends at the platform, so a kill finds calls in flight. */
const LATENCY_MS = 50;
const CAPS = { concurrent: 3, perMinute: 60, exportPerMinute: 30 };

type Fault = "kill -9" | "Redis wipe";

interface Round {
  fault: Fault;
  lost: number;
  doubled: number;
  overCap: number;
  refused: number;
  /** Calls spent reading back writes whose outcome the fault left unknown. */
  readsBack: number;
  /** From the fault until the next call started at the platform. */
  recoveryMs: number;
  /** kill -9 only: from the restarted worker being ready until its first call. */
  afterRestartMs: number | null;
}

const isJobUpdate = (e: { method: string; path: string }) =>
  e.method === "PUT" && e.path === "/v3.1/job.api/update";
const isJobRead = (e: { method: string; path: string }) =>
  e.method === "GET" && e.path.startsWith("/v3.1/job.api/get/");

function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`benchmark timed out waiting for ${what}`);
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

async function main() {
  console.log(
    `syncline faults benchmark: ${ROUNDS_EACH} rounds of kill -9 and ${ROUNDS_EACH} of a Redis wipe, ` +
      `each on a drain of ${EDITS} edits, a minute = ${MINUTE_MS} ms\n`,
  );
  const db = await freshDatabase("faults");
  const xpm = await startXpmSandbox({ time: timeScale(MINUTE_MS), honourIdempotencyKeys: false });
  xpm.caps.setLatency(LATENCY_MS);
  const env = benchEnv(db.name, {
    SYNCLINE_MINUTE_MS: String(MINUTE_MS),
    SYNCLINE_XPM_URL: xpm.url,
    // Calls take 50 ms: a write cut off by a kill can no longer arrive 5 s after it was claimed.
    SYNCLINE_CALL_TIMEOUT_MS: "5000",
  });
  // This process only schedules (sweeps and announces); one worker process serves.
  const app = await startApp(loadConfig(env), ["scheduler"]);
  const { tenantId } = await createTenant(app.db.prisma, { name: "bench faults" });
  let worker = await startWorker(env);
  const rounds: Round[] = [];
  try {
    const faults: Fault[] = Array.from({ length: ROUNDS_EACH * 2 }, (_, i) =>
      i % 2 === 0 ? "kill -9" : "Redis wipe",
    );
    for (const [index, fault] of faults.entries()) {
      const remoteTenantId = `practice-${index}`;
      const practice = xpm.addPractice(remoteTenantId, { jobs: EDITS, clients: 1, staff: 1, timeEntries: 0 });
      const integration = await app.db.prisma.integration.create({
        data: {
          tenantId,
          platform: "XPM",
          name: `Practice ${index}`,
          remoteTenantId,
          syncMode: "ONE_OFF",
          status: "CONNECTED",
          credentialsEncrypted: encryptSecret(app.config.encryptionKey, JSON.stringify({ accessToken: "b" })),
        },
      });
      const jobs = [...practice.jobs.keys()];
      const value = (i: number) => 10_000 * (index + 1) + i;
      await app.db.prisma.$transaction(
        (tx) =>
          enqueueEdits(
            tx,
            integration.id,
            jobs.map((job, i) => ({ entity: "job", remoteId: job, field: "budget", value: value(i) })),
          ),
        { timeout: 60_000 },
      );
      await app.engine.notify(integration.id, { preempt: false });
      const log = () => xpm.caps.accepted(remoteTenantId);
      const sent = () =>
        app.db.prisma.exportItem.count({ where: { integrationId: integration.id, status: "SENT" } });

      // Somewhere between a fifth and three fifths of the drain, with calls in flight.
      const at = Math.floor(EDITS * (0.2 + 0.4 * Math.random()));
      await waitFor(async () => (await sent()) >= at, 60 * MINUTE_MS, `${at} sent`);
      await waitFor(() => log().some((c) => c.endedAt === null), 10 * MINUTE_MS, "a call in flight");
      // Recovery is timed from the moment the fault is complete: the worker gone, the keys deleted.
      let faultAt: number;
      let readyAt: number | null = null;
      if (fault === "kill -9") {
        await kill(worker, "SIGKILL");
        faultAt = Date.now();
        worker = await startWorker(env);
        readyAt = Date.now();
      } else {
        await wipeRedis(env.SYNCLINE_REDIS_PREFIX!);
        faultAt = Date.now();
      }
      await waitFor(async () => (await sent()) === EDITS, 120 * MINUTE_MS, `round ${index + 1} drained`);

      const calls = log();
      const writes = calls.filter(isJobUpdate);
      const appliedPerKey = new Map<string, number>();
      for (const call of writes.filter((c) => c.applied))
        appliedPerKey.set(call.idempotencyKey!, (appliedPerKey.get(call.idempotencyKey!) ?? 0) + 1);
      const lost = jobs.filter((job, i) => practice.jobs.get(job)!.dto.budget !== value(i)).length;
      const exportCall = (c: CallLogEntry) => isJobUpdate(c) || isJobRead(c);
      const overCap =
        Number(xpm.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS) > CAPS.perMinute) +
        Number(xpm.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS, exportCall) > CAPS.exportPerMinute) +
        Number(xpm.caps.maxConcurrency(remoteTenantId) > CAPS.concurrent);
      const next = Math.min(...calls.filter((c) => c.startedAt > faultAt).map((c) => c.startedAt));
      const round: Round = {
        fault,
        lost,
        doubled: [...appliedPerKey.values()].filter((count) => count > 1).length,
        overCap,
        refused: calls.filter((c) => c.status === 429).length,
        readsBack: calls.filter(isJobRead).length,
        recoveryMs: next - faultAt,
        afterRestartMs: readyAt === null ? null : next - readyAt,
      };
      rounds.push(round);
      console.log(
        `round ${String(index + 1).padStart(2)} ${fault.padEnd(10)} at ${String(at).padStart(3)} sent: ` +
          `lost ${round.lost}, doubled ${round.doubled}, over cap ${round.overCap}, read back ${round.readsBack}, ` +
          `next call ${round.recoveryMs} ms after the fault` +
          (round.afterRestartMs === null ? "" : ` (${round.afterRestartMs} ms after the restart)`),
      );
    }
  } finally {
    await kill(worker, "SIGTERM");
    await app.stop();
    await xpm.close();
    await db.drop();
  }

  const of = (fault: Fault) => rounds.filter((r) => r.fault === fault);
  const sum = (list: Round[], pick: (r: Round) => number) => list.reduce((total, r) => total + pick(r), 0);
  const kills = of("kill -9");
  const wipes = of("Redis wipe");
  const ms = (value: number) => `${Math.round(value)} ms`;
  console.log("");
  printTable([
    ["rounds (edits each)", `${rounds.length} (${EDITS})`],
    ["edits lost (kill -9 / Redis wipe)", `${sum(kills, (r) => r.lost)} / ${sum(wipes, (r) => r.lost)}`],
    [
      "edits applied twice (kill -9 / Redis wipe)",
      `${sum(kills, (r) => r.doubled)} / ${sum(wipes, (r) => r.doubled)}`,
    ],
    [
      "cap windows exceeded: minute, export minute, concurrency (kill -9 / Redis wipe)",
      `${sum(kills, (r) => r.overCap)} / ${sum(wipes, (r) => r.overCap)}`,
    ],
    ["429s received", String(sum(rounds, (r) => r.refused))],
    [
      "calls spent reading back writes in doubt (kill -9 / Redis wipe)",
      `${sum(kills, (r) => r.readsBack)} / ${sum(wipes, (r) => r.readsBack)}`,
    ],
    [
      "kill -9 → next call at the platform, p50 / p99 (includes the restart)",
      `${ms(
        percentile(
          kills.map((r) => r.recoveryMs),
          50,
        ),
      )} / ${ms(
        percentile(
          kills.map((r) => r.recoveryMs),
          99,
        ),
      )}`,
    ],
    [
      "restarted worker ready → its first call, p50 / p99",
      `${ms(
        percentile(
          kills.map((r) => r.afterRestartMs!),
          50,
        ),
      )} / ${ms(
        percentile(
          kills.map((r) => r.afterRestartMs!),
          99,
        ),
      )}`,
    ],
    [
      "Redis wipe → next call at the platform, p50 / p99",
      `${ms(
        percentile(
          wipes.map((r) => r.recoveryMs),
          50,
        ),
      )} / ${ms(
        percentile(
          wipes.map((r) => r.recoveryMs),
          99,
        ),
      )}`,
    ],
  ]);
  const broken = sum(rounds, (r) => r.lost + r.doubled + r.overCap);
  process.exit(broken === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
