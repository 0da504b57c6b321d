import type { IncomingMessage } from "node:http";
import { PLATFORMS } from "../../platforms/catalog.ts";
import { cleanPath } from "../kit/http.ts";
import { failureFrom, type SandboxReply } from "../kit/reply.ts";
import {
  type NamedSandbox,
  type SandboxContext,
  type SandboxServerOptions,
  startSandboxServer,
  type TenantCall,
} from "../kit/server.ts";
import { findById, PsaCompanyData, type PsaRecord, type PsaSeedSizes } from "./data.ts";

/**
 * A stand-in ConnectWise Manage (REST API 3.0), read-only: the lists syncline's PSA connector pulls
 * (companies and their statuses, sites, configurations, contacts; service boards, statuses, priorities;
 * tickets, read live), with ConnectWise's paging (page, pageSize, a Link header), orderBy and a subset
 * of its condition language. On top, what PLATFORMS.md says the platform does: caps per tenant with
 * limit headers and 429s; and what tests need: latency, faults, a call log (all in `caps`).
 *
 * A tenant is a ConnectWise company, named by the companyId in the API member's Basic credentials
 * ("companyId+publicKey:privateKey"; the keys are not checked). Routes are served under
 * /v4_6_release/apis/3.0/… (any "/<release>/apis/3.0" prefix) and also at the root.
 */

/**
 * Tenants (and tenantCaps) are by companyId; caps default to the PSA catalog's; `now` stamps
 * `_info.lastUpdated`.
 */
export type PsaSandboxOptions = SandboxServerOptions<PsaSeedSizes>;

const NAMES = { all: "companies", one: "company", add: "addCompany" } as const;

/** Tenants by companyId; `url` ends in the base path, e.g. http://127.0.0.1:4321/v4_6_release/apis/3.0/ */
export type PsaSandbox = NamedSandbox<PsaSeedSizes, PsaCompanyData, typeof NAMES>;

const BASE_PATH = "/v4_6_release/apis/3.0";
/** ConnectWise's defaults; it caps pageSize at 1,000 (the sandbox refuses more instead of clamping). */
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 1000;

/** ConnectWise's error codes, by HTTP status. */
const ERROR_CODES: Record<number, string> = {
  400: "InvalidObject",
  401: "Unauthorized",
  404: "NotFound",
  405: "MethodNotAllowed",
  429: "TooManyRequests",
  504: "GatewayTimeout",
};

function errorBody(message: string, status: number) {
  return { code: ERROR_CODES[status] ?? "UnexpectedError", message };
}

const failure = failureFrom(errorBody);

/** A list the API serves; nested lists take their parent's id (undefined records: no such parent). */
interface ListRoute {
  pattern: RegExp;
  /** For "… not found" messages: what the list holds, and what the parent id names. */
  noun: string;
  parent?: string;
  records(data: PsaCompanyData, parentId: number): readonly PsaRecord[] | undefined;
}

const LISTS: ListRoute[] = [
  { pattern: /^company\/companies$/i, noun: "Company", records: (d) => d.companies },
  { pattern: /^company\/companies\/statuses$/i, noun: "Company status", records: (d) => d.companyStatuses },
  {
    pattern: /^company\/companies\/(\d+)\/sites$/i,
    noun: "Site",
    parent: "Company",
    records: (d, id) => (findById(d.companies, id) ? d.sites.filter((s) => s.company.id === id) : undefined),
  },
  // Not in ConnectWise (sites are only nested there): one call for every site, which the sandbox allows.
  { pattern: /^company\/sites$/i, noun: "Site", records: (d) => d.sites },
  { pattern: /^company\/configurations$/i, noun: "Configuration", records: (d) => d.configurations },
  { pattern: /^company\/contacts$/i, noun: "Contact", records: (d) => d.contacts },
  { pattern: /^service\/boards$/i, noun: "Board", records: (d) => d.boards },
  {
    pattern: /^service\/boards\/(\d+)\/statuses$/i,
    noun: "Status",
    parent: "Board",
    records: (d, id) =>
      findById(d.boards, id) ? d.serviceStatuses.filter((s) => s.board.id === id) : undefined,
  },
  // Not in ConnectWise either: every board's statuses at once.
  { pattern: /^service\/statuses$/i, noun: "Status", records: (d) => d.serviceStatuses },
  { pattern: /^service\/priorities$/i, noun: "Priority", records: (d) => d.priorities },
  { pattern: /^service\/tickets$/i, noun: "Ticket", records: (d) => d.tickets },
];

