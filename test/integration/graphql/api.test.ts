import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import {
  buildClientSchema,
  type GraphQLInputType,
  getIntrospectionQuery,
  type IntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  parse,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSecret } from "../../../src/auth/secrets.ts";
import { globalId } from "../../../src/graphql/ids.ts";
import {
  ConnectIntegrationMutation,
  DeleteMappingRuleMutation,
  DisconnectIntegrationMutation,
  IntegrationQuery,
  IntegrationsQuery,
  NodeQuery,
  PauseIntegrationMutation,
  PlatformSettingsQuery,
  PlatformsQuery,
  ReconnectIntegrationMutation,
  ResumeIntegrationMutation,
  SyncRunQuery,
  TenantSettingsQuery,
  UpdateIntegrationSettingsMutation,
  UpdatePlatformSettingsMutation,
  UpdateTenantSettingsMutation,
  UpsertMappingRuleMutation,
  ViewerQuery,
} from "../../operations.ts";
import { startTestApp, type TestApp, type TestTenant, tableCounts } from "../../support/harness.ts";

let t: TestApp;
let acme: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  t = await startTestApp();
  acme = await t.createTenant("Acme");
  other = await t.createTenant("Other");
});
afterAll(() => t.close());

let remoteCounter = 0;
function connectInput(
  overrides: Partial<{
    platform: "XPM" | "XERO_ACCOUNTING" | "PSA";
    name: string;
    remoteTenantId: string;
  }> = {},
) {
  remoteCounter += 1;
  return {
    input: {
      platform: overrides.platform ?? "XPM",
      name: overrides.name ?? `Practice ${remoteCounter}`,
      remoteTenantId: overrides.remoteTenantId ?? `remote-${remoteCounter}`,
      credentials: { accessToken: `secret-access-${remoteCounter}`, refreshToken: "secret-refresh" },
    },
  };
}

async function connect(tenant: TestTenant, overrides: Parameters<typeof connectInput>[0] = {}) {
  const { connectIntegration } = await t.data(
    ConnectIntegrationMutation,
    connectInput(overrides),
    tenant.owner,
  );
  if (connectIntegration.__typename !== "IntegrationPayload") throw new Error(connectIntegration.message);
  return connectIntegration;
}

describe("authentication and roles", () => {
  it("answers viewer with the token's member and tenant", async () => {
    const { viewer } = await t.data(ViewerQuery, {}, acme.admin);
    expect(viewer).toMatchObject({ name: "Admin", role: "ADMIN", tenant: { name: "Acme", timeZone: "UTC" } });
  });

  it("rejects a request without a token and an unknown token", async () => {
    const anonymous = await t.execute(ViewerQuery, {}, null);
    expect(anonymous.data).toBeNull();
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const forged = await t.execute(ViewerQuery, {}, "sl_not-a-real-token");
    expect(forged.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("stores only a hash of each token", async () => {
    const rows = await t.app.db.prisma.apiToken.findMany();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect([acme.owner, acme.admin, acme.viewer]).not.toContain(row.tokenHash);
    }
  });

  it("forbids a VIEWER every mutation and changes nothing", async () => {
    const { integration } = await connect(acme, { name: "Viewer's view" });
    const before = await tableCounts(t.app);
    const { connectIntegration } = await t.data(ConnectIntegrationMutation, connectInput(), acme.viewer);
    expect(connectIntegration).toMatchObject({
      __typename: "ForbiddenError",
      requiredRoles: ["OWNER", "ADMIN"],
    });

    // Every mutation the schema has, read by introspection so that a new one cannot be left out, called
    // with well-formed arguments (ids of the tenant's own integration).
    const mutations = Object.values(
      buildClientSchema(await introspect())
        .getMutationType()!
        .getFields(),
    );
    expect(mutations.map((m) => m.name)).toEqual(
      expect.arrayContaining(["connectIntegration", "enqueueExports", "ingestOrders", "startAccountingSync"]),
    );
    const answers: Record<string, string> = {};
    for (const mutation of mutations) {
      const variables = Object.fromEntries(
        mutation.args.map((arg) => [arg.name, sampleInput(arg.type, integration.id)]),
      );
      const declared = mutation.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(", ");
      const passed = mutation.args.map((arg) => `${arg.name}: $${arg.name}`).join(", ");
      const document = parse(
        mutation.args.length > 0
          ? `mutation (${declared}) { ${mutation.name}(${passed}) { __typename } }`
          : `mutation { ${mutation.name} { __typename } }`,
      ) as TypedDocumentNode<Record<string, { __typename: string } | null>, Record<string, unknown>>;
      const result = await t.execute(document, variables, acme.viewer);
      answers[mutation.name] = result.data?.[mutation.name]?.__typename ?? JSON.stringify(result.errors);
    }
    expect(answers).toEqual(Object.fromEntries(mutations.map((m) => [m.name, "ForbiddenError"])));
    expect(await tableCounts(t.app)).toEqual(before);
  });
});

/** A well-formed value of an input type: every required field filled, lists of one. */
function sampleInput(type: GraphQLInputType, id: string): unknown {
  if (isNonNullType(type)) return sampleInput(type.ofType, id);
  if (isListType(type)) return [sampleInput(type.ofType, id)];
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((field) => isNonNullType(field.type))
        .map((field) => [field.name, sampleInput(field.type, id)]),
    );
  }
  const scalars: Record<string, unknown> = {
    ID: id,
    String: "sample",
    Int: 1,
    Float: 1,
    Boolean: true,
    DateTime: "2026-11-20T01:00:00.000Z",
    Decimal: "1.00",
    JSON: {},
  };
  if (!(type.name in scalars)) throw new Error(`no sample value for scalar ${type.name}`);
  return scalars[type.name];
}

