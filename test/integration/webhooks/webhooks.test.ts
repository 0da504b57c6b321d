import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SyncKind } from "../../../src/generated/prisma/enums.ts";
import { globalId } from "../../../src/graphql/ids.ts";
import { IngestOrdersMutation, StartAccountingSyncMutation } from "../../operations.ts";
import {
  CreateWebhookEndpointMutation,
  RecordsQuery,
  ReplayWebhookDeliveryMutation,
  WebhookDeliveryQuery,
  WebhookEndpointsQuery,
} from "../../operations-host.ts";
import {
  connectedXero,
  connectedXpm,
  type EngineHarness,
  startEngineHarness,
  until,
} from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";
import { retailOrder } from "../../support/orders.ts";
import { WebhookReceiver } from "../../support/webhook-receiver.ts";

/**
 * Webhooks to a receiver on loopback, from real runs against the XPM sandbox: every event of a run,
 * signed; the receiver down for a while (retries, then the same order); a replay by hand; an old
 * timestamp refused; another tenant sees none of it. A "minute" is 100 ms (retries 8 ms, 33 ms, 133 ms …).
 */
const MINUTE_MS = 100;
const ALL_EVENTS = [
  "RUN_FINISHED",
  "RECORDS_CHANGED",
  "INTEGRATION_STATUS_CHANGED",
  "PACKET_FAILED",
  "DAY_BUDGET_EXHAUSTED",
] as const;
type Event = { id: string; type: string; createdAt: string; data: Record<string, unknown> };

let h: EngineHarness;
let acme: TestTenant;
let other: TestTenant;
const receiver = new WebhookReceiver();
const otherReceiver = new WebhookReceiver();
let secret: string;
let endpointId: string;

beforeAll(async () => {
  h = await startEngineHarness({
    minuteMs: MINUTE_MS,
    env: { SYNCLINE_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true", SYNCLINE_WEBHOOK_POLL_MS: "20" },
  });
  acme = await h.t.createTenant("Acme");
  other = await h.t.createTenant("Other");
  await receiver.start();
  await otherReceiver.start();
  const created = await register(acme, receiver.url);
  secret = created.secret;
  endpointId = created.endpoint.id;
  await register(other, otherReceiver.url);
});
afterAll(async () => {
  await h.close();
  await receiver.down();
  await otherReceiver.down();
});

async function register(tenant: TestTenant, url: string) {
  const { createWebhookEndpoint } = await h.t.data(
    CreateWebhookEndpointMutation,
    { input: { url, events: [...ALL_EVENTS], description: "The host" } },
    tenant.admin,
  );
  if (createWebhookEndpoint.__typename !== "WebhookSecretPayload")
    throw new Error(createWebhookEndpoint.message);
  return createWebhookEndpoint;
}

async function runToEnd(integrationId: string, kind: SyncKind) {
  const prisma = h.t.app.db.prisma;
  const run = await prisma.syncRun.create({
    data: { tenantId: acme.id, integrationId, kind, trigger: "USER", lane: "DAILY" },
  });
  await h.t.app.engine.notify(integrationId);
  await until(
    `${kind} run`,
    async () => (await prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } })).status === "SUCCEEDED",
    20_000,
  );
  return prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
}

const deliveries = () =>
  h.t.app.db.prisma.webhookDelivery.findMany({
    where: { endpointId: Buffer.from(endpointId, "base64").toString().split(":")[1]! },
    orderBy: [{ commitXid: "asc" }, { sequence: "asc" }],
    include: { attempts: { orderBy: { attemptedAt: "asc" } } },
  });

const verify = (r: { body: string; headers: Record<string, unknown> }) =>
  new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as Event;

