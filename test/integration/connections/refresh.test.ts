import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSecret } from "../../../src/auth/secrets.ts";
import { enqueueEdits } from "../../../src/sync/export.ts";
import { IntegrationAuthorizationQuery, IntegrationStatusChangedSubscription } from "../../operations.ts";
import {
  type ConnectionsHarness,
  connectThroughFlow,
  governedPractice,
  startConnectionsHarness,
} from "../../support/connections.ts";
import { isJobUpdate, until } from "../../support/engine.ts";
import type { TestTenant } from "../../support/harness.ts";
import { readServerSentEvents } from "../../support/live.ts";

/**
 * Token refreshes and drop-outs with the engine at work, in compressed time: an access token lives six
 * real seconds (360 platform seconds at a 1-second minute) and is refreshed with 2.5 (150) left, a margin
 * that outlasts a loaded machine's delays between taking a token and the call arriving, so an export
 * backlog outlives several.
 */
const MINUTE_MS = 1000;
const ACCESS_SECONDS = 360;
let h: ConnectionsHarness;
let acme: TestTenant;

beforeAll(async () => {
  h = await startConnectionsHarness({
    minuteMs: MINUTE_MS,
    lifetimes: { accessTokenSeconds: ACCESS_SECONDS },
    env: { SYNCLINE_TOKEN_REFRESH_MARGIN_SECONDS: "150" },
  });
  acme = await h.t.createTenant("Acme");
});
afterAll(() => h.close());

const prisma = () => h.t.app.db.prisma;

/** A connected practice with `jobs` jobs, its initial sync done. */
async function connectedPractice(jobs: number) {
  const { tenantId, practice } = governedPractice(h, { clients: 5, jobs, staff: 1, timeEntries: 2 });
  const integration = await connectThroughFlow(h, acme, { platform: "XPM", remoteTenantId: tenantId });
  return { tenantId, practice, integration };
}

/** Queues a new budget for every job of the practice (one outbox item each). */
async function queueBudgets(integrationId: string, jobs: string[], budget: number) {
  await prisma().$transaction((tx) =>
    enqueueEdits(
      tx,
      integrationId,
      jobs.map((job) => ({ entity: "job", remoteId: job, field: "budget", value: budget })),
    ),
  );
  await h.t.app.engine.notify(integrationId, { preempt: false });
}

const outbox = async (integrationId: string) => {
  const rows = await prisma().exportItem.groupBy({ by: ["status"], where: { integrationId }, _count: true });
  return Object.fromEntries(rows.map((r) => [r.status, r._count]));
};

/** The refreshes of every authorization the tenant's organisation was granted by. */
function refreshesOf(tenantId: string) {
  const { tokenLog } = h.identity.state;
  const grants = new Set(
    tokenLog
      .filter((e) => e.grantType === "authorization_code" && e.tenantIds.includes(tenantId))
      .map((e) => e.grantId),
  );
  return tokenLog.filter((e) => e.grantType === "refresh_token" && grants.has(e.grantId));
}

async function authorizationOf(globalId: string) {
  const { integration } = await h.t.data(IntegrationAuthorizationQuery, { id: globalId }, acme.viewer);
  if (integration.__typename !== "Integration") throw new Error(integration.__typename);
  return integration;
}

/** integrationStatusChanged for one integration over SSE, on the API's real port. */
async function statusStream(globalId: string) {
  const response = await fetch(`${h.apiOrigin}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${acme.viewer}`,
    },
    body: JSON.stringify({
      query: print(IntegrationStatusChangedSubscription),
      variables: { integrationId: globalId },
    }),
  });
  const events = readServerSentEvents<{ data: { integrationStatusChanged: { status: string } } }>(response);
  const seen: string[] = [];
  const reading = (async () => {
    for await (const event of events) seen.push(event.data.integrationStatusChanged.status);
  })().catch(() => {});
  return { seen, close: () => response.body?.cancel().catch(() => {}), reading };
}

