import { randomUUID } from "node:crypto";
import { type ActivationJob, createActivationQueue } from "../../src/engine/activation-queue.ts";
import type { RateLimitOverride } from "../../src/engine/rate-limit/limits.ts";
import type { PlatformKey } from "../../src/platforms/catalog.ts";
import { redisKeys } from "../../src/redis/keys.ts";
import type { PsaSeedSizes } from "../../src/sandbox/psa/data.ts";
import { type PsaSandbox, startPsaSandbox } from "../../src/sandbox/psa/server.ts";
import type { OrganisationSeed } from "../../src/sandbox/xero-accounting/data.ts";
import {
  startXeroAccountingSandbox,
  type XeroAccountingSandbox,
} from "../../src/sandbox/xero-accounting/server.ts";
import type { SeedSizes } from "../../src/sandbox/xpm/data.ts";
import { startXpmSandbox, type XpmSandbox } from "../../src/sandbox/xpm/server.ts";
import { enqueueEdits } from "../../src/sync/export.ts";
import { upsertRecords } from "../../src/sync/records.ts";
import { timeScale } from "../../src/time.ts";
import { integrationRow, startTestApp, type TestApp } from "./harness.ts";

/** syncline (worker and scheduler roles) against the sandboxes, all in the same compressed time. */
export interface EngineHarness {
  t: TestApp;
  xpm: XpmSandbox;
  psa: PsaSandbox;
  xero: XeroAccountingSandbox;
  close(): Promise<void>;
}

export async function startEngineHarness(options: {
  minuteMs: number;
  roles?: ("api" | "worker" | "scheduler")[];
  /** How long after a worker's last heartbeat its locks and leases are freed (SYNCLINE_HEARTBEAT_LAPSE_MS). */
  heartbeatLapseMs?: number;
  env?: Record<string, string>;
}): Promise<EngineHarness> {
  const time = timeScale(options.minuteMs);
  const [xpm, psa, xero] = await Promise.all([
    startXpmSandbox({ time }),
    startPsaSandbox({ time }),
    startXeroAccountingSandbox({ time }),
  ]);
  const t = await startTestApp({
    roles: options.roles ?? ["worker", "scheduler"],
    env: {
      SYNCLINE_MINUTE_MS: String(options.minuteMs),
      SYNCLINE_XPM_URL: xpm.url,
      SYNCLINE_PSA_URL: psa.url,
      SYNCLINE_XERO_ACCOUNTING_URL: xero.url,
      SYNCLINE_HEARTBEAT_LAPSE_MS: String(options.heartbeatLapseMs ?? 2000),
      SYNCLINE_SWEEP_INTERVAL_MS: "500",
      SYNCLINE_CALL_TIMEOUT_MS: "2000",
      ...options.env,
    },
  });
  return {
    t,
    xpm,
    psa,
    xero,
    close: async () => {
      // An activation serves until its integration has no work left, and stopping waits for it (up to
      // 10 s): take away what a test left queued, so the engine goes idle and the file ends at once.
      const prisma = t.app.db.prisma;
      await prisma.exportItem.deleteMany({ where: { status: "PENDING" } });
      await prisma.syncRun.updateMany({
        where: { status: { in: ["QUEUED", "RUNNING", "DEFERRED"] } },
        data: { status: "CANCELLED" },
      });
      await t.close();
      await Promise.all([xpm.close(), psa.close(), xero.close()]);
    },
  };
}

interface ConnectOptions {
  tenantId: string;
  override?: RateLimitOverride;
  /** ONE_OFF keeps the scheduler from queueing periodic pulls for it. */
  syncMode?: "ONE_OFF" | "CONTINUOUS";
}

/** A CONNECTED integration row, as connectIntegration would leave it once its initial sync is done. */
function createIntegration(
  h: EngineHarness,
  platform: PlatformKey,
  remoteTenantId: string,
  accessToken: string,
  options: ConnectOptions,
) {
  return integrationRow(h.t, options.tenantId, platform, {
    accessToken,
    data: {
      name: `${platform} ${remoteTenantId}`,
      remoteTenantId,
      syncMode: options.syncMode ?? "CONTINUOUS",
      ...(options.override ? { rateLimitOverride: options.override } : {}),
    },
  });
}