export function startPsaSandbox(options: PsaSandboxOptions = {}): Promise<PsaSandbox> {
  return startSandboxServer(options, {
    caps: PLATFORMS.PSA.caps,
    errorBody,
    basePath: `${BASE_PATH}/`,
    names: NAMES,
    tenantNoun: "PSA sandbox company",
    createTenant: (companyId, sizes, now) => new PsaCompanyData(companyId, sizes, now),
    accept,
  });
}

/** Auth names the tenant: Basic credentials of the company's API member. */
function accept(
  req: IncomingMessage,
  { tenants: companies }: SandboxContext<PsaCompanyData>,
): TenantCall | SandboxReply {
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
  const companyId = companyIdOf(req.headers.authorization);
  if (!companyId) return failure(401, "Authorization must be Basic base64(companyId+publicKey:privateKey)");
  const data = companies.get(companyId);
  if (!data) return failure(401, `Unknown company "${companyId}"`);
  const path = routePath(url.pathname);
  // Read-only: no Idempotency-Key.
  return { tenantId: companyId, path, answer: (method) => route(method, path.slice(1), url, data) };
}

/** The companyId of "Basic base64(companyId+publicKey:privateKey)", or undefined when malformed. */
function companyIdOf(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? "");
  if (!match) return undefined;
  const credentials = Buffer.from(match[1]!, "base64").toString("utf8");
  return /^([^+:]+)\+[^:]+:.+$/.exec(credentials)?.[1];
}

/** "/v4_6_release/apis/3.0//service/tickets/" → "/service/tickets" (as logged in caps). */
function routePath(pathname: string): string {
  return cleanPath(pathname).replace(/^\/[^/]+\/apis\/3\.0(?=\/|$)/i, "") || "/";
}

/** A list, its count ("…/count") or one of its records ("…/{id}"). */
function route(method: string, path: string, url: URL, data: PsaCompanyData): SandboxReply {
  const tail = /^(.*)\/(count|\d+)$/i.exec(path);
  const attempts: [base: string, mode: "list" | "count" | number][] = [[path, "list"]];
  if (tail) attempts.push([tail[1]!, tail[2]!.toLowerCase() === "count" ? "count" : Number(tail[2])]);
  for (const [base, mode] of attempts) {
    for (const list of LISTS) {
      const match = list.pattern.exec(base);
      if (!match) continue;
      if (method !== "GET") return failure(405, `${method} is not supported by the sandbox (read-only)`);
      const parentId = Number(match[1]);
      const records = list.records(data, parentId);
      if (!records) return failure(404, `${list.parent} ${parentId} not found`);
      if (typeof mode === "number") {
        const record = findById(records, mode);
        return record ? { status: 200, body: record } : failure(404, `${list.noun} ${mode} not found`);
      }
      try {
        return mode === "count" ? countOf(records, url.searchParams) : pageOf(records, url);
      } catch (error) {
        if (error instanceof QueryError) return failure(400, error.message);
        throw error;
      }
    }
  }
  return failure(404, `No such endpoint: ${method} /${path}`);
}

function countOf(records: readonly PsaRecord[], query: URLSearchParams): SandboxReply {
  return { status: 200, body: { count: filtered(records, query.get("conditions")).length } };
}

