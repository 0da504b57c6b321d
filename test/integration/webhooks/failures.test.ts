import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptSecret } from "../../../src/auth/secrets.ts";
import { globalId } from "../../../src/graphql/ids.ts";
import { PauseIntegrationMutation, ResumeIntegrationMutation } from "../../operations.ts";
import {
  CreateWebhookEndpointMutation,
  EnableWebhookEndpointMutation,
  ReplayWebhookDeliveryMutation,
  WebhookEndpointChangedSubscription,
  WebhookEndpointsQuery,
} from "../../operations-host.ts";
import { startTestApp, type TestApp, type TestTenant } from "../../support/harness.ts";
import { readServerSentEvents, waitForRedisSubscribers } from "../../support/live.ts";
import { WebhookReceiver } from "../../support/webhook-receiver.ts";

/**
 * An endpoint that keeps failing is retried for more than a (compressed) day, then disabled and the
 * tenant told. A "minute" is 2 ms, so
 * the day of retries takes about four seconds.
 */
let t: TestApp;
let tenant: TestTenant;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  t = await startTestApp({
    roles: ["worker"],
    env: {
      SYNCLINE_MINUTE_MS: "2",
      SYNCLINE_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true",
      SYNCLINE_WEBHOOK_POLL_MS: "20",
    },
  });
  tenant = await t.createTenant("Failing host");
  await receiver.start();
});
afterAll(async () => {
  await t.close();
  await receiver.down();
});

async function integration() {
  const row = await t.app.db.prisma.integration.create({
    data: {
      tenantId: tenant.id,
      platform: "XPM",
      name: "Practice",
      remoteTenantId: `practice-${Math.random()}`,
      syncMode: "CONTINUOUS",
      status: "CONNECTED",
      credentialsEncrypted: encryptSecret(t.config.encryptionKey, JSON.stringify({ accessToken: "x" })),
    },
  });
  return globalId("Integration", row.id);
}

describe("an endpoint that keeps failing", () => {
  it("is retried with backoff for more than a day, then disabled, and the tenant is told", async () => {
    receiver.status = 500;
    const { createWebhookEndpoint } = await t.data(
      CreateWebhookEndpointMutation,
      { input: { url: receiver.url, events: ["INTEGRATION_STATUS_CHANGED"] } },
      tenant.owner,
    );
    if (createWebhookEndpoint.__typename !== "WebhookSecretPayload")
      throw new Error(createWebhookEndpoint.message);
    const endpoint = createWebhookEndpoint.endpoint;

    // The tenant listens for its endpoints' changes (over server-sent events).
    const stream = await t.app.yoga.fetch("http://syncline.test/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${tenant.viewer}`,
      },
      body: JSON.stringify({ query: print(WebhookEndpointChangedSubscription) }),
    });
    const told = readServerSentEvents<{ data: { webhookEndpointChanged: { id: string; status: string } } }>(
      stream,
    );
    const firstTold = told.next();
    await waitForRedisSubscribers(`${t.config.redisPrefix}:events:webhookEndpointChanged:${tenant.id}`);

    const id = await integration();
    const paused = await t.data(PauseIntegrationMutation, { id }, tenant.admin);
    expect(paused.pauseIntegration.__typename).toBe("IntegrationPayload");

    const { value } = await firstTold;
    expect(value!.data.webhookEndpointChanged).toMatchObject({ id: endpoint.id, status: "DISABLED" });
    await stream.body?.cancel();

    const { webhookEndpoints } = await t.data(WebhookEndpointsQuery, {}, tenant.viewer);
    const listed = webhookEndpoints.edges.find((e) => e.node.id === endpoint.id)!.node;
    expect(listed.status).toBe("DISABLED");
    expect(listed.disabledReason).toMatch(/failed 11 times over more than a day/);
    const [delivery] = listed.deliveries.edges.map((e) => e.node);
    expect(delivery).toMatchObject({
      status: "FAILED",
      attemptCount: 11,
      eventName: "integration.status_changed",
    });
    const attempts = delivery!.attempts.edges.map((e) => e.node);
    expect(delivery!.attempts.totalCount).toBe(11);
    expect(attempts).toHaveLength(11);
    expect(attempts.every((a) => a.responseStatus === 500)).toBe(true);
    // The waits doubled and more: the last attempt came over a (compressed) day after the first.
    const span = Date.parse(attempts.at(-1)!.attemptedAt) - Date.parse(attempts[0]!.attemptedAt);
    expect(span).toBeGreaterThan(t.config.time.dayMs);
    expect(receiver.received).toHaveLength(11);

    // Disabled, it receives nothing new; enabled again and replayed by hand, the event arrives.
    await t.data(ResumeIntegrationMutation, { id }, tenant.admin);
    receiver.status = 200;
    const enabled = await t.data(EnableWebhookEndpointMutation, { id: endpoint.id }, tenant.admin);
    expect(enabled.enableWebhookEndpoint).toMatchObject({
      endpoint: { status: "ACTIVE", disabledReason: null },
    });
    const replayed = await t.data(ReplayWebhookDeliveryMutation, { id: delivery!.id }, tenant.admin);
    expect(replayed.replayWebhookDelivery.__typename).toBe("ReplayWebhookDeliveryPayload");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await t.data(WebhookEndpointsQuery, {}, tenant.viewer);
    const node = after.webhookEndpoints.edges.find((e) => e.node.id === endpoint.id)!.node;
    expect(node.deliveries.edges.map((e) => [e.node.status, e.node.replayOfId !== null])).toEqual([
      ["DELIVERED", true],
      ["FAILED", false],
    ]);
  });
});
