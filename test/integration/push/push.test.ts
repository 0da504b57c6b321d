import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../../src/graphql/ids.ts";
import type { OrderInput } from "../../../src/push/orders.ts";
import { queuePushRun } from "../../../src/sync/runs.ts";
import {
  IngestOrdersMutation,
  PacketStateChangedSubscription,
  PushRunQuery,
  RetryFailedPacketsMutation,
  StartAccountingSyncMutation,
  UpsertMappingRuleMutation,
} from "../../operations.ts";
import {
  connectedXero,
  connectedXpm,
  type EngineHarness,
  startEngineHarness,
  until,
} from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";
import { readServerSentEvents, waitForRedisSubscribers } from "../../support/live.ts";

/**
 * The accounting push end to end: orders in through GraphQL, a PUSH run built, mapped and sent to the
 * Xero Accounting sandbox through the worker, every packet transition streamed. The test process runs
 * no scheduler, so a run starts only when the test announces it.
 */
const MINUTE_MS = 600;
let h: EngineHarness;
let acme: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  h = await startEngineHarness({ minuteMs: MINUTE_MS, roles: ["worker"] });
  acme = await h.t.createTenant("Acme");
  other = await h.t.createTenant("Other");
  await h.t.app.db.prisma.tenant.update({ where: { id: acme.id }, data: { timeZone: "Pacific/Auckland" } });
});
afterAll(() => h.close());

const order = (externalId: string, overrides: Partial<OrderInput> = {}): OrderInput => ({
  externalId,
  orderedAt: new Date("2026-11-20T01:00:00Z"),
  currency: "NZD",
  totalAmount: "115.00",
  items: [
    { revenueCategory: "Retail", quantity: "2", netAmount: "100.00", taxRate: "GST 15%", taxAmount: "15.00" },
  ],
  payments: [{ method: "CARD", amount: "115.00" }],
  ...overrides,
});
/** An order of services (115.00), a category the tests leave unmapped or map to an archived account. */
const services = (externalId: string) =>
  order(externalId, {
    items: [
      {
        revenueCategory: "Services",
        quantity: "1",
        netAmount: "100.00",
        taxRate: "GST 15%",
        taxAmount: "15.00",
      },
    ],
  });
/** The same order changed by the host: twice the quantity, 230.00. */
const doubled = (externalId: string) =>
  order(externalId, {
    totalAmount: "230.00",
    items: [
      {
        revenueCategory: "Retail",
        quantity: "4",
        netAmount: "200.00",
        taxRate: "GST 15%",
        taxAmount: "30.00",
      },
    ],
    payments: [{ method: "CARD", amount: "230.00" }],
  });
const gql = (input: OrderInput) => ({ ...input, orderedAt: (input.orderedAt as Date).toISOString() });

async function ingest(integrationId: string, orders: OrderInput[], token = acme.admin) {
  const { ingestOrders } = await h.t.data(
    IngestOrdersMutation,
    { input: { integrationId, orders: orders.map(gql) } },
    token,
  );
  return ingestOrders;
}

async function mapAll(integrationId: string, overrides: Record<string, string> = {}) {
  const rules: [string, string, string, string][] = [
    ["REVENUE_CATEGORY", "Retail", "ACCOUNT_CODE", "200"],
    ["REVENUE_CATEGORY", "Services", "ACCOUNT_CODE", "260"],
    ["TAX_RATE", "GST 15%", "TAX_TYPE", "OUTPUT"],
    ["PAYMENT_METHOD", "", "ACCOUNT_CODE", "090"],
  ];
  for (const [sourceType, sourceValue, targetType, targetValue] of rules) {
    if (overrides[sourceValue] === "skip") continue;
    const { upsertMappingRule } = await h.t.data(
      UpsertMappingRuleMutation,
      // No sourceValue: the default rule for the source type.
      {
        input: {
          integrationId,
          sourceType,
          ...(sourceValue ? { sourceValue } : {}),
          targetType,
          targetValue,
        },
      } as never,
      acme.admin,
    );
    expect(upsertMappingRule.__typename).toBe("MappingRulePayload");
  }
}

