import type { EntityPuller } from "../pull.ts";

/**
 * Xero Accounting pulls: the organisation (its base currency), the chart of accounts and the tax rates,
 * which mapping rules point at. Each is one call that lists everything (so every pull also reconciles
 * deletions); they are small.
 */
function wholeList(path: string, key: string, id: string): EntityPuller {
  return {
    listsEverything: () => true,
    request: () => ({ path }),
    parse: (_context, body) => {
      const list = (body as Record<string, unknown> | null)?.[key];
      const rows = Array.isArray(list) ? (list as Record<string, unknown>[]) : [];
      return { records: rows.map((dto) => ({ remoteId: String(dto[id]), data: dto })), next: null };
    },
  };
}

export const XERO_ACCOUNTING_PULLERS: Record<string, EntityPuller> = {
  // The organisation itself: its BaseCurrency is the only currency a manual journal can be booked in.
  organisation: wholeList("Organisation", "Organisations", "OrganisationID"),
  account: wholeList("Accounts", "Accounts", "AccountID"),
  taxRate: wholeList("TaxRates", "TaxRates", "TaxType"),
};
