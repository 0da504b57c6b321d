import type { ManualJournalPayload } from "../platforms/xero-accounting/journal.ts";
import { centsOf, formatCents } from "./money.ts";
import type { PacketDraft } from "./summarize.ts";

/** What a packet row stores: the summarized draft (cents as strings) and, once mapped, the journal. */
export interface StoredPayload {
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

export function storeDraft(draft: PacketDraft): StoredPayload["draft"] {
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

export function loadDraft(stored: StoredPayload["draft"]): PacketDraft {
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

/** A packet's mapped state: MAPPED with its journal and key, FAILED with the missing rule, or SKIPPED. */
export interface MappedState {
  state: "MAPPED" | "FAILED" | "SKIPPED";
  idempotencyKey: string;
  payload: StoredPayload;
  errorCode: string | null;
  errorMessage: string | null;
}
