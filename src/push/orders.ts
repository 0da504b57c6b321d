import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Prisma } from "../generated/prisma/client.ts";
import type { FieldIssue } from "../graphql/errors.ts";
import { contentHash } from "../sync/records.ts";
import { formatCents, parseCents, sumCents } from "./money.ts";

/**
 * Orders in from the host (DESIGN.md "Push"). Ingestion is idempotent by the host's order id: the same
 * order again changes nothing, a changed one is rewritten and counts as modified (so the next push takes
 * it). Each order is validated on its own; valid orders are kept even when others in the same call are
 * rejected, and each rejection names the order and the offending fields.
 */

/** Most orders one call may carry; hosts send more in several calls. */
export const MAX_ORDERS_PER_CALL = 1000;

const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

const text = (max: number) =>
  z.string().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);
const amount = z
  .string()
  .refine((value) => parseCents(value) !== null, "must be an amount with at most 2 decimals");
const quantity = z
  .string()
  .regex(/^-?\d{1,14}(\.\d{1,4})?$/, "must be a number with at most 4 decimals")
  .refine((value) => !value.startsWith("-"), "must not be negative");

const OrderSchema = z
  .object({
    externalId: text(200),
    orderedAt: z.date(),
    currency: z
      .string()
      .trim()
      .toUpperCase()
      .refine((code) => CURRENCIES.has(code), "is not an ISO 4217 currency code"),
    totalAmount: amount,
    items: z
      .array(
        z.object({
          revenueCategory: text(200),
          description: z.string().max(1000, "must be at most 1000 characters").nullish(),
          quantity,
          netAmount: amount,
          taxRate: text(100),
          taxAmount: amount,
        }),
      )
      .min(1, "must hold at least one item")
      .max(500, "must hold at most 500 items"),
    payments: z
      .array(z.object({ method: text(100), amount }))
      .min(1, "must hold at least one payment")
      .max(50, "must hold at most 50 payments"),
  })
  .superRefine((order, ctx) => {
    const total = parseCents(order.totalAmount);
    const items = order.items.flatMap((item) => [parseCents(item.netAmount), parseCents(item.taxAmount)]);
    const payments = order.payments.map((payment) => parseCents(payment.amount));
    if (total === null || items.includes(null) || payments.includes(null)) return; // reported per field
    const itemsTotal = sumCents(items as bigint[]);
    const paid = sumCents(payments as bigint[]);
    if (itemsTotal !== total) {
      ctx.addIssue({
        code: "custom",
        path: ["items"],
        message: `net plus tax of the items is ${formatCents(itemsTotal)}, not the total ${formatCents(total)}`,
      });
    }
    if (paid !== total) {
      ctx.addIssue({
        code: "custom",
        path: ["payments"],
        message: `payments sum to ${formatCents(paid)}, not the total ${formatCents(total)}`,
      });
    }
  });

export type OrderInput = z.input<typeof OrderSchema>;
type ValidOrder = z.output<typeof OrderSchema>;

export interface OrderRejection {
  /** Position of the order in the call. */
  index: number;
  externalId: string | null;
  issues: FieldIssue[];
}

export interface IngestResult {
  created: number;
  modified: number;
  unchanged: number;
  rejected: OrderRejection[];
}

/** Splits a call's orders into valid ones and rejections (duplicates of an id in one call are rejected). */
export function validateOrders(orders: readonly unknown[]): {
  valid: ValidOrder[];
  rejected: OrderRejection[];
} {
  const valid: ValidOrder[] = [];
  const rejected: OrderRejection[] = [];
  const seen = new Set<string>();
  orders.forEach((raw, index) => {
    const externalId =
      typeof (raw as OrderInput)?.externalId === "string" ? (raw as OrderInput).externalId.trim() : null;
    const result = OrderSchema.safeParse(raw);
    const base = ["orders", String(index)];
    if (!result.success) {
      rejected.push({
        index,
        externalId,
        issues: result.error.issues.map((issue) => ({
          path: [...base, ...issue.path.map(String)],
          message: issue.message,
        })),
      });
    } else if (seen.has(result.data.externalId)) {
      rejected.push({
        index,
        externalId,
        issues: [{ path: [...base, "externalId"], message: "appears more than once in this call" }],
      });
    } else {
      seen.add(result.data.externalId);
      valid.push(result.data);
    }
  });
  return { valid, rejected };
}