describe("platforms", () => {
  it("lists the catalog with caps, reserve, limit and entities", async () => {
    const { platforms } = await t.data(PlatformsQuery, {}, acme.viewer);
    expect(platforms.map((p) => p.key)).toEqual(["XPM", "XERO_ACCOUNTING", "PSA"]);
    const xpm = platforms[0]!;
    expect(xpm.caps).toEqual({ concurrent: 3, perMinute: 60, perDay: 5000, dayResets: "UTC_MIDNIGHT" });
    expect(xpm.exportReserve).toEqual({ perMinute: 30, perDay: 4500 });
    expect(xpm.continuousConnectionLimit).toBe(25);
    expect(xpm.entities.map((e) => e.key)).toEqual(["client", "job", "staff", "time"]);
    const psa = platforms[2]!;
    expect(psa.entities.find((e) => e.key === "ticket")).toMatchObject({
      liveOnly: true,
      fetchOnFirstLink: false,
    });
  });
});

describe("connect, read, disconnect, reconnect, pause, resume", () => {
  it("connects, encrypts the credentials and queues the initial sync", async () => {
    const before = await t.app.db.prisma.syncRun.count();
    const payload = await connect(acme, { name: "Acme Practice", remoteTenantId: "xero-acme-1" });
    expect(payload.integration).toMatchObject({
      name: "Acme Practice",
      platformKey: "XPM",
      remoteTenantId: "xero-acme-1",
      status: "PENDING",
      syncMode: "CONTINUOUS",
      hasCredentials: true,
    });
    expect(payload.syncRun).toMatchObject({
      kind: "INITIAL",
      trigger: "CONNECT",
      lane: "INITIAL",
      status: "QUEUED",
    });
    expect(await t.app.db.prisma.syncRun.count()).toBe(before + 1);

    const row = await t.app.db.prisma.integration.findFirstOrThrow({
      where: { remoteTenantId: "xero-acme-1" },
    });
    expect(row.credentialsEncrypted).not.toContain("secret-access");
    const credentials = JSON.parse(decryptSecret(t.config.encryptionKey, row.credentialsEncrypted));
    expect(credentials.accessToken).toMatch(/^secret-access-/);
  });

  it("never exposes credentials through the schema", async () => {
    const schema = buildClientSchema(await introspect());
    const fields = Object.keys((schema.getType("Integration") as { getFields(): object }).getFields());
    expect(fields.filter((f) => /credential|token|secret/i.test(f))).toEqual(["hasCredentials"]);
  });

  it("reads an integration by id, with effective settings and runs", async () => {
    const { integration } = await connect(acme);
    const { integration: read } = await t.data(IntegrationQuery, { id: integration.id }, acme.viewer);
    if (read.__typename !== "Integration") throw new Error(read.__typename);
    expect(read.name).toBe(integration.name);
    expect(read.platform).toEqual({ key: "XPM", continuousConnectionLimit: 25 });
    expect(read.settings.oneOffSync).toEqual({ value: false, source: "TENANT" });
    expect(read.settings.entities.map((e) => e.entity)).toEqual(["client", "job", "staff", "time"]);
    expect(read.settings.entities.find((e) => e.entity === "time")?.frequencyMinutes).toEqual({
      value: 10,
      source: "DEFAULT",
    });
    expect(read.syncRuns.totalCount).toBe(1);
    expect(read.syncRuns.edges[0]?.node).toMatchObject({ kind: "INITIAL", status: "QUEUED" });

    const { node } = await t.data(NodeQuery, { id: integration.id }, acme.viewer);
    expect(node).toMatchObject({ __typename: "Integration", id: integration.id, name: integration.name });
  });

  it("reads a sync run with its packets and logs", async () => {
    const { syncRun, integration } = await connect(acme);
    const { syncRun: run } = await t.data(SyncRunQuery, { id: syncRun!.id }, acme.viewer);
    if (run.__typename !== "SyncRun") throw new Error(run.__typename);
    expect(run).toMatchObject({ kind: "INITIAL", status: "QUEUED", integration: { id: integration.id } });
    expect(run.requestedBy?.name).toBe("Owner");
    expect(run.packets.totalCount).toBe(0);
    expect(run.logs.totalCount).toBe(0);
  });

  it("pages and filters the integrations connection", async () => {
    const tenant = await t.createTenant("Pager");
    for (let i = 0; i < 3; i++) await connect(tenant, { platform: "XPM" });
    await connect(tenant, { platform: "PSA" });
    const page1 = await t.data(IntegrationsQuery, { platform: "XPM", first: 2 }, tenant.viewer);
    expect(page1.integrations.totalCount).toBe(3);
    expect(page1.integrations.edges).toHaveLength(2);
    expect(page1.integrations.pageInfo.hasNextPage).toBe(true);
    const page2 = await t.data(
      IntegrationsQuery,
      { platform: "XPM", first: 2, after: page1.integrations.pageInfo.endCursor },
      tenant.viewer,
    );
    expect(page2.integrations.edges).toHaveLength(1);
    expect(page2.integrations.pageInfo.hasNextPage).toBe(false);
    const psa = await t.data(IntegrationsQuery, { platform: "PSA" }, tenant.viewer);
    expect(psa.integrations.edges.map((e) => e.node.platformKey)).toEqual(["PSA"]);
    const pending = await t.data(IntegrationsQuery, { status: "PENDING" }, tenant.viewer);
    expect(pending.integrations.totalCount).toBe(4);
    const disconnected = await t.data(IntegrationsQuery, { status: "DISCONNECTED" }, tenant.viewer);
    expect(disconnected.integrations.totalCount).toBe(0);
  });

  it("disconnects (cancelling queued runs), refuses to reconnect a live one, reconnects with fresh credentials", async () => {
    const { integration, syncRun } = await connect(acme);
    const live = await t.data(
      ReconnectIntegrationMutation,
      { input: { integrationId: integration.id, credentials: { accessToken: "new" } } },
      acme.admin,
    );
    expect(live.reconnectIntegration).toMatchObject({
      __typename: "InvalidStateError",
      currentState: "PENDING",
    });

    const { disconnectIntegration } = await t.data(
      DisconnectIntegrationMutation,
      { id: integration.id },
      acme.admin,
    );
    if (disconnectIntegration.__typename !== "IntegrationPayload")
      throw new Error(disconnectIntegration.message);
    expect(disconnectIntegration.integration.status).toBe("DISCONNECTED");
    expect(disconnectIntegration.integration.disconnectedAt).not.toBeNull();
    const cancelled = await t.app.db.prisma.syncRun.findUniqueOrThrow({ where: { id: idOf(syncRun!.id) } });
    expect(cancelled.status).toBe("CANCELLED");

    const again = await t.data(DisconnectIntegrationMutation, { id: integration.id }, acme.admin);
    expect(again.disconnectIntegration.__typename).toBe("IntegrationPayload");

    const { reconnectIntegration } = await t.data(
      ReconnectIntegrationMutation,
      { input: { integrationId: integration.id, credentials: { accessToken: "fresh-token" } } },
      acme.admin,
    );
    if (reconnectIntegration.__typename !== "IntegrationPayload")
      throw new Error(reconnectIntegration.message);
    expect(reconnectIntegration.integration.status).toBe("PENDING");
    expect(reconnectIntegration.syncRun).toMatchObject({ kind: "INITIAL", status: "QUEUED" });
    const row = await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: idOf(integration.id) } });
    expect(JSON.parse(decryptSecret(t.config.encryptionKey, row.credentialsEncrypted)).accessToken).toBe(
      "fresh-token",
    );
  });

  it("pauses and resumes, with typed errors for the wrong state", async () => {
    const { integration } = await connect(acme);
    const notPaused = await t.data(ResumeIntegrationMutation, { id: integration.id }, acme.admin);
    expect(notPaused.resumeIntegration).toMatchObject({
      __typename: "InvalidStateError",
      currentState: "PENDING",
    });
    const paused = await t.data(PauseIntegrationMutation, { id: integration.id }, acme.admin);
    expect(paused.pauseIntegration).toMatchObject({ integration: { status: "PAUSED" } });
    const resumed = await t.data(ResumeIntegrationMutation, { id: integration.id }, acme.admin);
    // The initial sync has not succeeded yet, so it goes back to waiting for it.
    expect(resumed.resumeIntegration).toMatchObject({ integration: { status: "PENDING" } });
  });
});

