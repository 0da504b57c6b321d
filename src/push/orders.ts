import { randomUUID } from "node:crypto";
import { z } from "zod";
import { type FieldIssue, MAX_ISSUES } from "../errors.ts";
import type { Prisma } from "../generated/prisma/client.ts";
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
        // At most MAX_ISSUES per order, like a ValidationError: 500 bad items need not answer 3,000 lines.
        issues: result.error.issues.slice(0, MAX_ISSUES).map((issue) => ({
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
 * left alone. A fixed number of statements whatever the number of orders, each carrying its rows as one
 * JSON parameter (an ORM createMany of thousands of rows spends seconds building its query).
 */
export async function ingestOrders(
  tx: Prisma.TransactionClient,
  target: { tenantId: string; integrationId: string | null },
  orders: readonly ValidOrder[],
): Promise<Omit<IngestResult, "rejected">> {
  const existing = new Map(
    (
      await tx.$queryRawUnsafe<{ id: string; externalId: string; contentHash: string }[]>(
        `SELECT id, "externalId", "contentHash" FROM "Order"
         WHERE "tenantId" = $1::uuid AND "externalId" = ANY($2::text[])`,
        target.tenantId,
        orders.map((o) => o.externalId),
      )
    ).map((row) => [row.externalId, row]),
  );
  const written: {
    id: string;
    externalId: string;
    orderedAt: string;
    currency: string;
    total: string;
    hash: string;
  }[] = [];
  const modifiedIds: string[] = [];
  let unchanged = 0;
  const items: Record<string, unknown>[] = [];
  const payments: Record<string, unknown>[] = [];
  for (const order of orders) {
    const hash = orderHash(target.integrationId, order);
    const row = existing.get(order.externalId);
    if (row?.contentHash === hash) {
      unchanged++;
      continue;
    }
    const id = row?.id ?? randomUUID();
    if (row) modifiedIds.push(id);
    written.push({
      id,
      externalId: order.externalId,
      orderedAt: order.orderedAt.toISOString(),
      currency: order.currency,
      total: order.totalAmount,
      hash,
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
  if (written.length === 0) return { created: 0, modified: 0, unchanged };
  if (modifiedIds.length > 0) {
    await tx.$executeRawUnsafe(`DELETE FROM "OrderItem" WHERE "orderId" = ANY($1::uuid[])`, modifiedIds);
    await tx.$executeRawUnsafe(`DELETE FROM "OrderPayment" WHERE "orderId" = ANY($1::uuid[])`, modifiedIds);
  }
  await tx.$executeRawUnsafe(
    UPSERT_ORDERS,
    JSON.stringify(written),
    target.tenantId,
    target.integrationId,
    new Date(),
  );
  await tx.$executeRawUnsafe(INSERT_ITEMS, JSON.stringify(items));
  await tx.$executeRawUnsafe(INSERT_PAYMENTS, JSON.stringify(payments));
  return { created: written.length - modifiedIds.length, modified: modifiedIds.length, unchanged };
}

/** $1 orders (JSON), $2 tenant, $3 integration or null, $4 now. A changed order moves its updatedAt. */
const UPSERT_ORDERS = `
  INSERT INTO "Order" (id, "tenantId", "integrationId", "externalId", "orderedAt", currency, "totalAmount",
                       "contentHash", "createdAt", "updatedAt")
  SELECT o.id, $2::uuid, $3::uuid, o."externalId", o."orderedAt", o.currency, o.total::numeric, o.hash,
         $4::timestamp(3), $4::timestamp(3)
  FROM jsonb_to_recordset($1::jsonb)
    AS o(id uuid, "externalId" text, "orderedAt" timestamp(3), currency text, total text, hash text)
  ON CONFLICT (id) DO UPDATE SET
    "integrationId" = EXCLUDED."integrationId", "orderedAt" = EXCLUDED."orderedAt",
    currency = EXCLUDED.currency, "totalAmount" = EXCLUDED."totalAmount",
    "contentHash" = EXCLUDED."contentHash", "updatedAt" = EXCLUDED."updatedAt"`;

const INSERT_ITEMS = `
  INSERT INTO "OrderItem" (id, "orderId", position, "revenueCategory", description, quantity, "netAmount",
                           "taxRate", "taxAmount")
  SELECT gen_random_uuid(), i."orderId", i.position, i."revenueCategory", i.description, i.quantity::numeric,
         i."netAmount"::numeric, i."taxRate", i."taxAmount"::numeric
  FROM jsonb_to_recordset($1::jsonb) AS i("orderId" uuid, position int, "revenueCategory" text,
    description text, quantity text, "netAmount" text, "taxRate" text, "taxAmount" text)`;

const INSERT_PAYMENTS = `
  INSERT INTO "OrderPayment" (id, "orderId", position, method, amount)
  SELECT gen_random_uuid(), p."orderId", p.position, p.method, p.amount::numeric
  FROM jsonb_to_recordset($1::jsonb) AS p("orderId" uuid, position int, method text, amount text)`;
