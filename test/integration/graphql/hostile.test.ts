import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import fc from "fast-check";
import {
  type GraphQLField,
  type GraphQLInputType,
  getNamedType,
  getNullableType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failFlow } from "../../../src/connections/flows.ts";
import { sqlOf } from "../../../src/db/client.ts";
import { globalId, parseGlobalId } from "../../../src/graphql/ids.ts";
import { schema } from "../../../src/graphql/schema/index.ts";
import { markNeedsAuthorization } from "../../../src/integrations/integration-state.ts";
import { callProvider } from "../../../src/platforms/http.ts";
import { settlePacket } from "../../../src/push/packet-state.ts";
import { settleExport } from "../../../src/sync/export-state.ts";
import { appendLog } from "../../../src/sync/logs.ts";
import { timeScale } from "../../../src/time.ts";
import { describeFailure } from "../../../src/webhooks/deliverer.ts";
import { ConnectIntegrationMutation, UpsertMappingRuleMutation } from "../../operations.ts";
import { startTestApp, type TestApp, type TestTenant, tableCounts } from "../../support/harness.ts";

let t: TestApp;
let acme: TestTenant;
let other: TestTenant;
let ownIntegration: string;
let otherIntegration: string;
/** Every response body this file received, to grep for secrets at the end. */
const responses: string[] = [];

const SECRET_ACCESS = "hostile-secret-access-7f3a9c";
const SECRET_REFRESH = "hostile-secret-refresh-2b8d41";

async function connect(tenant: TestTenant, remote: string) {
  const { connectIntegration } = await t.data(
    ConnectIntegrationMutation,
    {
      input: {
        platform: "XPM",
        name: `Practice ${remote}`,
        remoteTenantId: remote,
        credentials: { accessToken: SECRET_ACCESS, refreshToken: SECRET_REFRESH },
      },
    },
    tenant.owner,
  );
  if (connectIntegration.__typename !== "IntegrationPayload") throw new Error(connectIntegration.message);
  return connectIntegration.integration.id;
}

beforeAll(async () => {
  t = await startTestApp();
  acme = await t.createTenant("Acme");
  other = await t.createTenant("Other");
  ownIntegration = await connect(acme, "remote-own");
  otherIntegration = await connect(other, "remote-other");
});
afterAll(() => t.close());

async function raw(query: string, variables: Record<string, unknown>, token: string) {
  const response = await t.app.yoga.fetch("http://syncline.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    // The deep value is spliced in as text: building it as an object and stringifying it recurses as deep.
    body: JSON.stringify({ query, variables }).replaceAll('"DEEP_JSON"', DEEP_JSON_TEXT),
  });
  const text = await response.text();
  responses.push(text);
  return { status: response.status, text, body: JSON.parse(text) as { data?: unknown; errors?: Err[] } };
}
type Err = { message: string; extensions?: { code?: string } };

