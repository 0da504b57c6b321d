import { existsSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import formatsPlugin from "ajv-formats";
import { type ContractPlatform, departureFor, PROSE_RULES } from "./contract-departures.ts";
import type { SandboxReply } from "./reply.ts";

/**
 * The contract check: every call a sandbox serves, the request that came in and the answer that went
 * out, validated against the matching operation of Xero's own OpenAPI file (src/sandbox/specs) with Ajv.
 * Tests turn it on (enableContractChecks); a test whose calls broke the contract then fails
 * (test/support/contract-setup.ts reads takeContractViolations after each test).
 *
 * What counts as a violation:
 * - an answer whose status the operation does not declare, unless contract-departures.ts lists it;
 * - an answer whose JSON body does not match the declared schema (Xero's MS-dates included:
 *   fields marked x-is-msdate must read /Date(…)/);
 * - a request the sandbox accepted (a 2xx) that the operation would refuse: an unknown or ill-typed
 *   query parameter, a missing required one or header, an Idempotency-Key over 128 characters, a body
 *   that is not the declared JSON or does not match its schema. A request the sandbox refused is what
 *   the contract asks of it, and is not counted (sandbox tests send bad requests on purpose);
 * - a 2xx answer to a call that matches no operation of the contract.
 *
 * The files are written by NSwag and Xero's SDK generator, and two of their habits would make a strict
 * JSON Schema validator refuse valid answers; both are translated, as the generators mean them:
 * `nullable: true` (OpenAPI 3.0) becomes a null alternative, and an `allOf` whose parts each say
 * `additionalProperties: false` (XPM's inheritance: ResponseBaseDto + the list) is merged into one
 * object with the union of the properties, still closed to others.
 */

export interface ContractViolation {
  platform: ContractPlatform;
  /** e.g. "PUT /v3.1/job.api/update → 200". */
  call: string;
  side: "request" | "response";
  problems: string[];
}

/** One served call as the check sees it. */
export interface ContractExchange {
  method: string;
  /** The route path, without the mount prefix and query string (as the call log records it). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The answer; null when none was sent (a timeout fault). */
  reply: SandboxReply | null;
  /** The answer was an injected fault or 429 (the test's choice, not the sandbox's behaviour). */
  injected: boolean;
}

/** What a run of checks has seen (per process: each test file's worker keeps its own). */
export interface ContractTally {
  requests: number;
  responses: number;
  /** Calls matching no operation (answered with an error), or with no answer at all. */
  unmatched: number;
  /** Answers a test ordered (injected faults and 429s): not the sandbox's behaviour, so not checked. */
  injected: number;
  /** Answers let through by a departure, by its name. */
  departures: Record<string, number>;
  violations: number;
}

const SPEC_FILES: Record<ContractPlatform, string> = {
  XPM: "xero-practicemanager-v3-1.yaml",
  XERO_ACCOUNTING: "xero_accounting.yaml",
};

// ---- the process-wide switch and record ----

let enabled = false;
const pending: ContractViolation[] = [];
const tally: ContractTally = {
  requests: 0,
  responses: 0,
  unmatched: 0,
  injected: 0,
  departures: {},
  violations: 0,
};

/** Sandboxes started from now on in this process check every call against the contracts. */
export function enableContractChecks(): void {
  enabled = true;
}

export function contractChecksEnabled(): boolean {
  return enabled || process.env.SYNCLINE_CONTRACT_CHECKS === "1";
}

/** The violations recorded since the last call (and forgets them). */
export function takeContractViolations(): ContractViolation[] {
  checkRecorded();
  return pending.splice(0, pending.length);
}

export function contractTally(): Readonly<ContractTally> {
  checkRecorded();
  return tally;
}

/** Calls the sandboxes recorded and the check has not judged yet (see Contract.record). */
const recorded: { contract: Contract; exchange: ContractExchange }[] = [];

function checkRecorded(): void {
  for (const { contract, exchange } of recorded.splice(0, recorded.length)) contract.check(exchange);
}

/**
 * Where Xero's OpenAPI files are: SYNCLINE_SPECS_DIR, else the copies kept in src/sandbox/specs (Xero's
 * own files, MIT licensed: see LICENSE-Xero-OpenAPI there), so a clean checkout checks itself.
 */
export function specsDirectory(): string {
  return process.env.SYNCLINE_SPECS_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), "../specs");
}

