import { createHash } from "node:crypto";
import type { PacketTransition } from "../events.ts";
import type { Prisma, PrismaClient, SyncPacket, SyncRun } from "../generated/prisma/client.ts";
import type { PacketState } from "../generated/prisma/enums.ts";
import type { CallOutcome } from "../platforms/http.ts";
import { loadIntegrationEffectiveSettings } from "../settings/load.ts";
import { appendLog } from "../sync/logs.ts";
import type { TimeScale } from "../time.ts";
import { type ManualJournalPayload, Mapper, packetIdempotencyKey } from "./mapping.ts";
import { centsOf, formatCents } from "./money.ts";
import { type OrderForPush, type PacketDraft, summarize } from "./summarize.ts";

/**
 * A push run's packets (DESIGN.md "Push"): built from the orders created or modified since the last
 * successful push's cutoff, mapped through the integration's rules, then sent one call each through the
 * EXPORT lane. Each packet moves PENDING → MAPPED → SENDING → SENT or FAILED (or SKIPPED), and every
 * move is returned as a transition for the caller to publish.
 */

/** Transient send failures of one packet before it is FAILED. */
const MAX_SEND_ATTEMPTS = 6;

/** What a packet row stores: the summarized draft (cents as strings) and, once mapped, the journal. */
interface StoredPayload {
  draft: {
    label: string;
    date: string;
    currency: string;
    revenue: { revenueCategory: string; taxRate: string; net: string; tax: string }[];
    payments: { method: string; amount: string }[];
    total: string;
    orderIds: string[];
  };
  journal: ManualJournalPayload | null;
  /** The journal an earlier push sent for the same order or day, which this packet replaces. */
  replaces: string | null;
}

type Tx = Prisma.TransactionClient;

function storeDraft(draft: PacketDraft): StoredPayload["draft"] {
  return {
    label: draft.label,
    date: draft.date,
    currency: draft.currency,
    revenue: draft.revenue.map((l) => ({
      revenueCategory: l.revenueCategory,
      taxRate: l.taxRate,
      net: formatCents(l.netCents),
      tax: formatCents(l.taxCents),
    })),
    payments: draft.payments.map((p) => ({ method: p.method, amount: formatCents(p.amountCents) })),
    total: formatCents(draft.totalCents),
    orderIds: draft.orderIds,
  };
}

function loadDraft(stored: StoredPayload["draft"]): PacketDraft {
  return {
    label: stored.label,
    date: stored.date,
    currency: stored.currency,
    revenue: stored.revenue.map((l) => ({
      revenueCategory: l.revenueCategory,
      taxRate: l.taxRate,
      netCents: centsOf(l.net),
      taxCents: centsOf(l.tax),
    })),
    payments: stored.payments.map((p) => ({ method: p.method, amountCents: centsOf(p.amount) })),
    totalCents: centsOf(stored.total),
    orderIds: stored.orderIds,
  };
}

const transition = (
  packet: Pick<
    SyncPacket,
    "id" | "runId" | "sequence" | "label" | "attempts" | "remoteId" | "errorCode" | "errorMessage"
  >,
  from: PacketState | null,
  to: PacketState,
): PacketTransition => ({
  runId: packet.runId,
  packetId: packet.id,
  sequence: packet.sequence,
  label: packet.label,
  from,
  to,
  attempts: packet.attempts,
  remoteId: packet.remoteId,
  errorCode: packet.errorCode,
  errorMessage: packet.errorMessage,
  at: new Date().toISOString(),
});

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
export async function buildPackets(prisma: PrismaClient, run: SyncRun): Promise<PacketTransition[]> {
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
      const built = drafts.map((draft, index) => ({
        sequence: index + 1,
        label: draft.label,
        totalAmount: formatCents(draft.totalCents),
        ...mapDraft(mapper, run.integrationId, draft, previous.get(draft.label) ?? null),
      }));
      const ids = await insertPackets(tx, run, built);
      const failed = built.filter((packet) => packet.state === "FAILED").length;
      const skipped = built.filter((packet) => packet.state === "SKIPPED").length;
      await tx.syncRun.update({
        where: { id: run.id },
        data: {
          status: "RUNNING",
          startedAt: new Date(),
          windowFrom: window.from,
          windowTo: window.to,
          failedCount: { increment: failed },
          skippedCount: { increment: skipped },
        },
      });
      const mode = summarizing ? "per day and payment method" : "one per order";
      await appendLog(
        tx,
        run.id,
        "INFO",
        null,
        `${orders.length} orders changed since ${window.from.toISOString()}: ${drafts.length} packets (${mode}), ${failed} failed to map`,
      );
      // Built (PENDING) and mapped in this one transaction: both moves are reported, in order.
      return built.flatMap((packet, index) => {
        const row = { ...packet, id: ids[index]!, runId: run.id, attempts: 0, remoteId: null };
        return [transition(row, null, "PENDING"), transition(row, "PENDING", packet.state)];
      });
    },
    { timeout: 120_000 },
  );
}

