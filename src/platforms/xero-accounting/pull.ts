import type { EntityPuller, PullContext } from "../pull.ts";

/**
 * Xero Accounting pulls: the organisation (its base currency), the chart of accounts and the tax rates,
 * which mapping rules point at. Each is one call. A full pull lists everything (and so reconciles
 * deletions); an incremental one of a list that takes If-Modified-Since (Accounts, per the contract;
 * TaxRates and Organisation do not) sends the watermark in it and gets only what changed since.
 */
function wholeList(
  path: string,
  key: string,
  id: string,
  options: { ifModifiedSince?: boolean } = {},
): EntityPuller {
  const incremental = (context: PullContext) => options.ifModifiedSince === true && context.since !== null;
  return {
    listsEverything: (context) => !incremental(context),
    request: (context) =>
      incremental(context)
        ? { path, headers: { "If-Modified-Since": context.since!.toISOString() } }
        : { path },
    parse: (_context, body) => {
      const list = (body as Record<string, unknown> | null)?.[key];
      const rows = Array.isArray(list) ? (list as Record<string, unknown>[]) : [];
      return {
        records: rows.map((dto) => ({
          remoteId: String(dto[id]),
          data: dto,
          remoteUpdatedAt: xeroDate(dto.UpdatedDateUTC),
        })),
        next: null,
      };
    },
  };
}

/** UpdatedDateUTC as Xero writes it in JSON: /Date(1700000000000+0000)/. */
function xeroDate(value: unknown): Date | null {
  const ms = typeof value === "string" ? /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(value) : null;
  return ms ? new Date(Number(ms[1])) : null;
}

export const XERO_ACCOUNTING_PULLERS: Record<string, EntityPuller> = {
  // The organisation itself: its BaseCurrency is the only currency a manual journal can be booked in.
  organisation: wholeList("Organisation", "Organisations", "OrganisationID"),
  account: wholeList("Accounts", "Accounts", "AccountID", { ifModifiedSince: true }),
  taxRate: wholeList("TaxRates", "TaxRates", "TaxType"),
};
