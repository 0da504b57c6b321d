import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineStore } from "../../../src/db/engine-store.ts";
import type { Prisma } from "../../../src/generated/prisma/client.ts";
import { nextPullStep, type RunCursor } from "../../../src/sync/pull.ts";
import { integrationRow, startTestApp, type TestApp } from "../../support/harness.ts";

/**
 * An XPM entity's listing is followed by a call per record for its custom fields; once none is left,
 * the entity finishes (its watermark advances, the run's cursor moves to the next entity). Like a page,
 * that finish is written only while the activation's fence is the integration's current one: one that
 * lost the integration to another must not move the run's cursor back.
 */
let t: TestApp;
let tenantId: string;

beforeAll(async () => {
  t = await startTestApp();
  tenantId = (await t.createTenant("Follow-up fence")).id;
});
afterAll(() => t.close());

describe("finishing an entity's follow-up calls", () => {
  it("is written by the current activation, and left alone by a superseded one", async () => {
    const integration = await integrationRow(t, tenantId, "XPM", { data: { syncMode: "CONTINUOUS" } });
    const listed = new Date(Date.now() - 60_000).toISOString();
    // The client listing is done and no client needs its custom fields read: the entity may finish.
    const cursor: RunCursor = {
      entities: ["client", "job"],
      index: 0,
      page: null,
      entityStartedAt: listed,
      since: null,
      attempts: 0,
      notBefore: null,
      failedEntities: [],
      customFields: { client: ["Region"] },
      followUp: { after: null },
    };
    const run = await t.app.db.prisma.syncRun.create({
      data: {
        tenantId,
        integrationId: integration.id,
        kind: "DAILY",
        trigger: "SCHEDULE",
        lane: "DAILY",
        status: "RUNNING",
        startedAt: new Date(),
        cursor: cursor as unknown as Prisma.InputJsonValue,
      },
    });
    const fences = engineStore(t.app.db.sql).fences;
    const superseded = await fences.take(integration.id);
    const current = await fences.take(integration.id);

    // The superseded activation: no watermark, the cursor where it was, and the run left alone a while.
    const stale = await nextPullStep(t.app.db, run, integration, { fence: superseded });
    expect(stale.kind).toBe("backoff");
    const watermark = () =>
      t.app.db.prisma.watermark.findFirst({ where: { integrationId: integration.id, entity: "client" } });
    expect(await watermark()).toBeNull();
    const untouched = await t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(untouched.cursor).toEqual(cursor);

    // The current one: the client watermark at the listing's start, and the next call is the job listing.
    const step = await nextPullStep(t.app.db, run, integration, { fence: current });
    expect(step).toMatchObject({ kind: "call", cursor: { index: 1, followUp: null } });
    expect((await watermark())?.cursor?.toISOString()).toBe(listed);
    const moved = await t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: run.id } });
    expect((moved.cursor as unknown as RunCursor).index).toBe(1);
  });
});