describe("refreshing", () => {
  it("refreshes before each expiry, once each time; a refresh whose answer is lost is recovered in the grace period", {
    timeout: 120_000,
  }, async () => {
    // 400 exports at the reserve's 30 a (1-second) minute take at least 13 s: more than three token
    // lifetimes (a refresh every 3.5 s) however fast the machine.
    const { tenantId, practice, integration } = await connectedPractice(400);
    const jobs = [...practice.jobs.keys()];
    h.identity.loseRefreshAnswers(1);
    await queueBudgets(integration.id, jobs, 7);
    await until(
      "the backlog drained",
      async () => (await outbox(integration.id)).SENT === jobs.length,
      60_000,
    );

    const refreshes = refreshesOf(tenantId);
    // The lost answer was resent with the same (retired) refresh token and answered inside the grace period.
    const lost = refreshes.findIndex((e) => e.outcome === "lost");
    expect(lost).toBeGreaterThanOrEqual(0);
    expect(refreshes[lost + 1]).toMatchObject({ outcome: "issued", resentRetired: true });
    // Every other refresh used the newest refresh token, and none was refused.
    const others = refreshes.filter((_, i) => i !== lost && i !== lost + 1);
    expect(others.every((e) => e.outcome === "issued" && !e.resentRetired)).toBe(true);
    // The backlog outlived several token lifetimes, and no call was made with an expired token.
    expect(refreshes.length).toBeGreaterThanOrEqual(3);
    expect(h.identity.state.refusedAccess.filter((r) => r.tenantId === tenantId)).toEqual([]);
    const authorization = (await authorizationOf(integration.globalId)).authorization;
    expect(authorization.refreshCount).toBe(refreshes.filter((e) => e.outcome === "issued").length);
    expect(authorization.problem).toBeNull();
    // Each edit reached the practice exactly once.
    const applied = h.xpm.caps.accepted(tenantId).filter((c) => isJobUpdate(c) && c.applied && !c.replayed);
    expect(applied).toHaveLength(jobs.length);
    expect(jobs.every((job) => practice.jobs.get(job)!.dto.budget === 7)).toBe(true);
  });
});

