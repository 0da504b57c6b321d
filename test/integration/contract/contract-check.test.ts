import { describe, expect, it } from "vitest";
import {
  type ContractExchange,
  loadContract,
  takeContractViolations,
} from "../../../src/sandbox/kit/contract.ts";

/**
 * The contract check itself: it must find what breaks Xero's OpenAPI files, or its zero violations
 * over the suite would mean nothing. Each case is checked straight, and its findings taken back, so
 * they do not fail this test through the suite's after-each check.
 */
const exchange = (
  fields: Partial<ContractExchange> & Pick<ContractExchange, "method" | "path">,
): ContractExchange => ({
  query: new URLSearchParams(),
  headers: { "xero-tenant-id": "t", authorization: "Bearer x" },
  body: "",
  reply: { status: 200, body: {} },
  injected: false,
  ...fields,
});

async function problemsOf(platform: "XPM" | "XERO_ACCOUNTING", call: ContractExchange): Promise<string[]> {
  const contract = await loadContract(platform);
  contract.check(call);
  return takeContractViolations().flatMap((v) => v.problems.map((p) => `${v.side}: ${p}`));
}

const client = {
  uuid: "9f3c",
  name: "Harbour Builders",
  isArchived: "No",
  accountManager: { uuid: "a1", name: "Ana" },
  type: null,
};

describe("the contract check", () => {
  it("accepts a valid XPM list, reading NSwag's closed allOf as one object and nullable as null", async () => {
    const ok = exchange({
      method: "GET",
      path: "/v3.1/client.api/list",
      reply: { status: 200, body: { status: "OK", clients: [client] } },
    });
    expect(await problemsOf("XPM", ok)).toEqual([]);
  });

  it("finds a field XPM's DTOs do not have, and a status the operation does not declare", async () => {
    const extra = exchange({
      method: "GET",
      path: "/v3.1/client.api/list",
      reply: { status: 200, body: { status: "OK", clients: [{ ...client, archived: true }] } },
    });
    expect(await problemsOf("XPM", extra)).toEqual([
      'response: response body/clients/0 must NOT have additional properties ("archived")',
    ]);
    const undeclared = exchange({
      method: "PUT",
      path: "/v3.1/job.api/update",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "J1", budget: 1 }),
      reply: { status: 404, body: { status: "ERROR", errorDescription: "Job J1 not found" } },
    });
    expect(await problemsOf("XPM", undeclared)).toEqual([
      "response: status 404 is not declared (the operation declares 200, 500) and no departure covers it",
    ]);
  });

  it("finds requests the sandbox should have refused: an unknown parameter, a long Idempotency-Key, a body that is not JSON", async () => {
    const unknown = exchange({
      method: "GET",
      path: "/v3.1/time.api/list",
      query: new URLSearchParams({ from: "20260101", to: "20260131", since: "x" }),
      reply: { status: 200, body: { status: "OK", times: [] } },
    });
    expect(await problemsOf("XPM", unknown)).toEqual(['request: query parameter "since" is not declared']);

    const journals = JSON.stringify({ ManualJournals: [{ Narration: "n", JournalLines: [] }] });
    const longKey = exchange({
      method: "PUT",
      path: "/ManualJournals",
      headers: {
        "xero-tenant-id": "t",
        "content-type": "application/json",
        "idempotency-key": "k".repeat(129),
      },
      body: journals,
      reply: { status: 200, body: { ManualJournals: [] } },
    });
    expect(await problemsOf("XERO_ACCOUNTING", longKey)).toEqual([
      'request: header parameter "Idempotency-Key" is 129 characters (at most 128)',
    ]);
    const notJson = exchange({
      method: "PUT",
      path: "/ManualJournals",
      headers: { "xero-tenant-id": "t", "content-type": "text/plain" },
      body: journals,
      reply: { status: 200, body: { ManualJournals: [] } },
    });
    expect(await problemsOf("XERO_ACCOUNTING", notJson)).toEqual([
      'request: Content-Type "text/plain" is not one of application/json',
    ]);
  });

  it("finds Accounting answers in the wrong form: a rate as a string, a date that is no MS date", async () => {
    const rates = exchange({
      method: "GET",
      path: "/TaxRates",
      reply: { status: 200, body: { TaxRates: [{ TaxType: "OUTPUT", DisplayTaxRate: "15.0000" }] } },
    });
    expect(await problemsOf("XERO_ACCOUNTING", rates)).toEqual([
      "response: response body/TaxRates/0/DisplayTaxRate must be number",
    ]);
    const date = exchange({
      method: "GET",
      path: "/ManualJournals",
      reply: { status: 200, body: { ManualJournals: [{ Narration: "n", Date: "2025-06-30T00:00:00" }] } },
    });
    expect(await problemsOf("XERO_ACCOUNTING", date)).toEqual([
      "response: response body/ManualJournals/0/Date must be an MS date /Date(…)/",
    ]);
  });

  it("lets through what a departure covers, and a 2xx to no operation is a violation", async () => {
    const limited = exchange({
      method: "GET",
      path: "/Accounts",
      reply: { status: 429, body: { Title: "Too Many Requests" } },
    });
    expect(await problemsOf("XERO_ACCOUNTING", limited)).toEqual([]);
    const invented = exchange({
      method: "GET",
      path: "/v3.1/nothing.api/list",
      reply: { status: 200, body: {} },
    });
    expect(await problemsOf("XPM", invented)).toEqual([
      "response: the contract has no operation GET /v3.1/nothing.api/list",
    ]);
  });
});
