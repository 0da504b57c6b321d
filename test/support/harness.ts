import { randomBytes, randomUUID } from "node:crypto";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { type ExecutionResult, print } from "graphql";
import { type App, startApp } from "../../src/app.ts";
import { encryptSecret } from "../../src/auth/secrets.ts";
import { addMember, createTenant } from "../../src/auth/tenants.ts";
import { type Config, loadConfig, type Role } from "../../src/config.ts";
import { Prisma } from "../../src/generated/prisma/client.ts";
import type { PlatformKey } from "../../src/platforms/catalog.ts";
import { adminQuery, databaseUrl, TEST_REDIS_URL, templateDatabase } from "./env.ts";

/** A tenant with one token per role, as tests act as each of them. */
export interface TestTenant {
  id: string;
  owner: string;
  admin: string;
  viewer: string;
}

export interface TestApp {
  app: App;
  config: Config;
  /** The file's own database URL. */
  databaseUrl: string;
  /** Runs a typed operation through yoga.fetch, as a client with `token` would. */
  execute<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
    token: string | null,
  ): Promise<ExecutionResult<TResult>>;
  /** Like execute, but fails the test on GraphQL errors and returns the data. */
  data<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
    token: string | null,
  ): Promise<TResult>;
  createTenant(name?: string): Promise<TestTenant>;
  close(): Promise<void>;
}

/**
 * Starts syncline for one test file on its own PostgreSQL database (a copy of the migrated template)
 * and its own Redis key prefix, with the given roles (none: just the yoga instance).
 */
export async function startTestApp(
  options: { roles?: Role[]; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const name = `syncline_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase()}`);
  const url = databaseUrl(name);
  const config = loadConfig({
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_URL: url,
    REDIS_URL: TEST_REDIS_URL,
    SYNCLINE_REDIS_PREFIX: `test:${name}`,
    SYNCLINE_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    LOG_LEVEL: "silent",
    ...options.env,
  });
  const app = await startApp(config, options.roles ?? []);

  const execute: TestApp["execute"] = async (document, variables, token) => {
    const response = await app.yoga.fetch("http://syncline.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: print(document), variables }),
    });
    return response.json();
  };

  return {
    app,
    config,
    databaseUrl: url,
    execute,
    data: async (document, variables, token) => {
      const result = await execute(document, variables, token);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data!;
    },
    createTenant: async (tenantName = "Test tenant") => {
      const owner = await createTenant(app.db.prisma, { name: tenantName });
      const admin = await addMember(app.db.prisma, {
        tenantId: owner.tenantId,
        name: "Admin",
        role: "ADMIN",
      });
      const viewer = await addMember(app.db.prisma, {
        tenantId: owner.tenantId,
        name: "Viewer",
        role: "VIEWER",
      });
      return { id: owner.tenantId, owner: owner.token, admin: admin.token, viewer: viewer.token };
    },
    close: async () => {
      await app.stop();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * A snapshot of every table's row count, to prove a failed mutation changed nothing: every model Prisma
 * knows (tenants and members to the outbox, orders with their items and payments, packets, logs, mirrored
 * records, watermarks), so a new table is counted without anyone remembering to add it.
 */
export async function tableCounts(app: App): Promise<Record<string, number>> {
  const delegates = app.db.prisma as unknown as Record<string, { count(): Promise<number> }>;
  const models = Object.values(Prisma.ModelName);
  const counts = await Promise.all(
    models.map((model) => delegates[model.charAt(0).toLowerCase() + model.slice(1)]!.count()),
  );
  return Object.fromEntries(models.map((model, i) => [model, counts[i]!]));
}

/**
 * A CONNECTED integration row, straight in the database, with an encrypted access token: what connecting
 * leaves once its initial sync is done. `data` sets any other column.
 */
export function integrationRow(
  t: Pick<TestApp, "app" | "config">,
  tenantId: string,
  platform: PlatformKey,
  options: { accessToken?: string; data?: Partial<Prisma.IntegrationUncheckedCreateInput> } = {},
) {
  return t.app.db.prisma.integration.create({
    data: {
      tenantId,
      platform,
      name: `${platform} ${randomUUID()}`,
      remoteTenantId: randomUUID(),
      syncMode: "ONE_OFF",
      status: "CONNECTED",
      connectedAt: new Date(),
      credentialsEncrypted: encryptSecret(
        t.config.encryptionKey,
        JSON.stringify({ accessToken: options.accessToken ?? "x" }),
      ),
      ...options.data,
    },
  });
}
