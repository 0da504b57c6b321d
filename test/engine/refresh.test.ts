import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSecret } from "../../src/auth/secrets.ts";
import { parseGlobalId } from "../../src/graphql/ids.ts";
import { enqueueEdits } from "../../src/sync/export.ts";
import {
  authorizeInBrowser,
  type ConnectionsHarness,
  connectThroughFlow,
  governedPractice,
  returned,
  startConnection,
  startConnectionsHarness,
} from "../support/connections.ts";
import { isJobUpdate, until } from "../support/engine.ts";
import type { TestTenant } from "../support/harness.ts";
import { type RecordingProxy, startRecordingProxy } from "../support/proxy.ts";
import { startWorkerProcess, stopAllWorkers, workerEnv } from "../support/workers.ts";

/**
 * Token refreshes with many calls in flight across processes, in compressed time (a platform minute of
 * one real second): an access token lives 720 platform seconds (12 real seconds) and is refreshed when
 * fewer than 300 are left (5 real seconds: the margin must outlast the way from taking a token to the
 * call reaching the platform, which on a loaded 2-core machine and through a proxy can take seconds; in
 * production it is 120 s against calls that time out after 30). The identity server's token log and the
 * sandbox's call log are the judges.
 */
const MINUTE_MS = 1000;
const ACCESS_SECONDS = 720;
const MARGIN_SECONDS = 300;
const LIFETIME_MS = (ACCESS_SECONDS * MINUTE_MS) / 60;
/** The backlogs of the long run; larger for the README's figures (REFRESH_RUN_PRACTICES=2 REFRESH_RUN_JOBS=1200). */
const PRACTICES = Number(process.env.REFRESH_RUN_PRACTICES ?? 2);
const JOBS = Number(process.env.REFRESH_RUN_JOBS ?? 400);
const RUN_TIMEOUT_MS = Math.max(240_000, PRACTICES * JOBS * 250);
const MARGIN_MS = (MARGIN_SECONDS * MINUTE_MS) / 60;

let h: ConnectionsHarness;
let acme: TestTenant;
const proxies: RecordingProxy[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startConnectionsHarness({
    minuteMs: MINUTE_MS,
    // The test process takes the API and the scheduler; the workers are processes of their own.
    roles: ["api", "scheduler"],
    lifetimes: { accessTokenSeconds: ACCESS_SECONDS },
    xpmCaps: { concurrent: 100, perMinute: 100_000, perDay: 10_000_000 },
    // Calls time out late: a loaded machine must not turn slow answers into retries (not what is measured).
    env: { SYNCLINE_TOKEN_REFRESH_MARGIN_SECONDS: String(MARGIN_SECONDS), SYNCLINE_CALL_TIMEOUT_MS: "10000" },
  });
  acme = await h.t.createTenant("Acme");
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await stopAllWorkers();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await h.close();
});

const prisma = () => h.t.app.db.prisma;
const hash = (token: string) => createHash("sha256").update(token).digest("hex").slice(0, 16);

function grantsOf(tenantId: string): Set<string | undefined> {
  return new Set(
    h.identity.state.tokenLog
      .filter((e) => e.grantType === "authorization_code" && e.tenantIds.includes(tenantId))
      .map((e) => e.grantId),
  );
}

const refreshesOf = (tenantId: string) => {
  const grants = grantsOf(tenantId);
  return h.identity.state.tokenLog.filter((e) => e.grantType === "refresh_token" && grants.has(e.grantId));
};