/** Starts a push as the OWNER would: the payload, and the run's database id. */
async function startPush(integrationId: string) {
  const { startAccountingSync } = await h.t.data(StartAccountingSyncMutation, { integrationId }, acme.owner);
  if (startAccountingSync.__typename !== "StartAccountingSyncPayload")
    throw new Error(startAccountingSync.__typename);
  const runId = Buffer.from(startAccountingSync.syncRun.id, "base64").toString().split(":")[1]!;
  return { ...startAccountingSync, runId };
}

const runOf = async (runId: string) => {
  const { syncRun } = await h.t.data(PushRunQuery, { id: globalId("SyncRun", runId) }, acme.viewer);
  if (syncRun.__typename !== "SyncRun") throw new Error(syncRun.__typename);
  return syncRun;
};
const finished = (runId: string) =>
  until(
    "push run finished",
    async () =>
      (await h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } })).status === "SUCCEEDED",
    20_000,
  );
const journalCalls = (remoteTenantId: string) =>
  h.xero.caps.accepted(remoteTenantId).filter((c) => c.method === "PUT" && c.path === "/ManualJournals");

describe("ingestOrders", () => {
  it("keeps valid orders, rejects invalid ones by order and field, and is idempotent by host id", async () => {
    const { integration } = await connectedXero(h, { tenantId: acme.id });
    const id = globalId("Integration", integration.id);
    const result = await ingest(id, [
      order("A-1"),
      order("A-2", { payments: [{ method: "CARD", amount: "100.00" }] }),
      order("A-3", { currency: "XYZ" }),
      order("A-4", {
        items: [
          {
            revenueCategory: "Retail",
            quantity: "-1",
            netAmount: "100.00",
            taxRate: "GST 15%",
            taxAmount: "15.00",
          },
        ],
      }),
      order("A-1"),
    ]);
    expect(result).toMatchObject({ created: 1, modified: 0, unchanged: 0 });
    if (result.__typename !== "IngestOrdersPayload") return;
    expect(result.rejected).toEqual([
      {
        index: 1,
        externalId: "A-2",
        issues: [
          { path: ["orders", "1", "payments"], message: "payments sum to 100.00, not the total 115.00" },
        ],
      },
      {
        index: 2,
        externalId: "A-3",
        issues: [{ path: ["orders", "2", "currency"], message: "is not an ISO 4217 currency code" }],
      },
      {
        index: 3,
        externalId: "A-4",
        issues: [{ path: ["orders", "3", "items", "0", "quantity"], message: "must not be negative" }],
      },
      {
        index: 4,
        externalId: "A-1",
        issues: [{ path: ["orders", "4", "externalId"], message: "appears more than once in this call" }],
      },
    ]);

    expect(await ingest(id, [order("A-1")])).toMatchObject({ created: 0, modified: 0, unchanged: 1 });
    const changed = doubled("A-1");
    expect(await ingest(id, [changed])).toMatchObject({ created: 0, modified: 1, unchanged: 0 });
    const stored = await h.t.app.db.prisma.order.findFirstOrThrow({
      where: { tenantId: acme.id, externalId: "A-1" },
      include: { items: true, payments: true },
    });
    expect(stored.totalAmount.toFixed(2)).toBe("230.00");
    expect(stored.items.map((i) => i.netAmount.toFixed(2))).toEqual(["200.00"]);

    // A VIEWER may not ingest; nothing changes.
    const denied = await h.t.execute(
      IngestOrdersMutation,
      { input: { orders: [gql(order("A-9"))] } },
      acme.viewer,
    );
    expect(denied.data?.ingestOrders.__typename).toBe("ForbiddenError");
    expect(await h.t.app.db.prisma.order.count({ where: { externalId: "A-9" } })).toBe(0);
  });
});