/** One page of a list, with ConnectWise's Link header while more pages follow. */
function pageOf(records: readonly PsaRecord[], url: URL): SandboxReply {
  const query = url.searchParams;
  const page = wholeNumber(query.get("page"), 1, "page", Number.MAX_SAFE_INTEGER);
  const pageSize = wholeNumber(query.get("pageSize"), DEFAULT_PAGE_SIZE, "pageSize", MAX_PAGE_SIZE);
  const matching = filtered(records, query.get("conditions"));
  const ordered = sorted(matching, query.get("orderBy"));
  const body = ordered.slice((page - 1) * pageSize, page * pageSize);
  const lastPage = Math.max(1, Math.ceil(ordered.length / pageSize));
  if (page >= lastPage) return { status: 200, body };
  const link = (n: number) => {
    const target = new URL(url);
    target.searchParams.set("page", String(n));
    return `<${target.href}>`;
  };
  return {
    status: 200,
    body,
    headers: { link: `${link(page + 1)}; rel="next", ${link(lastPage)}; rel="last"` },
  };
}

function wholeNumber(text: string | null, fallback: number, name: string, max: number): number {
  if (text === null) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) {
    throw new QueryError(`${name} must be a whole number from 1 to ${max}`);
  }
  return value;
}

function filtered(records: readonly PsaRecord[], conditions: string | null): readonly PsaRecord[] {
  if (conditions === null || conditions.trim() === "") return records;
  return records.filter(compileConditions(conditions, records[0]));
}

// ---- orderBy ----

/**
 * Orders by "<path> asc|desc", then by id. Lists are kept in id order, so ordering by id needs no sort;
 * otherwise each record's key is read once, not once per comparison.
 */
function sorted(records: readonly PsaRecord[], orderBy: string | null): readonly PsaRecord[] {
  const match = /^\s*([\w/]+)(?:\s+(asc|desc))?\s*$/i.exec(orderBy ?? "id");
  if (!match) throw new QueryError(`orderBy must be "<field> asc" or "<field> desc", not "${orderBy}"`);
  const path = fieldPath(match[1]!, records[0]);
  const direction = match[2]?.toLowerCase() === "desc" ? -1 : 1;
  if (path.join("/") === "id") return direction === 1 ? records : [...records].reverse();
  return records
    .map((record) => ({ record, key: sortKey(valueAt(record, path)) }))
    .sort((a, b) => direction * compareKeys(a.key, b.key) || a.record.id - b.record.id)
    .map((entry) => entry.record);
}

/** Strings sort case-insensitively, as on ConnectWise's SQL Server. */
function sortKey(value: unknown): string | number | boolean | null {
  if (typeof value === "string") return value.toLowerCase();
  return typeof value === "number" || typeof value === "boolean" ? value : null;
}

