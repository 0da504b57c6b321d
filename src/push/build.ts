import { createHash } from "node:crypto";
import type { DomainEvent } from "../events.ts";
import type { Prisma, PrismaClient, SyncRun } from "../generated/prisma/client.ts";
import { baseCurrencyOf } from "../platforms/xero-accounting/journal.ts";
import { loadIntegrationEffectiveSettings } from "../settings/load.ts";
import { appendLog } from "../sync/logs.ts";
import { moveRun } from "../sync/run-state.ts";
import { Mapper, packetIdempotencyKey } from "./mapping.ts";
import { centsOf, formatCents } from "./money.ts";
import { insertPackets } from "./packet-state.ts";
import { type MappedState, storeDraft } from "./payload.ts";
import { type OrderForPush, type PacketDraft, summarize } from "./summarize.ts";

/**
 * Building a push run's packets (DESIGN.md "Push"): the orders created or modified since the last
 * successful push's cutoff, summarized into drafts, each mapped through the integration's rules into
 * a journal, then written in a few statements. No provider call is made here.
 */

type Tx = Prisma.TransactionClient;

/**
 * The orders a push run covers: created or modified after the last successful push's cutoff, with their
 * items and payments, in one query (a push may cover 100,000 orders: more ids than one statement may
 * bind, so the rows are joined in PostgreSQL rather than loaded by id lists).
 */
export async function ordersForPush(
  db: Tx | PrismaClient,
  run: Pick<SyncRun, "tenantId" | "integrationId">,
  window: { from: Date; to: Date },
  /** Summarized pushes rebuild whole days: every order of each local day that has a changed order. */
  wholeDaysIn: string | null = null,
): Promise<OrderForPush[]> {
  const rows = await db.$queryRawUnsafe<
    {
      id: string;
      externalId: string;
      orderedAt: Date;
      currency: string;
      items: { c: string; r: string; n: string; t: string }[];
      payments: { m: string; a: string }[];
    }[]
  >(
    wholeDaysIn ? ORDERS_OF_CHANGED_DAYS : ORDERS_IN_WINDOW,
    run.tenantId,
    run.integrationId,
    window.from,
    window.to,
    ...(wholeDaysIn ? [wholeDaysIn] : []),
  );
  return rows.map((row) => ({
    id: row.id,
    externalId: row.externalId,
    orderedAt: new Date(row.orderedAt),
    currency: row.currency,
    items: row.items.map((item) => ({
      revenueCategory: item.c,
      taxRate: item.r,
      netCents: centsOf(item.n),
      taxCents: centsOf(item.t),
    })),
    payments: row.payments.map((payment) => ({ method: payment.m, amountCents: centsOf(payment.a) })),
  }));
}

const ORDER_COLUMNS = `
  o.id, o."externalId", o."orderedAt", o.currency,
  COALESCE((SELECT json_agg(json_build_object('c', i."revenueCategory", 'r', i."taxRate",
                                              'n', i."netAmount"::text, 't', i."taxAmount"::text)
                            ORDER BY i.position)
            FROM "OrderItem" i WHERE i."orderId" = o.id), '[]') AS items,
  COALESCE((SELECT json_agg(json_build_object('m', p.method, 'a', p.amount::text) ORDER BY p.position)
            FROM "OrderPayment" p WHERE p."orderId" = o.id), '[]') AS payments`;

/** The orders a push may send: the tenant's, for this integration or for none in particular. */
const PUSHABLE = `o."tenantId" = $1::uuid AND (o."integrationId" = $2::uuid OR o."integrationId" IS NULL)`;

/** $1 tenant, $2 integration, $3 after, $4 up to: the orders changed in the window. */
const ORDERS_IN_WINDOW = `
  SELECT ${ORDER_COLUMNS}
  FROM "Order" o
  WHERE ${PUSHABLE} AND o."updatedAt" > $3::timestamp(3) AND o."updatedAt" <= $4::timestamp(3)
  ORDER BY o."orderedAt", o."externalId"`;

/** The same, plus $5 the tenant's time zone: every order of each local day with an order changed in the window. */
const ORDERS_OF_CHANGED_DAYS = `
  WITH local AS (
    SELECT o.*, to_char(o."orderedAt" AT TIME ZONE 'UTC' AT TIME ZONE $5, 'YYYY-MM-DD') AS day
    FROM "Order" o WHERE ${PUSHABLE} AND o."updatedAt" <= $4::timestamp(3)
  ), changed_days AS (
    SELECT DISTINCT day FROM local WHERE "updatedAt" > $3::timestamp(3)
  )
  SELECT ${ORDER_COLUMNS}
  FROM local o JOIN changed_days d ON d.day = o.day
  ORDER BY o."orderedAt", o."externalId"`;

/**
 * Starts a queued push run: fixes its window (from the last successful push's cutoff to now), builds
 * its packets and maps each one, and writes them. Runs in one transaction, so a crash leaves the run
 * queued and packet-less, to be built again.
 */
