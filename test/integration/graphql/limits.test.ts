import { request as httpRequest } from "node:http";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { createComplexityRule } from "@pothos/plugin-complexity";
import { type DocumentNode, Kind, print, validate } from "graphql";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { MAX_REQUEST_BYTES, QUERY_LIMITS } from "../../../src/graphql/limits.ts";
import { schema } from "../../../src/graphql/schema/index.ts";
import * as web from "../../../web/src/generated/graphql.ts";
import * as operations from "../../generated/graphql.ts";
import { ConnectIntegrationMutation } from "../../operations.ts";
import { startTestApp, type TestApp, type TestTenant } from "../../support/harness.ts";

let t: TestApp;
let acme: TestTenant;
let integrationId: string;

beforeAll(async () => {
  t = await startTestApp({ roles: ["api"] });
  acme = await t.createTenant("Acme");
  const { connectIntegration } = await t.data(
    ConnectIntegrationMutation,
    {
      input: {
        platform: "XPM",
        name: "Practice",
        remoteTenantId: "remote-limits",
        credentials: { accessToken: "limits-access", refreshToken: "limits-refresh" },
      },
    },
    acme.owner,
  );
  if (connectIntegration.__typename !== "IntegrationPayload") throw new Error(connectIntegration.message);
  integrationId = connectIntegration.integration.id;
  const integration = await t.app.db.prisma.integration.findFirstOrThrow({ where: { tenantId: acme.id } });
  // Enough runs for every page below to be full, so a page that loaded more than it returns would show.
  await t.app.db.prisma.syncRun.createMany({
    data: Array.from({ length: 30 }, () => ({
      tenantId: acme.id,
      integrationId: integration.id,
      kind: "DAILY" as const,
      trigger: "SCHEDULE" as const,
      lane: "DAILY" as const,
      status: "SUCCEEDED" as const,
    })),
  });
});
afterAll(() => t.close());

