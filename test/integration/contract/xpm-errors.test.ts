import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../../src/graphql/ids.ts";
import { EnqueueExportsMutation } from "../../operations.ts";
import {
  connectedXpm,
  type EngineHarness,
  isJobUpdate,
  startEngineHarness,
  until,
} from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";

/**
 * XPM's job.api/update declares only 200 and a 500 with a ResponseErrorDto: a job update the API refuses
 * is a 500 that says why, and must fail at once; a 500 that says the platform failed (the contract's
 * "An unexpected error occurred") and a gateway 503 are transient and retried.
 */
const MINUTE_MS = 600;
/** Liveness bounds only (nothing here is timed): generous, for a machine busy with other test files. */
const TEST_TIMEOUT_MS = 120_000;
let h: EngineHarness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["worker"] });
  tenant = await h.t.createTenant("XPM errors");
});
afterAll(() => h.close());

async function exportBudgets(integrationId: string, budgets: Record<string, number>) {
  const items = Object.entries(budgets).map(([job, value]) => ({
    entity: "job",
    remoteId: job,
    field: "budget",
    value,
  }));
  const { enqueueExports } = await h.t.data(
    EnqueueExportsMutation,
    { input: { integrationId: globalId("Integration", integrationId), items } },
    tenant.admin,
  );
  if (enqueueExports.__typename !== "EnqueueExportsPayload") throw new Error(enqueueExports.__typename);
}

const itemsOf = (integrationId: string) =>
  h.t.app.db.prisma.exportItem.findMany({ where: { integrationId }, orderBy: { remoteId: "asc" } });

describe("XPM write errors, classified from the contract", () => {
  it(
    "fails a job update XPM refuses with a 500 at once, with XPM's description, and sends it once",
    async () => {
      const { integration, remoteTenantId } = await connectedXpm(h, {
        tenantId: tenant.id,
        seed: { jobs: 2 },
      });
      await exportBudgets(integration.id, { J999999: 100 });
      await until(
        "the refused export settled",
        async () =>
          (await itemsOf(integration.id)).every((i) => i.status === "FAILED" || i.status === "SENT"),
        60_000,
      );
      const [item] = await itemsOf(integration.id);
      expect(item).toMatchObject({ status: "FAILED", error: "HTTP 500: Job J999999 not found" });
      const calls = h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
      expect(calls.map((c) => c.status)).toEqual([500]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "retries a 500 that says the platform failed, and a gateway 503, until the update goes through",
    async () => {
      const { integration, practice, remoteTenantId } = await connectedXpm(h, {
        tenantId: tenant.id,
        seed: { jobs: 2 },
      });
      const match = { method: "PUT", path: "/v3.1/job.api/update" };
      h.xpm.caps.injectFaults(remoteTenantId, [
        { kind: "status", status: 500, message: "An unexpected error occurred.", match },
        { kind: "status", status: 503, message: "Service Unavailable", match },
      ]);
      await exportBudgets(integration.id, { J000001: 4321 });
      await until(
        "the export sent",
        async () => (await itemsOf(integration.id)).every((i) => i.status === "SENT"),
        60_000,
      );
      const calls = h.xpm.caps.accepted(remoteTenantId).filter(isJobUpdate);
      expect(calls.map((c) => c.status)).toEqual([500, 503, 200]);
      expect(practice.jobs.get("J000001")!.dto.budget).toBe(4321);
    },
    TEST_TIMEOUT_MS,
  );
});
