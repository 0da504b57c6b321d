import type { OutgoingRequest } from "../http.ts";

/**
 * Xero Accounting's ManualJournal, as syncline sends it (specs/xero_accounting.yaml: ManualJournal,
 * ManualJournalLine), and how its answer is read.
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

/** The id Xero gave the journal, from its answer to journalRequest. */
export function journalIdOf(body: unknown): string | null {
  const journal = (body as { ManualJournals?: { ManualJournalID?: string }[] } | null)?.ManualJournals?.[0];
  return journal?.ManualJournalID ?? null;
}