/** The first event a subscription sends over SSE (its error, when it is refused at the start). */
async function firstEvent(query: string, variables: Record<string, unknown>, token: string) {
  const response = await t.app.yoga.fetch("http://syncline.test/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const match = /^data: (.*)\r?\n\r?\n/m.exec(text);
      if (match) {
        responses.push(match[1]!);
        return JSON.parse(match[1]!) as { data?: unknown; errors?: Err[] };
      }
      const { done, value } = await reader.read();
      if (done) throw new Error(`the stream ended without an event: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

// ---- hostile values, by GraphQL input type ----

const hostileString = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "a\u0000b",
    "\u0000",
    "lone \ud800 surrogate",
    "\udfff",
    "line\r\nbreak",
    "__proto__",
    "constructor",
    "x".repeat(300),
    "y".repeat(1_000_001),
    "😀",
    '\'; DROP TABLE "Tenant"; --',
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
);
const hostileId = fc.oneof(
  hostileString,
  fc.constantFrom(
    "AAAA",
    Buffer.from("Integration:not-a-uuid").toString("base64"),
    Buffer.from("Nope:00000000-0000-0000-0000-000000000000").toString("base64"),
    globalId("Integration", "00000000-0000-0000-0000-000000000000"),
    globalId("SyncRun", "00000000-0000-0000-0000-000000000000"),
  ),
  fc.constant("OWN"),
  fc.constant("OTHER"),
);
const hostileDate = fc.constantFrom(
  "2026-02-30T00:00:00Z",
  "-271821-04-20T00:00:00Z",
  "+275760-09-13T00:00:00Z",
  "0000-01-01T00:00:00Z",
  "2026-13-01T00:00:00Z",
  "not a date",
  "2026-11-23T02:00:00Z",
);
/** A JSON value nested 5,000 deep, as the text sent in place of the "DEEP_JSON" marker. */
const DEEP_JSON_TEXT = `${'{"a":'.repeat(5000)}"leaf"${"}".repeat(5000)}`;
const deepJson = (depth: number): unknown => {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};
const hostileJson = fc.oneof(
  fc.constantFrom(
    // A marker, replaced by DEEP_JSON_TEXT when sent: fast-check cannot print a 5,000-deep value.
    "DEEP_JSON",
    deepJson(40),
    { __proto__: 1, constructor: 2 },
    JSON.parse('{"__proto__":{"x":1}}'),
  ),
  fc.constant("z".repeat(200_000)),
  fc.jsonValue({ maxDepth: 3 }),
);
const hostileInt = fc.constantFrom(-1, 0, 1, 2_147_483_647, -2_147_483_648, 100_000);

function arbitraryFor(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  const nullable = !isNonNullType(type);
  const inner = getNullableType(type) as GraphQLInputType;
  let arb: fc.Arbitrary<unknown>;
  if (isListType(inner)) {
    arb = fc.array(arbitraryFor(inner.ofType, depth + 1), { minLength: 0, maxLength: 2 });
  } else if (isInputObjectType(inner)) {
    if (depth > 4) return fc.constant(null);
    const fields = Object.values(inner.getFields());
    arb = fc.record(Object.fromEntries(fields.map((f) => [f.name, arbitraryFor(f.type, depth + 1)])));
  } else if (isEnumType(inner)) {
    arb = fc.constantFrom(...inner.getValues().map((v) => v.name));
  } else if (isScalarType(inner)) {
    arb =
      inner.name === "ID"
        ? hostileId
        : inner.name === "DateTime"
          ? hostileDate
          : inner.name === "JSON"
            ? hostileJson
            : inner.name === "Int"
              ? hostileInt
              : inner.name === "Float"
                ? fc.constantFrom(-1, 0, 1e308, 0.5)
                : inner.name === "Boolean"
                  ? fc.boolean()
                  : inner.name === "Decimal"
                    ? fc.constantFrom("1.00", "-99999999999999.99", "1e5", "")
                    : hostileString;
  } else {
    arb = fc.constant(null);
  }
  return nullable ? fc.option(arb, { nil: null, freq: 5 }) : arb;
}

/** OWN and OTHER stand for the tenants' real integration ids, so commands get past the lookup. */
function resolveIds(value: unknown): unknown {
  if (value === "OWN") return ownIntegration;
  if (value === "OTHER") return otherIntegration;
  if (Array.isArray(value)) return value.map(resolveIds);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveIds(v)]));
  }
  return value;
}

function typeString(type: GraphQLInputType): string {
  return String(type);
}

function operationFor(kind: "mutation" | "query", field: GraphQLField<unknown, unknown>) {
  const vars = field.args.map((a) => `$${a.name}: ${typeString(a.type)}`).join(", ");
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(", ");
  const selection = isCompositeType(getNamedType(field.type)) ? "{ __typename }" : "";
  return `${kind}${vars ? `(${vars})` : ""} { ${field.name}${args ? `(${args})` : ""} ${selection} }`;
}

/** A typed answer: success, a typed error member, or GraphQL errors that each carry a code or are GraphQL's own coercion errors. */
function expectTyped(label: string, status: number, body: { errors?: Err[] }) {
  expect(status, label).toBeLessThan(500);
  for (const error of body.errors ?? []) {
    expect(error.message, label).not.toMatch(/Unexpected error/);
    const typed = error.extensions?.code !== undefined || /^Variable "\$/.test(error.message);
    expect(typed, `${label}: ${error.message.slice(0, 200)}`).toBe(true);
  }
}

function refused(body: { data?: unknown; errors?: Err[] }, field: string): boolean {
  if (body.errors?.length) return true;
  const result = (body.data as Record<string, { __typename?: string } | null> | null)?.[field];
  return typeof result?.__typename === "string" && result.__typename.endsWith("Error");
}

describe("hostile input, driven from the schema", () => {
  const RUNS = 12;

  it("answers every mutation typed, and a refusal changes nothing", async () => {
    const mutations = Object.values(schema.getMutationType()!.getFields());
    expect(mutations.length).toBeGreaterThan(10);
    let cases = 0;
    for (const mutation of mutations) {
      const query = operationFor("mutation", mutation);
      const args = fc.record(Object.fromEntries(mutation.args.map((a) => [a.name, arbitraryFor(a.type)])));
      await fc.assert(
        fc.asyncProperty(args, async (generated) => {
          cases++;
          const variables = resolveIds(generated) as Record<string, unknown>;
          const before = await tableCounts(t.app);
          const { status, body } = await raw(query, variables, acme.owner);
          expectTyped(mutation.name, status, body);
          if (refused(body, mutation.name)) expect(await tableCounts(t.app), mutation.name).toEqual(before);
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    }
    console.log(`${mutations.length} mutations, ${cases} hostile cases`);
    const alive = await raw("{ viewer { id } }", {}, acme.viewer);
    expect(alive.body.errors).toBeUndefined();
  }, 600_000);

  it("answers every id-taking query field typed, node included", async () => {
    const fields = Object.values(schema.getQueryType()!.getFields()).filter((f) =>
      f.args.some((a) => getNamedType(a.type).name === "ID" || a.name === "after" || a.name === "first"),
    );
    expect(fields.map((f) => f.name)).toContain("node");
    let cases = 0;
    for (const field of fields) {
      const query = operationFor("query", field);
      const args = fc.record(Object.fromEntries(field.args.map((a) => [a.name, arbitraryFor(a.type)])));
      await fc.assert(
        fc.asyncProperty(args, async (generated) => {
          cases++;
          const { status, body } = await raw(
            query,
            resolveIds(generated) as Record<string, unknown>,
            acme.viewer,
          );
          expectTyped(field.name, status, body);
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    }
    console.log(`${fields.length} id-taking query fields, ${cases} hostile cases`);
    const alive = await raw("{ viewer { id } }", {}, acme.viewer);
    expect(alive.body.errors).toBeUndefined();
  }, 600_000);

  it("refuses the inputs the issue named, each a ValidationError with the field's path", async () => {
    const cases: [string, Record<string, unknown>, string[]][] = [
      [
        "token with a line break",
        { accessToken: "abc\r\nInjected: 1" },
        ["input", "credentials", "accessToken"],
      ],
      ["token with NUL", { accessToken: "abc\u0000def" }, ["input", "credentials", "accessToken"]],
      ["megabyte token", { accessToken: "t".repeat(1_000_000) }, ["input", "credentials", "accessToken"]],
      ["year -271821", { accessToken: "ok-token", expiresAt: "-271821-04-20T00:00:00Z" }, []],
      ["30 February", { accessToken: "ok-token", expiresAt: "2026-02-30T00:00:00Z" }, []],
    ];
    for (const [label, credentials, path] of cases) {
      const before = await tableCounts(t.app);
      const result = await t.execute(
        ConnectIntegrationMutation,
        { input: { platform: "XPM", name: "X", remoteTenantId: `r-${label}`, credentials } as never },
        acme.owner,
      );
      responses.push(JSON.stringify(result));
      if (path.length > 0) {
        expect(result.data?.connectIntegration, label).toMatchObject({ __typename: "ValidationError" });
        const issues = (result.data!.connectIntegration as { issues: { path: string[] }[] }).issues;
        expect(
          issues.map((i) => i.path),
          label,
        ).toContainEqual(path);
      } else {
        expect(result.errors?.[0]?.extensions?.code, label).toBe("BAD_USER_INPUT");
      }
      expect(await tableCounts(t.app), label).toEqual(before);
    }
    // A NUL in a mapping value, and an empty integration id for ingestOrders.
    const mapping = await t.data(
      UpsertMappingRuleMutation,
      {
        input: {
          integrationId: ownIntegration,
          sourceType: "REVENUE_CATEGORY",
          sourceValue: "a\u0000b",
          targetType: "ACCOUNT_CODE",
          targetValue: "200",
        },
      } as never,
      acme.owner,
    );
    expect(mapping.upsertMappingRule).toMatchObject({ __typename: "ValidationError" });
    const empty = await raw(
      `mutation { ingestOrders(input: { integrationId: "", orders: [] }) { __typename ... on ValidationError { issues { path } } } }`,
      {},
      acme.owner,
    );
    expect(JSON.stringify(empty.body)).toContain("integrationId");
  });

  it("refuses every stored string over its field's maximum length, with the field's path", async () => {
    const emojiNames = Array.from({ length: 50 }, (_, i) => `${i}${"😀".repeat(49)}`);
    const cases: [string, string, Record<string, unknown>, string[]][] = [
      [
        "connectIntegration",
        "ConnectIntegrationInput",
        {
          platform: "XPM",
          name: "n".repeat(201),
          remoteTenantId: "r",
          credentials: { accessToken: "ok-token" },
        },
        ["input", "name"],
      ],
      [
        "connectIntegration",
        "ConnectIntegrationInput",
        {
          platform: "XPM",
          name: "n",
          remoteTenantId: "r".repeat(201),
          credentials: { accessToken: "ok-token" },
        },
        ["input", "remoteTenantId"],
      ],
      [
        "upsertMappingRule",
        "UpsertMappingRuleInput",
        {
          integrationId: ownIntegration,
          sourceType: "REVENUE_CATEGORY",
          sourceValue: "s".repeat(201),
          targetType: "ACCOUNT_CODE",
          targetValue: "200",
        },
        ["input", "sourceValue"],
      ],
      [
        "upsertMappingRule",
        "UpsertMappingRuleInput",
        {
          integrationId: ownIntegration,
          sourceType: "REVENUE_CATEGORY",
          targetType: "ACCOUNT_CODE",
          targetValue: "t".repeat(201),
        },
        ["input", "targetValue"],
      ],
      [
        "enqueueExports",
        "EnqueueExportsInput",
        {
          integrationId: ownIntegration,
          items: [{ entity: "job", remoteId: "j".repeat(256), field: "name", value: "x" }],
        },
        ["input", "items", "0", "remoteId"],
      ],
      [
        "updateIntegrationSettings",
        "UpdateIntegrationSettingsInput",
        { integrationId: ownIntegration, entities: [{ entity: "e".repeat(101) }] },
        ["input", "entities", "0", "entity"],
      ],
      [
        "updateIntegrationSettings",
        "UpdateIntegrationSettingsInput",
        { integrationId: ownIntegration, entities: [{ entity: "client", customFields: ["f".repeat(101)] }] },
        ["input", "entities", "0", "customFields", "0"],
      ],
      [
        "updateIntegrationSettings",
        "UpdateIntegrationSettingsInput",
        {
          integrationId: ownIntegration,
          entities: [{ entity: "client", customFields: Array.from({ length: 51 }, (_, i) => `f${i}`) }],
        },
        ["input", "entities", "0", "customFields"],
      ],
      // Each name within its 100 characters, 50 of them, yet over 8 KB as JSON: the bounded-JSON check.
      [
        "updateIntegrationSettings",
        "UpdateIntegrationSettingsInput",
        { integrationId: ownIntegration, entities: [{ entity: "client", customFields: emojiNames }] },
        ["input", "entities", "0", "customFields"],
      ],
      [
        "updateTenantSettings",
        "UpdateTenantSettingsInput",
        { timeZone: "Z".repeat(101) },
        ["input", "timeZone"],
      ],
      [
        "createWebhookEndpoint",
        "CreateWebhookEndpointInput",
        { url: `https://example.com/${"u".repeat(2001)}`, events: ["INTEGRATION_STATUS_CHANGED"] },
        ["input", "url"],
      ],
      [
        "createWebhookEndpoint",
        "CreateWebhookEndpointInput",
        {
          url: "https://example.com/hook",
          events: ["INTEGRATION_STATUS_CHANGED"],
          description: "d".repeat(501),
        },
        ["input", "description"],
      ],
      [
        "startConnection",
        "StartConnectionInput",
        { platform: "XPM", integrationId: "" },
        ["input", "integrationId"],
      ],
    ];
    for (const [field, inputType, input, path] of cases) {
      const label = `${field} ${path.join(".")}`;
      const before = await tableCounts(t.app);
      const { status, body } = await raw(
        `mutation($input: ${inputType}!) { ${field}(input: $input) { __typename ... on ValidationError { issues { path message } } } }`,
        { input },
        acme.owner,
      );
      expectTyped(label, status, body);
      const result = (body.data as Record<string, { __typename: string; issues?: { path: string[] }[] }>)[
        field
      ]!;
      expect(result.__typename, `${label}: ${JSON.stringify(body).slice(0, 300)}`).toBe("ValidationError");
      expect(
        result.issues!.map((i) => i.path),
        label,
      ).toContainEqual(path);
      expect(await tableCounts(t.app), label).toEqual(before);
    }
  });

  it("refuses an empty id in every subscription, and answers NotFound for another tenant's", async () => {
    const otherRun = await t.app.db.prisma.syncRun.create({
      data: {
        tenantId: other.id,
        integrationId: parseGlobalId(otherIntegration, "Integration", ["id"]),
        kind: "DAILY",
        trigger: "SCHEDULE",
        lane: "DAILY",
      },
    });
    const theirs: Record<string, string> = {
      integrationId: otherIntegration,
      runId: globalId("SyncRun", otherRun.id),
      id: globalId("SyncRun", otherRun.id),
    };
    const fields = Object.values(schema.getSubscriptionType()!.getFields()).filter((f) =>
      f.args.some((a) => getNamedType(a.type).name === "ID"),
    );
    expect(fields.map((f) => f.name)).toContain("integrationStatusChanged");
    for (const field of fields) {
      const idArg = field.args.find((a) => getNamedType(a.type).name === "ID")!;
      const query = `subscription($id: ID) { ${field.name}(${idArg.name}: $id) { __typename } }`.replace(
        "$id: ID",
        `$id: ${typeString(idArg.type)}`,
      );
      for (const [value, code] of [
        ["", "BAD_USER_INPUT"],
        ["AAAA", "BAD_USER_INPUT"],
        [theirs[idArg.name]!, "NOT_FOUND"],
      ] as const) {
        const first = await firstEvent(query, { id: value }, acme.viewer);
        expect(
          first.errors?.[0]?.extensions?.code,
          `${field.name}(${idArg.name}: ${JSON.stringify(value)})`,
        ).toBe(code);
      }
    }
  });

  it("answers an order with thousands of problems with at most 100 of them, changing nothing", async () => {
    const item = { revenueCategory: "", quantity: "1", netAmount: "1.00", taxRate: "", taxAmount: "0.00" };
    const order = {
      externalId: "huge-bad-order",
      orderedAt: "2026-11-02T10:00:00Z",
      currency: "NZD",
      totalAmount: "1.00",
      items: Array.from({ length: 500 }, () => item),
      payments: [{ method: "", amount: "1.00" }],
    };
    const before = await tableCounts(t.app);
    const { status, body } = await raw(
      `mutation($input: IngestOrdersInput!) { ingestOrders(input: $input) { __typename
        ... on IngestOrdersPayload { created rejected { index issues { path } } } } }`,
      { input: { orders: [order] } },
      acme.owner,
    );
    expectTyped("ingestOrders", status, body);
    const result = (body.data as { ingestOrders: { created: number; rejected: { issues: unknown[] }[] } })
      .ingestOrders;
    expect(result.created).toBe(0);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]!.issues).toHaveLength(100);
    expect(await tableCounts(t.app)).toEqual(before);
  });

  it("names the roles that may in a ForbiddenError", async () => {
    const { body } = await raw(
      `mutation($id: ID!) { disconnectIntegration(id: $id) { __typename ... on ForbiddenError { requiredRoles } } }`,
      { id: ownIntegration },
      acme.viewer,
    );
    expect(JSON.stringify(body)).toContain("ForbiddenError");
    const roles = (body.data as { disconnectIntegration: { requiredRoles?: string[] } }).disconnectIntegration
      .requiredRoles;
    expect(roles).not.toContain("VIEWER");
  });
});