describe("startAccountingSync", () => {
  it("is for OWNERs, on their own accounting integrations", async () => {
    const { integration } = await connectedXero(h, { tenantId: acme.id });
    const id = globalId("Integration", integration.id);
    for (const token of [acme.admin, acme.viewer]) {
      const { startAccountingSync } = await h.t.data(
        StartAccountingSyncMutation,
        { integrationId: id },
        token,
      );
      expect(startAccountingSync.__typename).toBe("ForbiddenError");
    }
    const foreign = await h.t.data(StartAccountingSyncMutation, { integrationId: id }, other.owner);
    expect(foreign.startAccountingSync.__typename).toBe("NotFoundError");
    const { integration: xpm } = await connectedXpm(h, { tenantId: acme.id, syncMode: "ONE_OFF" });
    const wrongType = await h.t.data(
      StartAccountingSyncMutation,
      { integrationId: globalId("Integration", xpm.id) },
      acme.owner,
    );
    expect(wrongType.startAccountingSync).toMatchObject({
      __typename: "InvalidStateError",
      currentState: "XPM",
    });
    expect(await h.t.app.db.prisma.syncRun.count({ where: { kind: "PUSH" } })).toBe(0);
  });

  it("summarizes, maps and sends every packet once; a missing mapping fails its packet and the run goes on", async () => {
    const { integration, organisation, remoteTenantId } = await connectedXero(h, { tenantId: acme.id });
    const id = globalId("Integration", integration.id);
    await h.t.app.db.prisma.integration.update({
      where: { id: integration.id },
      data: { summarizeData: true },
    });
    await mapAll(id, { Services: "skip" });
    await ingest(id, [
      // The 20th in Auckland: CARD and CASH, one order split between them.
      order("S-1"),
      order("S-2", {
        totalAmount: "16.50",
        items: [
          {
            revenueCategory: "Retail",
            quantity: "1",
            netAmount: "10.00",
            taxRate: "GST 15%",
            taxAmount: "1.50",
          },
          {
            revenueCategory: "Retail",
            quantity: "1",
            netAmount: "5.00",
            taxRate: "GST 15%",
            taxAmount: "0.00",
          },
        ],
        payments: [
          { method: "CARD", amount: "10.00" },
          { method: "CASH", amount: "6.50" },
        ],
      }),
      // The 21st in Auckland, with a category no rule maps.
      order("S-3", {
        orderedAt: new Date("2026-11-20T12:00:00Z"),
        totalAmount: "23.00",
        items: [
          {
            revenueCategory: "Services",
            quantity: "1",
            netAmount: "20.00",
            taxRate: "GST 15%",
            taxAmount: "3.00",
          },
        ],
        payments: [{ method: "CASH", amount: "23.00" }],
      }),
    ]);

    const started = await startPush(id);
    expect(started.syncRun).toMatchObject({ kind: "PUSH", lane: "EXPORT" });
    const again = await h.t.data(StartAccountingSyncMutation, { integrationId: id }, acme.owner);
    expect(again.startAccountingSync).toMatchObject({
      alreadyQueued: true,
      syncRun: { id: started.syncRun.id },
    });
    const { runId } = started;
    await finished(runId);
    const run = await runOf(runId);
    expect(run).toMatchObject({ status: "SUCCEEDED", sentCount: 2, failedCount: 1 });
    const packets = run.packets.edges.map((e) => e.node);
    expect(packets.map((p) => [p.label, p.state, p.totalAmount, p.errorCode])).toEqual([
      ["2026-11-20 / CARD / NZD", "SENT", "125.00", null],
      ["2026-11-20 / CASH / NZD", "SENT", "6.50", null],
      ["2026-11-21 / CASH / NZD", "FAILED", "23.00", "UNMAPPED_REVENUE_CATEGORY"],
    ]);
    expect(packets[2]!.errorMessage).toContain('revenue category "Services"');

    // The platform holds exactly the two journals, balanced, with the split order's share to the cent.
    expect(journalCalls(remoteTenantId)).toHaveLength(2);
    expect(organisation.journals).toHaveLength(2);
    const card = organisation.findJournalsByNarration("2026-11-20 / CARD")[0]!;
    expect(card.JournalLines.map((l) => [l.AccountCode, l.amountCents, l.taxCents])).toEqual([
      // S-1 100.00 + 15.00, and S-2's CARD share of [10.00, 1.50, 5.00, 0.00] for 10.00: 6.06, 0.91, 3.03, 0.
      ["200", -(10_000 + 606 + 303), -(1_500 + 91)],
      ["090", 12_500, 0],
    ]);
    expect(
      packets
        .filter((p) => p.state === "SENT")
        .map((p) => p.remoteId)
        .sort(),
    ).toEqual(organisation.journals.map((j) => j.ManualJournalID).sort());
  });

  it("retryFailedPackets resends only the failed packets, with the rules as they are now", async () => {
    const { integration, organisation, remoteTenantId } = await connectedXero(h, { tenantId: acme.id });
    const id = globalId("Integration", integration.id);
    await mapAll(id, { Services: "skip" });
    await ingest(id, [order("R-1"), services("R-2")]);
    const { runId, syncRun } = await startPush(id);
    const runGlobalId = syncRun.id;
    await finished(runId);
    expect(await runOf(runId)).toMatchObject({ sentCount: 1, failedCount: 1 });

    const early = await h.t.data(RetryFailedPacketsMutation, { runId: runGlobalId }, acme.admin);
    expect(early.retryFailedPackets.__typename).toBe("ForbiddenError");
    await h.t.data(
      UpsertMappingRuleMutation,
      {
        input: {
          integrationId: id,
          sourceType: "REVENUE_CATEGORY",
          sourceValue: "Services",
          targetType: "ACCOUNT_CODE",
          targetValue: "260",
        },
      } as never,
      acme.admin,
    );
    const { retryFailedPackets } = await h.t.data(
      RetryFailedPacketsMutation,
      { runId: runGlobalId },
      acme.owner,
    );
    expect(retryFailedPackets).toMatchObject({ retried: 1 });
    await until("retried packet sent", async () => (await runOf(runId)).sentCount === 2, 20_000);
    await finished(runId);
    expect(await runOf(runId)).toMatchObject({ status: "SUCCEEDED", sentCount: 2, failedCount: 0 });
    expect(journalCalls(remoteTenantId)).toHaveLength(2);
    expect(organisation.journals.map((j) => j.Narration).sort()).toEqual(["Sales R-1", "Sales R-2"]);

    const nothingLeft = await h.t.data(RetryFailedPacketsMutation, { runId: runGlobalId }, acme.owner);
    expect(nothingLeft.retryFailedPackets.__typename).toBe("InvalidStateError");
  });

  it("a changed order replaces the journal sent for it (one per order), or its day's (summarized)", async () => {
    for (const summarizeData of [false, true]) {
      const { integration, organisation, remoteTenantId } = await connectedXero(h, { tenantId: acme.id });
      const id = globalId("Integration", integration.id);
      await h.t.app.db.prisma.integration.update({ where: { id: integration.id }, data: { summarizeData } });
      await mapAll(id);
      const push = async () => {
        const { runId } = await startPush(id);
        await finished(runId);
        return runOf(runId);
      };
      const prefix = summarizeData ? "D" : "U";
      await ingest(id, [order(`${prefix}-1`), order(`${prefix}-2`)]);
      const first = await push();
      expect(first.sentCount).toBe(summarizeData ? 1 : 2);
      const journalsBefore = organisation.journals.map((j) => j.ManualJournalID).sort();

      // The host changes one order: 115.00 becomes 230.00.
      await ingest(id, [doubled(`${prefix}-2`)]);
      const second = await push();
      expect(second.sentCount).toBe(1);
      // No journal was added: the order's (or its whole day's) journal was updated in place.
      expect(organisation.journals.map((j) => j.ManualJournalID).sort()).toEqual(journalsBefore);
      const calls = h.xero.caps.accepted(remoteTenantId).filter((c) => c.path === "/ManualJournals");
      expect(calls.map((c) => c.method)).toEqual(summarizeData ? ["PUT", "POST"] : ["PUT", "PUT", "POST"]);
      const updated = summarizeData
        ? organisation.journals[0]!
        : organisation.findJournalsByNarration(`Sales ${prefix}-2`)[0]!;
      const payment = updated.JournalLines.find((l) => l.AccountCode === "090")!;
      // Summarized, the day's journal carries both orders: 115.00 + 230.00.
      expect(payment.amountCents).toBe(summarizeData ? 34_500 : 23_000);
    }
  });

  it("defers a push whose day budget is spent, keeping the unsent packets for the next day", async () => {
    // An export reserve of 2 a day: two journals go, the push waits for the next day (a day is 1,440 minutes).
    const { integration, organisation } = await connectedXero(h, {
      tenantId: acme.id,
      override: { exportPerDay: 2 },
    });
    const id = globalId("Integration", integration.id);
    await mapAll(id);
    await ingest(id, [order("Y-1"), order("Y-2"), order("Y-3"), order("Y-4")]);
    const { runId } = await startPush(id);
    // Deferred as soon as a packet is refused for the day, while another's call may still be in flight:
    // the states are read once every call has settled.
    await until(
      "the push deferred, no packet in flight",
      async () =>
        (await h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } })).status === "DEFERRED" &&
        (await h.t.app.db.prisma.syncPacket.count({ where: { runId, state: "SENDING" } })) === 0,
      10_000,
    );
    const deferred = await h.t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } });
    // Until the start of a day (Redis's clock, read from this process: a few ms either way).
    const { dayMs } = h.t.config.time;
    const offset = deferred.deferredUntil!.getTime() % dayMs;
    expect(Math.min(offset, dayMs - offset)).toBeLessThan(MINUTE_MS);
    expect(deferred.deferredUntil!.getTime()).toBeGreaterThan(Date.now());
    const states = (await runOf(runId)).packets.edges.map((e) => e.node.state);
    expect(states.sort()).toEqual(["MAPPED", "MAPPED", "SENT", "SENT"]);
    expect(organisation.journals).toHaveLength(2);
    await h.t.app.db.prisma.syncRun.update({ where: { id: runId }, data: { status: "CANCELLED" } });
  });

  it("retries a packet after a platform 5xx, and fails one the platform rejects, with Xero's message", async () => {
    // One call at a time, so the packets go in order and the 503 meets the first.
    const { integration, organisation, remoteTenantId } = await connectedXero(h, {
      tenantId: acme.id,
      override: { concurrent: 1 },
    });
    const id = globalId("Integration", integration.id);
    await mapAll(id);
    // Services goes to an archived account: Xero refuses that journal.
    organisation.archiveAccount("260");
    await ingest(id, [order("F-1"), services("F-2")]);
    h.xero.caps.injectFaults(remoteTenantId, { kind: "status", status: 503, match: { method: "PUT" } });
    const { runId } = await startPush(id);
    await finished(runId);
    const run = await runOf(runId);
    expect(run).toMatchObject({ status: "SUCCEEDED", sentCount: 1, failedCount: 1 });
    const [sent, rejected] = run.packets.edges.map((e) => e.node);
    // The first send met the 503 and went again after a backoff, with the same key.
    expect(sent).toMatchObject({ label: "F-1", state: "SENT", attempts: 2 });
    const sends = h.xero.caps.log.filter(
      (c) => c.tenantId === remoteTenantId && c.method === "PUT" && c.path === "/ManualJournals",
    );
    const failed = sends.filter((c) => c.status === 503);
    expect(failed).toHaveLength(1);
    const key = failed[0]!.idempotencyKey;
    expect(key).toBeTruthy();
    expect(sends.filter((c) => c.idempotencyKey === key).map((c) => [c.status, c.replayed ?? false])).toEqual(
      [
        [503, false],
        [200, false],
      ],
    );
    // F-2's journal went once, under a key of its own.
    expect(sends).toHaveLength(3);
    expect(new Set(sends.map((c) => c.idempotencyKey)).size).toBe(2);
    expect(rejected).toMatchObject({ label: "F-2", state: "FAILED", errorCode: "PLATFORM_REJECTED" });
    expect(rejected!.errorMessage).toContain("Account code '260' has been archived");
    expect(organisation.journals.map((j) => j.Narration)).toEqual(["Sales F-1"]);
  });

  it("fails a journal Xero refuses in its default mode (a 200 whose element is ERROR) with Xero's message, never SENT", async () => {
    const { integration, organisation, remoteTenantId } = await connectedXero(h, { tenantId: acme.id });
    const id = globalId("Integration", integration.id);
    await mapAll(id);
    // Services goes to an archived account: Xero keeps the journal out and says why.
    organisation.archiveAccount("260");
    await ingest(id, [order("E-1"), services("E-2")]);
    const { runId } = await startPush(id);
    await finished(runId);
    const run = await runOf(runId);
    expect(run).toMatchObject({ status: "SUCCEEDED", sentCount: 1, failedCount: 1 });
    const [sent, refused] = run.packets.edges.map((e) => e.node);
    expect(sent).toMatchObject({
      label: "E-1",
      state: "SENT",
      remoteId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(refused).toMatchObject({
      label: "E-2",
      state: "FAILED",
      errorCode: "PLATFORM_REJECTED",
      remoteId: null,
    });
    expect(refused!.errorMessage).toBe(
      "HTTP 200 (ERROR): Account code '260' has been archived, or has been deleted.",
    );
    // Both answers were 200s: syncline left summarizeErrors at the contract's default.
    expect(journalCalls(remoteTenantId).map((c) => c.status)).toEqual([200, 200]);
    expect(organisation.journals.map((j) => j.Narration)).toEqual(["Sales E-1"]);
  });

  it("refuses a packet in a currency other than the organisation's base currency, by name", async () => {
    const { integration, organisation, remoteTenantId } = await connectedXero(h, { tenantId: acme.id });
    const id = globalId("Integration", integration.id);
    await mapAll(id);
    await ingest(id, [order("C-1"), order("C-2", { currency: "USD" })]);
    const { runId } = await startPush(id);
    await finished(runId);
    const run = await runOf(runId);
    expect(run).toMatchObject({ status: "SUCCEEDED", sentCount: 1, failedCount: 1 });
    const [nzd, usd] = run.packets.edges.map((e) => e.node);
    expect(nzd).toMatchObject({ label: "C-1", state: "SENT" });
    expect(usd).toMatchObject({ label: "C-2", state: "FAILED", errorCode: "CURRENCY_NOT_BASE" });
    expect(usd!.errorMessage).toContain("in USD, but the organisation's base currency is NZD");
    // The USD packet never went out.
    expect(journalCalls(remoteTenantId)).toHaveLength(1);
    expect(organisation.journals.map((j) => j.Narration)).toEqual(["Sales C-1"]);
  });

  it("reads the organisation's base currency from Xero first when no pull has mirrored it", async () => {
    const { integration, remoteTenantId } = await connectedXero(h, {
      tenantId: acme.id,
      pulled: false,
      seed: { currency: "AUD" },
    });
    const id = globalId("Integration", integration.id);
    await mapAll(id);
    await ingest(id, [order("O-1", { currency: "AUD" }), order("O-2")]);
    const { runId } = await startPush(id);
    await finished(runId);
    const calls = h.xero.caps.accepted(remoteTenantId).map((c) => `${c.method} ${c.path}`);
    expect(calls).toEqual(["GET /Organisation", "PUT /ManualJournals"]);
    const [aud, nzd] = (await runOf(runId)).packets.edges.map((e) => e.node);
    expect(aud).toMatchObject({ label: "O-1", state: "SENT" });
    expect(nzd).toMatchObject({ label: "O-2", state: "FAILED", errorCode: "CURRENCY_NOT_BASE" });
    const mirrored = await h.t.app.db.prisma.syncedRecord.findFirstOrThrow({
      where: { integrationId: integration.id, entity: "organisation" },
    });
    expect(mirrored.data).toMatchObject({ BaseCurrency: "AUD" });
  });

  it("streams every packet transition, in order, to a subscriber", async () => {
    const { integration } = await connectedXero(h, { tenantId: acme.id });
    const id = globalId("Integration", integration.id);
    await mapAll(id);
    await ingest(id, [order("T-1"), order("T-2"), order("T-3")]);
    // Queued without an announcement, so nothing moves before the subscriber listens.
    const { run } = await h.t.app.db.prisma.$transaction((tx) =>
      queuePushRun(tx, integration, { requestedById: null as unknown as string }),
    );
    const controller = new AbortController();
    const response = await h.t.app.yoga.fetch("http://syncline.test/graphql", {
      method: "POST",
      signal: controller.signal,
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${acme.viewer}`,
      },
      body: JSON.stringify({
        query: print(PacketStateChangedSubscription),
        variables: { runId: globalId("SyncRun", run.id) },
      }),
    });
    const events = readServerSentEvents<{
      data: { packetStateChanged: { sequence: number; from: string | null; to: string } };
    }>(response);
    const received: string[] = [];
    const reading = (async () => {
      for await (const event of events) {
        const change = event.data.packetStateChanged;
        received.push(`${change.sequence}:${change.from ?? "-"}>${change.to}`);
        if (received.filter((r) => r.endsWith(">SENT")).length === 3) break;
      }
    })();
    await waitForRedisSubscribers(`${h.t.config.redisPrefix}:events:packetStateChanged:${run.id}`);
    await h.t.app.engine.notify(integration.id);
    await reading;
    controller.abort();

    for (const sequence of [1, 2, 3]) {
      expect(received.filter((r) => r.startsWith(`${sequence}:`))).toEqual([
        `${sequence}:->PENDING`,
        `${sequence}:PENDING>MAPPED`,
        `${sequence}:MAPPED>SENDING`,
        `${sequence}:SENDING>SENT`,
      ]);
    }
    await finished(run.id);
  });
});