/** A packet's mapped state: MAPPED with its journal and key, FAILED with the missing rule, or SKIPPED. */
interface MappedState {
  state: "MAPPED" | "FAILED" | "SKIPPED";
  idempotencyKey: string;
  payload: StoredPayload;
  errorCode: string | null;
  errorMessage: string | null;
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

function mapDraft(
  mapper: Mapper,
  integrationId: string,
  draft: PacketDraft,
  replaces: string | null,
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

/** Packets per INSERT: a push of 100,000 orders unsummarized makes 100,000 packets. */
const INSERT_CHUNK = 2_000;

/** Inserts built packets in a few statements (one JSON parameter each); returns their ids in order. */
async function insertPackets(
  tx: Tx,
  run: Pick<SyncRun, "id" | "integrationId">,
  packets: (MappedState & { sequence: number; label: string; totalAmount: string })[],
): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < packets.length; start += INSERT_CHUNK) {
    const chunk = packets.slice(start, start + INSERT_CHUNK);
    const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
      INSERT_PACKETS,
      JSON.stringify(chunk),
      run.id,
      run.integrationId,
      new Date(),
    );
    ids.push(...rows.map((row) => row.id));
  }
  return ids;
}

/** $1 the packets (JSON array), $2 run, $3 integration, $4 now. Returns ids in sequence order. */
const INSERT_PACKETS = `
  INSERT INTO "SyncPacket"
    (id, "runId", "integrationId", sequence, state, attempts, "idempotencyKey", label, "totalAmount",
     payload, "errorCode", "errorMessage", "createdAt", "updatedAt")
  SELECT gen_random_uuid(), $2::uuid, $3::uuid, p.sequence, p.state::"PacketState", 0, p."idempotencyKey",
         p.label, p."totalAmount"::numeric, p.payload, p."errorCode", p."errorMessage",
         $4::timestamp(3), $4::timestamp(3)
  FROM jsonb_to_recordset($1::jsonb) AS p(sequence int, state text, "idempotencyKey" text, label text,
    "totalAmount" text, payload jsonb, "errorCode" text, "errorMessage" text)
  ORDER BY p.sequence
  RETURNING id`;

/** Claims the run's next packet due for sending: MAPPED → SENDING, one attempt more. */
export async function claimPacket(
  prisma: PrismaClient,
  runId: string,
): Promise<{ packet: SyncPacket; transition: PacketTransition } | null> {
  for (;;) {
    const next = await prisma.syncPacket.findFirst({
      where: {
        runId,
        state: "MAPPED",
        OR: [{ nextAttemptAt: null }, { nextAttemptAt: { lte: new Date() } }],
      },
      orderBy: { sequence: "asc" },
    });
    if (!next) return null;
    const { count } = await prisma.syncPacket.updateMany({
      where: { id: next.id, state: "MAPPED" },
      data: { state: "SENDING", attempts: { increment: 1 } },
    });
    if (count === 0) continue; // another slot took it
    const packet = { ...next, state: "SENDING" as const, attempts: next.attempts + 1 };
    return { packet, transition: transition(packet, "MAPPED", "SENDING") };
  }
}

/** The budget said wait: the claimed packet goes back as it was, its attempt not counted. */
export async function unclaimPacket(prisma: PrismaClient, packet: SyncPacket): Promise<void> {
  await prisma.syncPacket.update({
    where: { id: packet.id },
    data: { state: "MAPPED", attempts: { decrement: 1 } },
  });
}

/**
 * A worker died with packets SENDING: they go back to MAPPED and are sent again with the same
 * Idempotency-Key, so the platform creates each journal once however often it is asked.
 */
export async function requeueOrphanedPackets(prisma: PrismaClient, integrationId: string): Promise<number> {
  const { count } = await prisma.syncPacket.updateMany({
    where: { integrationId, state: "SENDING" },
    data: { state: "MAPPED" },
  });
  return count;
}

/** A new journal is created (PUT); one that replaces an earlier push's journal updates it (POST with its id). */
export function packetRequest(packet: SyncPacket) {
  const { journal } = packet.payload as unknown as StoredPayload;
  const method = journal?.ManualJournalID ? ("POST" as const) : ("PUT" as const);
  return { method, path: "ManualJournals", body: { ManualJournals: [journal] } };
}

