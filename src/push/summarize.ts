import { allocate } from "./money.ts";

/**
 * Orders → packets (DESIGN.md "Push", PLATFORMS.md "Accounting push"). With SummarizeData off each order
 * is one packet; with it on, one packet per local day, payment method and currency, its items summed by
 * revenue category and tax rate. An order paid two ways is split across the two packets in proportion
 * to the payments, exactly: every item's net and tax split to the cent, each payment's share summing to
 * exactly what was paid. All amounts are integer cents.
 */

export interface OrderForPush {
  id: string;
  externalId: string;
  orderedAt: Date;
  currency: string;
  items: { revenueCategory: string; taxRate: string; netCents: bigint; taxCents: bigint }[];
  payments: { method: string; amountCents: bigint }[];
}

export interface RevenueLine {
  revenueCategory: string;
  taxRate: string;
  netCents: bigint;
  taxCents: bigint;
}

export interface PacketDraft {
  /** What the packet summarises: "2026-11-20 / CARD / NZD", or the order's id in the host. */
  label: string;
  /** The local day (YYYY-MM-DD in the tenant's zone) the packet is dated. */
  date: string;
  currency: string;
  /** Sorted by category, then rate. */
  revenue: RevenueLine[];
  /** Sorted by method. */
  payments: { method: string; amountCents: bigint }[];
  /** Net plus tax: what the payments sum to. */
  totalCents: bigint;
  /** Orders (syncline ids) the packet carries. */
  orderIds: string[];
}

class PacketBuilder {
  private readonly revenue = new Map<string, RevenueLine>();
  private readonly payments = new Map<string, bigint>();
  readonly orderIds = new Set<string>();

  constructor(
    private readonly label: string,
    private readonly date: string,
    private readonly currency: string,
  ) {}

  addRevenue(revenueCategory: string, taxRate: string, netCents: bigint, taxCents: bigint) {
    const key = JSON.stringify([revenueCategory, taxRate]);
    const line = this.revenue.get(key) ?? { revenueCategory, taxRate, netCents: 0n, taxCents: 0n };
    line.netCents += netCents;
    line.taxCents += taxCents;
    this.revenue.set(key, line);
  }

  addPayment(method: string, amountCents: bigint) {
    this.payments.set(method, (this.payments.get(method) ?? 0n) + amountCents);
  }

  build(): PacketDraft {
    const revenue = [...this.revenue.values()]
      .filter((line) => line.netCents !== 0n || line.taxCents !== 0n)
      .sort((a, b) => compare(a.revenueCategory, b.revenueCategory) || compare(a.taxRate, b.taxRate));
    const payments = [...this.payments]
      .map(([method, amountCents]) => ({ method, amountCents }))
      .sort((a, b) => compare(a.method, b.method));
    let totalCents = 0n;
    for (const payment of payments) totalCents += payment.amountCents;
    return {
      label: this.label,
      date: this.date,
      currency: this.currency,
      revenue,
      payments,
      totalCents,
      orderIds: [...this.orderIds],
    };
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** YYYY-MM-DD of an instant in a time zone. */
export function localDay(timeZone: string): (at: Date) => string {
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  return (at) => format.format(at);
}

/**
 * Splits an order's lines across its payments: cell (line, payment) of the result. Payment columns but
 * the last take their exact amount proportionally to the lines; the last takes what each line has left,
 * so rows sum to each line and columns to each payment.
 */
export function splitAcrossPayments(lines: readonly bigint[], payments: readonly bigint[]): bigint[][] {
  const cells = lines.map(() => payments.map(() => 0n));
  const left = [...lines];
  payments.forEach((amount, j) => {
    const column = j === payments.length - 1 ? [...left] : allocate(amount, lines);
    column.forEach((part, i) => {
      cells[i]![j] = part;
      left[i]! -= part;
    });
  });
  return cells;
}

export function summarize(
  orders: readonly OrderForPush[],
  options: { summarizeData: boolean; timeZone: string },
): PacketDraft[] {
  const dayOf = localDay(options.timeZone);
  if (!options.summarizeData) {
    return orders.map((order) => {
      const packet = new PacketBuilder(order.externalId, dayOf(order.orderedAt), order.currency);
      packet.orderIds.add(order.id);
      for (const item of order.items)
        packet.addRevenue(item.revenueCategory, item.taxRate, item.netCents, item.taxCents);
      for (const payment of order.payments) packet.addPayment(payment.method, payment.amountCents);
      return packet.build();
    });
  }
  const packets = new Map<string, PacketBuilder>();
  for (const order of orders) {
    const date = dayOf(order.orderedAt);
    const payments = order.payments.filter((payment) => payment.amountCents !== 0n);
    if (payments.length === 0) continue;
    // Net and tax of each item are split separately, so each stays exact.
    const lines = order.items.flatMap((item) => [item.netCents, item.taxCents]);
    const cells = splitAcrossPayments(
      lines,
      payments.map((payment) => payment.amountCents),
    );
    payments.forEach((payment, j) => {
      const key = JSON.stringify([date, payment.method, order.currency]);
      let packet = packets.get(key);
      if (!packet) {
        packet = new PacketBuilder(`${date} / ${payment.method} / ${order.currency}`, date, order.currency);
        packets.set(key, packet);
      }
      packet.orderIds.add(order.id);
      packet.addPayment(payment.method, payment.amountCents);
      order.items.forEach((item, i) => {
        packet.addRevenue(item.revenueCategory, item.taxRate, cells[2 * i]![j]!, cells[2 * i + 1]![j]!);
      });
    });
  }
  return [...packets.values()].map((packet) => packet.build()).sort((a, b) => compare(a.label, b.label));
}
