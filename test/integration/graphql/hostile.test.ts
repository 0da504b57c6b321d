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
import { globalId } from "../../../src/graphql/ids.ts";
import { schema } from "../../../src/graphql/schema/index.ts";
import { callProvider } from "../../../src/platforms/http.ts";
import { appendLog } from "../../../src/sync/logs.ts";
import { timeScale } from "../../../src/time.ts";
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
    ]);
    for (const secret of [SECRET_ACCESS, SECRET_REFRESH]) {
      expect(stdout).not.toContain(secret);
      expect(stored).not.toContain(secret);
      for (const response of responses) expect(response.includes(secret)).toBe(false);
    }
    console.log(`grepped ${stdout.split("\n").length} log lines, ${responses.length} responses`);
  }, 60_000);
});