/** A racer process (test/support/credentials-racer.ts) on the test app's database and Redis. */
function startRacer(integrationId: string, calls: number) {
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/credentials-racer.ts"], {
    cwd: new URL("../..", import.meta.url).pathname,
    env: {
      ...process.env,
      ...workerEnv(h.t),
      ...h.oauthEnv,
      LOG_LEVEL: "info",
      RACE_INTEGRATION_ID: integrationId,
      RACE_CALLS: String(calls),
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const ready = until("the racer is ready", () => out.includes("ready\n"), 30_000);
  const results = new Promise<{ kind: string; status: number | null; token: string | null }[]>(
    (resolve, reject) =>
      child.once("exit", () => {
        const line = out.split("\n").find((l) => l.startsWith("["));
        if (line) resolve(JSON.parse(line));
        else reject(new Error(`racer failed: ${err}`));
      }),
  );
  return { ready, results, go: (at: number) => child.stdin!.write(`go ${at}\n`), output: () => out };
}

describe("one refresh however many need the token", () => {
  it("two processes with 50 calls in flight when the token expires: one refresh, no call with a retired token", async () => {
    const { tenantId } = governedPractice(h, { clients: 3, jobs: 3, staff: 5, timeEntries: 2 });
    // No worker runs yet: connecting queues the initial sync, which waits.
    const { authorizationUrl } = await startConnection(h, acme, { platform: "XPM" });
    const back = returned((await authorizeInBrowser(authorizationUrl, [tenantId])).location);
    const integrationId = parseGlobalId(back.integration!, "Integration", ["integration"]);
    const row = await prisma().integration.findUniqueOrThrow({ where: { id: integrationId } });
    const before = hash(
      JSON.parse(decryptSecret(h.t.config.encryptionKey, row.credentialsEncrypted)).accessToken,
    );

    const racers = [startRacer(integrationId, 25), startRacer(integrationId, 25)];
    await Promise.all(racers.map((racer) => racer.ready));
    // The token is well inside its refresh margin at the start, and the identity server takes its time, so
    // every one of the 50 calls needs the refresh while it is in flight.
    h.identity.tokenLatencyMs = 150;
    const at = Math.max(row.accessTokenExpiresAt!.getTime() - MARGIN_MS / 2, Date.now() + 200);
    const refreshesBefore = refreshesOf(tenantId).length;
    for (const racer of racers) racer.go(at);
    const results = (await Promise.all(racers.map((racer) => racer.results))).flat();
    h.identity.tokenLatencyMs = 0;

    expect(results).toHaveLength(50);
    expect(results.every((r) => r.kind === "ok" && r.status === 200)).toBe(true);
    // Exactly one refresh at the identity server, and every call carried the token it issued.
    const refreshes = refreshesOf(tenantId).slice(refreshesBefore);
    expect(refreshes.map((e) => e.outcome)).toEqual(["issued"]);
    const tokens = new Set(results.map((r) => r.token));
    expect(tokens.size).toBe(1);
    expect(tokens.has(before)).toBe(false);
    expect(h.identity.state.refusedAccess.filter((r) => r.tenantId === tenantId)).toEqual([]);
    expect(
      (await prisma().integration.findUniqueOrThrow({ where: { id: integrationId } })).tokenRefreshCount,
    ).toBe(1);
    // Neither process logged a token.
    const issued = h.identity.state.issuedTokens();
    for (const racer of racers) expect(issued.filter((token) => racer.output().includes(token))).toEqual([]);
    await prisma().syncRun.updateMany({ where: { integrationId }, data: { status: "CANCELLED" } });
  });

  it("two worker processes drain export backlogs through many token lifetimes: one refresh per lifetime, nothing lost or sent twice", {
    timeout: RUN_TIMEOUT_MS + 60_000,
  }, async () => {
    const practices = Array.from({ length: PRACTICES }, () =>
      governedPractice(h, { clients: 3, jobs: JOBS, staff: 1, timeEntries: 2 }),
    );
    // Each worker reaches the sandbox through a proxy of its own, which tells whose calls are whose.
    proxies.push(...(await Promise.all([0, 1].map(() => startRecordingProxy(h.xpm.url)))));
    const logs = ["", ""];
    const workers = await Promise.all(
      // One activation at a time each, so the practices' activations spread over both processes.
      proxies.map((proxy) =>
        startWorkerProcess(h.t, {
          ...h.oauthEnv,
          SYNCLINE_XPM_URL: proxy.url,
          SYNCLINE_WORKER_CONCURRENCY: "1",
        }),
      ),
    );
    for (const [i, worker] of workers.entries()) {
      worker.child.stdout!.on("data", (chunk: Buffer) => {
        logs[i] += chunk.toString();
      });
    }
    const connected: (ReturnType<typeof governedPractice> & {
      integration: Awaited<ReturnType<typeof connectThroughFlow>>;
    })[] = [];
    for (const { tenantId, practice } of practices) {
      const integration = await connectThroughFlow(h, acme, { platform: "XPM", remoteTenantId: tenantId });
      // Calls take 350 ms, up to 20 at once per practice: dozens in flight, the whole run.
      await prisma().integration.update({
        where: { id: integration.id },
        data: {
          rateLimitOverride: {
            concurrent: 20,
            perMinute: 6000,
            exportPerMinute: 40,
            exportPerDay: 1_000_000,
          },
        },
      });
      h.xpm.caps.setLatency(350, tenantId);
      connected.push({ tenantId, practice, integration });
    }

    const started = Date.now();
    for (const { practice, integration } of connected) {
      const edits = [...practice.jobs.keys()].map((job) => ({
        entity: "job",
        remoteId: job,
        field: "budget",
        value: 42,
      }));
      await prisma().$transaction((tx) => enqueueEdits(tx, integration.id, edits), { timeout: 60_000 });
      await h.t.app.engine.notify(integration.id, { preempt: false });
    }
    await until(
      "every backlog drained",
      async () =>
        (await prisma().exportItem.count({
          where: { integrationId: { in: connected.map((c) => c.integration.id) }, status: "SENT" },
        })) ===
        PRACTICES * JOBS,
      RUN_TIMEOUT_MS,
    );
    const seconds = (Date.now() - started) / 1000;
    await Promise.all(workers.map((worker) => worker.kill("SIGTERM")));

    const figures = [];
    for (const { tenantId, practice, integration } of connected) {
      const refreshes = refreshesOf(tenantId).filter((e) => e.at >= started);
      // Every refresh was answered and used the newest refresh token; none came twice for one lifetime.
      expect(refreshes.every((e) => e.outcome === "issued" && !e.resentRetired)).toBe(true);
      const gaps = refreshes.slice(1).map((e, i) => e.at - refreshes[i]!.at);
      expect(Math.min(...gaps)).toBeGreaterThan((LIFETIME_MS - MARGIN_MS) * 0.8);
      // Refreshes happen before calls: the practice needed one per token lifetime while it was served.
      const applied = h.xpm.caps.accepted(tenantId).filter((c) => isJobUpdate(c) && c.applied && !c.replayed);
      const active =
        (Math.max(...applied.map((c) => c.endedAt ?? c.startedAt)) - applied[0]!.startedAt) / 1000;
      expect(refreshes.length).toBeGreaterThanOrEqual(Math.floor(active / (LIFETIME_MS / 1000)) - 1);
      // No call carried an expired or retired token.
      expect(h.identity.state.refusedAccess.filter((r) => r.tenantId === tenantId)).toEqual([]);
      // Every edit applied exactly once.
      const lost = [...practice.jobs.values()].filter((job) => job.dto.budget !== 42).length;
      const duplicated = applied.length - (JOBS - lost);
      expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
      figures.push({
        integration: integration.id.slice(0, 8),
        "served for (s)": Number(active.toFixed(1)),
        refreshes: refreshes.length,
        // A token is refreshed once it has less than the margin left: at most one refresh per this.
        "refresh cycles": Number((active / ((LIFETIME_MS - MARGIN_MS) / 1000)).toFixed(1)),
        lifetimes: Number((active / (LIFETIME_MS / 1000)).toFixed(1)),
        "expired-token calls": h.identity.state.refusedAccess.filter((r) => r.tenantId === tenantId).length,
        maxInFlight: h.xpm.caps.maxConcurrency(tenantId),
        calls: applied.length,
        lost,
        duplicated,
      });
    }
    // Both processes served, and neither logged a token.
    const served = proxies.map((proxy) => proxy.calls.filter(isJobUpdate).length);
    expect(served.every((n) => n > 0)).toBe(true);
    const issued = h.identity.state.issuedTokens();
    for (const log of logs) expect(issued.filter((token) => log.includes(token))).toEqual([]);
    console.log(
      `\nRefreshes over ${seconds.toFixed(1)} s (${(seconds / (LIFETIME_MS / 1000)).toFixed(1)} token lifetimes), ` +
        `two worker processes, job updates per worker ${served.join(" / ")}, ` +
        `most calls in flight at once (all practices) ${h.xpm.caps.maxConcurrency()}:`,
    );
    console.table(figures);
  });
});