const loaded = new Map<ContractPlatform, Promise<Contract>>();

/** The contract of a platform, loaded once per process. */
export function loadContract(platform: ContractPlatform): Promise<Contract> {
  let contract = loaded.get(platform);
  if (!contract) {
    const file = resolve(specsDirectory(), SPEC_FILES[platform]);
    if (!existsSync(file)) {
      throw new Error(
        `Contract checks need ${file} (set SYNCLINE_SPECS_DIR to the folder of Xero's OpenAPI files)`,
      );
    }
    contract = SwaggerParser.parse(file).then(
      (document) => new Contract(platform, document as unknown as Doc),
    );
    loaded.set(platform, contract);
  }
  return contract;
}

// ---- the OpenAPI document, as far as the check reads it ----

type Node = Record<string, unknown>;
interface Parameter {
  name: string;
  in: "query" | "header" | "path" | "cookie";
  required?: boolean;
  schema?: Node;
  description?: string;
}
interface MediaContent {
  schema?: Node;
}
interface Operation {
  operationId?: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, MediaContent> } | { $ref: string };
  responses: Record<string, { content?: Record<string, MediaContent> } | { $ref: string }>;
}
interface Doc {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Node>; parameters?: Record<string, Parameter>; requestBodies?: Node };
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  operation: Operation;
  parameters: Parameter[];
}

const METHODS = ["get", "put", "post", "patch", "delete"];
const MS_DATE = /^\/Date\(-?\d+([+-]\d{4})?\)\/$/;

export class Contract {
  private readonly routes: Route[] = [];
  /** Responses are read strictly; requests may write dates as yyyy-MM-dd (the contract's own examples do). */
  private readonly responseAjv: Ajv;
  private readonly requestAjv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  /** Where component refs point from outside the components document. */
  private readonly base: string;

  constructor(
    readonly platform: ContractPlatform,
    private readonly doc: Doc,
  ) {
    const id = platform.toLowerCase();
    this.base = `${id}#`;
    const schemas = Object.fromEntries(
      Object.entries(doc.components.schemas).map(([name, schema]) => [name, this.convert(schema, "#")]),
    );
    this.responseAjv = makeAjv(true);
    this.requestAjv = makeAjv(false);
    for (const ajv of [this.responseAjv, this.requestAjv]) {
      ajv.addSchema({ $id: id, components: { schemas } });
    }
    const caseless = platform === "XERO_ACCOUNTING";
    for (const [template, item] of Object.entries(doc.paths)) {
      const shared = ((item.parameters as Operation["parameters"]) ?? []).map((p) => this.parameter(p));
      for (const method of METHODS) {
        const operation = item[method] as Operation | undefined;
        if (!operation) continue;
        const own = (operation.parameters ?? []).map((p) => this.parameter(p));
        const names = new Set(own.map((p) => `${p.in}:${p.name.toLowerCase()}`));
        this.routes.push({
          method: method.toUpperCase(),
          template,
          pattern: templatePattern(template, caseless),
          operation,
          parameters: [...own, ...shared.filter((p) => !names.has(`${p.in}:${p.name.toLowerCase()}`))],
        });
      }
    }
    // Literal paths before templated ones, so /x/list is not read as /x/{id}.
    this.routes.sort((a, b) => placeholders(a.template) - placeholders(b.template));
  }

  /**
   * Keeps a copy of one served call, to be checked when the violations are next asked for: the check
   * (and Ajv's first compile of a schema, which can take a while) stays off the sandbox's answer, so a
   * test's timings and the limit headers of compressed minutes are what they would be without it.
   */
  record(exchange: ContractExchange): void {
    const { reply } = exchange;
    const copy: ContractExchange = {
      ...exchange,
      query: new URLSearchParams(exchange.query),
      headers: { ...exchange.headers },
      // As it went on the wire: later edits of the sandbox's data must not change what is judged.
      reply: reply && {
        ...reply,
        body: reply.body === undefined ? undefined : JSON.parse(JSON.stringify(reply.body)),
      },
    };
    recorded.push({ contract: this, exchange: copy });
  }

