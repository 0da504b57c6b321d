import { type ChildProcess, spawn } from "node:child_process";
import type { TestApp } from "./harness.ts";

/**
 * syncline worker processes, as real child processes on the test app's database and Redis: to kill one
 * with SIGKILL mid-call, or to run two side by side.
 */
export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();

export function workerEnv(t: TestApp): Record<string, string> {
  const c = t.config;
  return {
    NODE_ENV: "test",
    DATABASE_URL: t.databaseUrl,
    REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
    SYNCLINE_REDIS_PREFIX: c.redisPrefix,
    SYNCLINE_ENCRYPTION_KEY: c.encryptionKey.toString("base64"),
    SYNCLINE_MINUTE_MS: String(c.time.minuteMs),
    SYNCLINE_XPM_URL: c.platformUrls.XPM,
    SYNCLINE_PSA_URL: c.platformUrls.PSA,
    SYNCLINE_XERO_ACCOUNTING_URL: c.platformUrls.XERO_ACCOUNTING,
    SYNCLINE_HEARTBEAT_LAPSE_MS: String(c.engine.heartbeatLapseMs),
    SYNCLINE_CALL_TIMEOUT_MS: String(c.engine.callTimeoutMs),
    SYNCLINE_SWEEP_INTERVAL_MS: String(c.engine.sweepIntervalMs),
    PORT: "0",
  };
}

/**
 * Starts `src/main.ts --role worker` and resolves once it has started serving; `env` overrides the test
 * app's settings (e.g. a platform URL of its own).
 */
export function startWorkerProcess(t: TestApp, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "--role", "worker"], {
    cwd: new URL("../..", import.meta.url).pathname,
    env: { ...process.env, ...workerEnv(t), ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${stderr}`)), 30_000);
    child.once("exit", (code) => reject(new Error(`worker exited with ${code}: ${stderr}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      if (!chunk.toString().includes("syncline started")) return;
      clearTimeout(timer);
      resolve({
        child,
        exited,
        kill: async (signal) => {
          child.kill(signal);
          await exited;
        },
      });
    });
  });
}

/** Stops every worker process still running (for afterAll). */
export async function stopAllWorkers(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}