/** Posts a raw document over HTTP to the API server, as any client could. */
async function post(query: string, variables: Record<string, unknown> = {}, token = acme.viewer) {
  const started = performance.now();
  const response = await fetch(t.app.api!.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as {
    data?: unknown;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
  return { status: response.status, body, ms: performance.now() - started };
}

async function healthz() {
  const started = performance.now();
  const response = await fetch(t.app.api!.url.replace(/\/graphql$/, "/healthz"));
  return { status: response.status, ms: performance.now() - started };
}

/** integrations → syncRuns → integration → syncRuns … `levels` times, every connection asking for one item. */
function nestedRuns(levels: number): string {
  let inner = "id";
  for (let i = 0; i < levels; i++)
    inner = `integration { id syncRuns(first: 1) { edges { node { id ${inner} } } } }`;
  return `{ integrations(first: 1) { edges { node { id syncRuns(first: 1) { edges { node { id ${inner} } } } } } } }`;
}

/** integrations → mappingRules → integration → mappingRules …: four levels of selection per round. */
function deep(rounds: number): string {
  let inner = "id";
  for (let i = 0; i < rounds; i++)
    inner = `integration { mappingRules(first: 1) { edges { node { ${inner} } } } }`;
  return `{ integrations(first: 1) { edges { node { mappingRules(first: 1) { edges { node { ${inner} } } } } } } }`;
}

describe("limits before execution", () => {
  it("refuses a query 50 deep with a typed error, while /healthz stays up", async () => {
    const query = deep(12);
    const bomb = post(query);
    const health = await healthz();
    const { status, body, ms } = await bomb;
    console.log(`depth 50: refused in ${ms.toFixed(1)} ms; /healthz meanwhile in ${health.ms.toFixed(1)} ms`);
    expect(status).toBeLessThan(500);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_LIMIT", limit: "depth" });
    expect(health.status).toBe(200);
  });

  it("refuses 5,000 aliases", async () => {
    const fields = Array.from({ length: 5000 }, (_, i) => `a${i}: exportQueue { pending }`).join(" ");
    const { status, body, ms } = await post(`{ integrations(first: 1) { edges { node { ${fields} } } } }`);
    console.log(`5,000 aliases: refused in ${ms.toFixed(1)} ms (${body.errors?.[0]?.message})`);
    expect(status).toBeLessThan(500);
    expect(body.errors?.[0]?.extensions?.code).toBe("QUERY_LIMIT");
    expect(["aliases", "tokens", "characters"]).toContain(body.errors?.[0]?.extensions?.limit);
    // Under the token limit, the alias limit answers.
    const few = Array.from({ length: QUERY_LIMITS.aliases + 1 }, (_, i) => `a${i}: viewer { id }`).join(" ");
    const aliases = await post(`{ ${few} }`);
    expect(aliases.body.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_LIMIT", limit: "aliases" });
    expect((await healthz()).status).toBe(200);
  });

  it("refuses a 10 MB document before parsing it", async () => {
    const query = `{ viewer { id } } # ${"x".repeat(10 * 1024 * 1024)}`;
    const { status, body, ms } = await post(query);
    console.log(`10 MB document: refused in ${ms.toFixed(1)} ms`);
    expect(status).toBeLessThan(500);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_LIMIT", limit: "characters" });
    expect((await healthz()).status).toBe(200);
  });

  it("refuses a body over 16 MB, or of undeclared length, before reading it", async () => {
    // Only the headers go out: the answer comes before any of the body is read.
    const answer = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: { errors: { extensions: Record<string, unknown> }[] } }>(
        (resolve, reject) => {
          const request = httpRequest(t.app.api!.url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              authorization: `Bearer ${acme.viewer}`,
              ...headers,
            },
          });
          request.on("error", reject);
          request.on("response", (response) => {
            let text = "";
            response.on("data", (chunk: Buffer) => {
              text += chunk.toString();
            });
            response.on("end", () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
          });
          request.flushHeaders();
        },
      );
    const big = await answer({ "content-length": String(MAX_REQUEST_BYTES + 1) });
    expect(big.status).toBe(413);
    expect(big.body.errors[0]!.extensions).toMatchObject({
      code: "QUERY_LIMIT",
      limit: "bytes",
      max: MAX_REQUEST_BYTES,
    });
    const chunked = await answer({ "transfer-encoding": "chunked" });
    expect(chunked.status).toBe(411);
    expect((await healthz()).status).toBe(200);
    // A body at the limit's side of it is read as usual.
    expect((await post("{ viewer { id } }")).status).toBe(200);
  });

  it("refuses more tokens than the limit", async () => {
    const query = `{ viewer { id ${"id ".repeat(QUERY_LIMITS.tokens)} } }`;
    const { body } = await post(query);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_LIMIT", limit: "tokens" });
  });

  it("weighs connections by the page they ask for, with the variables given", async () => {
    const query = `query Pages($n: Int) { integrations(first: $n) { edges { node { syncRuns(first: $n) {
      edges { node { logs(first: $n) { edges { node { message } } } packets(first: $n) { edges { node { id } } } } } } } } } }`;
    const small = await post(query, { n: 2 });
    expect(small.body.errors).toBeUndefined();
    // The same document with larger pages: the validation cache must not let it through.
    const large = await post(query, { n: 100 });
    expect(large.status).toBe(400);
    expect(large.body.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_LIMIT", limit: "cost" });
  });

  it("answers nested first:1 connections with one item per level", async () => {
    const { body, ms } = await post(nestedRuns(1));
    console.log(`nested first:1 connections, 2 levels: ${ms.toFixed(1)} ms`);
    expect(body.errors).toBeUndefined();
    let node = (body.data as { integrations: { edges: { node: Record<string, unknown> }[] } }).integrations
      .edges[0]!.node;
    for (let level = 0; level < 2; level++) {
      const runs = (node.syncRuns as { edges: { node: Record<string, unknown> }[] }).edges;
      expect(runs).toHaveLength(1);
      expect(node.id).toBe(integrationId);
      node = (runs[0]!.node.integration as Record<string, unknown>) ?? node;
    }
  });

  it("applies the same limits over WebSocket and SSE", async () => {
    const client = createClient({
      url: t.app.api!.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${acme.viewer}` },
      retryAttempts: 0,
    });
    try {
      const errors = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: deep(12) },
          { next: (value) => resolve(value.errors), error: (error) => resolve(error), complete: () => {} },
        );
      });
      expect(JSON.stringify(errors)).toContain("QUERY_LIMIT");
    } finally {
      await client.dispose();
    }
    const sse = await fetch(t.app.api!.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${acme.viewer}`,
      },
      body: JSON.stringify({
        query: `subscription { integrationStatusChanged { integration { ${"mappingRules(first: 1) { edges { node { integration { ".repeat(10)} id ${"} } } } ".repeat(10)} } } }`,
      }),
    });
    expect(await sse.text()).toContain("QUERY_LIMIT");
  });

  it("lets every operation the tests and the monitor page send through", () => {
    const documents = [...Object.entries(operations), ...Object.entries(web)].filter(
      ([, value]) => (value as DocumentNode | undefined)?.kind === Kind.DOCUMENT,
    ) as [string, DocumentNode][];
    expect(documents.length).toBeGreaterThan(20);
    for (const [name, document] of documents) {
      let cost = 0;
      const errors = validate(schema, document, [
        maxDepthRule({ n: QUERY_LIMITS.depth, ignoreIntrospection: true, propagateOnRejection: false }),
        maxAliasesRule({ n: QUERY_LIMITS.aliases, propagateOnRejection: false }),
        createComplexityRule({
          context: {},
          variableValues: {},
          onResult: (result) => {
            cost = Math.max(cost, result.complexity);
          },
        }),
      ]);
      // Required variables are not given here: the cost is reckoned with default pages.
      expect(
        errors.filter((error) => !/was not provided/.test(error.message)),
        name,
      ).toEqual([]);
      expect(cost, `${name}: ${print(document).slice(0, 80)}`).toBeLessThanOrEqual(QUERY_LIMITS.cost);
      expect(print(document).length, name).toBeLessThanOrEqual(QUERY_LIMITS.characters);
    }
  });
});

describe("introspection in production", () => {
  it("answers only a member", async () => {
    const production = await startTestApp({ env: { NODE_ENV: "production" } });
    try {
      const tenant = await production.createTenant("Prod");
      const ask = async (token: string | null) => {
        const response = await production.app.yoga.fetch("http://syncline.test/graphql", {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ query: "{ __schema { queryType { name } } }" }),
        });
        return (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
      };
      const anonymous = await ask(null);
      expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(JSON.stringify(anonymous)).not.toContain("queryType");
      const member = await ask(tenant.viewer);
      expect(member.errors).toBeUndefined();
      expect(member.data).toEqual({ __schema: { queryType: { name: "Query" } } });
    } finally {
      await production.close();
    }
  });
});
