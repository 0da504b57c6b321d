import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateWebhookEndpointMutation, UpdateWebhookEndpointMutation } from "../../operations-host.ts";
import { startTestApp, type TestApp, tableCounts } from "../../support/harness.ts";

/** Where webhooks may go, on the default configuration (no private targets). */
let strict: TestApp;

beforeAll(async () => {
  strict = await startTestApp();
});
afterAll(() => strict.close());

describe("webhook targets", () => {
  it("refuses loopback, private and local targets and plain http unless configuration allows them, changing nothing", async () => {
    const owner = await strict.createTenant("Strict");
    const before = await tableCounts(strict.app);
    for (const url of [
      "http://127.0.0.1:8080/hook",
      "https://127.0.0.1/hook",
      "https://10.1.2.3/hook",
      "https://[::1]/hook",
      "https://169.254.169.254/latest",
      "https://localhost/hook",
      "https://printer.local/hook",
      "http://example.com/hook",
      "ftp://example.com/hook",
      "https://user:pw@example.com/hook",
      "not a url",
    ]) {
      const { createWebhookEndpoint } = await strict.data(
        CreateWebhookEndpointMutation,
        { input: { url, events: ["RUN_FINISHED"] } },
        owner.owner,
      );
      expect(createWebhookEndpoint, url).toMatchObject({
        __typename: "ValidationError",
        issues: [{ path: ["input", "url"] }],
      });
    }
    const noEvents = await strict.data(
      CreateWebhookEndpointMutation,
      { input: { url: "https://hooks.example.com/syncline", events: [] } },
      owner.owner,
    );
    expect(noEvents.createWebhookEndpoint).toMatchObject({
      __typename: "ValidationError",
      issues: [{ path: ["input", "events"] }],
    });
    expect(await tableCounts(strict.app)).toEqual(before);

    const { createWebhookEndpoint } = await strict.data(
      CreateWebhookEndpointMutation,
      { input: { url: "https://hooks.example.com/syncline", events: ["RUN_FINISHED", "RUN_FINISHED"] } },
      owner.owner,
    );
    if (createWebhookEndpoint.__typename !== "WebhookSecretPayload")
      throw new Error(createWebhookEndpoint.message);
    expect(createWebhookEndpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(createWebhookEndpoint.endpoint.events).toEqual(["RUN_FINISHED"]);
    // The secret is stored encrypted, never in clear.
    const stored = await strict.app.db.prisma.webhookEndpoint.findFirstOrThrow();
    expect(stored.secretEncrypted).not.toContain(createWebhookEndpoint.secret.slice(6));
    const moved = await strict.data(
      UpdateWebhookEndpointMutation,
      { input: { endpointId: createWebhookEndpoint.endpoint.id, url: "https://192.168.1.10/hook" } },
      owner.owner,
    );
    expect(moved.updateWebhookEndpoint).toMatchObject({
      __typename: "ValidationError",
      issues: [{ path: ["input", "url"] }],
    });
  });
});