describe("dropping out", () => {
  it("invalid_grant mid-backlog: needs authorization, the backlog waits intact, reconnecting drains it exactly once", {
    timeout: 180_000,
  }, async () => {
    const { tenantId, practice, integration } = await connectedPractice(150);
    const jobs = [...practice.jobs.keys()];
    const stream = await statusStream(integration.globalId);
    await queueBudgets(integration.id, jobs, 11);
    await until(
      "a third of the backlog sent",
      async () => ((await outbox(integration.id)).SENT ?? 0) >= 50,
      30_000,
    );
    h.identity.state.refuseRefreshes(tenantId);

    await until(
      "the integration needs authorization",
      async () =>
        (await prisma().integration.findUniqueOrThrow({ where: { id: integration.id } })).status ===
        "NEEDS_AUTHORIZATION",
      30_000,
    );
    const waiting = await authorizationOf(integration.globalId);
    expect(waiting).toMatchObject({
      status: "NEEDS_AUTHORIZATION",
      authorization: { problem: "REFRESH_REFUSED" },
    });
    expect(waiting.lastError).toContain("invalid_grant");
    await until("integrationStatusChanged said so", () => stream.seen.includes("NEEDS_AUTHORIZATION"), 5000);
    stream.close();

    // Nothing failed; what was not sent waits, and stays waiting while the integration needs authorization.
    const stopped = await outbox(integration.id);
    expect(stopped.FAILED).toBeUndefined();
    expect(stopped.SENDING).toBeUndefined();
    expect((stopped.SENT ?? 0) + (stopped.PENDING ?? 0)).toBe(jobs.length);
    expect(stopped.PENDING).toBeGreaterThan(0);
    const callsWhenStopped = h.xpm.caps.accepted(tenantId).length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(h.xpm.caps.accepted(tenantId)).toHaveLength(callsWhenStopped);
    expect(await outbox(integration.id)).toEqual(stopped);

    // Connected again through the flow: the same integration resumes where it stopped.
    const again = await connectThroughFlow(h, acme, {
      platform: "XPM",
      remoteTenantId: tenantId,
      integrationId: integration.globalId,
    });
    expect(again.id).toBe(integration.id);
    const resumed = await authorizationOf(integration.globalId);
    expect(resumed.status).not.toBe("NEEDS_AUTHORIZATION");
    expect(resumed.authorization.problem).toBeNull();
    await until(
      "the rest of the backlog sent",
      async () => (await outbox(integration.id)).SENT === jobs.length,
      60_000,
    );

    const applied = h.xpm.caps.accepted(tenantId).filter((c) => isJobUpdate(c) && c.applied && !c.replayed);
    expect(applied).toHaveLength(jobs.length);
    expect(jobs.every((job) => practice.jobs.get(job)!.dto.budget === 11)).toBe(true);
    // No new initial sync: the reconnect resumed the waiting work.
    expect(await prisma().syncRun.count({ where: { integrationId: integration.id, kind: "INITIAL" } })).toBe(
      1,
    );
  });

  it("a connection removed at the platform: a fresh token does not cure the refusal, and the reason says so", async () => {
    const { tenantId, practice, integration } = await connectedPractice(60);
    h.identity.state.removeConnections(tenantId);
    await queueBudgets(integration.id, [...practice.jobs.keys()], 3);
    await until(
      "the integration needs authorization",
      async () =>
        (await prisma().integration.findUniqueOrThrow({ where: { id: integration.id } })).status ===
        "NEEDS_AUTHORIZATION",
      30_000,
    );
    expect((await authorizationOf(integration.globalId)).authorization.problem).toBe("CONNECTION_REMOVED");
    // The token set it stopped with was issued in answer to a refusal, and was refused too: no further
    // refresh could cure it (one regular refresh may fall between, if the token neared its expiry).
    const firstRefusal = h.identity.state.refusedAccess.find((r) => r.tenantId === tenantId)!;
    expect(firstRefusal).toMatchObject({ status: 403, detail: "AuthenticationUnsuccessful" });
    const row = await prisma().integration.findUniqueOrThrow({ where: { id: integration.id } });
    const stored = JSON.parse(decryptSecret(h.t.config.encryptionKey, row.credentialsEncrypted));
    expect(stored.issuedAfterRefusal).toBe(true);
    expect(h.identity.state.check(stored.accessToken, tenantId)).toMatchObject({ ok: false, status: 403 });
    expect(refreshesOf(tenantId).filter((e) => e.at >= firstRefusal.at).length).toBeLessThanOrEqual(2);
    // Then it stops: no call, no refresh.
    const callsOf = () => h.xpm.caps.log.filter((c) => c.tenantId === tenantId).length;
    const [calls, refreshes] = [callsOf(), refreshesOf(tenantId).length];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect([callsOf(), refreshesOf(tenantId).length]).toEqual([calls, refreshes]);
    expect(await outbox(integration.id)).toEqual({ PENDING: practice.jobs.size });
  });

  it("an authorization revoked at the platform: the refresh is refused and the integration waits", async () => {
    const { tenantId, practice, integration } = await connectedPractice(30);
    h.identity.state.revokeTenant(tenantId);
    await queueBudgets(integration.id, [...practice.jobs.keys()], 5);
    await until(
      "the integration needs authorization",
      async () =>
        (await prisma().integration.findUniqueOrThrow({ where: { id: integration.id } })).status ===
        "NEEDS_AUTHORIZATION",
      30_000,
    );
    expect((await authorizationOf(integration.globalId)).authorization.problem).toBe("REFRESH_REFUSED");
    // Calls in flight when the refresh was refused come back refused too, and their items go back.
    await until(
      "every export waiting again",
      async () =>
        JSON.stringify(await outbox(integration.id)) === JSON.stringify({ PENDING: practice.jobs.size }),
      10_000,
    );
  });
});
