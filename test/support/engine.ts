import { randomUUID } from "node:crypto";
import { encryptSecret } from "../../src/auth/secrets.ts";
import type { RateLimitOverride } from "../../src/engine/limits.ts";
import type { PlatformKey } from "../../src/platforms/catalog.ts";
import type { SeedSizes } from "../../src/sandbox/xpm/data.ts";
import { startXpmSandbox, type XpmSandbox } from "../../src/sandbox/xpm/server.ts";
import { timeScale } from "../../src/time.ts";
import { startTestApp, type TestApp } from "./harness.ts";

/** syncline (worker and scheduler roles) against an XPM sandbox, both in the same compressed time. */
export interface EngineHarness {
  t: TestApp;
  xpm: XpmSandbox;
  close(): Promise<void>;
}

export async function startEngineHarness(options: {
  minuteMs: number;
  roles?: ("api" | "worker" | "scheduler")[];
  lockTtlMs?: number;
}): Promise<EngineHarness> {
  const xpm = await startXpmSandbox({ time: timeScale(options.minuteMs) });
  const t = await startTestApp({
    roles: options.roles ?? ["worker", "scheduler"],
    env: {
      SYNCLINE_MINUTE_MS: String(options.minuteMs),
      SYNCLINE_XPM_URL: xpm.url,
      SYNCLINE_LOCK_TTL_MS: String(options.lockTtlMs ?? 2000),
      SYNCLINE_SWEEP_INTERVAL_MS: "500",
      SYNCLINE_CALL_TIMEOUT_MS: "2000",
    },
  });
  return {
    t,
    xpm,
    close: async () => {
      await t.close();
      await xpm.close();
    },
  };
}

/** A connected XPM integration with its own practice in the sandbox, created straight in the database. */
export async function connectedXpm(
  h: EngineHarness,
  options: {
    tenantId: string;
    seed?: SeedSizes;
    override?: RateLimitOverride;
    platform?: PlatformKey;
    /** ONE_OFF keeps the scheduler from queueing periodic pulls for it. */
    syncMode?: "ONE_OFF" | "CONTINUOUS";
  },
) {
  const remoteTenantId = `practice-${randomUUID()}`;
  const practice = h.xpm.addPractice(remoteTenantId, options.seed);
  const integration = await h.t.app.db.prisma.integration.create({
    data: {
      tenantId: options.tenantId,
      platform: options.platform ?? "XPM",
      name: "Practice",
      remoteTenantId,
      syncMode: options.syncMode ?? "CONTINUOUS",
      status: "CONNECTED",
      connectedAt: new Date(),
      credentialsEncrypted: encryptSecret(
        h.t.config.encryptionKey,
        JSON.stringify({ accessToken: "xpm-token" }),
      ),
      ...(options.override ? { rateLimitOverride: options.override } : {}),
    },
  });
  return { integration, practice, remoteTenantId };
}

/** Polls a condition (every 25 ms) until it holds; fails with `what` after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