describe("bad input gets typed errors and changes nothing", () => {
  it("rejects an empty name and an empty access token with field paths", async () => {
    const before = await tableCounts(t.app);
    const input = connectInput({ name: "  " });
    input.input.credentials.accessToken = "";
    const { connectIntegration } = await t.data(ConnectIntegrationMutation, input, acme.owner);
    expect(connectIntegration.__typename).toBe("ValidationError");
    if (connectIntegration.__typename !== "ValidationError") return;
    expect(connectIntegration.issues.map((i) => i.path)).toEqual([
      ["input", "name"],
      ["input", "credentials", "accessToken"],
    ]);
    expect(await tableCounts(t.app)).toEqual(before);
  });

  it("rejects an unknown platform at validation, before anything runs", async () => {
    const before = await tableCounts(t.app);
    const input = connectInput();
    const result = await t.execute(
      ConnectIntegrationMutation,
      { input: { ...input.input, platform: "MYOB" as never } },
      acme.owner,
    );
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.message).toMatch(/MYOB/);
    expect(await tableCounts(t.app)).toEqual(before);
  });

  it("rejects a second connection to the same remote organisation", async () => {
    await connect(acme, { remoteTenantId: "dup-remote" });
    const before = await tableCounts(t.app);
    const { connectIntegration } = await t.data(
      ConnectIntegrationMutation,
      connectInput({ remoteTenantId: "dup-remote" }),
      acme.owner,
    );
    expect(connectIntegration).toMatchObject({
      __typename: "ValidationError",
      issues: [{ path: ["input", "remoteTenantId"] }],
    });
    expect(await tableCounts(t.app)).toEqual(before);
  });

  it("answers malformed ids with a ValidationError naming the argument", async () => {
    for (const id of [
      "nonsense",
      globalId("SyncRun", "7a4c7cf8-8c3f-4a47-9a38-8d3c3ac3c3a1"),
      globalId("Integration", "42"),
    ]) {
      const { integration } = await t.data(IntegrationQuery, { id }, acme.owner);
      expect(integration).toMatchObject({ __typename: "ValidationError", issues: [{ path: ["id"] }] });
    }
    const { pauseIntegration } = await t.data(PauseIntegrationMutation, { id: "nonsense" }, acme.owner);
    expect(pauseIntegration).toMatchObject({ __typename: "ValidationError", issues: [{ path: ["id"] }] });
  });

  it("treats another tenant's ids as not found, for reads and writes", async () => {
    const { integration, syncRun } = await connect(other);
    const before = await tableCounts(t.app);
    const read = await t.data(IntegrationQuery, { id: integration.id }, acme.owner);
    expect(read.integration).toMatchObject({ __typename: "NotFoundError", resourceId: integration.id });
    const run = await t.data(SyncRunQuery, { id: syncRun!.id }, acme.owner);
    expect(run.syncRun.__typename).toBe("NotFoundError");
    const { node } = await t.data(NodeQuery, { id: integration.id }, acme.owner);
    expect(node).toBeNull();
    const list = await t.data(IntegrationsQuery, {}, acme.owner);
    expect(list.integrations.edges.map((e) => e.node.id)).not.toContain(integration.id);

    const pause = await t.data(PauseIntegrationMutation, { id: integration.id }, acme.owner);
    expect(pause.pauseIntegration.__typename).toBe("NotFoundError");
    const disconnect = await t.data(DisconnectIntegrationMutation, { id: integration.id }, acme.owner);
    expect(disconnect.disconnectIntegration.__typename).toBe("NotFoundError");
    const rule = await t.data(
      UpsertMappingRuleMutation,
      {
        input: {
          integrationId: integration.id,
          sourceType: "REVENUE_CATEGORY",
          sourceValue: "Classes",
          targetType: "ACCOUNT_CODE",
          targetValue: "200",
        },
      },
      acme.owner,
    );
    expect(rule.upsertMappingRule.__typename).toBe("NotFoundError");
    const settings = await t.data(
      UpdateIntegrationSettingsMutation,
      { input: { integrationId: integration.id, summarizeData: true } },
      acme.owner,
    );
    expect(settings.updateIntegrationSettings.__typename).toBe("NotFoundError");
    expect(await tableCounts(t.app)).toEqual(before);
    const untouched = await t.app.db.prisma.integration.findUniqueOrThrow({
      where: { id: idOf(integration.id) },
    });
    expect(untouched.status).toBe("PENDING");
  });
});

