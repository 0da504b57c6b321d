import pg from "pg";
import { startApp } from "../src/app.ts";
import { encryptSecret } from "../src/auth/secrets.ts";
import { createTenant } from "../src/auth/tenants.ts";
import { loadConfig } from "../src/config.ts";
import { ordersForPush } from "../src/push/build.ts";
import { Mapper } from "../src/push/mapping.ts";
import { formatCents, parseCents } from "../src/push/money.ts";
import { ingestOrders, type OrderInput, validateOrders } from "../src/push/orders.ts";
import { summarize } from "../src/push/summarize.ts";
import { mulberry32 } from "../src/sandbox/kit/random.ts";
import { benchEnv, freshDatabase, printTable, sampleMemory } from "./support.ts";

const ORDERS = Number(process.env.BENCH_ORDERS ?? 100_000);
const DAYS = 30;
const BATCH = 1000;
const TIME_ZONE = "Pacific/Auckland";
const CATEGORIES = ["Retail", "Services", "Food", "Beverages", "Merchandise", "Gift cards"];
const TAX_RATES = [
  { name: "GST 15%", basisPoints: 1500 },
  { name: "Reduced 9%", basisPoints: 900 },
  { name: "Zero", basisPoints: 0 },
];
const METHODS = ["CARD", "CASH", "VOUCHER", "ACCOUNT"];
/** Xero's export reserve: what a push may use (PLATFORMS.md). */
const RESERVE = { perMinute: 30, perDay: 4500 };

function makeOrders(count: number): OrderInput[] {
  // Deterministic, so every run ingests the same orders.
  const random = mulberry32(42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const start = Date.UTC(2026, 9, 1);
  return Array.from({ length: count }, (_, n) => {
    const items = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
      const net = BigInt(100 + Math.floor(random() * 20_000));
      const rate = pick(TAX_RATES);
      const tax = (net * BigInt(rate.basisPoints) + 5_000n) / 10_000n;
      return {
        revenueCategory: pick(CATEGORIES),
        quantity: String(1 + Math.floor(random() * 3)),
        net,
        tax,
        rate,
      };
    });
    const total = items.reduce((sum, item) => sum + item.net + item.tax, 0n);
    const first = pick(METHODS);
    const split = random() < 0.25 && total > 1n;
    const firstAmount = split ? (total * BigInt(1 + Math.floor(random() * 99))) / 100n : total;
    const payments = [{ method: first, amount: formatCents(firstAmount) }];
    if (split)
      payments.push({
        method: pick(METHODS.filter((m) => m !== first)),
        amount: formatCents(total - firstAmount),
      });
    return {
      externalId: `bench-${n}`,
      orderedAt: new Date(start + Math.floor(random() * DAYS * 86_400_000)),
      currency: "NZD",
      totalAmount: formatCents(total),
      items: items.map((item) => ({
        revenueCategory: item.revenueCategory,
        quantity: item.quantity,
        netAmount: formatCents(item.net),
        taxRate: item.rate.name,
        taxAmount: formatCents(item.tax),
      })),
      payments,
    };
  });
}

const GROUP_BY = `
  WITH lines AS (
    SELECT o.id, to_char(o."orderedAt" AT TIME ZONE 'UTC' AT TIME ZONE $2, 'YYYY-MM-DD') AS day,
           o.currency, o."totalAmount" AS total, i."revenueCategory" AS category, i."taxRate" AS rate,
           i."netAmount" AS net, i."taxAmount" AS tax
    FROM "Order" o JOIN "OrderItem" i ON i."orderId" = o.id
    WHERE o."tenantId" = $1
  )
  SELECT l.day, p.method, l.currency, l.category, l.rate,
         SUM(l.net * p.amount / l.total) AS net, SUM(l.tax * p.amount / l.total) AS tax
  FROM lines l JOIN "OrderPayment" p ON p."orderId" = l.id
  GROUP BY 1, 2, 3, 4, 5`;

