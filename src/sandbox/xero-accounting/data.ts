import { createHash, randomUUID } from "node:crypto";

/**
 * The data of one Xero organisation (a remote tenant) in the Accounting sandbox: a chart of accounts, tax
 * rates, manual journals and invoices. Field names are Xero's (PascalCase, from
 * src/sandbox/specs/xero_accounting.yaml) so records read like the API; what the API does not show is
 * camelCase: `updatedAt` (epoch ms, served as UpdatedDateUTC) and amounts in integer cents.
 *
 * Money is never a float here: amounts are integer cents (quantities ten-thousandths, tax rates
 * ten-thousandths of a percent), sums are integer sums, and the one division (tax) rounds half away from
 * zero in BigInt. A float sum of 0.10 + 0.20 - 0.30 is not 0; a sum of 10 + 20 - 30 cents is.
 */

export type LineAmountTypes = "NoTax" | "Exclusive" | "Inclusive";
export const LINE_AMOUNT_TYPES: readonly LineAmountTypes[] = ["NoTax", "Exclusive", "Inclusive"];

export interface XeroAccount {
  AccountID: string;
  Code: string;
  Name: string;
  /** The spec's AccountType: BANK, REVENUE, EXPENSE, CURRENT, CURRLIAB, … */
  Type: string;
  Status: "ACTIVE" | "ARCHIVED";
  /** The default tax type of lines coded to this account. */
  TaxType: string;
  updatedAt: number;
}

export interface XeroTaxRate {
  Name: string;
  TaxType: string;
  Status: "ACTIVE" | "DELETED";
  ReportTaxType: string;
  /** The rate in ten-thousandths of a percent: 150,000 is 15.0000%. */
  rate: number;
  updatedAt: number;
}

export interface JournalLine {
  AccountCode: string;
  AccountID: string;
  TaxType: string;
  Description?: string;
  Tracking: unknown[];
  /** LineAmount in cents: debits positive, credits negative. */
  amountCents: number;
  taxCents: number;
}

export interface ManualJournal {
  ManualJournalID: string;
  Narration: string;
  /** yyyy-MM-dd. */
  Date: string;
  Status: "DRAFT" | "POSTED";
  LineAmountTypes: LineAmountTypes;
  Url?: string;
  ShowOnCashBasisReports: boolean;
  JournalLines: JournalLine[];
  updatedAt: number;
}

export interface InvoiceLine {
  LineItemID: string;
  Description: string;
  AccountCode: string;
  AccountID: string;
  TaxType: string;
  Tracking: unknown[];
  /** Quantity in ten-thousandths (Xero keeps 4 decimals). */
  quantity: number;
  unitCents: number;
  /** Quantity × UnitAmount, rounded to the cent. */
  amountCents: number;
  taxCents: number;
}

export interface XeroContact {
  ContactID: string;
  Name: string;
}

export interface Invoice {
  InvoiceID: string;
  Type: "ACCREC" | "ACCPAY";
  InvoiceNumber?: string;
  Reference?: string;
  Contact: XeroContact;
  /** yyyy-MM-dd. */
  Date: string;
  DueDate?: string;
  Status: "DRAFT" | "SUBMITTED" | "AUTHORISED";
  LineAmountTypes: LineAmountTypes;
  CurrencyCode: string;
  LineItems: InvoiceLine[];
  subTotalCents: number;
  totalTaxCents: number;
  totalCents: number;
  updatedAt: number;
}

/** What a valid request asks for: the record without what the organisation computes. */
export type JournalDraft = Omit<ManualJournal, "ManualJournalID" | "updatedAt" | "JournalLines"> & {
  JournalLines: (Omit<JournalLine, "AccountID" | "TaxType" | "taxCents"> & {
    TaxType?: string;
    taxCents?: number;
  })[];
};

export type InvoiceDraft = Omit<
  Invoice,
  | "InvoiceID"
  | "updatedAt"
  | "LineItems"
  | "Contact"
  | "CurrencyCode"
  | "subTotalCents"
  | "totalTaxCents"
  | "totalCents"
> & {
  /** A Name finds or creates a contact, as on Xero; a ContactID must name one. */
  Contact: { ContactID?: string; Name?: string };
  LineItems: (Pick<InvoiceLine, "Description" | "AccountCode" | "Tracking" | "quantity" | "unitCents"> & {
    TaxType?: string;
  })[];
};

export interface AccountSeed {
  Code: string;
  Name: string;
  Type: string;
  TaxType?: string;
  Status?: "ACTIVE" | "ARCHIVED";
}

