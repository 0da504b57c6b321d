import { randomUUID } from "node:crypto";
import { type IncomingMessage, STATUS_CODES } from "node:http";
import { PLATFORMS } from "../../platforms/catalog.ts";
import { cleanPath, isRecord, parseJson, requestHeader } from "../kit/http.ts";
import type { SandboxReply } from "../kit/reply.ts";
import { type Route, routeCall } from "../kit/routes.ts";
import {
  type NamedSandbox,
  type SandboxContext,
  type SandboxServerOptions,
  startSandboxServer,
  type TenantCall,
} from "../kit/server.ts";
import { acceptXeroCall } from "../kit/xero-call.ts";
import {
  formatCents,
  type Invoice,
  type InvoiceDraft,
  type JournalDraft,
  LINE_AMOUNT_TYPES,
  lineCents,
  type ManualJournal,
  type OrganisationSeed,
  parseDecimal,
  toDecimal,
  XeroOrganisation,
} from "./data.ts";

/**
 * A stand-in Xero Accounting API 2.0, written from Xero's OpenAPI file (src/sandbox/specs/xero_accounting.yaml):
 * Accounts, TaxRates, ManualJournals and Invoices with the spec's PascalCase fields, envelopes
 * ({ Id, Status, ProviderName, DateTimeUTC, … }) and Error bodies. On top of the spec it does what
 * PLATFORMS.md says the real platform does, through the sandbox kit: caps per organisation with
 * Xero's limit headers and 429s, Idempotency-Key replay on writes; and what tests need: latency, faults,
 * a call log.
 *
 * Routes are served under /api.xro/2.0/… (the production base path) and at the root, and match
 * case-insensitively, as Xero's do. Validation is the part a connector most needs to be honest, so
 * messages follow Xero's wording where the spec or Xero's docs give it, and money is integer cents
 * throughout (data.ts). Amounts take at most 2 decimals (Xero allows 4 for unit amounts with unitdp=4;
 * the sandbox does not), quantities at most 4.
 */

/**
 * Tenants are organisations, by remote tenant id; caps default to the Xero Accounting catalog's; `now`
 * stamps UpdatedDateUTC.
 */
export type XeroAccountingSandboxOptions = SandboxServerOptions<OrganisationSeed>;

const NAMES = { all: "organisations", one: "organisation", add: "addOrganisation" } as const;

/** Organisations by remote tenant id (the `xero-tenant-id` header); resolve "ManualJournals" against `url`. */
export type XeroAccountingSandbox = NamedSandbox<OrganisationSeed, XeroOrganisation, typeof NAMES>;

const PROVIDER_NAME = "Syncline Xero sandbox";
/** The contract's idempotencyKey parameter: "128 character max". */
const IDEMPOTENCY_KEY_MAX = 128;
/** Xero pages manual journals and invoices 100 at a time; `pageSize` may ask for up to 1,000. */
const PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
/** The largest epoch ms a JavaScript Date holds. */
const MAX_DATE_MS = 8.64e15;