describe("continuous-connection limit and one-off sync", () => {
  it("gives the 26th continuous Xero connection a typed limit error, and one-off connections don't count", async () => {
    const tenant = await t.createTenant("Limits");
    for (let i = 0; i < 25; i++) await connect(tenant, { platform: "XERO_ACCOUNTING" });
    const before = await tableCounts(t.app);
    const { connectIntegration } = await t.data(
      ConnectIntegrationMutation,
      connectInput({ platform: "XERO_ACCOUNTING" }),
      tenant.owner,
    );
    expect(connectIntegration).toMatchObject({
      __typename: "ContinuousConnectionLimitError",
      platformKey: "XERO_ACCOUNTING",
      limit: 25,
      current: 25,
    });
    expect(await tableCounts(t.app)).toEqual(before);

    // Another platform has its own limit.
    expect((await connect(tenant, { platform: "XPM" })).integration.syncMode).toBe("CONTINUOUS");

    // One-off for this platform: the connection goes through and does not count.
    await t.data(
      UpdatePlatformSettingsMutation,
      { input: { platform: "XERO_ACCOUNTING", oneOffSync: true } },
      tenant.admin,
    );
    const oneOff = await connect(tenant, { platform: "XERO_ACCOUNTING" });
    expect(oneOff.integration.syncMode).toBe("ONE_OFF");

    // Disconnecting one continuous connection frees a slot.
    await t.data(
      UpdatePlatformSettingsMutation,
      { input: { platform: "XERO_ACCOUNTING", oneOffSync: null } },
      tenant.admin,
    );
    const list = await t.data(IntegrationsQuery, { platform: "XERO_ACCOUNTING", first: 1 }, tenant.owner);
    await t.data(DisconnectIntegrationMutation, { id: list.integrations.edges[0]!.node.id }, tenant.owner);
    expect((await connect(tenant, { platform: "XERO_ACCOUNTING" })).integration.syncMode).toBe("CONTINUOUS");
  });
});

