import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../../src/graphql/ids.ts";
import { enqueueEdits } from "../../../src/sync/export.ts";
import { connectedXpm, type EngineHarness, startEngineHarness, until } from "../../support/engine.ts";
import { adminQuery } from "../../support/env.ts";
import type { TestTenant } from "../../support/harness.ts";
import { workerEnv } from "../../support/workers.ts";

/**
 * syncline as real processes, as production runs it: an API node answering /healthz and /readyz as the
 * README says and masking an unexpected error for the client while logging it whole; a worker stopped
 * with SIGTERM mid-call letting its calls finish, handing the rest back and exiting 0.
 */
const MINUTE_MS = 1000;
let h: EngineHarness;
let tenant: TestTenant;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  // The test process only schedules: the API and the workers are the child processes.
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["scheduler"] });
  tenant = await h.t.createTenant("Processes");
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await h.close();
});

interface Proc {
  child: ChildProcess;
  /** Every JSON log line so far. */
  lines: Record<string, unknown>[];
  /** What it printed that is not a log line (the API's URL). */
  text: string[];
  exited: Promise<number | null>;
}

/** `src/main.ts --role <roles>` on the test's database and Redis, resolved once it has started. */
async function start(roles: string, env: Record<string, string> = {}): Promise<Proc> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "--role", roles], {
    cwd: new URL("../../..", import.meta.url).pathname,
    env: { ...process.env, ...workerEnv(h.t), LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const proc: Proc = {
    child,
    lines: [],
    text: [],
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };
  void proc.exited.then(() => children.delete(child));
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const line of parts) {
      try {
        proc.lines.push(JSON.parse(line));
      } catch {
        proc.text.push(line);
      }
    }
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let exitedEarly: number | null | undefined;
  void proc.exited.then((code) => {
    exitedEarly = code;
  });
  // A liveness bound: tsx compiles the whole service at start, slowly on a busy machine.
  await until(
    "the process started",
    () => {
      if (exitedEarly !== undefined) throw new Error(`exited with ${exitedEarly}: ${stderr}`);
      return proc.lines.some((l) => l.msg === "syncline started");
    },
    90_000,
  );
  return proc;
}

describe("an API process", () => {
  it("answers /healthz and /readyz as documented, and masks an unexpected error but logs it", async () => {
    const api = await start("api");
    await until("its URL printed", () => api.text.some((t) => t.includes("/graphql")), 5_000);
    const graphqlUrl = /(http:\/\/\S+\/graphql)/.exec(api.text.join("\n"))![1]!;
    const base = new URL(graphqlUrl).origin;

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: true, redis: true } });
    // The page and the metrics are on the same port.
    expect((await fetch(`${base}/monitor/`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain("syncline_provider_calls_total");

    // A database fault inside a resolver: the client learns nothing of it, the log has the cause.
    const { integration } = await connectedXpm(h, { tenantId: tenant.id, syncMode: "ONE_OFF" });
    const dbName = new URL(h.t.databaseUrl).pathname.slice(1);
    await h.t.app.db.prisma.$executeRawUnsafe(`ALTER TABLE "MappingRule" RENAME TO "MappingRuleMoved"`);
    try {
      const response = await fetch(graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${tenant.viewer}` },
        body: JSON.stringify({
          query:
            "query ($id: ID!) { integration(id: $id) { ... on Integration { mappingRules(first: 1) { edges { node { id } } } } } }",
          variables: { id: globalId("Integration", integration.id) },
        }),
      });
      const body = await response.text();
      expect(JSON.parse(body).errors[0].message).toBe("Unexpected error.");
      expect(body).not.toMatch(/MappingRule|does not exist|prisma|P20\d\d/i);
      await until(
        "the cause logged",
        () =>
          api.lines.some(
            (l) => l.msg === "unexpected error" && JSON.stringify(l.err).includes("MappingRule"),
          ),
        5_000,
      );
    } finally {
      await h.t.app.db.prisma.$executeRawUnsafe(`ALTER TABLE "MappingRuleMoved" RENAME TO "MappingRule"`);
    }

    // The database refuses connections: not ready (the load balancer stops sending), still alive.
    await adminQuery(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
    try {
      await adminQuery(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName}' AND pid <> pg_backend_pid()`,
      );
      const down = await fetch(`${base}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: "not ready", checks: { database: false, redis: true } });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await adminQuery(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);
    }
    await until("ready again", async () => (await fetch(`${base}/readyz`)).status === 200, 10_000);

    api.child.kill("SIGTERM");
    expect(await api.exited).toBe(0);
  }, 150_000);
});

describe("a worker stopped with SIGTERM mid-call", () => {
  it("lets its calls finish, hands the rest back, exits 0; the next worker sends the rest, each once", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 40 },
      syncMode: "ONE_OFF",
    });
    const jobs = [...practice.jobs.keys()];
    // Calls take 1.5 s at the platform, far under the call timeout (10 s here, so none times out on a busy
    // machine): the stop finds some in flight.
    h.xpm.caps.setLatency(1500, remoteTenantId);
    const first = await start("worker", { LOG_LEVEL: "debug", SYNCLINE_CALL_TIMEOUT_MS: "10000" });
    await h.t.app.db.prisma.$transaction((tx) =>
      enqueueEdits(
        tx,
        integration.id,
        jobs.map((job, i) => ({ entity: "job", remoteId: job, field: "budget", value: 700 + i })),
      ),
    );
    await h.t.app.engine.notify(integration.id, { preempt: false });
    const mine = () => h.xpm.caps.log.filter((c) => c.tenantId === remoteTenantId);
    await until("calls in flight", () => mine().some((c) => c.endedAt === null), 10_000);

    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    // Every call it had started was answered and settled: none cut off, nothing left SENDING.
    const byFirst = mine();
    expect(byFirst.length).toBeGreaterThan(0);
    expect(byFirst.every((c) => c.endedAt !== null && !c.clientAborted)).toBe(true);
    const counts = async (status: "SENDING" | "SENT" | "PENDING") =>
      h.t.app.db.prisma.exportItem.count({ where: { integrationId: integration.id, status } });
    expect(await counts("SENDING")).toBe(0);
    expect(await counts("SENT")).toBe(byFirst.filter((c) => c.status === 200).length);
    expect(await counts("PENDING")).toBeGreaterThan(0);
    // Its log lines for calls name the integration and the item (the log context).
    const calls = first.lines.filter((l) => l.msg === "provider call");
    expect(calls.length).toBe(byFirst.length);
    for (const line of calls) {
      expect(line.integrationId).toBe(integration.id);
      expect(typeof line.exportItemId).toBe("string");
    }

    h.xpm.caps.setLatency(0, remoteTenantId);
    const second = await start("worker");
    await until("all 40 sent", async () => (await counts("SENT")) === 40, 30_000);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);

    // Each edit applied once, none resent: a graceful stop leaves nothing in doubt.
    const applied = mine().filter((c) => c.method === "PUT" && c.status === 200);
    expect(applied).toHaveLength(40);
    expect(new Set(applied.map((c) => c.idempotencyKey)).size).toBe(40);
    expect(applied.some((c) => c.replayed)).toBe(false);
    expect(jobs.every((job, i) => practice.jobs.get(job)!.dto.budget === 700 + i)).toBe(true);
  }, 240_000);
});