export interface TaxRateSeed {
  TaxType: string;
  Name: string;
  /** Percent, up to 4 decimals: 15 or "12.5". */
  rate: number | string;
  ReportTaxType?: string;
  Status?: "ACTIVE" | "DELETED";
}

export interface OrganisationSeed {
  /** Makes the seeded AccountIDs stable (the sandbox server uses the tenant id). */
  seed?: string;
  /** Default "NZD". */
  currency?: string;
  /** Replaces the default chart of accounts. */
  accounts?: AccountSeed[];
  /** Replaces the default tax rates. */
  taxRates?: TaxRateSeed[];
  /** UpdatedDateUTC of the seeded accounts and tax rates (default: the clock at seeding). */
  anchor?: number;
}

/** A small New Zealand chart, like Xero's demo company, with one archived account to code against. */
export const DEFAULT_ACCOUNTS: readonly AccountSeed[] = [
  { Code: "090", Name: "Business Bank Account", Type: "BANK", TaxType: "NONE" },
  { Code: "200", Name: "Sales", Type: "REVENUE", TaxType: "OUTPUT" },
  { Code: "260", Name: "Other Revenue", Type: "REVENUE", TaxType: "OUTPUT" },
  { Code: "310", Name: "Cost of Goods Sold", Type: "DIRECTCOSTS", TaxType: "INPUT" },
  { Code: "400", Name: "Advertising", Type: "EXPENSE", TaxType: "INPUT" },
  { Code: "404", Name: "Bank Fees", Type: "EXPENSE", TaxType: "NONE" },
  { Code: "429", Name: "General Expenses", Type: "EXPENSE", TaxType: "INPUT" },
  { Code: "455", Name: "Entertainment (old)", Type: "EXPENSE", TaxType: "INPUT", Status: "ARCHIVED" },
  { Code: "610", Name: "Accounts Receivable", Type: "CURRENT", TaxType: "NONE" },
  { Code: "800", Name: "Accounts Payable", Type: "CURRLIAB", TaxType: "NONE" },
  { Code: "820", Name: "GST", Type: "CURRLIAB", TaxType: "NONE" },
  { Code: "970", Name: "Owner A Funds Introduced", Type: "EQUITY", TaxType: "NONE" },
];

export const DEFAULT_TAX_RATES: readonly TaxRateSeed[] = [
  { TaxType: "OUTPUT", Name: "15% GST on Income", rate: 15, ReportTaxType: "OUTPUT" },
  { TaxType: "OUTPUT2", Name: "10% GST on Income", rate: 10, ReportTaxType: "OUTPUT" },
  { TaxType: "INPUT", Name: "15% GST on Expenses", rate: 15, ReportTaxType: "INPUT" },
  { TaxType: "NONE", Name: "No GST", rate: 0, ReportTaxType: "NONE" },
  { TaxType: "EXEMPTOUTPUT", Name: "Exempt Income", rate: 0, ReportTaxType: "EXEMPTOUTPUT" },
];

export class XeroOrganisation {
  /** The organisation's base currency (Organisation.BaseCurrency): what a manual journal is booked in. */
  readonly currency: string;
  readonly organisationId: string;
  readonly createdAt: number;
  /** By Code, in chart order. */
  readonly accounts = new Map<string, XeroAccount>();
  /** By TaxType. */
  readonly taxRates = new Map<string, XeroTaxRate>();
  readonly contacts = new Map<string, XeroContact>();
  private readonly journalsById = new Map<string, ManualJournal>();
  private readonly invoicesById = new Map<string, Invoice>();
  private readonly seed: string;
  private lastInvoiceNumber = 0;

  constructor(
    seed: OrganisationSeed = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.seed = seed.seed ?? "xero";
    this.currency = seed.currency ?? "NZD";
    this.organisationId = stableUuid(this.seed, "organisation", this.seed);
    this.createdAt = seed.anchor ?? clock();
    const at = seed.anchor ?? clock();
    for (const account of seed.accounts ?? DEFAULT_ACCOUNTS) this.addAccount(account, at);
    for (const rate of seed.taxRates ?? DEFAULT_TAX_RATES) this.addTaxRate(rate, at);
  }

  // ---- chart of accounts and tax rates ----

  /** Adds (or replaces) an account; its AccountID follows from the seed and code, so reseeding is stable. */
  addAccount(fields: AccountSeed, at = this.clock()): XeroAccount {
    const account: XeroAccount = {
      AccountID: stableUuid(this.seed, "account", fields.Code),
      Code: fields.Code,
      Name: fields.Name,
      Type: fields.Type,
      Status: fields.Status ?? "ACTIVE",
      TaxType: fields.TaxType ?? "NONE",
      updatedAt: at,
    };
    this.accounts.set(account.Code, account);
    return account;
  }