/** What identifies an order's content: a change to any of it makes the order modified. */
function orderHash(integrationId: string | null, order: ValidOrder): string {
  return contentHash({
    integrationId,
    orderedAt: order.orderedAt.toISOString(),
    currency: order.currency,
    total: formatCents(parseCents(order.totalAmount)!),
    items: order.items.map((item) => ({
      revenueCategory: item.revenueCategory,
      description: item.description ?? "",
      quantity: item.quantity,
      net: formatCents(parseCents(item.netAmount)!),
      taxRate: item.taxRate,
      tax: formatCents(parseCents(item.taxAmount)!),
    })),
    payments: order.payments.map((payment) => ({
      method: payment.method,
      amount: formatCents(parseCents(payment.amount)!),
    })),
  });
}

/**
 * Writes valid orders for a tenant (and optionally one accounting integration) in the caller's
 * transaction: new ones inserted, changed ones rewritten with their items and payments, unchanged ones
 * left alone. Three statements per kind of row, whatever the number of orders.
 */
export async function ingestOrders(
  tx: Prisma.TransactionClient,
  target: { tenantId: string; integrationId: string | null },
  orders: readonly ValidOrder[],
): Promise<Omit<IngestResult, "rejected">> {
  const existing = new Map(
    (
      await tx.order.findMany({
        where: { tenantId: target.tenantId, externalId: { in: orders.map((o) => o.externalId) } },
        select: { id: true, externalId: true, contentHash: true },
      })
    ).map((row) => [row.externalId, row]),
  );
  const now = new Date();
  const created: Prisma.OrderCreateManyInput[] = [];
  const modified: { id: string; order: ValidOrder; hash: string }[] = [];
  let unchanged = 0;
  const items: Prisma.OrderItemCreateManyInput[] = [];
  const payments: Prisma.OrderPaymentCreateManyInput[] = [];
  for (const order of orders) {
    const hash = orderHash(target.integrationId, order);
    const row = existing.get(order.externalId);
    if (row?.contentHash === hash) {
      unchanged++;
      continue;
    }
    const id = row?.id ?? randomUUID();
    if (row) modified.push({ id, order, hash });
    else
      created.push({
        id,
        tenantId: target.tenantId,
        integrationId: target.integrationId,
        externalId: order.externalId,
        orderedAt: order.orderedAt,
        currency: order.currency,
        totalAmount: order.totalAmount,
        contentHash: hash,
        createdAt: now,
        updatedAt: now,
      });
    for (const [position, item] of order.items.entries()) {
      items.push({
        orderId: id,
        position,
        revenueCategory: item.revenueCategory,
        description: item.description ?? "",
        quantity: item.quantity,
        netAmount: item.netAmount,
        taxRate: item.taxRate,
        taxAmount: item.taxAmount,
      });
    }
    for (const [position, payment] of order.payments.entries()) {
      payments.push({ orderId: id, position, method: payment.method, amount: payment.amount });
    }
  }
  if (modified.length > 0) {
    const ids = modified.map((m) => m.id);
    await tx.orderItem.deleteMany({ where: { orderId: { in: ids } } });
    await tx.orderPayment.deleteMany({ where: { orderId: { in: ids } } });
    for (const { id, order, hash } of modified) {
      await tx.order.update({
        where: { id },
        data: {
          integrationId: target.integrationId,
          orderedAt: order.orderedAt,
          currency: order.currency,
          totalAmount: order.totalAmount,
          contentHash: hash,
          updatedAt: now,
        },
      });
    }
  }
  if (created.length > 0) await tx.order.createMany({ data: created });
  if (items.length > 0) await tx.orderItem.createMany({ data: items });
  if (payments.length > 0) await tx.orderPayment.createMany({ data: payments });
  return { created: created.length, modified: modified.length, unchanged };
}