export async function buildPackets(prisma: PrismaClient, run: SyncRun): Promise<DomainEvent[]> {
  return prisma.$transaction(
    async (tx) => {
      const fresh = await tx.syncRun.findUniqueOrThrow({ where: { id: run.id } });
      if (fresh.status !== "QUEUED") return [];
      const last = await tx.syncRun.findFirst({
        where: {
          integrationId: run.integrationId,
          kind: "PUSH",
          status: "SUCCEEDED",
          windowTo: { not: null },
        },
        orderBy: { windowTo: "desc" },
        select: { windowTo: true },
      });
      const window = { from: last?.windowTo ?? new Date(0), to: new Date() };
      const settings = await loadIntegrationEffectiveSettings(tx, run.integrationId);
      const tenant = await tx.tenant.findUniqueOrThrow({
        where: { id: run.tenantId },
        select: { timeZone: true },
      });
      const summarizing = settings.summarizeData.value;
      const orders = await ordersForPush(tx, run, window, summarizing ? tenant.timeZone : null);
      const drafts = summarize(orders, { summarizeData: summarizing, timeZone: tenant.timeZone });
      const previous = await sentJournals(
        tx,
        run.integrationId,
        drafts.map((draft) => draft.label),
      );
      const mapper = new Mapper(
        await tx.mappingRule.findMany({ where: { integrationId: run.integrationId } }),
      );
      const base = await baseCurrency(tx, run.integrationId);
      const built = drafts.map((draft, index) => ({
        sequence: index + 1,
        label: draft.label,
        totalAmount: formatCents(draft.totalCents),
        ...mapDraft(mapper, run.integrationId, draft, previous.get(draft.label) ?? null, base),
      }));
      const inserted = await insertPackets(tx, run, built);
      const failed = built.filter((packet) => packet.state === "FAILED").length;
      const skipped = built.filter((packet) => packet.state === "SKIPPED").length;
      const started = await moveRun(
        tx,
        run,
        "RUNNING",
        {
          startedAt: new Date(),
          windowFrom: window.from,
          windowTo: window.to,
          failedCount: { increment: failed },
          skippedCount: { increment: skipped },
        },
        ["QUEUED"],
      );
      const mode = summarizing ? "per day and payment method" : "one per order";
      await appendLog(
        tx,
        run.id,
        "INFO",
        null,
        `${orders.length} orders changed since ${window.from.toISOString()}: ${drafts.length} packets (${mode}), ${failed} failed to map`,
      );
      return [...inserted, ...started.events];
    },
    { timeout: 120_000 },
  );
}

/**
 * The journals earlier pushes sent, by packet label (an order's id, or "day / method / currency"): a
 * changed order, or a day with a changed order, replaces its journal instead of adding a second one.
 */
async function sentJournals(tx: Tx, integrationId: string, labels: string[]): Promise<Map<string, string>> {
  const rows = await tx.$queryRawUnsafe<{ label: string; remoteId: string }[]>(
    `SELECT DISTINCT ON (label) label, "remoteId" FROM "SyncPacket"
     WHERE "integrationId" = $1::uuid AND state = 'SENT' AND "remoteId" IS NOT NULL AND label = ANY($2::text[])
     ORDER BY label, "updatedAt" DESC`,
    integrationId,
    labels,
  );
  return new Map(rows.map((row) => [row.label, row.remoteId]));
}

/**
 * The organisation's base currency, from its mirrored Organisation record (pulled with the chart of
 * accounts, or fetched by the push itself before it builds: push-source.ts); null when unknown.
 */
export async function baseCurrency(db: Tx | PrismaClient, integrationId: string): Promise<string | null> {
  const record = await db.syncedRecord.findFirst({
    where: { integrationId, entity: ORGANISATION_ENTITY, deleted: false },
    orderBy: { updatedAt: "desc" },
    select: { data: true },
  });
  return record ? baseCurrencyOf(record.data) : null;
}

/** The mirror's entity for the organisation's record (the Xero Accounting puller of the same key). */
export const ORGANISATION_ENTITY = "organisation";

/**
 * Why a packet cannot go out in its currency: a ManualJournal carries no currency, so Xero books its
 * amounts in the organisation's base currency; a packet in any other currency would be booked wrong.
 */
function currencyRefusal(draft: PacketDraft, base: string | null): { code: string; message: string } | null {
  if (base === null) {
    return {
      code: "BASE_CURRENCY_UNKNOWN",
      message: `The organisation's base currency could not be read, so a ${draft.currency} journal cannot be checked; retry once Xero answers GET Organisation`,
    };
  }
  if (draft.currency.toUpperCase() === base) return null;
  return {
    code: "CURRENCY_NOT_BASE",
    message: `The packet is in ${draft.currency}, but the organisation's base currency is ${base}: a manual journal has no currency, so Xero would book these amounts as ${base}`,
  };
}

export function mapDraft(
  mapper: Mapper,
  integrationId: string,
  draft: PacketDraft,
  replaces: string | null,
  base: string | null,
): MappedState {
  const stored = storeDraft(draft);
  // Until mapped, a packet's key only has to be unique; the key it is sent with comes from its journal.
  const unsent = `unmapped:${createHash("sha256").update(JSON.stringify(stored)).digest("hex")}`;
  if (draft.revenue.length === 0 && draft.payments.every((p) => p.amountCents === 0n)) {
    return {
      state: "SKIPPED",
      idempotencyKey: unsent,
      payload: { draft: stored, journal: null, replaces },
      errorCode: null,
      errorMessage: "Nothing to send: every amount is zero",
    };
  }
  const refused = currencyRefusal(draft, base);
  if (refused) {
    return {
      state: "FAILED",
      idempotencyKey: unsent,
      payload: { draft: stored, journal: null, replaces },
      errorCode: refused.code,
      errorMessage: refused.message,
    };
  }
  const mapped = mapper.map(draft);
  if (!mapped.ok) {
    return {
      state: "FAILED",
      idempotencyKey: unsent,
      payload: { draft: stored, journal: null, replaces },
      errorCode: mapped.code,
      errorMessage: mapped.message,
    };
  }
  const journal = replaces ? { ...mapped.payload, ManualJournalID: replaces } : mapped.payload;
  return {
    state: "MAPPED",
    idempotencyKey: packetIdempotencyKey(integrationId, journal),
    payload: { draft: stored, journal, replaces },
    errorCode: null,
    errorMessage: null,
  };
}