  /** Checks one served call, recording what it finds; returns the violations. Never throws. */
  check(exchange: ContractExchange): ContractViolation[] {
    try {
      return this.checkCall(exchange);
    } catch (error) {
      // A check that cannot run must not turn into the sandbox's answer: it is reported instead.
      const found: ContractViolation = {
        platform: this.platform,
        call: `${exchange.method} ${exchange.path}`,
        side: "response",
        problems: [`the contract check failed: ${(error as Error).message}`],
      };
      tally.violations++;
      pending.push(found);
      return [found];
    }
  }

  private checkCall(exchange: ContractExchange): ContractViolation[] {
    const status = exchange.reply?.status ?? null;
    const route = this.routes.find((r) => r.method === exchange.method && r.pattern.test(exchange.path));
    const call = `${exchange.method} ${exchange.path} → ${status ?? "no answer"}`;
    const found: ContractViolation[] = [];
    const violation = (side: ContractViolation["side"], problems: string[]) => {
      if (problems.length > 0) found.push({ platform: this.platform, call, side, problems });
    };
    if (!route) {
      tally.unmatched++;
      if (status !== null && status < 300)
        violation("response", [`the contract has no operation ${exchange.method} ${exchange.path}`]);
    } else {
      tally.requests++;
      const accepted = status !== null && status < 300;
      if (accepted) violation("request", this.requestProblems(route, exchange));
      if (exchange.reply && exchange.injected) tally.injected++;
      else if (exchange.reply) {
        tally.responses++;
        violation("response", this.responseProblems(route, exchange.reply));
      }
    }
    tally.violations += found.length;
    pending.push(...found);
    return found;
  }

  // ---- requests ----

  private requestProblems(route: Route, exchange: ContractExchange): string[] {
    const problems: string[] = [];
    const declared = new Set(route.parameters.filter((p) => p.in === "query").map((p) => p.name));
    for (const name of new Set(exchange.query.keys())) {
      if (!declared.has(name)) problems.push(`query parameter "${name}" is not declared`);
    }
    for (const parameter of route.parameters) {
      if (parameter.in === "path") continue;
      const raw =
        parameter.in === "query"
          ? exchange.query.get(parameter.name)
          : headerValue(exchange.headers, parameter.name.toLowerCase());
      const where = `${parameter.in} parameter "${parameter.name}"`;
      if (raw === null || raw === undefined) {
        if (parameter.required) problems.push(`${where} is required`);
        continue;
      }
      if (parameter.in === "header" && parameter.name.toLowerCase() === "idempotency-key") {
        if (raw.length > PROSE_RULES.idempotencyKeyMaxLength)
          problems.push(
            `${where} is ${raw.length} characters (at most ${PROSE_RULES.idempotencyKeyMaxLength})`,
          );
      }
      if (parameter.schema) {
        const validate = this.validator(
          this.requestAjv,
          `param:${route.template}:${parameter.in}:${parameter.name}`,
          () => this.convert(parameter.schema!, this.base),
        );
        if (!validate(coerce(raw, parameter.schema))) problems.push(...describe(validate.errors, where));
      }
    }
    const body = route.operation.requestBody && this.requestBody(route.operation.requestBody);
    if (!body) {
      if (exchange.body.trim() !== "") problems.push("the operation takes no request body");
      return problems;
    }
    if (exchange.body.trim() === "") {
      if (body.required) problems.push("the request body is required");
      return problems;
    }
    const mediaType = (headerValue(exchange.headers, "content-type") ?? "")
      .split(";")[0]!
      .trim()
      .toLowerCase();
    const content = body.content ?? {};
    if (!(mediaType in content)) {
      problems.push(
        `Content-Type "${mediaType || "(none)"}" is not one of ${Object.keys(content).join(", ")}`,
      );
      return problems;
    }
    const schema = content[mediaType]?.schema;
    if (!schema || !mediaType.includes("json")) return problems;
    let parsed: unknown;
    try {
      parsed = JSON.parse(exchange.body);
    } catch {
      problems.push("the request body is not JSON");
      return problems;
    }
    const validate = this.validator(
      this.requestAjv,
      `body:${route.method}:${route.template}:${mediaType}`,
      () => this.convert(schema, this.base),
    );
    if (!validate(parsed)) problems.push(...describe(validate.errors, "request body"));
    return problems;
  }

