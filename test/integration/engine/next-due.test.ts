import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportQueue } from "../../../src/sync/export-state.ts";
import { integrationRow, startTestApp, type TestApp } from "../../support/harness.ts";

/**
 * When a slot's claim finds nothing, the outbox says when its next item falls due, and the activation
 * parks until then. A retry's backoff is a few milliseconds in compressed time, so it can end between
 * the claim and that look: the item is due already, and must be reported as due (it was once left out,
 * and the item sat in doubt with nothing to wake it). An item waiting behind an older edit of the same
 * field is not claimable, so it is not reported either: it would only wake the activation for nothing.
 */
let t: TestApp;
let integrationId: string;
const scope = () => ({ column: "integrationId", id: integrationId });

beforeAll(async () => {
  t = await startTestApp();
  const tenant = await t.createTenant("Next due");
  const integration = await integrationRow(t, tenant.id, "XPM", { data: { syncMode: "CONTINUOUS" } });
  integrationId = integration.id;
});
afterAll(() => t.close());

function item(field: string, status: "PENDING" | "IN_DOUBT" | "SENDING", notBefore: Date | null) {
  return {
    integrationId,
    entity: "job",
    remoteId: "J000001",
    field,
    value: 1,
    status,
    notBefore,
    idempotencyKey: randomUUID(),
  };
}

describe("the outbox's next due time", () => {
  it("reports an item whose backoff ended after the claim as due now, and one still backing off at its time", async () => {
    const prisma = t.app.db.prisma;
    expect(await exportQueue.nextDue(t.app.db.sql, scope())).toBeNull();

    const later = new Date(Date.now() + 60_000);
    await prisma.exportItem.create({ data: item("budget", "PENDING", later) });
    expect(await exportQueue.nextDue(t.app.db.sql, scope())).toBe(later.getTime());

    const ended = new Date(Date.now() - 5);
    await prisma.exportItem.create({ data: item("name", "IN_DOUBT", ended) });
    const due = await exportQueue.nextDue(t.app.db.sql, scope());
    expect(due).toBe(ended.getTime());
    expect(due!).toBeLessThanOrEqual(Date.now());
  });

  it("leaves out an item that waits behind an older edit of the same field still on its way", async () => {
    const prisma = t.app.db.prisma;
    await prisma.exportItem.deleteMany({ where: { integrationId } });
    await prisma.exportItem.create({ data: item("budget", "SENDING", null) });
    await prisma.exportItem.create({ data: item("budget", "PENDING", new Date(Date.now() - 5)) });
    expect(await exportQueue.nextDue(t.app.db.sql, scope())).toBeNull();
  });
});