describe("secrets never leave", () => {
  it("records a call that fails before an answer without its headers", async () => {
    const server = createServer((_req, res) => res.end("{}"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const secret = "leaky-token-93e1d0\r\nX-Injected: yes";
    try {
      const outcome = await callProvider(
        {
          platform: "XPM",
          baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
          method: "GET",
          path: "job.api/list",
          accessToken: secret,
          remoteTenantId: "tenant",
          timeoutMs: 5000,
        } as never,
        timeScale(),
      );
      const text = JSON.stringify(outcome);
      expect(text).not.toContain("leaky-token-93e1d0");
      expect(outcome.kind).toBe("retryable");
    } finally {
      server.close();
    }
  });

  it("redacts credentials from stored run log lines", async () => {
    const integration = await t.app.db.prisma.integration.findFirstOrThrow({ where: { tenantId: acme.id } });
    const run = await t.app.db.prisma.syncRun.create({
      data: {
        tenantId: acme.id,
        integrationId: integration.id,
        kind: "DAILY",
        trigger: "SCHEDULE",
        lane: "DAILY",
      },
    });
    await appendLog(
      t.app.db.prisma,
      run.id,
      "ERROR",
      null,
      `call failed: Authorization: Bearer ${SECRET_ACCESS} {"refresh_token":"${SECRET_REFRESH}"}`,
    );
    const lines = await t.app.db.prisma.syncLog.findMany({ where: { runId: run.id } });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).not.toContain(SECRET_ACCESS);
    expect(lines[0]!.message).not.toContain(SECRET_REFRESH);
  });

  it("redacts credentials from every stored error column, whatever the caller passes", async () => {
    // The first line of defence (platforms/http.ts) keeps headers out of call errors; these messages
    // bypass it, as a careless future caller might, to show the second line: each column stores them
    // redacted.
    const leak = `fetch failed: Authorization: Bearer ${SECRET_ACCESS} {"refresh_token":"${SECRET_REFRESH}"}`;
    const prisma = t.app.db.prisma;
    const sql = sqlOf(prisma);
    const integrationId = parseGlobalId(await connect(acme, "remote-secrets"), "Integration", ["id"]);
    const fence = 7;
    await prisma.$executeRawUnsafe(
      `INSERT INTO "ActivationFence" ("integrationId", fence) VALUES ($1::uuid, $2)
       ON CONFLICT ("integrationId") DO UPDATE SET fence = EXCLUDED.fence`,
      integrationId,
      fence,
    );

    // ExportItem.error: a refusal, and an outcome in doubt.
    const exports = await Promise.all(
      ["failed", "inDoubt"].map((kind) =>
        prisma.exportItem.create({
          data: {
            integrationId,
            entity: "job",
            remoteId: `J-${kind}`,
            field: "name",
            value: "x",
            status: "SENDING",
            idempotencyKey: `secrets-${kind}`,
            fence,
          },
        }),
      ),
    );
    await settleExport(
      sql,
      exports[0] as never,
      { kind: "failed", code: "PLATFORM_REJECTED", message: leak },
      fence,
    );
    await settleExport(
      sql,
      exports[1] as never,
      { kind: "inDoubt", notBefore: new Date(), message: leak },
      fence,
    );

    // SyncPacket.errorMessage: a refusal, and a retry.
    const run = await prisma.syncRun.create({
      data: { tenantId: acme.id, integrationId, kind: "PUSH", trigger: "USER", lane: "INTERACTIVE" },
    });
    for (const [sequence, settlement] of [
      [1, { kind: "failed", code: "PLATFORM_REJECTED", message: leak }],
      [2, { kind: "retry", notBefore: new Date(), message: leak }],
    ] as const) {
      const packet = await prisma.syncPacket.create({
        data: {
          runId: run.id,
          integrationId,
          sequence,
          state: "SENDING",
          idempotencyKey: `secrets-packet-${sequence}`,
          label: `P-${sequence}`,
          fence,
        },
      });
      await settlePacket(prisma, packet as never, settlement, fence);
    }

    // Integration.lastError, ConnectionFlow.error, and a webhook attempt's error.
    const integration = await prisma.integration.findUniqueOrThrow({ where: { id: integrationId } });
    const moved = await markNeedsAuthorization(
      prisma,
      integration,
      "CREDENTIALS_REFUSED",
      leak,
      integration.credentialsVersion,
    );
    expect(moved.integration).toBeTruthy();
    const flow = await prisma.connectionFlow.create({
      data: {
        tenantId: acme.id,
        platform: "XPM",
        name: "Secrets",
        stateHash: "secrets-state-hash",
        codeVerifierEncrypted: "x",
        expiresAt: new Date(Date.now() + 60_000),
      },
    });
    await failFlow(prisma, flow, leak);
    const attemptError = describeFailure(Object.assign(new Error(leak), { code: "EPROTO" }));

    const stored = {
      exports: (await prisma.exportItem.findMany({ where: { integrationId } })).map((e) => e.error),
      packets: (await prisma.syncPacket.findMany({ where: { runId: run.id } })).map((p) => p.errorMessage),
      lastError: (await prisma.integration.findUniqueOrThrow({ where: { id: integrationId } })).lastError,
      flow: (await prisma.connectionFlow.findUniqueOrThrow({ where: { id: flow.id } })).error,
      attemptError,
    };
    const texts = Object.values(stored).flat();
    expect(texts).toHaveLength(7);
    for (const text of texts) {
      expect(text).toContain("[redacted]");
      expect(text).not.toContain(SECRET_ACCESS);
      expect(text).not.toContain(SECRET_REFRESH);
    }
  });

  it("keeps every secret this file used out of log lines, stored messages and responses", async () => {
    // Log lines: a real process logging what a careless caller might pass.
    const script = `
      import { logger } from "./src/logger.ts";
      import { rememberSecret } from "./src/redact.ts";
      rememberSecret(${JSON.stringify(SECRET_ACCESS)});
      logger.error({ err: new Error("fetch failed: Authorization: Bearer ${SECRET_ACCESS}"), headers: { authorization: "Bearer ${SECRET_REFRESH}" } }, "call failed with ${SECRET_ACCESS}");
      logger.info({ body: { refresh_token: ${JSON.stringify(SECRET_REFRESH)} } }, "token answer");
    `;
    const { stdout } = await promisify(execFile)("npx", ["tsx", "--input-type=module", "-e", script], {
      cwd: process.cwd(),
      env: { ...process.env, LOG_LEVEL: "info" },
    });
    expect(stdout.split("\n").filter(Boolean).length).toBeGreaterThanOrEqual(2);
    // Stored messages: every text column a member can read.
    const stored = JSON.stringify([
      await t.app.db.prisma.syncLog.findMany(),
      await t.app.db.prisma.syncRun.findMany({ select: { error: true } }),
      await t.app.db.prisma.exportItem.findMany({ select: { error: true } }),
      await t.app.db.prisma.syncPacket.findMany({ select: { errorMessage: true } }),
      await t.app.db.prisma.integration.findMany({ select: { lastError: true, name: true } }),
      await t.app.db.prisma.connectionFlow.findMany({ select: { error: true } }),
      await t.app.db.prisma.webhookAttempt.findMany({ select: { error: true } }),
      await t.app.db.prisma.webhookEndpoint.findMany({ select: { disabledReason: true } }),
    ]);
    for (const secret of [SECRET_ACCESS, SECRET_REFRESH]) {
      expect(stdout).not.toContain(secret);
      expect(stored).not.toContain(secret);
      for (const response of responses) expect(response.includes(secret)).toBe(false);
    }
    console.log(`grepped ${stdout.split("\n").length} log lines, ${responses.length} responses`);
  }, 60_000);
});