describe("settings in three layers", () => {
  it("shows each effective value with the layer it comes from", async () => {
    const tenant = await t.createTenant("Layers");
    const { integration } = await connect(tenant, { platform: "XERO_ACCOUNTING" });

    const tenantUpdate = await t.data(
      UpdateTenantSettingsMutation,
      { input: { summarizeData: true, nightlySyncTime: "03:30", timeZone: "Pacific/Auckland" } },
      tenant.admin,
    );
    expect(tenantUpdate.updateTenantSettings).toMatchObject({
      tenantSettings: {
        summarizeData: true,
        nightlySyncTime: "03:30",
        timeZone: "Pacific/Auckland",
        oneOffSync: false,
      },
    });
    expect((await t.data(TenantSettingsQuery, {}, tenant.viewer)).tenantSettings.summarizeData).toBe(true);

    await t.data(
      UpdatePlatformSettingsMutation,
      { input: { platform: "XERO_ACCOUNTING", summarizeData: false, nightlySyncTime: "01:00" } },
      tenant.admin,
    );
    const platform = await t.data(PlatformSettingsQuery, { platform: "XERO_ACCOUNTING" }, tenant.viewer);
    expect(platform.platformSettings).toMatchObject({
      summarizeData: false,
      oneOffSync: null,
      effective: {
        summarizeData: { value: false, source: "PLATFORM" },
        oneOffSync: { value: false, source: "TENANT" },
      },
    });

    const { updateIntegrationSettings } = await t.data(
      UpdateIntegrationSettingsMutation,
      {
        input: {
          integrationId: integration.id,
          summarizeData: true,
          entities: [{ entity: "account", enabled: false, frequencyMinutes: 720 }],
        },
      },
      tenant.admin,
    );
    if (updateIntegrationSettings.__typename !== "IntegrationSettingsPayload")
      throw new Error("expected payload");
    const settings = updateIntegrationSettings.integration.settings;
    expect(settings.summarizeData).toEqual({ value: true, source: "INTEGRATION" });
    expect(settings.entities.find((e) => e.entity === "account")).toMatchObject({
      enabled: { value: false, source: "INTEGRATION" },
      frequencyMinutes: { value: 720, source: "INTEGRATION" },
    });
    expect(settings.entities.find((e) => e.entity === "taxRate")?.enabled).toEqual({
      value: true,
      source: "DEFAULT",
    });

    const read = await t.data(IntegrationQuery, { id: integration.id }, tenant.viewer);
    if (read.integration.__typename !== "Integration") throw new Error("expected integration");
    expect(read.integration.settings.nightlySyncTime).toEqual({ value: "01:00", source: "PLATFORM" });
  });

  it("rejects unknown entities, custom fields where none exist, bad times and zones, changing nothing", async () => {
    const tenant = await t.createTenant("Bad settings");
    const { integration } = await connect(tenant, { platform: "XPM" });
    const before = await tableCounts(t.app);
    const { updateIntegrationSettings } = await t.data(
      UpdateIntegrationSettingsMutation,
      {
        input: {
          integrationId: integration.id,
          summarizeData: true,
          entities: [
            { entity: "client", customFields: ["Industry"] },
            { entity: "invoice", enabled: true },
            { entity: "staff", customFields: ["Shoe size"] },
          ],
        },
      },
      tenant.admin,
    );
    expect(updateIntegrationSettings).toMatchObject({
      __typename: "ValidationError",
      issues: [
        { path: ["input", "entities", "1", "entity"] },
        { path: ["input", "entities", "2", "customFields"] },
      ],
    });
    const badFrequency = await t.data(
      UpdateIntegrationSettingsMutation,
      { input: { integrationId: integration.id, entities: [{ entity: "client", frequencyMinutes: 0 }] } },
      tenant.admin,
    );
    expect(badFrequency.updateIntegrationSettings).toMatchObject({
      issues: [{ path: ["input", "entities", "0", "frequencyMinutes"] }],
    });
    const badTenant = await t.data(
      UpdateTenantSettingsMutation,
      { input: { nightlySyncTime: "25:00", timeZone: "Mars/Olympus", summarizeData: true } },
      tenant.admin,
    );
    expect(badTenant.updateTenantSettings).toMatchObject({
      __typename: "ValidationError",
      issues: [{ path: ["input", "nightlySyncTime"] }, { path: ["input", "timeZone"] }],
    });
    expect(await tableCounts(t.app)).toEqual(before);
    const settings = await t.app.db.prisma.tenantSettings.findUniqueOrThrow({
      where: { tenantId: tenant.id },
    });
    expect(settings.summarizeData).toBe(false);
    const row = await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: idOf(integration.id) } });
    expect(row.summarizeData).toBeNull();
  });
});