/** Nulls first, as SQL Server sorts them. */
function compareKeys(a: string | number | boolean | null, b: string | number | boolean | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

// ---- conditions ----

/** A condition or orderBy the sandbox cannot read: answered 400 InvalidObject with this message. */
export class QueryError extends Error {}

type Literal =
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" }
  | { kind: "datetime"; value: number };

type Predicate = (record: object) => boolean;
type Compare = (found: string | number, wanted: string | number) => boolean;

const COMPARISONS: Record<string, Compare> = {
  "=": (found, wanted) => found === wanted,
  "!=": (found, wanted) => found !== wanted,
  "<": (found, wanted) => found < wanted,
  "<=": (found, wanted) => found <= wanted,
  ">": (found, wanted) => found > wanted,
  ">=": (found, wanted) => found >= wanted,
};
const OPERATORS = new Set([...Object.keys(COMPARISONS), "like", "contains"]);
/** What ConnectWise's datetimes look like; other strings are not compared with [datetimes]. */
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T/;

/**
 * Compiles ConnectWise's `conditions` (a subset) into a predicate on records, independent of HTTP:
 * clauses `<path> <op> <value>` joined by `and` (binding tighter) and `or`, with optional parentheses.
 * Paths use "/" for nesting (`board/id`); `lastUpdated` means `_info/lastUpdated`. Ops: = != < <= > >=,
 * `like` (`*` wildcard) and `contains`, both case-insensitive, as is string comparison. Values:
 * "strings", numbers, true, false, null, [2026-01-01T00:00:00Z]. A comparison with a null field is false,
 * as in SQL (except `= null`). When `sample` (a record of the list) is given, paths are checked against
 * it, so a misspelt field is an error rather than an empty result. Throws QueryError on anything else.
 */
export function compileConditions(text: string, sample?: object): Predicate {
  const tokens = tokenize(text);
  let position = 0;
  const peekWord = () => tokens[position]?.toLowerCase();
  const where = () => (position < tokens.length ? `at "${tokens[position]}"` : "at the end");

  const clause = (): Predicate => {
    if (tokens[position] === "(") {
      position++;
      const inner = or();
      if (tokens[position] !== ")") throw new QueryError(`Expected ")" ${where()} in conditions`);
      position++;
      return inner;
    }
    const field = tokens[position];
    if (!field || !/^[A-Za-z_][\w/]*$/.test(field) || ["and", "or"].includes(field.toLowerCase())) {
      throw new QueryError(`Expected a field name ${where()} in conditions`);
    }
    position++;
    const op = peekWord();
    if (!op || !OPERATORS.has(op))
      throw new QueryError(`Expected an operator after "${field}", found ${where()}`);
    position++;
    const raw = tokens[position++];
    if (raw === undefined) throw new QueryError(`Expected a value after "${field} ${op}"`);
    const value = literal(raw);
    return comparison(fieldPath(field, sample, value.kind === "null"), op, value, sample);
  };
  /** Parts joined by `word`; `or` joins and-ed clauses, so and binds tighter. */
  const joined = (word: "and" | "or", part: () => Predicate) => (): Predicate => {
    const parts = [part()];
    while (peekWord() === word) {
      position++;
      parts.push(part());
    }
    if (parts.length === 1) return parts[0]!;
    return word === "and" ? (r) => parts.every((p) => p(r)) : (r) => parts.some((p) => p(r));
  };
  const or = joined("or", joined("and", clause));

  const predicate = or();
  if (position < tokens.length) throw new QueryError(`Expected "and" or "or" ${where()} in conditions`);
  return predicate;
}

/** Splits conditions into words, operators, parentheses, "strings" and [datetimes]. */
function tokenize(text: string): string[] {
  const pattern = /\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\]|!=|<=|>=|[=<>()]|[^\s=<>!()"[\]]+)/y;
  const tokens: string[] = [];
  while (pattern.lastIndex < text.length) {
    const start = pattern.lastIndex;
    const match = pattern.exec(text);
    if (!match) {
      if (text.slice(start).trim() === "") break;
      throw new QueryError(`Cannot read conditions from character ${start + 1}: ${text.slice(start).trim()}`);
    }
    tokens.push(match[1]!);
  }
  return tokens;
}

function literal(raw: string): Literal {
  if (raw.startsWith('"')) return { kind: "string", value: raw.slice(1, -1).replace(/\\(.)/g, "$1") };
  if (raw.startsWith("[")) {
    const match = /^\[(\d{4}-\d{2}-\d{2}(?:T[\d:.]+)?)(Z|[+-]\d{2}:?\d{2})?\]$/.exec(raw);
    // Without a zone it is UTC, as ConnectWise means it (Date.parse would take local time).
    const value = match
      ? Date.parse(`${match[1]}${match[1]!.includes("T") ? (match[2] ?? "Z") : ""}`)
      : Number.NaN;
    if (Number.isNaN(value)) throw new QueryError(`${raw} is not a datetime such as [2026-01-01T00:00:00Z]`);
    return { kind: "datetime", value };
  }
  if (/^-?\d+(\.\d+)?$/.test(raw)) return { kind: "number", value: Number(raw) };
  const word = raw.toLowerCase();
  if (word === "true" || word === "false") return { kind: "boolean", value: word === "true" };
  if (word === "null") return { kind: "null" };
  throw new QueryError(`Expected a value ("text", a number, true, false, null or [datetime]), found ${raw}`);
}

/** One clause as a predicate; the operator and value are checked once, here, not per record. */
function comparison(path: string[], op: string, value: Literal, sample: object | undefined) {
  const name = path.join("/");
  const example = sample && valueAt(sample, path);
  const known = example !== null && example !== undefined;
  if (value.kind === "null" || value.kind === "boolean") {
    if (op !== "=" && op !== "!=")
      throw new QueryError(`${value.kind} can only be compared with = or != (${name})`);
    if (value.kind === "boolean" && known && typeof example !== "boolean") {
      throw new QueryError(`"${name}" is a ${typeof example}: compare it with a ${typeof example} value`);
    }
    const wanted = value.kind === "null" ? null : value.value;
    return (record: object) => ((valueAt(record, path) ?? null) === wanted) === (op === "=");
  }
  if (op === "like" || op === "contains") {
    if (value.kind !== "string") throw new QueryError(`${op} needs a "quoted" value (${name})`);
    if (known && typeof example !== "string")
      throw new QueryError(`${op} needs a text field; "${name}" is not`);
    const text = value.value.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
    const pattern = new RegExp(
      op === "like" ? `^${text.replace(/\*/g, ".*")}$` : text.replace(/\*/g, "\\*"),
      "is",
    );
    return (record: object) => {
      const found = valueAt(record, path);
      return typeof found === "string" && pattern.test(found);
    };
  }
  const expected = value.kind === "number" ? "number" : "string";
  if (known && typeof example !== expected) {
    throw new QueryError(`"${name}" is a ${typeof example}: compare it with a ${typeof example} value`);
  }
  if (value.kind === "datetime" && known && !ISO_DATETIME.test(String(example))) {
    throw new QueryError(`"${name}" is not a datetime: compare it with a "quoted" value`);
  }
  // Datetimes are compared as instants; strings without regard to case.
  const read =
    value.kind === "datetime"
      ? (found: unknown) => (typeof found === "string" && ISO_DATETIME.test(found) ? Date.parse(found) : null)
      : value.kind === "string"
        ? (found: unknown) => (typeof found === "string" ? found.toLowerCase() : null)
        : (found: unknown) => (typeof found === "number" ? found : null);
  const wanted = value.kind === "string" ? value.value.toLowerCase() : value.value;
  const compare = COMPARISONS[op]!;
  return (record: object) => {
    const found = read(valueAt(record, path));
    return found !== null && compare(found, wanted);
  };
}

/**
 * "board/id" → ["board", "id"]; "lastUpdated" is an alias of "_info/lastUpdated".
 * Checked against `sample` when given: the path must exist and end at a value, or at an object when it
 * is compared with null (`contact = null`). A null on the way, such as a ticket without a contact, ends
 * the check: there is nothing more to learn from that sample.
 */
function fieldPath(field: string, sample: object | undefined, objectAllowed = false): string[] {
  const path = /^lastUpdated$/i.test(field) ? ["_info", "lastUpdated"] : field.split("/");
  if (!sample || field === "id") return path;
  let current: unknown = sample;
  for (const [i, segment] of path.entries()) {
    if (current === null) return path;
    if (typeof current !== "object" || Array.isArray(current) || !(segment in current)) {
      const parent = path.slice(0, i).join("/");
      throw new QueryError(
        `Unknown field "${field}"${Array.isArray(current) ? ` (${parent} is a list)` : ""}`,
      );
    }
    current = (current as Record<string, unknown>)[segment];
  }
  if (typeof current === "object" && current !== null && !(objectAllowed && !Array.isArray(current))) {
    throw new QueryError(
      `"${field}" is ${Array.isArray(current) ? "a list" : "an object"}: name one of its fields`,
    );
  }
  return path;
}

function valueAt(record: object, path: readonly string[]): unknown {
  let current: unknown = record;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