  // ---- responses ----

  private responseProblems(route: Route, reply: SandboxReply): string[] {
    const { status } = reply;
    const declared =
      route.operation.responses[String(status)] ??
      route.operation.responses[`${Math.floor(status / 100)}XX`] ??
      route.operation.responses.default;
    let schema: Node | undefined;
    let key: string;
    if (declared) {
      const response = this.resolve(declared) as { content?: Record<string, MediaContent> };
      schema = response.content?.["application/json"]?.schema;
      key = `response:${route.method}:${route.template}:${status}`;
    } else {
      const departure = departureFor(this.platform, status);
      if (!departure) {
        const statuses = Object.keys(route.operation.responses).join(", ");
        return [
          `status ${status} is not declared (the operation declares ${statuses}) and no departure covers it`,
        ];
      }
      tally.departures[departure.name] = (tally.departures[departure.name] ?? 0) + 1;
      if (departure.body === "none") return [];
      schema = { $ref: `#/components/schemas/${departure.body.schema}` };
      key = `departure:${departure.body.schema}`;
    }
    if (!schema) return [];
    const validate = this.validator(this.responseAjv, key, () => this.convert(schema!, this.base));
    return validate(reply.body) ? [] : describe(validate.errors, "response body");
  }

  // ---- schemas ----

  private validator(ajv: Ajv, key: string, schema: () => unknown): ValidateFunction {
    const cacheKey = `${ajv === this.responseAjv ? "res" : "req"}|${key}`;
    let validate = this.compiled.get(cacheKey);
    if (!validate) {
      validate = ajv.compile(schema() as object);
      this.compiled.set(cacheKey, validate);
    }
    return validate;
  }

  private parameter(p: Parameter | { $ref: string }): Parameter {
    return this.resolve(p) as Parameter;
  }

  private requestBody(body: NonNullable<Operation["requestBody"]>) {
    return this.resolve(body) as { required?: boolean; content?: Record<string, MediaContent> };
  }