/** Records the platform's answer: SENT with the remote id, FAILED, or back to MAPPED to try again later. */
export async function settlePacket(
  prisma: PrismaClient,
  packet: SyncPacket,
  outcome: CallOutcome,
  time: TimeScale,
): Promise<PacketTransition | null> {
  let data: Prisma.SyncPacketUpdateInput;
  let counts: Prisma.SyncRunUpdateInput = {};
  switch (outcome.kind) {
    case "ok": {
      const journal = (outcome.body as { ManualJournals?: { ManualJournalID?: string }[] } | null)
        ?.ManualJournals?.[0];
      data = {
        state: "SENT",
        remoteId: journal?.ManualJournalID ?? null,
        errorCode: null,
        errorMessage: null,
      };
      counts = { sentCount: { increment: 1 } };
      break;
    }
    case "rejected":
      data = { state: "FAILED", errorCode: "PLATFORM_REJECTED", errorMessage: outcome.message };
      counts = { failedCount: { increment: 1 } };
      break;
    case "rateLimited":
      // Not the packet's fault: the budget is blocked until Retry-After; the attempt does not count.
      data = { state: "MAPPED", attempts: { decrement: 1 } };
      break;
    case "retryable":
      if (packet.attempts >= MAX_SEND_ATTEMPTS) {
        data = {
          state: "FAILED",
          errorCode: "PLATFORM_UNAVAILABLE",
          errorMessage: `${outcome.message} (gave up after ${packet.attempts} attempts)`,
        };
        counts = { failedCount: { increment: 1 } };
      } else {
        const backoffMs = time.secondsToMs(Math.min(300, 2 ** packet.attempts));
        data = {
          state: "MAPPED",
          nextAttemptAt: new Date(Date.now() + backoffMs),
          errorMessage: outcome.message,
        };
      }
      break;
  }
  const updated = await prisma.$transaction(async (tx) => {
    const row = await tx.syncPacket.update({ where: { id: packet.id }, data });
    if (Object.keys(counts).length > 0)
      await tx.syncRun.update({ where: { id: packet.runId }, data: counts });
    return row;
  });
  return updated.state === "MAPPED" && outcome.kind === "rateLimited"
    ? null
    : transition(updated, "SENDING", updated.state);
}

/** When the run's next backed-off packet is due, if it has one waiting. */
export async function nextPacketDue(prisma: PrismaClient, runId: string): Promise<number | null> {
  const next = await prisma.syncPacket.findFirst({
    where: { runId, state: "MAPPED", nextAttemptAt: { not: null } },
    orderBy: { nextAttemptAt: "asc" },
    select: { nextAttemptAt: true },
  });
  return next?.nextAttemptAt?.getTime() ?? null;
}

/**
 * Ends a push run once every packet was processed (SENT, FAILED or SKIPPED): SUCCEEDED, with counts from
 * the packets. A run whose packets are still on their way is left alone. Returns whether it ended.
 */
export async function finishPushIfDone(prisma: PrismaClient, run: Pick<SyncRun, "id">): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const open = await tx.syncPacket.count({
      where: { runId: run.id, state: { in: ["PENDING", "MAPPED", "SENDING"] } },
    });
    if (open > 0) return false;
    const byState = await tx.syncPacket.groupBy({ by: ["state"], where: { runId: run.id }, _count: true });
    const count = (state: PacketState) => byState.find((row) => row.state === state)?._count ?? 0;
    const { count: ended } = await tx.syncRun.updateMany({
      where: { id: run.id, status: "RUNNING" },
      data: {
        status: "SUCCEEDED",
        finishedAt: new Date(),
        sentCount: count("SENT"),
        failedCount: count("FAILED"),
        skippedCount: count("SKIPPED"),
        error: count("FAILED") > 0 ? `${count("FAILED")} packets failed; see each packet's error` : null,
      },
    });
    if (ended > 0) {
      await appendLog(
        tx,
        run.id,
        count("FAILED") > 0 ? "WARN" : "INFO",
        null,
        `Push processed: ${count("SENT")} sent, ${count("FAILED")} failed, ${count("SKIPPED")} skipped`,
      );
    }
    return ended > 0;
  });
}

/**
 * Puts a push run's FAILED packets back in line, mapped again with the current rules (a missing rule may
 * have been added meanwhile); SENT packets are never resent. Returns the transitions.
 */
export async function retryFailedPackets(
  tx: Tx,
  run: SyncRun,
): Promise<{ retried: number; transitions: PacketTransition[] }> {
  const failed = await tx.syncPacket.findMany({
    where: { runId: run.id, state: "FAILED" },
    orderBy: { sequence: "asc" },
  });
  if (failed.length === 0) return { retried: 0, transitions: [] };
  const mapper = new Mapper(await tx.mappingRule.findMany({ where: { integrationId: run.integrationId } }));
  const transitions: PacketTransition[] = [];
  for (const packet of failed) {
    const stored = packet.payload as unknown as StoredPayload;
    const mapped = mapDraft(mapper, run.integrationId, loadDraft(stored.draft), stored.replaces ?? null);
    const updated = await tx.syncPacket.update({
      where: { id: packet.id },
      data: {
        ...mapped,
        payload: mapped.payload as unknown as Prisma.InputJsonValue,
        attempts: 0,
        nextAttemptAt: null,
        remoteId: null,
      },
    });
    transitions.push(transition(updated, "FAILED", updated.state));
  }
  const stillFailed = transitions.filter((t) => t.to === "FAILED").length;
  await tx.syncRun.update({
    where: { id: run.id },
    data: {
      status: "RUNNING",
      finishedAt: null,
      error: null,
      failedCount: { decrement: failed.length - stillFailed },
    },
  });
  await appendLog(
    tx,
    run.id,
    "INFO",
    null,
    `Retrying ${failed.length} failed packets (${stillFailed} still unmapped)`,
  );
  // A packet whose value still has no rule stays FAILED: that is no move to report.
  return { retried: failed.length, transitions: transitions.filter((t) => t.from !== t.to) };
}