describe("mapping rules", () => {
  it("upserts specific and default rules, lists them, and deletes one", async () => {
    const tenant = await t.createTenant("Mapping");
    const { integration } = await connect(tenant, { platform: "XERO_ACCOUNTING" });
    const rule = (sourceValue: string | null, targetValue: string) => ({
      input: {
        integrationId: integration.id,
        sourceType: "REVENUE_CATEGORY" as const,
        sourceValue,
        targetType: "ACCOUNT_CODE" as const,
        targetValue,
      },
    });
    const created = await t.data(UpsertMappingRuleMutation, rule("Classes", "200"), tenant.admin);
    expect(created.upsertMappingRule).toMatchObject({
      mappingRule: { sourceValue: "Classes", isDefault: false },
    });
    const replaced = await t.data(UpsertMappingRuleMutation, rule("Classes", "210"), tenant.admin);
    expect(replaced.upsertMappingRule).toMatchObject({ mappingRule: { targetValue: "210" } });
    await t.data(UpsertMappingRuleMutation, rule(null, "299"), tenant.admin);

    const read = await t.data(IntegrationQuery, { id: integration.id }, tenant.viewer);
    if (read.integration.__typename !== "Integration") throw new Error("expected integration");
    const rules = read.integration.mappingRules.edges.map((e) => e.node);
    expect(read.integration.mappingRules.totalCount).toBe(2);
    expect(rules.map((r) => [r.sourceValue, r.isDefault, r.targetValue])).toEqual([
      [null, true, "299"],
      ["Classes", false, "210"],
    ]);

    const empty = await t.data(UpsertMappingRuleMutation, rule("Retail", " "), tenant.admin);
    expect(empty.upsertMappingRule).toMatchObject({ issues: [{ path: ["input", "targetValue"] }] });

    const ruleId = rules[1]!.id;
    const forbidden = await t.data(DeleteMappingRuleMutation, { id: ruleId }, tenant.viewer);
    expect(forbidden.deleteMappingRule.__typename).toBe("ForbiddenError");
    const foreign = await t.data(DeleteMappingRuleMutation, { id: ruleId }, acme.owner);
    expect(foreign.deleteMappingRule.__typename).toBe("NotFoundError");
    const deleted = await t.data(DeleteMappingRuleMutation, { id: ruleId }, tenant.admin);
    expect(deleted.deleteMappingRule).toEqual({ __typename: "DeleteMappingRulePayload", deletedId: ruleId });
    expect(await t.app.db.prisma.mappingRule.count({ where: { integrationId: idOf(integration.id) } })).toBe(
      1,
    );
  });
});

describe("schema documentation", () => {
  it("describes every type, field, argument and enum value", async () => {
    const missing: string[] = [];
    for (const type of (await introspect()).__schema.types) {
      if (type.name.startsWith("__") || ["String", "Int", "Boolean", "ID", "Float"].includes(type.name))
        continue;
      if (!type.description) missing.push(type.name);
      const fields = "fields" in type && type.fields ? type.fields : [];
      for (const field of fields) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args)
          if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
      const inputs = "inputFields" in type && type.inputFields ? type.inputFields : [];
      for (const field of inputs) if (!field.description) missing.push(`${type.name}.${field.name}`);
      const values = "enumValues" in type && type.enumValues ? type.enumValues : [];
      for (const value of values) if (!value.description) missing.push(`${type.name}.${value.name}`);
    }
    expect(missing).toEqual([]);
  });
});

async function introspect(): Promise<IntrospectionQuery> {
  const document = parse(getIntrospectionQuery()) as TypedDocumentNode<
    IntrospectionQuery,
    Record<string, never>
  >;
  return t.data(document, {}, acme.viewer);
}

function idOf(global: string): string {
  return Buffer.from(global, "base64").toString("utf8").split(":")[1]!;
}