  /** Follows a local $ref (#/components/…) of the document. */
  private resolve(node: unknown): unknown {
    let current = node as Node;
    for (let hops = 0; typeof current?.$ref === "string" && hops < 10; hops++) {
      const path = (current.$ref as string).replace(/^#\//, "").split("/");
      current = path.reduce<unknown>((at, part) => (at as Node)?.[part], this.doc) as Node;
    }
    return current;
  }

  /**
   * An OpenAPI 3.0 schema as JSON Schema for Ajv: `nullable` as a null alternative, XPM's closed
   * allOf parts merged, $ref siblings dropped (OpenAPI 3.0 ignores them), examples and vendor
   * extensions dropped except Xero's date marks. `base` prefixes component refs: "#" inside the
   * components document, the document's id elsewhere.
   */
  private convert(schema: Node, base: string): Node {
    if (typeof schema.$ref === "string") {
      return { $ref: schema.$ref.replace(/^#/, base) };
    }
    const out: Node = {};
    for (const [key, value] of Object.entries(schema)) {
      if (key === "x-is-msdate" || key === "x-is-msdate-time") {
        if (value === true) out.xeroMsDate = true;
        continue;
      }
      if (key.startsWith("x-") || key === "example" || key === "examples" || key === "externalDocs") continue;
      if (key === "xml" || key === "discriminator" || key === "nullable" || key === "default") continue;
      if (key === "properties") {
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, Node>).map(([name, sub]) => [name, this.convert(sub, base)]),
        );
      } else if (
        key === "items" ||
        key === "not" ||
        (key === "additionalProperties" && typeof value === "object")
      ) {
        out[key] = this.convert(value as Node, base);
      } else if (key === "allOf" || key === "oneOf" || key === "anyOf") {
        out[key] = (value as Node[]).map((sub) => this.convert(sub, base));
      } else {
        out[key] = value;
      }
    }
    if (Array.isArray(schema.allOf)) this.mergeClosedAllOf(schema, out, base);
    if (schema.nullable === true) return nullable(out);
    return out;
  }

  /** NSwag's inheritance: every part closed to other properties means "the union, closed". */
  private mergeClosedAllOf(schema: Node, out: Node, base: string): void {
    const parts = (schema.allOf as Node[]).map((part) => this.flatten(part));
    if (!parts.every((part) => part !== null) || !parts.some((p) => p!.additionalProperties === false))
      return;
    const properties: Record<string, Node> = {};
    const required = new Set<string>();
    for (const part of parts) {
      for (const [name, sub] of Object.entries((part!.properties as Record<string, Node>) ?? {}))
        properties[name] = this.convert(sub, base);
      for (const name of (part!.required as string[]) ?? []) required.add(name);
    }
    delete out.allOf;
    Object.assign(out, { type: "object", properties, additionalProperties: false });
    if (required.size > 0) out.required = [...required];
  }

  /** An object schema's own properties with its allOf parts folded in; null if it is not a plain object schema. */
  private flatten(part: Node): Node | null {
    const resolved = this.resolve(part) as Node;
    if (!resolved || resolved.oneOf || resolved.anyOf) return null;
    const properties: Record<string, Node> = { ...((resolved.properties as Record<string, Node>) ?? {}) };
    const required = [...((resolved.required as string[]) ?? [])];
    let closed = resolved.additionalProperties === false;
    for (const inner of (resolved.allOf as Node[]) ?? []) {
      const flat = this.flatten(inner);
      if (!flat) return null;
      Object.assign(properties, flat.properties);
      required.push(...((flat.required as string[]) ?? []));
      closed ||= flat.additionalProperties === false;
    }
    return { properties, required, additionalProperties: !closed };
  }
}

function nullable(schema: Node): Node {
  if (typeof schema.type === "string" && !schema.oneOf && !schema.anyOf && !schema.allOf) {
    const out: Node = { ...schema, type: [schema.type, "null"] };
    if (Array.isArray(schema.enum)) out.enum = [...schema.enum, null];
    return out;
  }
  return { anyOf: [schema, { type: "null" }] };
}

function makeAjv(strictDates: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  const addFormats = ((formatsPlugin as unknown as { default?: unknown }).default ?? formatsPlugin) as (
    ajv: Ajv,
  ) => void;
  addFormats(ajv);
  const int = (bits: number) => (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** (bits - 1);
  ajv.addFormat("int32", { type: "number", validate: int(32) });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  for (const loose of ["double", "float", "decimal"])
    ajv.addFormat(loose, { type: "number", validate: () => true });
  for (const loose of ["byte", "binary", "password"]) ajv.addFormat(loose, true);
  ajv.addKeyword({
    keyword: "xeroMsDate",
    type: "string",
    schemaType: "boolean",
    // Xero writes dates in JSON as /Date(ms+zone)/; a request may also give yyyy-MM-dd.
    validate: (_mark: boolean, data: string) => !strictDates || MS_DATE.test(data),
    errors: false,
  });
  return ajv;
}

function templatePattern(template: string, caseless: boolean): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith("{") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, caseless ? "i" : "");
}

const placeholders = (template: string) => (template.match(/\{/g) ?? []).length;

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A query or header value as the schema's type reads it. */
function coerce(raw: string, schema: Node): unknown {
  const type = schema.type;
  if (type === "integer" || type === "number") return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  if (type === "boolean") return raw === "true" ? true : raw === "false" ? false : raw;
  return raw;
}

function describe(errors: ErrorObject[] | null | undefined, where: string): string[] {
  return (errors ?? []).slice(0, 8).map((e) => {
    const at = e.instancePath || "";
    const extra =
      e.keyword === "additionalProperties"
        ? ` ("${(e.params as { additionalProperty: string }).additionalProperty}")`
        : e.keyword === "enum"
          ? ` (${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues).slice(0, 120)})`
          : "";
    const message = e.keyword === "xeroMsDate" ? "must be an MS date /Date(…)/" : e.message;
    return `${where}${at} ${message}${extra}`;
  });
}