  /** Archives an account, as a bookkeeper would mid-sync: lines coded to it stop validating. */
  archiveAccount(code: string): XeroAccount {
    const account = this.accounts.get(code);
    if (!account) throw new Error(`No account with code "${code}"`);
    account.Status = "ARCHIVED";
    account.updatedAt = this.clock();
    return account;
  }

  addTaxRate(fields: TaxRateSeed, at = this.clock()): XeroTaxRate {
    const rate = parseDecimal(fields.rate, 4);
    if (rate === null || rate < 0) throw new Error(`Tax rate "${fields.rate}" is not a percentage`);
    const taxRate: XeroTaxRate = {
      Name: fields.Name,
      TaxType: fields.TaxType,
      Status: fields.Status ?? "ACTIVE",
      ReportTaxType: fields.ReportTaxType ?? fields.TaxType,
      rate,
      updatedAt: at,
    };
    this.taxRates.set(taxRate.TaxType, taxRate);
    return taxRate;
  }

  /** Why a line may not be coded to `code`, in Xero's words; undefined when it may. */
  accountProblem(code: string): string | undefined {
    const account = this.accounts.get(code);
    if (!account) return `Account code '${code}' is not a valid code for this document.`;
    if (account.Status !== "ACTIVE") return `Account code '${code}' has been archived, or has been deleted.`;
    return undefined;
  }

  /** Why `taxType` may not be used, in Xero's words; undefined when it may. */
  taxTypeProblem(taxType: string): string | undefined {
    return this.taxRates.get(taxType)?.Status === "ACTIVE"
      ? undefined
      : `The TaxType code '${taxType}' does not exist or cannot be used for this type of transaction.`;
  }

  // ---- manual journals ----

  /** Every manual journal, in the order they were created (an update keeps its place). */
  get journals(): ManualJournal[] {
    return [...this.journalsById.values()];
  }

  journal(id: string): ManualJournal | undefined {
    return this.journalsById.get(id.toLowerCase());
  }

  findJournalsByNarration(text: string): ManualJournal[] {
    return this.journals.filter((journal) => journal.Narration.includes(text));
  }

  /**
   * Stores a journal the server has validated (account codes and tax types must exist): fills in
   * AccountIDs, default tax types and tax amounts. With `id`, replaces that journal in place. IDs are
   * kept lower-case, so lookups by an upper-case ID (as some clients send) still find them.
   */
  saveJournal(draft: JournalDraft, id: string = randomUUID()): ManualJournal {
    const journal: ManualJournal = {
      ...draft,
      ManualJournalID: id.toLowerCase(),
      JournalLines: draft.JournalLines.map((line) => {
        const account = this.requireAccount(line.AccountCode);
        const TaxType = line.TaxType ?? account.TaxType;
        // A TaxAmount sent with the line overrides the computed one, as Xero allows.
        const taxCents = line.taxCents ?? this.taxOn(line.amountCents, TaxType, draft.LineAmountTypes);
        return { ...line, AccountID: account.AccountID, TaxType, taxCents };
      }),
      updatedAt: this.clock(),
    };
    this.journalsById.set(journal.ManualJournalID, journal);
    return journal;
  }

  // ---- invoices and contacts ----

  get invoices(): Invoice[] {
    return [...this.invoicesById.values()];
  }

  invoice(id: string): Invoice | undefined {
    return this.invoicesById.get(id.toLowerCase());
  }

  /** The contact a request names, by ContactID, else by Name (case-insensitive); undefined if none. */
  findContact(ref: { ContactID?: string; Name?: string }): XeroContact | undefined {
    if (ref.ContactID) return this.contacts.get(ref.ContactID.toLowerCase());
    const name = ref.Name?.trim().toLowerCase();
    return [...this.contacts.values()].find((contact) => contact.Name.toLowerCase() === name);
  }

  addContact(name: string): XeroContact {
    const contact = { ContactID: randomUUID(), Name: name.trim() };
    this.contacts.set(contact.ContactID, contact);
    return contact;
  }

  /** Whether another invoice already has this number (Xero: "Invoice # must be unique."). */
  invoiceNumberTaken(number: string, exceptId?: string): boolean {
    return this.invoices.some((i) => i.InvoiceNumber === number && i.InvoiceID !== exceptId);
  }