describe("webhooks to the host", () => {
  let integrationId: string;
  let finished: Event;

  it("delivers every event of a run to a receiver on loopback, in order, each signed over its timestamp and body", async () => {
    const { integration } = await connectedXpm(h, {
      tenantId: acme.id,
      seed: { clients: 12, jobs: 4, staff: 3, timeEntries: 20 },
      syncMode: "ONE_OFF",
    });
    integrationId = integration.id;
    const run = await runToEnd(integration.id, "FORCE");
    // Every event of the run is in the outbox once the run has ended: wait until each is delivered.
    await until(
      "every delivery",
      async () => (await deliveries()).every((d) => d.status === "DELIVERED"),
      10_000,
    );

    const events = receiver.received.map((request) => {
      // Verified as a host verifies: the signature over id, timestamp and body, the timestamp recent.
      const event = verify(request);
      expect(request.headers["webhook-id"]).toBe(event.id);
      expect(Math.abs(Number(request.headers["webhook-timestamp"]) * 1000 - Date.now())).toBeLessThan(60_000);
      return event;
    });
    const shape = events.map((e) => `${e.type}:${e.data.status ?? e.data.entity}`);
    expect(shape).toEqual([
      "integration.status_changed:SYNCING",
      "records.changed:client",
      "records.changed:job",
      "records.changed:staff",
      ...shape.filter((s) => s === "records.changed:time"),
      "run.finished:SUCCEEDED",
      "integration.status_changed:CONNECTED",
    ]);
    finished = events.find((e) => e.type === "run.finished")!;
    // The run's honest status and counts, as its row has them.
    expect(finished.data).toMatchObject({
      integrationId: globalId("Integration", integration.id),
      runId: globalId("SyncRun", run.id),
      kind: "FORCE",
      status: "SUCCEEDED",
      counts: {
        fetched: run.fetchedCount,
        created: run.createdCount,
        updated: run.updatedCount,
        deleted: run.deletedCount,
        skipped: run.skippedCount,
      },
    });
    const changed = events.filter((e) => e.type === "records.changed");
    expect(changed.reduce((sum, e) => sum + Number(e.data.created), 0)).toBe(run.createdCount);
    // A records.changed event's cursor reads exactly the records it announces.
    const clients = changed.find((e) => e.data.entity === "client")!;
    const { integration: read } = await h.t.data(
      RecordsQuery,
      {
        id: globalId("Integration", integration.id),
        entity: "client",
        after: String(clients.data.cursor),
        first: 100,
      },
      acme.viewer,
    );
    if (read.__typename !== "Integration" || read.records.__typename !== "RecordConnection")
      throw new Error("records");
    expect(read.records.edges).toHaveLength(12);
    // Each delivery is listed with its attempt: status and response time.
    const listed = await deliveries();
    expect(listed.map((d) => d.eventId)).toEqual(events.map((e) => e.id));
    for (const d of listed) {
      expect(d.status).toBe("DELIVERED");
      expect(d.attempts).toEqual([expect.objectContaining({ responseStatus: 200, error: null })]);
    }
  });

  it("survives the receiver being down for a while: retries, then delivers everything in the same order", async () => {
    const before = receiver.received.length;
    await receiver.down();
    const practiceEvents = await connectedXpm(h, {
      tenantId: acme.id,
      seed: { clients: 5 },
      syncMode: "ONE_OFF",
    });
    await runToEnd(practiceEvents.integration.id, "FORCE");
    // The first waiting delivery fails and is retried, with backoff, while the others wait behind it.
    await until(
      "two failed attempts",
      async () =>
        (await deliveries()).some((d) => d.attempts.filter((a) => a.responseStatus === null).length >= 2),
      10_000,
    );
    const waiting = (await deliveries()).filter((d) => d.status === "PENDING");
    expect(waiting.length).toBeGreaterThan(3);
    expect(waiting.slice(1).every((d) => d.attemptCount === 0)).toBe(true);
    await receiver.start();
    await until(
      "every delivery",
      async () => (await deliveries()).every((d) => d.status === "DELIVERED"),
      20_000,
    );

    const listed = await deliveries();
    // Everything arrived once, in outbox order, the late ones after the early ones.
    expect(receiver.events<Event>().map((e) => e.id)).toEqual(listed.map((d) => d.eventId));
    expect(receiver.received.length).toBeGreaterThan(before);
    const retried = listed.find((d) => d.attempts.length > 1)!;
    expect(retried.attempts.at(-1)).toMatchObject({ responseStatus: 200, error: null });
    expect(
      retried.attempts
        .slice(0, -1)
        .every((a) => a.responseStatus === null && a.error === "connection refused"),
    ).toBe(true);
    for (const request of receiver.received) verify(request);
  });

  it("replays a delivery by hand, signed afresh; a captured delivery sent again later is refused for its old timestamp", async () => {
    const original = (await deliveries()).find((d) => d.eventId === finished.id)!;
    const { replayWebhookDelivery } = await h.t.data(
      ReplayWebhookDeliveryMutation,
      { id: globalId("WebhookDelivery", original.id) },
      acme.admin,
    );
    if (replayWebhookDelivery.__typename !== "ReplayWebhookDeliveryPayload") throw new Error("replay");
    expect(replayWebhookDelivery.delivery).toMatchObject({
      eventId: original.eventId,
      replayOfId: globalId("WebhookDelivery", original.id),
    });
    await until(
      "the replay",
      () => receiver.received.filter((r) => r.headers["webhook-id"] === finished.id).length === 2,
      10_000,
    );
    const [first, again] = receiver.received.filter((r) => r.headers["webhook-id"] === finished.id);
    expect(again!.body).toBe(first!.body);
    expect(verify(again!)).toEqual(finished);

    // A delivery captured and sent again six minutes later fails verification: its timestamp is too old…
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 6 * 60_000 });
    try {
      expect(() => verify(first!)).toThrow(/too old/);
    } finally {
      vi.useRealTimers();
    }
    // …and a later timestamp put on it (within the tolerance, and never the second it was signed in,
    // which "now" can still be) breaks the signature, which covers the timestamp.
    const signedAt = Number(first!.headers["webhook-timestamp"]);
    const forged = { ...first!, headers: { ...first!.headers, "webhook-timestamp": String(signedAt + 60) } };
    expect(() => verify(forged)).toThrow(/signature/i);
  });

  it("shows another tenant none of it: not the endpoints, the deliveries, the records, nor any event", async () => {
    const { webhookEndpoints } = await h.t.data(WebhookEndpointsQuery, {}, other.viewer);
    expect(webhookEndpoints.edges.map((e) => e.node.url)).toEqual([otherReceiver.url]);
    expect(webhookEndpoints.edges[0]!.node.deliveries.totalCount).toBe(0);
    const delivery = (await deliveries())[0]!;
    const { webhookDelivery } = await h.t.data(
      WebhookDeliveryQuery,
      { id: globalId("WebhookDelivery", delivery.id) },
      other.viewer,
    );
    expect(webhookDelivery.__typename).toBe("NotFoundError");
    const { integration } = await h.t.data(
      RecordsQuery,
      { id: globalId("Integration", integrationId), entity: "client" },
      other.viewer,
    );
    expect(integration.__typename).toBe("NotFoundError");
    expect(otherReceiver.received).toEqual([]);
    // The owner sees its own, with every attempt.
    const mine = await h.t.data(WebhookEndpointsQuery, {}, acme.viewer);
    expect(mine.webhookEndpoints.edges[0]!.node.deliveries.totalCount).toBe((await deliveries()).length);
  });

  it("tells the host of each packet a push could not map (packet.failed), and of the push's end with its counts", async () => {
    const { integration } = await connectedXero(h, { tenantId: acme.id, syncMode: "ONE_OFF" });
    const integrationId = globalId("Integration", integration.id);
    const orders = [retailOrder("W-1", "2026-11-20T01:00:00.000Z")];
    const ingested = await h.t.data(IngestOrdersMutation, { input: { integrationId, orders } }, acme.owner);
    expect(ingested.ingestOrders.__typename).toBe("IngestOrdersPayload");
    const before = receiver.received.length;
    const { startAccountingSync } = await h.t.data(
      StartAccountingSyncMutation,
      { integrationId },
      acme.owner,
    );
    if (startAccountingSync.__typename !== "StartAccountingSyncPayload")
      throw new Error(startAccountingSync.__typename);
    await until(
      "the push's run.finished",
      () =>
        receiver
          .events<Event>()
          .slice(before)
          .some((e) => e.type === "run.finished"),
      20_000,
    );
    const events = receiver.events<Event>().slice(before);
    const failed = events.filter((e) => e.type === "packet.failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({
      integrationId,
      runId: startAccountingSync.syncRun.id,
      sequence: 1,
      errorCode: expect.stringMatching(/^UNMAPPED_/),
    });
    expect(events.find((e) => e.type === "run.finished")!.data).toMatchObject({
      kind: "PUSH",
      status: "SUCCEEDED",
      counts: { sent: 0, failed: 1 },
    });
  });
});