async function main() {
  const database = await freshDatabase("push");
  const app = await startApp(loadConfig(benchEnv(database.name)), []);
  const prisma = app.db.prisma;
  try {
    const { tenantId } = await createTenant(prisma, { name: "bench push" });
    await prisma.tenant.update({ where: { id: tenantId }, data: { timeZone: TIME_ZONE } });
    const integration = await prisma.integration.create({
      data: {
        tenantId,
        platform: "XERO_ACCOUNTING",
        name: "Accounts",
        remoteTenantId: "bench-organisation",
        status: "CONNECTED",
        syncMode: "CONTINUOUS",
        summarizeData: true,
        credentialsEncrypted: encryptSecret(
          app.config.encryptionKey,
          JSON.stringify({ accessToken: "bench" }),
        ),
      },
    });
    await prisma.mappingRule.createMany({
      data: [
        ...CATEGORIES.map((c, i) => ({
          sourceType: "REVENUE_CATEGORY" as const,
          sourceValue: c,
          targetType: "ACCOUNT_CODE" as const,
          targetValue: String(200 + i),
        })),
        ...TAX_RATES.map((r) => ({
          sourceType: "TAX_RATE" as const,
          sourceValue: r.name,
          targetType: "TAX_TYPE" as const,
          targetValue: r.name.toUpperCase(),
        })),
        {
          sourceType: "PAYMENT_METHOD" as const,
          sourceValue: "",
          targetType: "ACCOUNT_CODE" as const,
          targetValue: "090",
        },
      ].map((rule) => ({ ...rule, integrationId: integration.id })),
    });

    console.log(`ingesting ${ORDERS.toLocaleString("en")} orders over ${DAYS} days…`);
    const orders = makeOrders(ORDERS);
    const ingestStarted = performance.now();
    for (let i = 0; i < orders.length; i += BATCH) {
      const { valid, rejected } = validateOrders(orders.slice(i, i + BATCH));
      if (rejected.length > 0) throw new Error(`generated an invalid order: ${JSON.stringify(rejected[0])}`);
      await prisma.$transaction(
        (tx) => ingestOrders(tx, { tenantId, integrationId: integration.id }, valid),
        {
          timeout: 120_000,
        },
      );
    }
    const ingestMs = performance.now() - ingestStarted;

    // The push's build step, as a PUSH run does it (src/push/build.ts buildPackets, without the writes).
    global.gc?.();
    const stopSampling = sampleMemory();
    const buildStarted = performance.now();
    // Summarized, a run loads every order of each day with a change (here: every day).
    const loaded = await ordersForPush(
      prisma,
      { tenantId, integrationId: integration.id },
      { from: new Date(0), to: new Date() },
      TIME_ZONE,
    );
    const loadMs = performance.now() - buildStarted;
    const packets = summarize(loaded, { summarizeData: true, timeZone: TIME_ZONE });
    const mapper = new Mapper(
      await prisma.mappingRule.findMany({ where: { integrationId: integration.id } }),
    );
    const mapped = packets.map((packet) => mapper.map(packet));
    const buildMs = performance.now() - buildStarted;
    const memory = stopSampling();
    if (mapped.some((m) => !m.ok)) throw new Error("a packet failed to map");

    // The baseline: the same totals by one GROUP BY (exact fractions, no cent rounding).
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const sqlStarted = performance.now();
    const { rows } = await client.query(GROUP_BY, [tenantId, TIME_ZONE]);
    const sqlMs = performance.now() - sqlStarted;
    await client.end();

    // Agreement: every revenue line within a cent per order split, and every packet's payments exact.
    const exact = new Map<string, number>();
    for (const row of rows)
      exact.set(JSON.stringify([row.day, row.method, row.currency, row.category, row.rate]), Number(row.net));
    let lines = 0;
    let worstCents = 0;
    let paid = 0n;
    for (const packet of packets) {
      const method = packet.payments[0]!.method;
      paid += packet.totalCents;
      for (const line of packet.revenue) {
        lines++;
        const sql = exact.get(
          JSON.stringify([packet.date, method, packet.currency, line.revenueCategory, line.taxRate]),
        );
        if (sql === undefined)
          throw new Error(`GROUP BY has no line for ${packet.label} ${line.revenueCategory}`);
        worstCents = Math.max(worstCents, Math.abs(Math.round(sql * 100) - Number(line.netCents)));
      }
    }
    if (lines !== rows.length) throw new Error(`${lines} revenue lines, GROUP BY has ${rows.length}`);
    const ordersTotal = orders.reduce((sum, o) => sum + parseCents(o.totalAmount)!, 0n);
    if (paid !== ordersTotal) throw new Error("packet payments do not add up to the orders' totals");

    const callsPerDay = (calls: number) => Math.ceil(calls / RESERVE.perDay);
    const minutes = (calls: number) => calls / RESERVE.perMinute;
    console.log();
    printTable([
      ["orders (30 days, 25 % paid two ways)", ORDERS.toLocaleString("en")],
      [
        "ingest (validate + idempotent upsert, batches of 1,000)",
        `${(ingestMs / 1000).toFixed(1)} s (${Math.round(ORDERS / (ingestMs / 1000)).toLocaleString("en")} orders/s)`,
      ],
      [
        "build + map packets (load, summarize, map)",
        `${(buildMs / 1000).toFixed(2)} s (load ${(loadMs / 1000).toFixed(2)} s)`,
      ],
      [
        "  peak memory above start (RSS / V8 heap)",
        `${memory.peakRssMb.toFixed(0)} MB / ${memory.peakHeapMb.toFixed(0)} MB`,
      ],
      ["same totals by one SQL GROUP BY", `${(sqlMs / 1000).toFixed(2)} s`],
      ["build + map / GROUP BY", `${(buildMs / sqlMs).toFixed(1)} ×`],
      [
        "revenue lines; worst difference from exact SQL",
        `${lines}; ${worstCents} cent(s) (cent rounding of splits)`,
      ],
      [
        "packets = provider calls (summarized)",
        `${packets.length} (≈ ${minutes(packets.length).toFixed(0)} min at ${RESERVE.perMinute}/min)`,
      ],
      [
        "provider calls unsummarized (one per order)",
        `${ORDERS.toLocaleString("en")} (≥ ${callsPerDay(ORDERS)} days at ${RESERVE.perDay.toLocaleString("en")}/day)`,
      ],
    ]);
  } finally {
    await app.stop();
    await database.drop();
  }
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