  /**
   * Stores a validated invoice, computing line amounts, tax and totals to the cent. A sales invoice
   * (ACCREC) without a number gets the next INV-0001-style one; bills keep whatever the supplier's was.
   */
  saveInvoice(draft: InvoiceDraft, id: string = randomUUID()): Invoice {
    const LineItems = draft.LineItems.map((line) => {
      const account = this.requireAccount(line.AccountCode);
      const TaxType = line.TaxType ?? account.TaxType;
      const amountCents = lineCents(line.quantity, line.unitCents);
      const taxCents = this.taxOn(amountCents, TaxType, draft.LineAmountTypes);
      return {
        ...line,
        LineItemID: randomUUID(),
        AccountID: account.AccountID,
        TaxType,
        amountCents,
        taxCents,
      };
    });
    const lineSum = LineItems.reduce((sum, line) => sum + line.amountCents, 0);
    const totalTaxCents = LineItems.reduce((sum, line) => sum + line.taxCents, 0);
    // Inclusive line amounts already hold the tax; otherwise it comes on top.
    const inclusive = draft.LineAmountTypes === "Inclusive";
    const invoice: Invoice = {
      ...draft,
      InvoiceID: id.toLowerCase(),
      // As on Xero, an invoice to a new contact Name creates the contact.
      Contact: this.findContact(draft.Contact) ?? this.addContact(draft.Contact.Name ?? ""),
      CurrencyCode: this.currency,
      LineItems,
      subTotalCents: inclusive ? lineSum - totalTaxCents : lineSum,
      totalTaxCents,
      totalCents: inclusive ? lineSum : lineSum + totalTaxCents,
      updatedAt: this.clock(),
    };
    if (invoice.Type === "ACCREC" && !invoice.InvoiceNumber) {
      invoice.InvoiceNumber = `INV-${String(++this.lastInvoiceNumber).padStart(4, "0")}`;
    }
    this.invoicesById.set(invoice.InvoiceID, invoice);
    return invoice;
  }

  // ---- internals ----

  /**
   * The tax in a line of `amountCents`, rounded half away from zero per line as Xero does: on top of
   * the amount (Exclusive), inside it (Inclusive: amount × r / (1 + r)), or none (NoTax).
   */
  taxOn(amountCents: number, taxType: string, lineAmountTypes: LineAmountTypes): number {
    const rate = BigInt(this.taxRates.get(taxType)?.rate ?? 0);
    if (lineAmountTypes === "NoTax" || rate === 0n) return 0;
    const hundredPercent = 1_000_000n;
    const divisor = lineAmountTypes === "Exclusive" ? hundredPercent : hundredPercent + rate;
    return roundDiv(BigInt(amountCents) * rate, divisor);
  }

  private requireAccount(code: string): XeroAccount {
    const account = this.accounts.get(code);
    if (!account) throw new Error(`No account with code "${code}"`);
    return account;
  }
}

// ---- decimals as integers ----

/**
 * A decimal as an integer count of 10^-places units (parseDecimal("12.34", 2) is 1234), from a JSON
 * number or a numeric string; null when it is not a plain decimal, has more than `places` decimals, or is
 * too large. A JSON number prints as its shortest round-trip form, so 0.1 reads as "0.1", never 0.1000…01.
 */
export function parseDecimal(value: unknown, places: number): number | null {
  let text: string;
  if (typeof value === "number") text = Number.isFinite(value) ? String(value) : "";
  else if (typeof value === "string") text = value.trim();
  else return null;
  const match = /^([-+]?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!match) return null;
  const [, sign, whole, fraction = ""] = match;
  if (fraction.replace(/0+$/, "").length > places) return null;
  const units = Number(whole! + fraction.padEnd(places, "0").slice(0, places));
  if (!Number.isSafeInteger(units)) return null;
  return sign === "-" && units !== 0 ? -units : units;
}

/** An integer count of 10^-places units as a JSON number (1234 → 12.34); exact as far as JSON goes. */
export function toDecimal(units: number, places = 2): number {
  return units / 10 ** places;
}

/** Cents as Xero prints them in messages: 1234 → "12.34", -5 → "-0.05". */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** Quantity (ten-thousandths) × UnitAmount (cents), rounded to the cent: an invoice line's LineAmount. */
export function lineCents(quantity: number, unitCents: number): number {
  return roundDiv(BigInt(quantity) * BigInt(unitCents), 10_000n);
}

/** n / d rounded half away from zero, as a number (d > 0). */
function roundDiv(n: bigint, d: bigint): number {
  const quotient = n / d;
  const remainder = n % d;
  const magnitude = remainder < 0n ? -remainder : remainder;
  return Number(2n * magnitude >= d ? quotient + (n < 0n ? -1n : 1n) : quotient);
}

/** A v4-shaped UUID that follows from its parts, so a reseeded organisation has the same AccountIDs. */
function stableUuid(...parts: string[]): string {
  const hex = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
