import { print } from "graphql";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { IntegrationStatusChangedSubscription as Result } from "../../generated/graphql.ts";
import {
  ConnectIntegrationMutation,
  IntegrationStatusChangedSubscription,
  PauseIntegrationMutation,
} from "../../operations.ts";
import { startTestApp, type TestApp, type TestTenant } from "../../support/harness.ts";
import { readServerSentEvents, waitForRedisSubscribers } from "../../support/live.ts";

let t: TestApp;
let acme: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  t = await startTestApp({ roles: ["api"] });
  acme = await t.createTenant("Acme");
  other = await t.createTenant("Other");
});
afterAll(() => t.close());

const channel = (tenantId: string) => `${t.config.redisPrefix}:events:integrationStatusChanged:${tenantId}`;

async function connectOver(tenant: TestTenant, name: string) {
  const { connectIntegration } = await t.data(
    ConnectIntegrationMutation,
    {
      input: {
        platform: "XPM",
        name,
        remoteTenantId: `remote-${name}`,
        credentials: { accessToken: "token" },
      },
    },
    tenant.owner,
  );
  if (connectIntegration.__typename !== "IntegrationPayload") throw new Error(connectIntegration.message);
  return connectIntegration.integration;
}

/** Real HTTP POSTs to the listening server (the mutations), as a second client would make them. */
async function postOverHttp(query: string, variables: object, token: string) {
  const response = await fetch(t.app.api!.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json() as Promise<{ data: Record<string, { integration: { id: string } }> }>;
}

describe("integrationStatusChanged", () => {
  it("streams over a real WebSocket (graphql-ws) after a connect made over HTTP, only to the right tenant", async () => {
    const wsUrl = t.app.api!.url.replace(/^http/, "ws");
    const client = (token: string) =>
      createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
      });
    const acmeClient = client(acme.viewer);
    const otherClient = client(other.viewer);
    try {
      const acmeEvents = acmeClient.iterate<Result>({ query: print(IntegrationStatusChangedSubscription) });
      const otherEvents = otherClient.iterate<Result>({ query: print(IntegrationStatusChangedSubscription) });
      const acmeNext = acmeEvents.next();
      const otherNext = otherEvents.next();
      await waitForRedisSubscribers(channel(acme.id));
      await waitForRedisSubscribers(channel(other.id));

      const created = await postOverHttp(
        print(ConnectIntegrationMutation),
        {
          input: {
            platform: "XPM",
            name: "Over WS",
            remoteTenantId: "ws-1",
            credentials: { accessToken: "x" },
          },
        },
        acme.owner,
      );
      const integrationId = created.data.connectIntegration!.integration.id;
      const first = await acmeNext;
      expect(first.value).toEqual({
        data: { integrationStatusChanged: { id: integrationId, name: "Over WS", status: "PENDING" } },
      });

      // The other tenant's subscriber saw nothing of Acme: its first event is its own integration.
      const own = await connectOver(other, "Other's own");
      expect((await otherNext).value?.data?.integrationStatusChanged?.id).toBe(own.id);

      const second = acmeEvents.next();
      await postOverHttp(print(PauseIntegrationMutation), { id: integrationId }, acme.admin);
      expect((await second).value?.data?.integrationStatusChanged).toMatchObject({
        id: integrationId,
        status: "PAUSED",
      });
      await acmeEvents.return?.();
      await otherEvents.return?.();
    } finally {
      await acmeClient.dispose();
      await otherClient.dispose();
    }
  });

  it("refuses a WebSocket at connection_init: 4401 without a token, 4403 with one that names nobody", async () => {
    const closeCodeFor = async (connectionParams?: Record<string, string>) => {
      let closed: { code: number; reason: string } | undefined;
      const client = createClient({
        url: t.app.api!.url.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        ...(connectionParams ? { connectionParams } : {}),
        on: {
          closed: (event) => {
            const { code, reason } = event as { code: number; reason: string };
            closed = { code, reason };
          },
        },
      });
      try {
        const events = client.iterate<Result>({ query: print(IntegrationStatusChangedSubscription) });
        const outcome = await events.next().then(
          () => "delivered",
          () => "refused",
        );
        expect(outcome).toBe("refused");
        return closed;
      } finally {
        await client.dispose();
      }
    };
    expect(await closeCodeFor()).toMatchObject({ code: 4401, reason: expect.stringMatching(/Unauthorized/) });
    expect(await closeCodeFor({ authorization: "Bearer not-a-token" })).toMatchObject({
      code: 4403,
      reason: "Forbidden",
    });
  });

  it("answers NOT_FOUND for another tenant's integration, over SSE as over WebSocket", async () => {
    const theirs = await connectOver(other, "Theirs");
    const response = await fetch(t.app.api!.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${acme.viewer}`,
      },
      body: JSON.stringify({
        query: print(IntegrationStatusChangedSubscription),
        variables: { integrationId: theirs.id },
      }),
    });
    const events = readServerSentEvents<{ data: unknown; errors?: { extensions?: { code?: string } }[] }>(
      response,
    );
    const first = await events.next();
    expect(first.value?.data ?? null).toBeNull();
    expect(first.value?.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    await events.return(undefined).catch(() => {});
  });

  it("streams over server-sent events, filtered to one integration", async () => {
    const watched = await connectOver(acme, "Watched");
    const ignored = await connectOver(acme, "Ignored");
    const controller = new AbortController();
    const response = await fetch(t.app.api!.url, {
      method: "POST",
      signal: controller.signal,
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${acme.viewer}`,
      },
      body: JSON.stringify({
        query: print(IntegrationStatusChangedSubscription),
        variables: { integrationId: watched.id },
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
    const events = readServerSentEvents<{ data: Result }>(response);
    const next = events.next();
    await waitForRedisSubscribers(channel(acme.id));

    // First the integration as it is, then its changes (and only its own).
    expect((await next).value?.data.integrationStatusChanged).toEqual({
      id: watched.id,
      name: "Watched",
      status: "PENDING",
    });
    await t.data(PauseIntegrationMutation, { id: ignored.id }, acme.admin);
    await t.data(PauseIntegrationMutation, { id: watched.id }, acme.admin);
    expect((await events.next()).value?.data.integrationStatusChanged).toEqual({
      id: watched.id,
      name: "Watched",
      status: "PAUSED",
    });
    controller.abort();
    await events.return(undefined).catch(() => {});
  });
});
