import { describe, expect, it } from "vitest";
import { Mapper } from "../../../src/push/mapping.ts";
import { allocate, formatCents, parseCents } from "../../../src/push/money.ts";
import { type OrderForPush, splitAcrossPayments, summarize } from "../../../src/push/summarize.ts";

/** Summarization and mapping against hand-computed figures (all amounts in cents). */

const item = (revenueCategory: string, taxRate: string, net: number, tax: number) => ({
  revenueCategory,
  taxRate,
  netCents: BigInt(net),
  taxCents: BigInt(tax),
});
const pay = (method: string, amount: number) => ({ method, amountCents: BigInt(amount) });

const ORDERS: OrderForPush[] = [
  {
    id: "o1",
    externalId: "O1",
    orderedAt: new Date("2026-11-20T01:00:00Z"), // 14:00 on the 20th in Auckland
    currency: "NZD",
    items: [item("Retail", "GST 15%", 10_000, 1_500), item("Services", "GST 15%", 5_000, 750)],
    payments: [pay("CARD", 17_250)],
  },
  {
    id: "o2",
    externalId: "O2",
    orderedAt: new Date("2026-11-20T03:00:00Z"),
    currency: "NZD",
    items: [item("Retail", "GST 15%", 1_000, 150), item("Food", "Zero", 500, 0)],
    payments: [pay("CARD", 1_000), pay("CASH", 650)],
  },
  {
    id: "o3",
    externalId: "O3",
    orderedAt: new Date("2026-11-20T12:00:00Z"), // 01:00 on the 21st in Auckland (UTC+13)
    currency: "NZD",
    items: [item("Retail", "GST 15%", 2_000, 300)],
    payments: [pay("CASH", 2_300)],
  },
];

const plain = (packets: ReturnType<typeof summarize>) =>
  packets.map((p) => ({
    label: p.label,
    date: p.date,
    revenue: p.revenue.map((l) => [l.revenueCategory, l.taxRate, Number(l.netCents), Number(l.taxCents)]),
    payments: p.payments.map((x) => [x.method, Number(x.amountCents)]),
    total: Number(p.totalCents),
  }));

describe("money", () => {
  it("parses and formats exact amounts, refusing more than two decimals", () => {
    expect(parseCents("12.3")).toBe(1230n);
    expect(parseCents("-0.05")).toBe(-5n);
    expect(parseCents("1.005")).toBeNull();
    expect(parseCents("1e3")).toBeNull();
    expect(formatCents(-5n)).toBe("-0.05");
    expect(formatCents(123456n)).toBe("1234.56");
  });

  it("allocates by largest remainder, summing exactly", () => {
    expect(allocate(100n, [1n, 1n, 1n])).toEqual([34n, 33n, 33n]);
    expect(allocate(3333n, [8696n, 1304n])).toEqual([2898n, 435n]);
    expect(allocate(-100n, [1n, 2n])).toEqual([-33n, -67n]);
  });

  it("splits lines across payments so rows and columns both sum exactly", () => {
    // 100.00 of goods (86.96 net + 13.04 tax) paid 33.33 + 33.33 + 33.34.
    const cells = splitAcrossPayments([8_696n, 1_304n], [3_333n, 3_333n, 3_334n]);
    expect(cells).toEqual([
      [2_898n, 2_898n, 2_900n],
      [435n, 435n, 434n],
    ]);
  });
});

