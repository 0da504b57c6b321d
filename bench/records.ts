/**
 * npm run bench:records — the host's side of the data, judged against the database's own export.
 *
 * 1. One XPM integration with 1,000,000 mirrored time entries (written in 100 transactions, as pulls
 *    would) is read from a zero cursor through the API, in pages of 1,000, by a client over HTTP to a
 *    syncline API process (a child process, so its peak memory is its own): records/s, next to ONE
 *    `COPY (the same rows, in the same order) TO STDOUT` in the same run (psql), and the API process's
 *    peak RSS.
 * 2. 10,000 record changes spread over 100 integrations (20 tenants, each with one webhook endpoint on
 *    a local receiver), each committed as its own page by the functions a pull's page uses, while the
 *    delivery worker (in this process, default settings) sends the records.changed webhooks: the time
 *    from each change's commit to its receiver having it, p50 / p99, and until every receiver has all.
 *
 * Needs PostgreSQL, Redis and psql. Smaller runs: BENCH_RECORDS, BENCH_CHANGES.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startApp } from "../src/app.ts";
import { encryptSecret } from "../src/auth/secrets.ts";
import { createTenant } from "../src/auth/tenants.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { globalId } from "../src/graphql/ids.ts";
import { recordPageChanges } from "../src/records/changes.ts";
import { upsertRecords } from "../src/sync/records.ts";
import { benchEnv, freshDatabase, printTable } from "./support.ts";

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const PAGE = 1000;
const WRITE_BATCHES = 100;
const CHANGES = Number(process.env.BENCH_CHANGES ?? 10_000);
const INTEGRATIONS = 100;
const TENANTS = 20;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** A syncline API process on the bench database; resolves with its URL once it listens. */
async function startApi(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "--role", "api"], {
    cwd: root,
    env: { ...process.env, ...env, HOST: "127.0.0.1", PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /syncline GraphQL API: (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`API exited with ${code}: ${out}`)));
  });
  return { child, url };
}

/** The kernel's high-water mark of a process's resident memory. */
function peakRss(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match![1]) * 1024;
}

const READ = `query Read($id: ID!, $after: String) {
  integration(id: $id) {
    ... on Integration {
      records(entity: "time", after: $after, first: ${PAGE}) {
        ... on RecordConnection { cursor pageInfo { hasNextPage } edges { node { remoteId data deleted remoteUpdatedAt } } }
      }
    }
  }
}`;

async function readThroughApi(url: string, token: string, integrationId: string) {
  let after: string | null = null;
  let records = 0;
  let pages = 0;
  const started = performance.now();
  for (;;) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: READ, variables: { id: globalId("Integration", integrationId), after } }),
    });
    const result = (await response.json()) as {
      data?: {
        integration: { records: { cursor: string; pageInfo: { hasNextPage: boolean }; edges: unknown[] } };
      };
      errors?: unknown;
    };
    if (!result.data) throw new Error(`read failed: ${JSON.stringify(result.errors)}`);
    const page = result.data.integration.records;
    records += page.edges.length;
    pages++;
    after = page.cursor;
    if (!page.pageInfo.hasNextPage) break;
  }
  return { records, pages, ms: performance.now() - started };
}

/** The same rows, in the same order, by one COPY … TO STDOUT (psql), counting the bytes. */
function copyBaseline(
  dbUrl: string,
  integrationId: string,
): Promise<{ ms: number; bytes: number; rows: number }> {
  const sql = `COPY (SELECT "remoteId", data, deleted, "remoteUpdatedAt" FROM "SyncedRecord"
    WHERE "integrationId" = '${integrationId}' AND entity = 'time' ORDER BY "changeXid", "changeSeq") TO STDOUT`;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const psql = spawn("psql", [dbUrl, "-q", "-c", sql], { stdio: ["ignore", "pipe", "inherit"] });
    let bytes = 0;
    let rows = 0;
    psql.stdout.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      for (const byte of chunk) if (byte === 10) rows++;
    });
    psql.once("exit", (code) =>
      code === 0
        ? resolve({ ms: performance.now() - started, bytes, rows })
        : reject(new Error(`psql ${code}`)),
    );
  });
}

