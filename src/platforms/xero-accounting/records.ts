import { field, type RecordShape } from "../records.ts";

/** Xero Accounting records as the pulls store them (Account, TaxRate). */
export const XERO_ACCOUNTING_RECORD_SHAPES: Record<string, RecordShape> = {
  account: {
    typeName: "XeroAccount",
    description: "An account of the chart of accounts (Xero Account), as last pulled.",
    fields: [
      field.string("accountId", "Xero's AccountID.", "AccountID"),
      field.string("code", "The account code mapping rules point at.", "Code"),
      field.string("name", "Account name.", "Name"),
      field.string("type", "Account type (BANK, REVENUE, EXPENSE, CURRENT, …).", "Type"),
      field.string("status", "ACTIVE or ARCHIVED.", "Status"),
      field.string("taxType", "Default tax type of lines coded to it.", "TaxType"),
      field.string("description", "Description.", "Description"),
      field.string("class", "Account class (ASSET, EQUITY, EXPENSE, LIABILITY, REVENUE).", "Class"),
      field.string("currencyCode", "Currency (bank accounts).", "CurrencyCode"),
      field.dateTime("updatedAt", "When it last changed in Xero (UpdatedDateUTC).", "UpdatedDateUTC"),
    ],
  },
  taxRate: {
    typeName: "XeroTaxRate",
    description: "A tax rate (Xero TaxRate), as last pulled.",
    fields: [
      field.string("taxType", "The tax type mapping rules point at.", "TaxType"),
      field.string("name", "Tax rate name.", "Name"),
      field.string("status", "ACTIVE, DELETED, ARCHIVED or PENDING.", "Status"),
      field.string("reportTaxType", "How it is reported.", "ReportTaxType"),
      field.float("displayTaxRate", "The rate shown, in percent.", "DisplayTaxRate"),
      field.float("effectiveRate", "The effective rate, in percent.", "EffectiveRate"),
    ],
  },
};