/** The `Type` of Xero-shaped errors outside validation, by status. */
const ERROR_TYPES: Record<number, string> = {
  400: "PostDataInvalidException",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  422: "UnprocessableEntity",
  429: "RateLimitExceeded",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

interface RouteContext {
  org: XeroOrganisation;
  query: URLSearchParams;
  body: string;
  /** The request's media type, lower case, without parameters ("" when none was sent). */
  contentType: string;
  ifModifiedSince: string | undefined;
  now: () => number;
}

const ROUTES: Route<RouteContext>[] = [
  { path: /^\/Organisation$/i, methods: { GET: getOrganisation } },
  { path: /^\/Accounts$/i, methods: { GET: listAccounts } },
  { path: /^\/TaxRates$/i, methods: { GET: listTaxRates } },
  {
    path: /^\/ManualJournals$/i,
    methods: {
      GET: (c) => listPaged(c, "ManualJournals", c.org.journals, journalDto),
      PUT: (c) => saveBatch(JOURNALS, c, "create"),
      POST: (c) => saveBatch(JOURNALS, c, "upsert"),
    },
  },
  { path: /^\/ManualJournals\/([^/]+)$/i, methods: { GET: (c, [id]) => getOne(c, JOURNALS, id!) } },
  {
    path: /^\/Invoices$/i,
    methods: {
      GET: (c) => listPaged(c, "Invoices", c.org.invoices, invoiceDto),
      PUT: (c) => saveBatch(INVOICES, c, "create"),
      POST: (c) => saveBatch(INVOICES, c, "upsert"),
    },
  },
  { path: /^\/Invoices\/([^/]+)$/i, methods: { GET: (c, [id]) => getOne(c, INVOICES, id!) } },
];

export function startXeroAccountingSandbox(
  options: XeroAccountingSandboxOptions = {},
): Promise<XeroAccountingSandbox> {
  return startSandboxServer(options, {
    caps: PLATFORMS.XERO_ACCOUNTING.caps,
    errorBody: (message, status) => xeroError(status, message),
    basePath: "/api.xro/2.0/",
    names: NAMES,
    tenantNoun: "Xero Accounting sandbox organisation",
    contract: "XERO_ACCOUNTING",
    routePath: (req) => routePath(new URL(req.url ?? "/", "http://sandbox").pathname),
    createTenant: (tenantId, seed, now) => new XeroOrganisation({ seed: tenantId, ...seed }, now),
    accept,
  });
}

/** The route path and If-Modified-Since, then the shared Xero auth. */
function accept(req: IncomingMessage, context: SandboxContext<XeroOrganisation>): TenantCall | SandboxReply {
  const url = new URL(req.url ?? "/", "http://sandbox");
  const path = routePath(url.pathname);
  const ifModifiedSince = requestHeader(req, "if-modified-since");
  const contentType = (requestHeader(req, "content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const { now } = context;
  const key = requestHeader(req, "idempotency-key");
  if (key && key.length > IDEMPOTENCY_KEY_MAX) {
    return failure(
      400,
      `Idempotency-Key must be at most ${IDEMPOTENCY_KEY_MAX} characters (it has ${key.length})`,
    );
  }
  return acceptXeroCall(req, context, path, (org, method, body) => {
    const routeContext = { org, query: url.searchParams, body, contentType, ifModifiedSince, now };
    const reply = routeCall(ROUTES, method, path, routeContext, failure);
    return reply ?? failure(404, `The resource you're looking for cannot be found: ${method} ${path}`);
  });
}

/** "/api.xro/2.0//ManualJournals/" → "/ManualJournals": the route path, as the call log records it. */
function routePath(pathname: string): string {
  return cleanPath(pathname).replace(/^\/api\.xro\/2\.0(?=\/|$)/i, "") || "/";
}

// ---- replies ----

/**
 * Xero's error body outside validation. Xero's API exceptions say `Message`, its gateway problems
 * (401, 403, 429) `Title` and `Detail`; the sandbox sends both, so a client reading either works.
 */
function xeroError(status: number, message: string, type = ERROR_TYPES[status] ?? "InternalServerError") {
  return {
    Type: type,
    Title: STATUS_CODES[status] ?? "Error",
    Status: status,
    Detail: message,
    Message: message,
  };
}

const failure = (status: number, message: string, type?: string): SandboxReply => ({
  status,
  body: xeroError(status, message, type),
});

/** The spec's Error for validation: ErrorNumber 10, each invalid element echoed with its ValidationErrors. */
const validationFailure = (elements: object[]): SandboxReply => ({
  status: 400,
  body: {
    ErrorNumber: 10,
    Type: "ValidationException",
    Message: "A validation exception occurred",
    Elements: elements,
  },
});

/** A 200 in the API's envelope. */
const ok = (context: RouteContext, body: object): SandboxReply => ({
  status: 200,
  body: {
    Id: randomUUID(),
    Status: "OK",
    ProviderName: PROVIDER_NAME,
    DateTimeUTC: `/Date(${context.now()})/`,
    ...body,
  },
});

/** UpdatedDateUTC as Xero writes it: /Date(1700000000000+0000)/. */
const msDate = (ms: number) => `/Date(${ms}+0000)/`;
/** A yyyy-MM-dd date as the contract writes Date fields (x-is-msdate): /Date(1751241600000+0000)/. */
const xeroDay = (day: string) => msDate(Date.parse(`${day}T00:00:00Z`));

// ---- the organisation ----

/** Organisations: the one organisation the tenant id names, with its base currency. */
function getOrganisation(context: RouteContext): SandboxReply {
  const { org } = context;
  return ok(context, {
    Organisations: [
      {
        OrganisationID: org.organisationId,
        Name: `Sandbox organisation ${org.organisationId.slice(0, 8)}`,
        LegalName: `Sandbox organisation ${org.organisationId.slice(0, 8)} Limited`,
        PaysTax: true,
        Version: "NZ",
        OrganisationType: "COMPANY",
        BaseCurrency: org.currency,
        CountryCode: "NZ",
        IsDemoCompany: false,
        OrganisationStatus: "ACTIVE",
        FinancialYearEndDay: 31,
        FinancialYearEndMonth: 3,
        SalesTaxBasis: "PAYMENTS",
        SalesTaxPeriod: "TWOMONTHS",
        DefaultSalesTax: "Tax Exclusive",
        DefaultPurchasesTax: "Tax Exclusive",
        CreatedDateUTC: `/Date(${org.createdAt})/`,
        OrganisationEntityType: "COMPANY",
        Timezone: "NEWZEALANDSTANDARDTIME",
        Edition: "BUSINESS",
        Class: "PREMIUM",
      },
    ],
  });
}

// ---- accounts and tax rates ----

function listAccounts(context: RouteContext): SandboxReply {
  const since = parseSince(context.ifModifiedSince);
  if (since === null) return failure(400, "If-Modified-Since is not a date-time");
  const accounts = [...context.org.accounts.values()].filter(
    (a) => since === undefined || a.updatedAt >= since,
  );
  return ok(context, {
    Accounts: accounts.map(({ updatedAt, ...account }) => ({
      ...account,
      UpdatedDateUTC: msDate(updatedAt),
    })),
  });
}

function listTaxRates(context: RouteContext): SandboxReply {
  // Rates are JSON numbers (TaxRate: "type: number, format: double"), to 4 decimals.
  const percent = (rate: number) => Number((rate / 10_000).toFixed(4));
  return ok(context, {
    TaxRates: [...context.org.taxRates.values()].map((t) => ({
      Name: t.Name,
      TaxType: t.TaxType,
      Status: t.Status,
      ReportTaxType: t.ReportTaxType,
      DisplayTaxRate: percent(t.rate),
      EffectiveRate: percent(t.rate),
      TaxComponents: [{ Name: "GST", Rate: percent(t.rate), IsCompound: false, IsNonRecoverable: false }],
    })),
  });
}

// ---- lists and single records ----

/**
 * A list filtered by If-Modified-Since (UpdatedDateUTC at or after it, so a client's overlap window
 * sees the boundary record again), in creation order; with `page`, 100 a page (or `pageSize`) and the
 * spec's `pagination` block. Without `page` everything comes back, as Xero's older behaviour.
 */
function listPaged<T extends { updatedAt: number }>(
  context: RouteContext,
  key: string,
  records: T[],
  dto: (record: T) => object,
): SandboxReply {
  const since = parseSince(context.ifModifiedSince);
  if (since === null) return failure(400, "If-Modified-Since is not a date-time");
  const selected = since === undefined ? records : records.filter((r) => r.updatedAt >= since);
  const pageText = context.query.get("page");
  if (pageText === null) return ok(context, { [key]: selected.map(dto) });
  const page = Number(pageText);
  const pageSize = Number(context.query.get("pageSize") ?? PAGE_SIZE);
  if (!Number.isInteger(page) || page < 1) return failure(400, "page must be a whole number from 1");
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    return failure(400, `pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  const itemCount = selected.length;
  return ok(context, {
    pagination: { page, pageSize, pageCount: Math.ceil(itemCount / pageSize), itemCount },
    [key]: selected.slice((page - 1) * pageSize, page * pageSize).map(dto),
  });
}

function getOne<T>(context: RouteContext, kind: WriteKind<T>, id: string): SandboxReply {
  const record = kind.find(context.org, id);
  if (!record) return failure(404, `No ${kind.singular} with ${kind.idField} ${id}`);
  return ok(context, { [kind.key]: [kind.dto(record)] });
}

/**
 * If-Modified-Since as Xero takes it: an ISO date-time (no zone means UTC) or an HTTP date.
 * undefined when absent, null when unreadable (a 400: a silent full pull would hide a client bug).
 */
function parseSince(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  const zoneless = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value);
  const at = Date.parse(zoneless ? `${value}Z` : value);
  return Number.isNaN(at) ? null : at;
}

// ---- writes: PUT creates, POST creates or updates, in batches ----

/** The result of validating one element: a way to save it, or why it cannot be. */
type Checked<T> = { ok: true; save: () => T } | { ok: false; errors: string[] };

/** What differs between the writable collections. */
interface WriteKind<T> {
  /** The collection's key in bodies, e.g. "ManualJournals". */
  key: string;
  /** e.g. "ManualJournal", for messages. */
  singular: string;
  idField: string;
  find(org: XeroOrganisation, id: string): T | undefined;
  dto(record: T): Record<string, unknown>;
  /** Validates an element (for an update, the stored record's fields overlaid with the request's). */
  check(
    org: XeroOrganisation,
    element: Record<string, unknown>,
    existing: T | undefined,
    today: string,
  ): Checked<T>;
}

/**
 * One PUT or POST. With summarizeErrors=false (the contract's default) the valid elements are saved and
 * every element comes back in a 200 with StatusAttributeString OK or ERROR (an ERROR one with its
 * ValidationErrors and no id); with summarizeErrors=true any invalid element fails the whole batch with
 * a 400 listing the invalid elements, and nothing is saved.
 */
function saveBatch<T>(kind: WriteKind<T>, context: RouteContext, mode: "create" | "upsert"): SandboxReply {
  // The contract's request bodies are application/json only.
  if (context.contentType !== "application/json") {
    return failure(400, `Content-Type must be application/json, not "${context.contentType || "(none)"}"`);
  }
  const body = parseJson(context.body);
  // Xero takes { "ManualJournals": [ … ] }, or a single element on its own.
  const list = isRecord(body) ? (kind.key in body ? body[kind.key] : [body]) : undefined;
  if (!Array.isArray(list)) {
    return failure(400, `The request body must be JSON: { "${kind.key}": [ … ] }`);
  }
  if (list.length === 0) {
    const message = `No data has been processed for this endpoint. This endpoint is expecting ${kind.singular} data to be specifed in the request body.`;
    return failure(400, message, "NoDataProcessedException");
  }
  const today = new Date(context.now()).toISOString().slice(0, 10);
  const checked = list.map((element) => checkElement(kind, context.org, element, mode, today));
  const echo = (element: unknown, errors: string[]) => ({
    ...echoed(kind, element),
    ValidationErrors: errors.map((Message) => ({ Message })),
  });
  // The contract's default is false: a batch with invalid elements still answers 200, element by element.
  const summarize = context.query.get("summarizeErrors")?.toLowerCase() === "true";
  if (summarize && checked.some((check) => !check.ok)) {
    return validationFailure(
      list.flatMap((element, i) => {
        const check = checked[i]!;
        return check.ok ? [] : [echo(element, check.errors)];
      }),
    );
  }
  const results = list.map((element, i) => {
    const check = checked[i]!;
    if (!check.ok) return { ...echo(element, check.errors), StatusAttributeString: "ERROR" };
    return { ...kind.dto(check.save()), StatusAttributeString: "OK", ValidationErrors: [] };
  });
  return ok(context, { [kind.key]: results });
}

/**
 * A refused element as Xero answers it: the fields it was given, its dates in the answer's form
 * (an unreadable date is left out, as Xero cannot have read it).
 */
function echoed<T>(kind: WriteKind<T>, element: unknown): Record<string, unknown> {
  if (!isRecord(element)) return {};
  const out: Record<string, unknown> = { ...element };
  // The contract requires a journal's Narration: Xero writes it back even when it was left out.
  if (kind === (JOURNALS as unknown) && typeof out.Narration !== "string") out.Narration = "";
  for (const field of ["Date", "DueDate"]) {
    if (!(field in out)) continue;
    const day = readDate(out[field], field, [], false);
    if (day) out[field] = xeroDay(day);
    else delete out[field];
  }
  return out;
}

/** An element with an id updates that record (POST only): the request's fields replace the stored ones. */
function checkElement<T>(
  kind: WriteKind<T>,
  org: XeroOrganisation,
  element: unknown,
  mode: "create" | "upsert",
  today: string,
): Checked<T> {
  if (!isRecord(element)) return { ok: false, errors: [`Each ${kind.singular} must be a JSON object.`] };
  const id = element[kind.idField];
  if (id === undefined || id === null || id === "") return kind.check(org, element, undefined, today);
  if (mode === "create") {
    return { ok: false, errors: [`${kind.idField} cannot be given to PUT, which only creates: use POST.`] };
  }
  const existing = typeof id === "string" ? kind.find(org, id) : undefined;
  if (!existing)
    return { ok: false, errors: ["The document with the supplied id was not found for this endpoint."] };
  return kind.check(org, { ...kind.dto(existing), ...element }, existing, today);
}

// ---- manual journals ----

const JOURNALS: WriteKind<ManualJournal> = {
  key: "ManualJournals",
  singular: "ManualJournal",
  idField: "ManualJournalID",
  find: (org, id) => org.journal(id),
  dto: journalDto,
  check: checkJournal,
};

function journalDto(journal: ManualJournal): Record<string, unknown> {
  return {
    ManualJournalID: journal.ManualJournalID,
    Narration: journal.Narration,
    Date: xeroDay(journal.Date),
    Status: journal.Status,
    LineAmountTypes: journal.LineAmountTypes,
    ...(journal.Url ? { Url: journal.Url } : {}),
    ShowOnCashBasisReports: journal.ShowOnCashBasisReports,
    HasAttachments: false,
    UpdatedDateUTC: msDate(journal.updatedAt),
    JournalLines: journal.JournalLines.map((line) => ({
      LineAmount: toDecimal(line.amountCents),
      AccountCode: line.AccountCode,
      AccountID: line.AccountID,
      TaxType: line.TaxType,
      TaxAmount: toDecimal(line.taxCents),
      ...(line.Description !== undefined ? { Description: line.Description } : {}),
      Tracking: line.Tracking,
      IsBlank: false,
    })),
  };
}

/**
 * A manual journal must have a narration, a date, at least two lines coded to active accounts, and
 * debits equal to credits to the cent, summed as integer cents. With tax-exclusive amounts, as in Xero,
 * each line's tax (its TaxAmount, or else computed from its tax rate) is part of the balance.
 */
function checkJournal(
  org: XeroOrganisation,
  raw: Record<string, unknown>,
  existing: ManualJournal | undefined,
): Checked<ManualJournal> {
  const errors: string[] = [];
  const Narration = typeof raw.Narration === "string" ? raw.Narration.trim() : "";
  if (!Narration) errors.push("Narration cannot be empty.");
  const date = readDate(raw.Date, "Date", errors, true);
  const Status = readEnum(raw.Status, ["DRAFT", "POSTED"] as const, "DRAFT", "Status", errors);
  const LineAmountTypes = readEnum(
    raw.LineAmountTypes,
    LINE_AMOUNT_TYPES,
    "NoTax",
    "LineAmountTypes",
    errors,
  );
  const rawLines = Array.isArray(raw.JournalLines) ? raw.JournalLines : [];
  if (rawLines.length < 2) errors.push("A manual journal must have at least two journal lines.");

  const JournalLines: JournalDraft["JournalLines"] = [];
  for (const line of rawLines) {
    if (!isRecord(line)) {
      errors.push("Each journal line must be a JSON object.");
      continue;
    }
    const amountCents = readMoney(line.LineAmount, "LineAmount", errors);
    const AccountCode = readAccountCode(org, line.AccountCode, errors);
    const TaxType = readTaxType(org, line.TaxType, errors);
    const givenTax =
      line.TaxAmount === undefined ? undefined : readMoney(line.TaxAmount, "TaxAmount", errors);
    if (amountCents === undefined || AccountCode === undefined) continue;
    const taxType = TaxType ?? org.accounts.get(AccountCode)?.TaxType ?? "NONE";
    JournalLines.push({
      AccountCode,
      amountCents,
      taxCents: givenTax ?? org.taxOn(amountCents, taxType, LineAmountTypes),
      ...(TaxType ? { TaxType } : {}),
      ...(typeof line.Description === "string" ? { Description: line.Description } : {}),
      Tracking: Array.isArray(line.Tracking) ? line.Tracking : [],
    });
  }
  if (JournalLines.length === rawLines.length && rawLines.length >= 2) {
    const gross = (l: (typeof JournalLines)[number]) =>
      l.amountCents + (LineAmountTypes === "Exclusive" ? (l.taxCents ?? 0) : 0);
    const debits = JournalLines.reduce((sum, l) => sum + Math.max(0, gross(l)), 0);
    const credits = JournalLines.reduce((sum, l) => sum + Math.min(0, gross(l)), 0);
    if (debits + credits !== 0) {
      errors.push(
        `The total debits (${formatCents(debits)}) must equal total credits (${formatCents(credits)})`,
      );
    }
  }
  if (raw.ShowOnCashBasisReports !== undefined && typeof raw.ShowOnCashBasisReports !== "boolean") {
    errors.push("ShowOnCashBasisReports must be true or false.");
  }
  if (errors.length > 0) return { ok: false, errors: [...new Set(errors)] };
  const draft: JournalDraft = {
    Narration,
    Date: date!,
    Status,
    LineAmountTypes,
    ShowOnCashBasisReports: raw.ShowOnCashBasisReports !== false,
    JournalLines,
    ...(typeof raw.Url === "string" && raw.Url ? { Url: raw.Url } : {}),
  };
  return { ok: true, save: () => org.saveJournal(draft, existing?.ManualJournalID) };
}

// ---- invoices ----

const INVOICES: WriteKind<Invoice> = {
  key: "Invoices",
  singular: "Invoice",
  idField: "InvoiceID",
  find: (org, id) => org.invoice(id),
  dto: invoiceDto,
  check: checkInvoice,
};

function invoiceDto(invoice: Invoice): Record<string, unknown> {
  return {
    Type: invoice.Type,
    InvoiceID: invoice.InvoiceID,
    ...(invoice.InvoiceNumber ? { InvoiceNumber: invoice.InvoiceNumber } : {}),
    ...(invoice.Reference ? { Reference: invoice.Reference } : {}),
    Contact: { ...invoice.Contact },
    Date: xeroDay(invoice.Date),
    ...(invoice.DueDate ? { DueDate: xeroDay(invoice.DueDate) } : {}),
    Status: invoice.Status,
    LineAmountTypes: invoice.LineAmountTypes,
    CurrencyCode: invoice.CurrencyCode,
    LineItems: invoice.LineItems.map((line) => ({
      LineItemID: line.LineItemID,
      Description: line.Description,
      Quantity: toDecimal(line.quantity, 4),
      UnitAmount: toDecimal(line.unitCents),
      AccountCode: line.AccountCode,
      AccountID: line.AccountID,
      TaxType: line.TaxType,
      TaxAmount: toDecimal(line.taxCents),
      LineAmount: toDecimal(line.amountCents),
      Tracking: line.Tracking,
    })),
    SubTotal: toDecimal(invoice.subTotalCents),
    TotalTax: toDecimal(invoice.totalTaxCents),
    Total: toDecimal(invoice.totalCents),
    AmountDue: toDecimal(invoice.totalCents),
    AmountPaid: 0,
    UpdatedDateUTC: msDate(invoice.updatedAt),
    HasAttachments: false,
  };
}

/**
 * An invoice needs a type, a contact (by Name, created if new, or by a known ContactID) and at least one
 * line coded to an active account. Date defaults to today, Status to DRAFT, LineAmountTypes to Exclusive
 * (the spec's default); Quantity defaults to 1, and a line with only a LineAmount has that as UnitAmount.
 */
function checkInvoice(
  org: XeroOrganisation,
  raw: Record<string, unknown>,
  existing: Invoice | undefined,
  today: string,
): Checked<Invoice> {
  const errors: string[] = [];
  const Type = readEnum(raw.Type, ["ACCREC", "ACCPAY"] as const, undefined, "Type", errors);
  const contact = isRecord(raw.Contact) ? raw.Contact : {};
  const ContactID =
    typeof contact.ContactID === "string" && contact.ContactID ? contact.ContactID : undefined;
  const Name = typeof contact.Name === "string" && contact.Name.trim() ? contact.Name : undefined;
  if (!ContactID && !Name) {
    errors.push(
      "The Contact must contain at least 1 of the following elements to identify the contact: Name, ContactID, ContactNumber",
    );
  } else if (ContactID && !org.findContact({ ContactID })) {
    errors.push(`The contact with ContactID '${ContactID}' could not be found.`);
  }
  const date = readDate(raw.Date, "Date", errors, false) ?? today;
  const DueDate = readDate(raw.DueDate, "DueDate", errors, false);
  const Status = readEnum(
    raw.Status,
    ["DRAFT", "SUBMITTED", "AUTHORISED"] as const,
    "DRAFT",
    "Status",
    errors,
  );
  const LineAmountTypes = readEnum(
    raw.LineAmountTypes,
    LINE_AMOUNT_TYPES,
    "Exclusive",
    "LineAmountTypes",
    errors,
  );
  const InvoiceNumber =
    typeof raw.InvoiceNumber === "string" && raw.InvoiceNumber ? raw.InvoiceNumber : undefined;
  if (InvoiceNumber && org.invoiceNumberTaken(InvoiceNumber, existing?.InvoiceID)) {
    errors.push("Invoice # must be unique.");
  }
  const rawLines = Array.isArray(raw.LineItems) ? raw.LineItems : [];
  if (rawLines.length === 0) errors.push("An invoice must have at least one line item.");
  const LineItems: InvoiceDraft["LineItems"] = [];
  for (const line of rawLines) {
    const item = checkInvoiceLine(org, line, errors);
    if (item) LineItems.push(item);
  }
  if (errors.length > 0 || !Type) return { ok: false, errors: [...new Set(errors)] };
  const draft: InvoiceDraft = {
    Type,
    Contact: ContactID ? { ContactID } : { Name: Name! },
    Date: date,
    Status,
    LineAmountTypes,
    LineItems,
    ...(DueDate ? { DueDate } : {}),
    ...(InvoiceNumber ? { InvoiceNumber } : {}),
    ...(typeof raw.Reference === "string" && raw.Reference ? { Reference: raw.Reference } : {}),
  };
  return { ok: true, save: () => org.saveInvoice(draft, existing?.InvoiceID) };
}

function checkInvoiceLine(
  org: XeroOrganisation,
  line: unknown,
  errors: string[],
): InvoiceDraft["LineItems"][number] | undefined {
  if (!isRecord(line)) {
    errors.push("Each line item must be a JSON object.");
    return undefined;
  }
  const quantity = parseDecimal(line.Quantity ?? 1, 4);
  if (quantity === null)
    errors.push(`Quantity '${String(line.Quantity)}' must be a number with at most 4 decimals.`);
  const givenCents =
    line.LineAmount === undefined ? undefined : readMoney(line.LineAmount, "LineAmount", errors);
  let unitCents =
    line.UnitAmount === undefined ? undefined : readMoney(line.UnitAmount, "UnitAmount", errors);
  if (line.UnitAmount === undefined) {
    if (line.LineAmount === undefined) errors.push("Each line item needs a UnitAmount or a LineAmount.");
    else if (quantity !== 10_000) errors.push("A line item with a Quantity other than 1 needs a UnitAmount.");
    else unitCents = givenCents;
  } else if (quantity !== null && unitCents !== undefined && givenCents !== undefined) {
    // Xero recomputes LineAmount from Quantity × UnitAmount and refuses a total that disagrees.
    const expected = lineCents(quantity, unitCents);
    if (expected !== givenCents) {
      errors.push(
        `The line total ${formatCents(givenCents)} does not match the expected line total ${formatCents(expected)}.`,
      );
    }
  }
  const AccountCode = readAccountCode(org, line.AccountCode, errors);
  const TaxType = readTaxType(org, line.TaxType, errors);
  if (quantity === null || unitCents === undefined || AccountCode === undefined) return undefined;
  return {
    Description: typeof line.Description === "string" ? line.Description : "",
    AccountCode,
    quantity,
    unitCents,
    ...(TaxType ? { TaxType } : {}),
    Tracking: Array.isArray(line.Tracking) ? line.Tracking : [],
  };
}

// ---- reading request fields (each pushes Xero-style messages to `errors`) ----

/** Cents from a LineAmount or UnitAmount: at most 2 decimals. */
function readMoney(value: unknown, field: string, errors: string[]): number | undefined {
  if (value === undefined || value === null || value === "") {
    errors.push(`${field} cannot be empty.`);
    return undefined;
  }
  const cents = parseDecimal(value, 2);
  if (cents === null) errors.push(`${field} '${String(value)}' must be a number with at most 2 decimals.`);
  return cents ?? undefined;
}

/** An account code that lines may use (AccountCode may come as a JSON number, as in the spec's examples). */
function readAccountCode(org: XeroOrganisation, value: unknown, errors: string[]): string | undefined {
  const code = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim() : "";
  if (!code) {
    errors.push("AccountCode cannot be empty.");
    return undefined;
  }
  const problem = org.accountProblem(code);
  if (problem) errors.push(problem);
  return problem ? undefined : code;
}

/** A tax type if one was given; undefined means "the account's default". */
function readTaxType(org: XeroOrganisation, value: unknown, errors: string[]): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const taxType = String(value);
  const problem = org.taxTypeProblem(taxType);
  if (problem) errors.push(problem);
  return taxType;
}

function readEnum<T extends string, D extends T | undefined>(
  value: unknown,
  allowed: readonly T[],
  fallback: D,
  field: string,
  errors: string[],
): T | D {
  if (value === undefined || value === null || value === "") {
    if (fallback === undefined) errors.push(`${field} cannot be empty.`);
    return fallback;
  }
  if (allowed.includes(value as T)) return value as T;
  errors.push(`${field} '${String(value)}' is not valid: use ${allowed.join(", ")}.`);
  return fallback;
}

/**
 * A yyyy-MM-dd from what Xero accepts: "2025-06-30", "2025-06-30T00:00:00" or "/Date(1751241600000+0000)/".
 * undefined when absent (an error if `required`) or invalid (always an error).
 */
function readDate(value: unknown, field: string, errors: string[], required: boolean): string | undefined {
  if (value === undefined || value === null || value === "") {
    if (required) errors.push(`${field} cannot be empty.`);
    return undefined;
  }
  const text = String(value);
  const msDate = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(text);
  const plain = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?)?$/.test(text);
  const at = msDate ? Number(msDate[1]) : plain ? Date.parse(`${text.slice(0, 10)}T00:00:00Z`) : Number.NaN;
  const day = Math.abs(at) <= MAX_DATE_MS ? new Date(at).toISOString().slice(0, 10) : undefined;
  // The round trip rejects dates such as 2025-02-30, which Date.parse rolls over into March.
  const valid = day !== undefined && (msDate !== null || day === text.slice(0, 10));
  if (!valid) errors.push(`${field} '${text}' is not a valid date: use YYYY-MM-DD.`);
  return valid ? day : undefined;
}