async function partOne() {
  const db = await freshDatabase("records");
  const env = benchEnv(db.name);
  let api: ChildProcess | undefined;
  try {
    const database = await openDatabase({ kind: "postgres", url: db.url });
    const config = loadConfig(env);
    const { tenantId, token } = await createTenant(database.prisma, { name: "bench records" });
    const integration = await database.prisma.integration.create({
      data: {
        tenantId,
        platform: "XPM",
        name: "Big practice",
        remoteTenantId: "practice-bench-records",
        syncMode: "ONE_OFF",
        status: "CONNECTED",
        credentialsEncrypted: encryptSecret(config.encryptionKey, JSON.stringify({ accessToken: "bench" })),
      },
    });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const seeded = performance.now();
    const batch = Math.ceil(RECORDS / WRITE_BATCHES);
    for (let start = 0; start < RECORDS; start += batch) {
      // One transaction per batch, as pulls commit pages: the rows get that transaction's position.
      await client.query(
        `INSERT INTO "SyncedRecord" (id, "integrationId", entity, "remoteId", data, "contentHash", "updatedAt",
                                     "remoteUpdatedAt")
         SELECT gen_random_uuid(), $1::uuid, 'time', 'time-' || n,
                jsonb_build_object('uuid', 'time-' || n, 'date', to_char(date '2026-01-01' + (n % 365), 'YYYY-MM-DD'),
                  'minutes', 15 + n % 240, 'billable', n % 3 > 0, 'note', 'Work on the annual accounts ' || n,
                  'job', jsonb_build_object('id', 'J' || lpad((n % 2000)::text, 6, '0'), 'name', 'Annual accounts'),
                  'task', jsonb_build_object('uuid', md5('task' || n % 40), 'name', 'Preparation'),
                  'staff', jsonb_build_object('uuid', md5('staff' || n % 50), 'name', 'Staff ' || n % 50)),
                md5(n::text), now(), now()
         FROM generate_series($2::int, $3::int) AS n`,
        [integration.id, start, Math.min(start + batch, RECORDS) - 1],
      );
    }
    await client.query(`VACUUM ANALYZE "SyncedRecord"`);
    const seedMs = performance.now() - seeded;
    await client.end();
    await database.close();

    const started = await startApi(env);
    api = started.child;
    const read = await readThroughApi(started.url, token, integration.id);
    const apiPeak = peakRss(api.pid!);
    const copy = await copyBaseline(db.url, integration.id);
    const rate = read.records / (read.ms / 1000);
    const copyRate = copy.rows / (copy.ms / 1000);
    return [
      [
        "records mirrored (one XPM integration, entity time, 100 transactions)",
        `${read.records} (seeded in ${secs(seedMs)})`,
      ],
      [`read through the API from a zero cursor, ${PAGE} a page`, `${read.pages} pages in ${secs(read.ms)}`],
      ["API: records/s", rate.toFixed(0)],
      ["API process peak RSS (kernel high-water mark)", mb(apiPeak)],
      [
        "baseline: ONE COPY … TO STDOUT of the same rows, same order (psql)",
        `${copy.rows} rows, ${mb(copy.bytes)} in ${secs(copy.ms)}`,
      ],
      ["baseline records/s", copyRate.toFixed(0)],
      ["API / COPY records/s", `${((rate / copyRate) * 100).toFixed(1)} %`],
    ] as [string, string][];
  } finally {
    api?.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
    await db.drop();
  }
}

async function partTwo() {
  const db = await freshDatabase("webhooks");
  const received: number[] = [];
  let expected = 0;
  let allIn: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allIn = resolve;
  });
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const event = JSON.parse(body) as { createdAt: string };
      received.push(Date.now() - Date.parse(event.createdAt));
      res.writeHead(204).end();
      if (received.length === expected) allIn();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const port = (receiver.address() as AddressInfo).port;
  const app = await startApp(
    loadConfig(benchEnv(db.name, { SYNCLINE_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true", LOG_LEVEL: "warn" })),
    ["worker"],
  );
  try {
    const prisma = app.db.prisma;
    const integrations: { id: string; runId: string }[] = [];
    for (let t = 0; t < TENANTS; t++) {
      const { tenantId } = await createTenant(prisma, { name: `host ${t}` });
      await prisma.webhookEndpoint.create({
        data: {
          tenantId,
          url: `http://127.0.0.1:${port}/hooks/${t}`,
          events: ["RECORDS_CHANGED"],
          secretEncrypted: encryptSecret(
            app.config.encryptionKey,
            `whsec_${randomBytes(32).toString("base64")}`,
          ),
        },
      });
      for (let i = 0; i < INTEGRATIONS / TENANTS; i++) {
        const integration = await prisma.integration.create({
          data: {
            tenantId,
            platform: "XPM",
            name: `practice ${t}-${i}`,
            remoteTenantId: `practice-${t}-${i}`,
            syncMode: "ONE_OFF",
            status: "CONNECTED",
            credentialsEncrypted: "bench",
          },
        });
        const run = await prisma.syncRun.create({
          data: {
            tenantId,
            integrationId: integration.id,
            kind: "FORCE",
            trigger: "USER",
            lane: "DAILY",
            status: "RUNNING",
          },
        });
        integrations.push({ id: integration.id, runId: run.id });
      }
    }
    expected = CHANGES;
    const perIntegration = Math.ceil(CHANGES / INTEGRATIONS);
    const started = performance.now();
    await Promise.all(
      integrations.map(async ({ id, runId }, n) => {
        for (let c = 0; c < perIntegration && n * perIntegration + c < CHANGES; c++) {
          // One change, committed as a page of a pull commits it: the record and its webhook together.
          await prisma.$transaction(async (tx) => {
            const target = { integrationId: id, entity: "client", runId };
            const counts = await upsertRecords(tx, target, [
              { remoteId: `client-${c}`, data: { name: `Client ${c}` } },
            ]);
            await recordPageChanges(tx, { ...target, ...counts, deleted: 0 });
          });
        }
      }),
    );
    const committedMs = performance.now() - started;
    await Promise.race([
      done,
      new Promise((_, reject) => setTimeout(() => reject(new Error("receivers timed out")), 600_000)),
    ]);
    const totalMs = performance.now() - started;
    const sorted = [...received].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return [
      [
        "record changes (each its own committed page), integrations / tenants with an endpoint",
        `${CHANGES} over ${INTEGRATIONS} / ${TENANTS}`,
      ],
      ["all changes committed (100 writers at once)", secs(committedMs)],
      ["every receiver has every change (from the first commit)", secs(totalMs)],
      ["commit → receiver has it: p50 / p99 / max", `${at(0.5)} ms / ${at(0.99)} ms / ${sorted.at(-1)} ms`],
      ["webhooks delivered / s", (CHANGES / (totalMs / 1000)).toFixed(0)],
    ] as [string, string][];
  } finally {
    await app.stop();
    receiver.close();
    await db.drop();
  }
}

async function main() {
  console.log(
    `syncline records benchmark: ${RECORDS} records read by cursor; ${CHANGES} changes to webhooks\n`,
  );
  const rows = [...(await partOne()), ...(await partTwo())];
  printTable(rows);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
