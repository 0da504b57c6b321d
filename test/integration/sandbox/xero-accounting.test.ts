import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { XeroOrganisation } from "../../../src/sandbox/xero-accounting/data.ts";
import {
  startXeroAccountingSandbox,
  type XeroAccountingSandbox,
} from "../../../src/sandbox/xero-accounting/server.ts";

/** The Xero Accounting sandbox over real HTTP, in compressed time: a platform minute is 500 ms. */
const MINUTE_MS = 500;

let xero: XeroAccountingSandbox;
let tenantCount = 0;

beforeAll(async () => {
  xero = await startXeroAccountingSandbox({ minuteMs: MINUTE_MS });
});
afterAll(() => xero.close());

/** A fresh organisation per test, so caps and data never leak between tests. */
function newOrganisation() {
  const tenantId = `org-${++tenantCount}`;
  return { tenantId, org: xero.addOrganisation(tenantId) };
}

function call(
  tenantId: string | undefined,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { authorization: "Bearer sandbox-token", ...init.headers };
  if (tenantId) headers["xero-tenant-id"] = tenantId;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  return fetch(new URL(path, xero.url), {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely, field by field.
async function json(response: Response): Promise<any> {
  return response.json();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A balanced two-line journal: 100.00 of advertising paid from the bank. */
function journal(fields: Record<string, unknown> = {}) {
  return {
    Narration: "Advertising accrual",
    Date: "2025-06-30",
    JournalLines: [
      { LineAmount: 100, AccountCode: "400", Description: "Debit" },
      { LineAmount: -100, AccountCode: "090", Description: "Credit" },
    ],
    ...fields,
  };
}

const putJournals = (tenantId: string, journals: unknown[], query = "", headers?: Record<string, string>) =>
  call(tenantId, `ManualJournals${query}`, { method: "PUT", body: { ManualJournals: journals }, headers });

describe("access", () => {
  it("requires a bearer token (401) and a known xero-tenant-id (403), and logs neither", async () => {
    const { tenantId } = newOrganisation();
    const noToken = await fetch(new URL("Accounts", xero.url), { headers: { "xero-tenant-id": tenantId } });
    expect(noToken.status).toBe(401);
    expect(await json(noToken)).toMatchObject({ Type: "Unauthorized", Detail: expect.any(String) });

    const unknown = await call("nobody", "Accounts");
    expect(unknown.status).toBe(403);
    expect(await json(unknown)).toMatchObject({ Type: "Forbidden", Message: expect.any(String) });
    expect((await call(undefined, "Accounts")).status).toBe(403);
    expect(xero.caps.log.some((e) => e.tenantId === "nobody" || e.tenantId === tenantId)).toBe(false);
  });

  it("serves at the root too, case-insensitively, and answers unknown endpoints with a NotFound 404", async () => {
    const { tenantId } = newOrganisation();
    expect(xero.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\.xro\/2\.0\/$/);
    const root = await fetch(new URL(`/taxrates`, xero.url), {
      headers: { authorization: "Bearer t", "xero-tenant-id": tenantId },
    });
    expect(root.status).toBe(200);
    const missing = await call(tenantId, "Nothing");
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ Type: "NotFound" });
    expect(xero.caps.log.filter((e) => e.tenantId === tenantId).map((e) => e.path)).toEqual([
      "/taxrates",
      "/Nothing",
    ]);
  });
});

describe("accounts and tax rates", () => {
  it("lists the seeded chart of accounts with the limit headers", async () => {
    const { tenantId, org } = newOrganisation();
    const response = await call(tenantId, "Accounts");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-minlimit-remaining")).toBe("59");
    expect(response.headers.get("x-daylimit-remaining")).toBe("4999");
    const body = await json(response);
    expect(body).toMatchObject({ Status: "OK", Id: expect.any(String), DateTimeUTC: expect.any(String) });
    expect(body.Accounts).toHaveLength(org.accounts.size);
    const byCode = Object.fromEntries(body.Accounts.map((a: { Code: string }) => [a.Code, a]));
    expect(byCode["090"]).toMatchObject({ Name: "Business Bank Account", Type: "BANK", Status: "ACTIVE" });
    expect(byCode["200"]).toMatchObject({ Name: "Sales", Type: "REVENUE", TaxType: "OUTPUT" });
    expect(byCode["820"]).toMatchObject({ Type: "CURRLIAB", Status: "ACTIVE" });
    expect(byCode["455"]).toMatchObject({ Status: "ARCHIVED" });
    expect(byCode["400"]).toMatchObject({
      AccountID: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      UpdatedDateUTC: expect.stringMatching(/^\/Date\(\d+\+0000\)\/$/),
    });
  });

  it("lists tax rates with rates as JSON numbers (the contract's double)", async () => {
    const { tenantId } = newOrganisation();
    const body = await json(await call(tenantId, "TaxRates"));
    const byType = Object.fromEntries(body.TaxRates.map((t: { TaxType: string }) => [t.TaxType, t]));
    expect(Object.keys(byType).sort()).toEqual(["EXEMPTOUTPUT", "INPUT", "NONE", "OUTPUT", "OUTPUT2"]);
    expect(byType.OUTPUT).toMatchObject({
      EffectiveRate: 15,
      DisplayTaxRate: 15,
      Status: "ACTIVE",
    });
    expect(byType.OUTPUT2.EffectiveRate).toBe(10);
    expect(byType.NONE).toMatchObject({ EffectiveRate: 0, ReportTaxType: "NONE" });
  });

  it("gives the same AccountIDs to organisations seeded alike", () => {
    const a = new XeroOrganisation({ seed: "same" });
    const b = new XeroOrganisation({ seed: "same" });
    const c = new XeroOrganisation({ seed: "other" });
    expect(a.accounts.get("200")!.AccountID).toBe(b.accounts.get("200")!.AccountID);
    expect(a.accounts.get("200")!.AccountID).not.toBe(c.accounts.get("200")!.AccountID);
  });
});

describe("manual journals", () => {
  it("creates a balanced journal and reads it back by id and in the list", async () => {
    const { tenantId, org } = newOrganisation();
    const created = await putJournals(tenantId, [journal({ Status: "POSTED" })]);
    expect(created.status).toBe(200);
    const body = await json(created);
    expect(body.Status).toBe("OK");
    const [saved] = body.ManualJournals;
    expect(saved).toMatchObject({
      ManualJournalID: expect.stringMatching(/^[0-9a-f-]{36}$/),
      Narration: "Advertising accrual",
      Date: "/Date(1751241600000+0000)/",
      Status: "POSTED",
      LineAmountTypes: "NoTax",
      HasAttachments: false,
      StatusAttributeString: "OK",
      UpdatedDateUTC: expect.stringMatching(/^\/Date\(\d+\+0000\)\/$/),
    });
    expect(saved.JournalLines).toEqual([
      expect.objectContaining({ LineAmount: 100, AccountCode: "400", TaxType: "INPUT", TaxAmount: 0 }),
      expect.objectContaining({ LineAmount: -100, AccountCode: "090", TaxType: "NONE", TaxAmount: 0 }),
    ]);
    expect(saved.JournalLines[0].AccountID).toBe(org.accounts.get("400")!.AccountID);

    const one = await call(tenantId, `ManualJournals/${saved.ManualJournalID}`);
    expect(one.status).toBe(200);
    const { StatusAttributeString, ValidationErrors, ...stored } = saved;
    expect((await json(one)).ManualJournals).toEqual([stored]);

    const list = await json(await call(tenantId, "ManualJournals"));
    expect(list.ManualJournals.map((j: { ManualJournalID: string }) => j.ManualJournalID)).toEqual([
      saved.ManualJournalID,
    ]);
    expect(org.journals).toHaveLength(1);
    expect(org.findJournalsByNarration("accrual")[0]!.ManualJournalID).toBe(saved.ManualJournalID);

    const missing = await call(tenantId, "ManualJournals/00000000-0000-4000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ Type: "NotFound" });
  });

  it("refuses unbalanced, unknown-account, archived-account and unknown-tax journals, saving nothing", async () => {
    const { tenantId, org } = newOrganisation();
    org.archiveAccount("429");
    const bad = [
      journal({
        Narration: "Unbalanced",
        JournalLines: [
          { LineAmount: 100, AccountCode: "400" },
          { LineAmount: -10, AccountCode: "090" },
        ],
      }),
      journal({
        Narration: "Unknown account",
        JournalLines: [
          { LineAmount: 5, AccountCode: "999" },
          { LineAmount: -5, AccountCode: "090" },
        ],
      }),
      journal({
        Narration: "Archived account",
        JournalLines: [
          { LineAmount: 5, AccountCode: "429" },
          { LineAmount: -5, AccountCode: "455" },
        ],
      }),
      journal({
        Narration: "Unknown tax",
        JournalLines: [
          { LineAmount: 5, AccountCode: "400", TaxType: "BOGUS" },
          { LineAmount: -5, AccountCode: "090" },
        ],
      }),
      { Date: "2025-02-30", JournalLines: [{ LineAmount: 1, AccountCode: "400" }] },
      journal(),
    ];
    const response = await putJournals(tenantId, bad, "?summarizeErrors=true");
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body).toMatchObject({
      ErrorNumber: 10,
      Type: "ValidationException",
      Message: "A validation exception occurred",
    });
    const messages = body.Elements.map((e: { ValidationErrors: { Message: string }[] }) =>
      e.ValidationErrors.map((v) => v.Message),
    );
    expect(messages).toEqual([
      ["The total debits (100.00) must equal total credits (-10.00)"],
      ["Account code '999' is not a valid code for this document."],
      [
        "Account code '429' has been archived, or has been deleted.",
        "Account code '455' has been archived, or has been deleted.",
      ],
      ["The TaxType code 'BOGUS' does not exist or cannot be used for this type of transaction."],
      [
        "Narration cannot be empty.",
        "Date '2025-02-30' is not a valid date: use YYYY-MM-DD.",
        "A manual journal must have at least two journal lines.",
      ],
    ]);
    // Each invalid element is echoed as submitted; the valid sixth is not listed, and nothing was saved.
    expect(body.Elements[0]).toMatchObject({ Narration: "Unbalanced", Date: "/Date(1751241600000+0000)/" });
    expect(org.journals).toHaveLength(0);
  });

  it("by default (summarizeErrors=false) saves the valid elements and answers 200, each OK or ERROR", async () => {
    const { tenantId, org } = newOrganisation();
    const unbalanced = journal({
      Narration: "Bad",
      JournalLines: [
        { LineAmount: 1, AccountCode: "400" },
        { LineAmount: -2, AccountCode: "090" },
      ],
    });
    const response = await putJournals(tenantId, [unbalanced, journal({ Narration: "Good" })]);
    expect(response.status).toBe(200);
    const [bad, good] = (await json(response)).ManualJournals;
    expect(bad).toMatchObject({
      Narration: "Bad",
      StatusAttributeString: "ERROR",
      ValidationErrors: [{ Message: "The total debits (1.00) must equal total credits (-2.00)" }],
    });
    expect(bad.ManualJournalID).toBeUndefined();
    expect(good).toMatchObject({ Narration: "Good", StatusAttributeString: "OK", ValidationErrors: [] });
    expect(org.journals.map((j) => j.Narration)).toEqual(["Good"]);
  });

  it("replays a repeated Idempotency-Key: one journal, the same ManualJournalID", async () => {
    const { tenantId, org } = newOrganisation();
    const send = () => putJournals(tenantId, [journal()], "", { "idempotency-key": "journal-1" });
    const first = await json(await send());
    const second = await json(await send());
    expect(second.ManualJournals[0].ManualJournalID).toBe(first.ManualJournals[0].ManualJournalID);
    expect(org.journals).toHaveLength(1);
    const writes = xero.caps.log.filter((e) => e.tenantId === tenantId && e.method === "PUT");
    expect(writes.map((e) => [e.idempotencyKey, e.status, e.replayed ?? false])).toEqual([
      ["journal-1", 200, false],
      ["journal-1", 200, true],
    ]);
  });

  it("filters the list by If-Modified-Since, and an update through POST moves UpdatedDateUTC", async () => {
    const { tenantId, org } = newOrganisation();
    await putJournals(tenantId, [journal({ Narration: "Old" }), journal({ Narration: "Edited later" })]);
    await sleep(5);
    const since = new Date().toISOString();
    await sleep(5);
    await putJournals(tenantId, [journal({ Narration: "New" })]);
    const [, edited] = org.journals;
    const update = await call(tenantId, "ManualJournals", {
      method: "POST",
      body: {
        ManualJournals: [
          { ManualJournalID: edited!.ManualJournalID, Narration: "Edited later", Status: "POSTED" },
        ],
      },
    });
    expect(update.status).toBe(200);
    expect((await json(update)).ManualJournals[0]).toMatchObject({
      Narration: "Edited later",
      Status: "POSTED",
    });

    const changed = await json(
      await call(tenantId, "ManualJournals", { headers: { "if-modified-since": since } }),
    );
    expect(changed.ManualJournals.map((j: { Narration: string }) => j.Narration)).toEqual([
      "Edited later",
      "New",
    ]);
    expect(org.journals.map((j) => j.Narration)).toEqual(["Old", "Edited later", "New"]);

    const unknownId = await call(tenantId, "ManualJournals?summarizeErrors=true", {
      method: "POST",
      body: { ManualJournals: [{ ManualJournalID: "00000000-0000-4000-8000-000000000000", Narration: "x" }] },
    });
    expect(unknownId.status).toBe(400);
    expect(
      (await call(tenantId, "ManualJournals", { headers: { "if-modified-since": "yesterday" } })).status,
    ).toBe(400);
  });

  it("pages 100 journals at a time with the spec's pagination block", async () => {
    const { tenantId, org } = newOrganisation();
    for (let i = 0; i < 105; i++) {
      org.saveJournal({
        Narration: `Seeded ${i}`,
        Date: "2025-06-01",
        Status: "POSTED",
        LineAmountTypes: "NoTax",
        ShowOnCashBasisReports: true,
        JournalLines: [
          { AccountCode: "400", amountCents: 100, Tracking: [] },
          { AccountCode: "090", amountCents: -100, Tracking: [] },
        ],
      });
    }
    const first = await json(await call(tenantId, "ManualJournals?page=1"));
    expect(first.ManualJournals).toHaveLength(100);
    expect(first.pagination).toEqual({ page: 1, pageSize: 100, pageCount: 2, itemCount: 105 });
    const second = await json(await call(tenantId, "ManualJournals?page=2"));
    expect(second.ManualJournals.map((j: { Narration: string }) => j.Narration)).toEqual(
      [100, 101, 102, 103, 104].map((i) => `Seeded ${i}`),
    );
    expect((await json(await call(tenantId, "ManualJournals"))).ManualJournals).toHaveLength(105);
  });
});

describe("money", () => {
  it("balances in integer cents (0.10 + 0.20 - 0.30) and refuses a third decimal", async () => {
    const { tenantId, org } = newOrganisation();
    // In floats 0.1 + 0.2 - 0.3 is 5.55e-17, not 0.
    const lines = [
      { LineAmount: 0.1, AccountCode: "400" },
      { LineAmount: 0.2, AccountCode: "429" },
      { LineAmount: -0.3, AccountCode: "090" },
    ];
    const response = await putJournals(tenantId, [journal({ JournalLines: lines })]);
    expect(response.status).toBe(200);
    const amounts = (await json(response)).ManualJournals[0].JournalLines.map(
      (l: { LineAmount: number }) => l.LineAmount,
    );
    expect(amounts).toEqual([0.1, 0.2, -0.3]);
    expect(org.journals[0]!.JournalLines.map((l) => l.amountCents)).toEqual([10, 20, -30]);

    const threeDecimals = await putJournals(
      tenantId,
      [
        journal({
          JournalLines: [
            { LineAmount: 1.005, AccountCode: "400" },
            { LineAmount: -1.005, AccountCode: "090" },
          ],
        }),
      ],
      "?summarizeErrors=true",
    );
    expect(threeDecimals.status).toBe(400);
    expect((await json(threeDecimals)).Elements[0].ValidationErrors).toEqual([
      { Message: "LineAmount '1.005' must be a number with at most 2 decimals." },
      { Message: "LineAmount '-1.005' must be a number with at most 2 decimals." },
    ]);
  });

  it("computes journal tax to the cent, and balances tax-exclusive journals including their tax", async () => {
    const { tenantId } = newOrganisation();
    const taxed = (LineAmountTypes: string, bank: number) =>
      journal({
        LineAmountTypes,
        JournalLines: [
          { LineAmount: 10.01, AccountCode: "400", TaxType: "INPUT" },
          { LineAmount: bank, AccountCode: "090" },
        ],
      });
    // 10.01 × 15% = 1.5015 → 1.50 on top (so the bank side is 11.51); inside 10.01: 10.01 × 15 / 115 = 1.3057 → 1.31.
    const body = await json(
      await putJournals(tenantId, [taxed("Exclusive", -11.51), taxed("Inclusive", -10.01)]),
    );
    const taxOf = (i: number) =>
      body.ManualJournals[i].JournalLines.map((l: { TaxAmount: number }) => l.TaxAmount);
    expect(taxOf(0)).toEqual([1.5, 0]);
    expect(taxOf(1)).toEqual([1.31, 0]);

    const unbalanced = await putJournals(tenantId, [taxed("Exclusive", -10.01)], "?summarizeErrors=true");
    expect(unbalanced.status).toBe(400);
    expect((await json(unbalanced)).Elements[0].ValidationErrors).toEqual([
      { Message: "The total debits (11.51) must equal total credits (-10.01)" },
    ]);

    // A TaxAmount sent with the line overrides the computed one (the host's own rounding).
    const overridden = await putJournals(tenantId, [
      journal({
        LineAmountTypes: "Exclusive",
        JournalLines: [
          { LineAmount: -10.01, AccountCode: "200", TaxType: "OUTPUT", TaxAmount: -1.51 },
          { LineAmount: 11.52, AccountCode: "090" },
        ],
      }),
    ]);
    expect(overridden.status).toBe(200);
    expect((await json(overridden)).ManualJournals[0].JournalLines[0].TaxAmount).toBe(-1.51);
  });
});

describe("invoices", () => {
  it("totals an Exclusive 15% invoice to the cent, creating the contact by name", async () => {
    const { tenantId, org } = newOrganisation();
    const response = await call(tenantId, "Invoices", {
      method: "PUT",
      body: {
        Invoices: [
          {
            Type: "ACCREC",
            Contact: { Name: "Harbour Builders" },
            Date: "2025-06-30",
            DueDate: "2025-07-20",
            Status: "AUTHORISED",
            LineAmountTypes: "Exclusive",
            LineItems: [
              {
                Description: "Widgets",
                Quantity: 3,
                UnitAmount: 19.99,
                AccountCode: "200",
                TaxType: "OUTPUT",
              },
              { Description: "Postage", Quantity: 1, UnitAmount: 0.1, AccountCode: "200" },
            ],
          },
        ],
      },
    });
    expect(response.status).toBe(200);
    const [invoice] = (await json(response)).Invoices;
    // 59.97 × 15% = 8.9955 → 9.00; 0.10 × 15% = 0.015 → 0.02 (half away from zero).
    expect(invoice).toMatchObject({
      Type: "ACCREC",
      InvoiceNumber: "INV-0001",
      Status: "AUTHORISED",
      Date: "/Date(1751241600000+0000)/",
      DueDate: "/Date(1752969600000+0000)/",
      SubTotal: 60.07,
      TotalTax: 9.02,
      Total: 69.09,
      AmountDue: 69.09,
      Contact: { ContactID: expect.any(String), Name: "Harbour Builders" },
    });
    expect(
      invoice.LineItems.map((l: { LineAmount: number; TaxAmount: number }) => [l.LineAmount, l.TaxAmount]),
    ).toEqual([
      [59.97, 9],
      [0.1, 0.02],
    ]);
    expect(org.contacts.size).toBe(1);
    const listed = await json(await call(tenantId, "Invoices"));
    expect(listed.Invoices.map((i: { InvoiceID: string }) => i.InvoiceID)).toEqual([invoice.InvoiceID]);
  });

  it("refuses an invoice without a contact, with an unknown account or tax type", async () => {
    const { tenantId, org } = newOrganisation();
    const response = await call(tenantId, "Invoices?summarizeErrors=true", {
      method: "PUT",
      body: {
        Invoices: [
          {
            Type: "ACCPAY",
            LineItems: [
              { Description: "x", Quantity: 1, UnitAmount: 5, AccountCode: "777", TaxType: "NOPE" },
            ],
          },
        ],
      },
    });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.Type).toBe("ValidationException");
    expect(body.Elements[0].ValidationErrors.map((v: { Message: string }) => v.Message)).toEqual([
      "The Contact must contain at least 1 of the following elements to identify the contact: Name, ContactID, ContactNumber",
      "Account code '777' is not a valid code for this document.",
      "The TaxType code 'NOPE' does not exist or cannot be used for this type of transaction.",
    ]);
    expect(org.invoices).toHaveLength(0);
  });
});

describe("caps", () => {
  it("answers 429 with Retry-After, X-Rate-Limit-Problem and a Xero-shaped body past the minute cap", async () => {
    const { tenantId } = newOrganisation();
    xero.caps.setLimits({ perMinute: 2 }, tenantId);
    expect((await call(tenantId, "Accounts")).headers.get("x-minlimit-remaining")).toBe("1");
    expect((await call(tenantId, "TaxRates")).headers.get("x-minlimit-remaining")).toBe("0");
    const refused = await putJournals(tenantId, [journal()]);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-rate-limit-problem")).toBe("minute");
    expect(refused.headers.get("x-minlimit-remaining")).toBe("0");
    expect(refused.headers.get("x-daylimit-remaining")).toBe("4998");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await json(refused)).toMatchObject({ Type: "RateLimitExceeded", Status: 429 });
    expect(xero.organisation(tenantId).journals).toHaveLength(0);
  });

  it("answers an injected fault with a Xero-shaped error and saves nothing", async () => {
    const { tenantId, org } = newOrganisation();
    xero.caps.injectFaults(tenantId, { kind: "status", status: 503, match: { path: "/ManualJournals" } });
    const failed = await putJournals(tenantId, [journal()]);
    expect(failed.status).toBe(503);
    expect(await json(failed)).toMatchObject({ Type: "ServiceUnavailable", Message: "Injected fault" });
    expect(org.journals).toHaveLength(0);
  });
});
