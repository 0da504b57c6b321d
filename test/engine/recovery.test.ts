import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../src/graphql/ids.ts";
import { grantsUnused } from "../../src/observability/metrics.ts";
import type { CallLogEntry } from "../../src/sandbox/kit/call-log.ts";
import { ExportQueueQuery } from "../operations.ts";
import {
  connectedXpm,
  type EngineHarness,
  isJobRead,
  isJobUpdate,
  queueJobBudgets,
  startEngineHarness,
  until,
} from "../support/engine.ts";
import { TEST_REDIS_URL } from "../support/env.ts";
import type { TestTenant } from "../support/harness.ts";

/**
 * Redis loses everything mid-drain (every key of the deployment deleted for real: budget windows, locks,
 * activation jobs). The budget's windows are rebuilt from the durable call ledger in PostgreSQL before
 * any call is admitted, so the export reserve's minute and day sub-caps hold across the loss, which the
 * platform's headers (they carry only the total) could not restore; and the sandbox ignores
 * Idempotency-Key, so nothing may be sent twice. In compressed time: a "minute" of a second.
 */
const MINUTE_MS = 1000;
const EXPORT_PER_MINUTE = 10;
const EXPORT_PER_DAY = 40;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS });
  tenant = await h.t.createTenant("Recovery");
  h.xpm.caps.setIdempotency(false);
});
afterAll(() => h.close());

const isExportCall = (e: { method: string; path: string }) => isJobUpdate(e) || isJobRead(e);

/** Deletes every key of this deployment, as a flushed or failed-over Redis would have lost them. */
async function wipeRedis(prefix: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL);
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== "0");
  redis.disconnect();
  return deleted;
}

/**
 * Export grants given back unused: taken for work known to wait that then found none to claim (after the
 * loss, two activations serve the integration until the older one's renewal finds its lock gone). Each
 * stays charged, as a call made, so the day's units are the platform's export calls and these.
 */
async function unusedExportGrants(): Promise<number> {
  const { values } = await grantsUnused.get();
  return values.filter((v) => v.labels.lane === "EXPORT").reduce((sum, v) => sum + v.value, 0);
}

const sentCount = (integrationId: string) =>
  h.t.app.db.prisma.exportItem.count({ where: { integrationId, status: "SENT" } });

describe("Redis wiped mid-drain", () => {
  it("keeps the export minute and day sub-caps, and sends nothing twice", async () => {
    const { integration, practice, remoteTenantId } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 60 },
      override: { exportPerMinute: EXPORT_PER_MINUTE, exportPerDay: EXPORT_PER_DAY },
      syncMode: "ONE_OFF",
    });
    const dayMs = h.t.config.time.dayMs;
    const dayAtStart = Math.floor(Date.now() / dayMs);
    const jobs = [...practice.jobs.keys()];
    h.xpm.caps.setLatency(40, remoteTenantId);
    await queueJobBudgets(h, integration.id, jobs, (i) => 3000 + i);
    // Mid-minute: some of this minute's reserve is spent, and more of the day's.
    await until("15 sent", async () => (await sentCount(integration.id)) >= 15, 10 * MINUTE_MS);
    expect(await wipeRedis(h.t.config.redisPrefix)).toBeGreaterThan(0);

    const exportCalls = () => h.xpm.caps.accepted(remoteTenantId).filter(isExportCall).length;
    await until(
      "the day's export reserve spent",
      async () => exportCalls() + (await unusedExportGrants()) >= EXPORT_PER_DAY,
      20 * MINUTE_MS,
    );
    // A few more minutes: nothing else goes out today (the rest waits for the next day).
    await new Promise((resolve) => setTimeout(resolve, 3 * MINUTE_MS));

    const log = h.xpm.caps.accepted(remoteTenantId);
    const writes = log.filter(isJobUpdate);
    const applied = new Map<string, number>();
    for (const call of writes.filter((c) => c.applied))
      applied.set(call.idempotencyKey!, (applied.get(call.idempotencyKey!) ?? 0) + 1);
    expect([...applied.values()].every((count) => count === 1)).toBe(true);
    // The export reserve's sub-caps, as the platform saw the calls (writes, and the reads that settled
    // the writes the loss left in doubt).
    expect(h.xpm.caps.maxInSlidingWindow(remoteTenantId, MINUTE_MS, isExportCall)).toBeLessThanOrEqual(
      EXPORT_PER_MINUTE,
    );
    const perDay = new Map<number, number>();
    for (const call of log.filter(isExportCall)) {
      const day = Math.floor(call.startedAt / dayMs);
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
    }
    expect([...perDay.values()].every((count) => count <= EXPORT_PER_DAY)).toBe(true);
    expect(log.filter((c: CallLogEntry) => c.status === 429)).toHaveLength(0);
    if (Math.floor(Date.now() / dayMs) === dayAtStart) {
      // Every unit of the day's reserve went out as a call, or was given back unused and counted (seen
      // once in a loaded run: 39 calls and 1 unused grant).
      expect(log.filter(isExportCall).length + (await unusedExportGrants())).toBe(EXPORT_PER_DAY);
      // At most one for each call slot of the activation before the loss (three).
      expect(await unusedExportGrants()).toBeLessThanOrEqual(3);
      // Every write was applied once, and every applied write is a SENT item.
      expect(await sentCount(integration.id)).toBe(writes.length);
      // The budget shows the day's reserve spent, counted again from the ledger after the loss.
      const { integration: after } = await h.t.data(
        ExportQueueQuery,
        { id: globalId("Integration", integration.id) },
        tenant.viewer,
      );
      if (after.__typename !== "Integration") throw new Error(after.__typename);
      expect(after.rateBudget.exportDay).toMatchObject({ used: EXPORT_PER_DAY, remaining: 0 });
      expect(after.exportQueue.pending + after.exportQueue.inDoubt).toBe(jobs.length - writes.length);
    }
    for (const [i, job] of jobs.entries()) {
      const item = await h.t.app.db.prisma.exportItem.findFirstOrThrow({
        where: { integrationId: integration.id, remoteId: job },
      });
      if (item.status === "SENT") expect(practice.jobs.get(job)!.dto.budget).toBe(3000 + i);
    }
  }, 60_000);
});
