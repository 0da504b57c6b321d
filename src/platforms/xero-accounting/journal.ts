import type { OutgoingRequest } from "../http.ts";

/**
 * Xero Accounting's ManualJournal, as syncline sends it (specs/xero_accounting.yaml: ManualJournal,
 * ManualJournalLine), and how its answer is read. A ManualJournal has no currency field: Xero books it in
 * the organisation's base currency, so a journal may only carry amounts in that currency.
 */
export interface ManualJournalPayload {
  /** Set when the packet replaces a journal an earlier push created. */
  ManualJournalID?: string;
  Narration: string;
  Date: string;
  Status: "POSTED";
  LineAmountTypes: "Exclusive";
  JournalLines: {
    Description: string;
    /** A JSON number with at most 2 decimals (printed from exact cents, so it reads back exactly). */
    LineAmount: number;
    AccountCode: string;
    TaxType: string;
    TaxAmount: number;
  }[];
}

/** A new journal is created (PUT); one that replaces an earlier push's journal updates it (POST with its id). */
export function journalRequest(journal: ManualJournalPayload): OutgoingRequest {
  const method = journal.ManualJournalID ? "POST" : "PUT";
  return { method, path: "ManualJournals", body: { ManualJournals: [journal] } };
}

/**
 * What a 200 to journalRequest says about the one journal sent. The request does not send
 * summarizeErrors, so the contract's default (false) applies: Xero answers a journal it refuses with
 * HTTP 200 and the element's StatusAttributeString "ERROR" and ValidationErrors, without a
 * ManualJournalID. Only an element with an id and no error was saved.
 */
export type JournalAnswer =
  | { kind: "saved"; id: string }
  | { kind: "refused"; messages: string[] }
  /** A 200 that names no saved journal and no error: the journal cannot be taken as sent. */
  | { kind: "unreadable"; message: string };

interface JournalElement {
  ManualJournalID?: string;
  StatusAttributeString?: string;
  ValidationErrors?: { Message?: string }[];
}

export function journalAnswer(body: unknown): JournalAnswer {
  const journal = (body as { ManualJournals?: JournalElement[] } | null)?.ManualJournals?.[0];
  if (!journal) return { kind: "unreadable", message: "Xero answered 200 without the journal" };
  const messages = (journal.ValidationErrors ?? []).map((e) => e.Message ?? "").filter((m) => m !== "");
  if (journal.StatusAttributeString?.toUpperCase() === "ERROR" || messages.length > 0) {
    return { kind: "refused", messages: messages.length > 0 ? messages : ["Xero marked the journal ERROR"] };
  }
  if (!journal.ManualJournalID) {
    return { kind: "unreadable", message: "Xero answered 200 without a ManualJournalID" };
  }
  return { kind: "saved", id: journal.ManualJournalID };
}

/** The organisation's record (GET Organisation): its base currency is what every manual journal is booked in. */
export const ORGANISATION_REQUEST: OutgoingRequest = { method: "GET", path: "Organisation" };

/** Organisation.BaseCurrency from an answer to ORGANISATION_REQUEST (or a mirrored Organisation record). */
export function baseCurrencyOf(organisation: unknown): string | null {
  const record = organisation as {
    Organisations?: { BaseCurrency?: unknown }[];
    BaseCurrency?: unknown;
  } | null;
  const value = record?.Organisations?.[0]?.BaseCurrency ?? record?.BaseCurrency;
  return typeof value === "string" && /^[A-Z]{3}$/.test(value) ? value : null;
}