describe("summarize", () => {
  it("off: one packet per order, items summed by category and tax rate", () => {
    const packets = summarize(ORDERS, { summarizeData: false, timeZone: "Pacific/Auckland" });
    expect(plain(packets)).toEqual([
      {
        label: "O1",
        date: "2026-11-20",
        revenue: [
          ["Retail", "GST 15%", 10_000, 1_500],
          ["Services", "GST 15%", 5_000, 750],
        ],
        payments: [["CARD", 17_250]],
        total: 17_250,
      },
      {
        label: "O2",
        date: "2026-11-20",
        revenue: [
          ["Food", "Zero", 500, 0],
          ["Retail", "GST 15%", 1_000, 150],
        ],
        payments: [
          ["CARD", 1_000],
          ["CASH", 650],
        ],
        total: 1_650,
      },
      {
        label: "O3",
        date: "2026-11-21",
        revenue: [["Retail", "GST 15%", 2_000, 300]],
        payments: [["CASH", 2_300]],
        total: 2_300,
      },
    ]);
  });

  it("on: one packet per local day and payment method; a split order divides proportionally to the cent", () => {
    const packets = summarize(ORDERS, { summarizeData: true, timeZone: "Pacific/Auckland" });
    // O2's lines [1000, 150, 500, 0] split for CARD 10.00: 606.06→606, 90.91→91 (largest remainder), 303.03→303;
    // CASH takes the rest: 394, 59, 197.
    expect(plain(packets)).toEqual([
      {
        label: "2026-11-20 / CARD / NZD",
        date: "2026-11-20",
        revenue: [
          ["Food", "Zero", 303, 0],
          ["Retail", "GST 15%", 10_606, 1_591],
          ["Services", "GST 15%", 5_000, 750],
        ],
        payments: [["CARD", 18_250]],
        total: 18_250,
      },
      {
        label: "2026-11-20 / CASH / NZD",
        date: "2026-11-20",
        revenue: [
          ["Food", "Zero", 197, 0],
          ["Retail", "GST 15%", 394, 59],
        ],
        payments: [["CASH", 650]],
        total: 650,
      },
      {
        label: "2026-11-21 / CASH / NZD",
        date: "2026-11-21",
        revenue: [["Retail", "GST 15%", 2_000, 300]],
        payments: [["CASH", 2_300]],
        total: 2_300,
      },
    ]);
    expect(packets[0]!.orderIds.sort()).toEqual(["o1", "o2"]);
    // Every packet balances: net plus tax equals what was paid.
    for (const packet of packets) {
      const lines = packet.revenue.reduce((sum, l) => sum + l.netCents + l.taxCents, 0n);
      expect(lines).toBe(packet.totalCents);
    }
  });

  it("keeps currencies apart", () => {
    const aud = { ...ORDERS[0]!, id: "o4", externalId: "O4", currency: "AUD" };
    const labels = summarize([ORDERS[0]!, aud], { summarizeData: true, timeZone: "Pacific/Auckland" }).map(
      (p) => p.label,
    );
    expect(labels).toEqual(["2026-11-20 / CARD / AUD", "2026-11-20 / CARD / NZD"]);
  });
});

describe("mapping", () => {
  const rules = [
    { sourceType: "REVENUE_CATEGORY", sourceValue: "Retail", targetType: "ACCOUNT_CODE", targetValue: "200" },
    {
      sourceType: "REVENUE_CATEGORY",
      sourceValue: "Services",
      targetType: "ACCOUNT_CODE",
      targetValue: "260",
    },
    { sourceType: "TAX_RATE", sourceValue: "GST 15%", targetType: "TAX_TYPE", targetValue: "OUTPUT2" },
    { sourceType: "TAX_RATE", sourceValue: "Zero", targetType: "TAX_TYPE", targetValue: "ZERORATEDOUTPUT" },
    { sourceType: "PAYMENT_METHOD", sourceValue: "CARD", targetType: "ACCOUNT_CODE", targetValue: "090" },
    // The default rule for payment methods.
    { sourceType: "PAYMENT_METHOD", sourceValue: "", targetType: "ACCOUNT_CODE", targetValue: "091" },
  ] as const;

  it("builds a balanced, tax-exclusive manual journal", () => {
    const [o1] = summarize([ORDERS[0]!], { summarizeData: false, timeZone: "UTC" });
    const mapped = new Mapper(rules.map((r) => ({ ...r }))).map(o1!);
    expect(mapped).toEqual({
      ok: true,
      payload: {
        Narration: "Sales O1",
        Date: "2026-11-20",
        Status: "POSTED",
        LineAmountTypes: "Exclusive",
        JournalLines: [
          {
            Description: "Sales: Retail (GST 15%)",
            LineAmount: -100,
            AccountCode: "200",
            TaxType: "OUTPUT2",
            TaxAmount: -15,
          },
          {
            Description: "Sales: Services (GST 15%)",
            LineAmount: -50,
            AccountCode: "260",
            TaxType: "OUTPUT2",
            TaxAmount: -7.5,
          },
          {
            Description: "Payments: CARD",
            LineAmount: 172.5,
            AccountCode: "090",
            TaxType: "NONE",
            TaxAmount: 0,
          },
        ],
      },
    });
  });

  it("fails a packet whose values have no rule, naming them; defaults apply", () => {
    const [, o2] = summarize(ORDERS, { summarizeData: false, timeZone: "UTC" });
    const mapper = new Mapper(rules.map((r) => ({ ...r })));
    expect(mapper.map(o2!)).toEqual({
      ok: false,
      code: "UNMAPPED_REVENUE_CATEGORY",
      message: 'No mapping rule for revenue category "Food" (add a rule for the value, or a default rule)',
    });
    const withFood = new Mapper([
      ...rules,
      { sourceType: "REVENUE_CATEGORY", sourceValue: "Food", targetType: "ACCOUNT_CODE", targetValue: "200" },
    ]);
    const mapped = withFood.map(o2!);
    expect(
      mapped.ok && mapped.payload.JournalLines.find((l) => l.Description === "Payments: CASH")?.AccountCode,
    ).toBe("091");
  });
});