/** A connected PSA integration with its own company in the sandbox (API member keys "public:private"). */
export async function connectedPsa(h: EngineHarness, options: ConnectOptions & { seed?: PsaSeedSizes }) {
  const remoteTenantId = `company-${randomUUID().slice(0, 8)}`;
  const company = h.psa.addCompany(remoteTenantId, options.seed);
  const integration = await createIntegration(h, "PSA", remoteTenantId, "public:private", options);
  return { integration, company, remoteTenantId };
}

/**
 * A connected Xero Accounting integration with its own organisation in the sandbox. Its initial sync's
 * mirror of the organisation (whose base currency a push checks) is there too, unless `pulled` is false.
 */
export async function connectedXero(
  h: EngineHarness,
  options: ConnectOptions & { seed?: OrganisationSeed; pulled?: boolean },
) {
  const remoteTenantId = `org-${randomUUID()}`;
  const organisation = h.xero.addOrganisation(remoteTenantId, options.seed);
  const integration = await createIntegration(h, "XERO_ACCOUNTING", remoteTenantId, "xero-token", options);
  if (options.pulled !== false) {
    const record = {
      remoteId: organisation.organisationId,
      data: { OrganisationID: organisation.organisationId, BaseCurrency: organisation.currency },
    };
    const target = { integrationId: integration.id, entity: "organisation", runId: randomUUID() };
    await h.t.app.db.prisma.$transaction((tx) => upsertRecords(tx, target, [record]));
  }
  return { integration, organisation, remoteTenantId };
}

/** A connected XPM integration with its own practice in the sandbox, created straight in the database. */
export async function connectedXpm(
  h: EngineHarness,
  options: ConnectOptions & { seed?: SeedSizes; platform?: PlatformKey },
) {
  const remoteTenantId = `practice-${randomUUID()}`;
  const practice = h.xpm.addPractice(remoteTenantId, options.seed);
  const integration = await createIntegration(
    h,
    options.platform ?? "XPM",
    remoteTenantId,
    "xpm-token",
    options,
  );
  return { integration, practice, remoteTenantId };
}

/**
 * Queues a budget edit of each job (`value`, or `value(i)` for the i-th job) in one transaction, then
 * announces it as the host's edits are announced: behind work already waiting, no preemption.
 */
export async function queueJobBudgets(
  h: EngineHarness,
  integrationId: string,
  jobs: readonly string[],
  value: number | ((i: number) => number),
): Promise<void> {
  await h.t.app.db.prisma.$transaction(
    (tx) =>
      enqueueEdits(
        tx,
        integrationId,
        jobs.map((job, i) => ({
          entity: "job",
          remoteId: job,
          field: "budget",
          value: typeof value === "number" ? value : value(i),
        })),
      ),
    { timeout: 60_000 },
  );
  await h.t.app.engine.notify(integrationId, { preempt: false });
}

/** An XPM job update (`PUT job.api/update`) in a sandbox's call log. */
export const isJobUpdate = (e: { method: string; path: string }) =>
  e.method === "PUT" && e.path === "/v3.1/job.api/update";
/** An XPM job read (`GET job.api/get/{id}`), as a read-back of a write in doubt makes. */
export const isJobRead = (e: { method: string; path: string }) =>
  e.method === "GET" && e.path.startsWith("/v3.1/job.api/get/");

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

/** The integration's jobs on the fleet's activation queue in the given states (e.g. a parked one's wake-up). */
export async function queuedActivations(
  h: EngineHarness,
  integrationId: string,
  states: readonly ("waiting" | "delayed")[],
): Promise<ActivationJob[]> {
  const queue = createActivationQueue({
    name: "activations",
    redisUrl: h.t.app.redisUrl,
    prefix: redisKeys(h.t.app.config.redisPrefix).activationQueuePrefix,
    worker: false,
  });
  try {
    const jobs = await Promise.all(states.map((state) => queue.getJobs(state, { start: 0, end: 1000 })));
    return jobs
      .flat()
      .map((job) => job.data)
      .filter((data) => data.integrationId === integrationId);
  } finally {
    await queue.close();
  }
}
