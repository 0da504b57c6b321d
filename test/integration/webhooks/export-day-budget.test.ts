import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../../src/graphql/ids.ts";
import { enqueueEdits } from "../../../src/sync/export.ts";
import { CreateWebhookEndpointMutation } from "../../operations-host.ts";
import { connectedXpm, type EngineHarness, startEngineHarness, until } from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";
import { WebhookReceiver } from "../../support/webhook-receiver.ts";

/**
 * Exports draining against the XPM sandbox into a small day cap (an export reserve of 5 calls a day,
 * through the integration's rate-limit override) tell the host once that the day's budget is spent, with
 * the figures, however many times the cap refuses them; the next day they go on. A "minute" is 5 ms, so a
 * day is 7.2 s.
 */
const MINUTE_MS = 5;
const DAY_MS = MINUTE_MS * 1440;
const EXPORT_PER_DAY = 5;

let h: EngineHarness;
let tenant: TestTenant;
const receiver = new WebhookReceiver();
let secret: string;

beforeAll(async () => {
  h = await startEngineHarness({
    minuteMs: MINUTE_MS,
    env: { SYNCLINE_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true", SYNCLINE_WEBHOOK_POLL_MS: "20" },
  });
  tenant = await h.t.createTenant("Budgeted host");
  await receiver.start();
  const { createWebhookEndpoint } = await h.t.data(
    CreateWebhookEndpointMutation,
    { input: { url: receiver.url, events: ["DAY_BUDGET_EXHAUSTED"] } },
    tenant.admin,
  );
  if (createWebhookEndpoint.__typename !== "WebhookSecretPayload")
    throw new Error(createWebhookEndpoint.message);
  secret = createWebhookEndpoint.secret;
});
afterAll(async () => {
  await h.close();
  await receiver.down();
});

type Event = { id: string; type: string; data: Record<string, unknown> };

describe("exports that hit the day cap", () => {
  it("fire one budget.day_exhausted webhook per day with the cap's figures, not one per refusal", async () => {
    const prisma = h.t.app.db.prisma;
    const { integration, practice } = await connectedXpm(h, {
      tenantId: tenant.id,
      seed: { jobs: 10, clients: 1, timeEntries: 0 },
      // One call at a time (when the cap refuses the sixth, the fifth is settled); the minute caps are
      // the catalog's (and the sandbox's), far above what five calls need.
      override: { concurrent: 1, perDay: 1000, exportPerDay: EXPORT_PER_DAY },
      syncMode: "ONE_OFF",
    });
    const jobs = [...practice.jobs.keys()];
    const sent = () => prisma.exportItem.count({ where: { integrationId: integration.id, status: "SENT" } });
    const edit = async (remoteIds: string[], value: number) => {
      await prisma.$transaction((tx) =>
        enqueueEdits(
          tx,
          integration.id,
          remoteIds.map((remoteId) => ({ entity: "job", remoteId, field: "budget", value })),
        ),
      );
      await h.t.app.engine.notify(integration.id);
    };

    // Start at the top of a day, so the day's five exports and its refusals fall inside it.
    await new Promise((resolve) => setTimeout(resolve, DAY_MS - (Date.now() % DAY_MS) + 5));
    const day = Math.floor(Date.now() / DAY_MS);
    await edit(jobs.slice(0, 8), 5);
    await until("the day's five exports", async () => (await sent()) === EXPORT_PER_DAY, DAY_MS / 2);
    await until("the webhook", () => receiver.received.length > 0, DAY_MS / 4);

    // Refused again, by a new activation (new work announced), and again: still the one webhook.
    await edit(jobs.slice(8, 9), 6);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await edit(jobs.slice(9, 10), 7);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(Math.floor(Date.now() / DAY_MS)).toBe(day);
    expect(await sent()).toBe(EXPORT_PER_DAY);
    expect(receiver.received).toHaveLength(1);

    const [received] = receiver.received;
    const event = new Webhook(secret).verify(received!.body, received!.headers as Record<string, string>);
    expect(event).toMatchObject({
      type: "budget.day_exhausted",
      data: {
        integrationId: globalId("Integration", integration.id),
        runId: null,
        kind: "EXPORT",
        cap: "exportDay",
        limit: EXPORT_PER_DAY,
        // Eight edits, five sent: three wait (a refused one is back in line).
        waiting: 3,
        deferredUntil: new Date((day + 1) * DAY_MS).toISOString(),
      },
    } satisfies Partial<Event> & { data: Record<string, unknown> });

    // The next day the five waiting go out, within the cap: no new webhook.
    await until("the rest after the reset", async () => (await sent()) === 10, 2 * DAY_MS);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received).toHaveLength(1);
    const deliveries = await prisma.webhookDelivery.findMany({
      where: { eventType: "DAY_BUDGET_EXHAUSTED" },
    });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.status).toBe("DELIVERED");
  }, 60_000);
});
