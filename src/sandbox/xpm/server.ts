import type { IncomingMessage } from "node:http";
import { PLATFORMS } from "../../platforms/catalog.ts";
import { cleanPath, isRecord, parseJson } from "../kit/http.ts";
import { failureFrom, type SandboxReply } from "../kit/reply.ts";
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
  dayNumber,
  formatDay,
  type SeedSizes,
  type Tracked,
  type XpmClient,
  type XpmJob,
  XpmPractice,
} from "./data.ts";

/**
 * A stand-in Xero Practice Manager, API v3.1, written from Xero's OpenAPI file
 * (src/sandbox/specs/xero-practicemanager-v3-1.yaml): JSON bodies shaped like its DTOs, errors as
 * ResponseErrorDto. On top of the spec, through the sandbox kit, it does what PLATFORMS.md says the real
 * platform does: caps per practice with Xero's limit headers and 429s, Idempotency-Key on writes; and
 * what tests need: latency, faults, a call log (all in `caps`).
 *
 * Routes are served under /v3.1/… and also under /practicemanager/v3.1/… (the production base path), so
 * a client configured with either base URL works.
 */

/**
 * Tenants are practices, by remote tenant id; caps default to the XPM catalog's (3 concurrent, 60 a
 * minute, 5,000 a day).
 */
export type XpmSandboxOptions = SandboxServerOptions<SeedSizes>;

const NAMES = { all: "practices", one: "practice", add: "addPractice" } as const;

/** Practices by remote tenant id (the `xero-tenant-id` header); `url` is the root: resolve "v3.1/…". */
export type XpmSandbox = NamedSandbox<SeedSizes, XpmPractice, typeof NAMES>;

/** The spec gives a default page size (50) but no maximum: the sandbox caps it at 1,000. */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

interface RouteContext {
  practice: XpmPractice;
  query: URLSearchParams;
  body: string;
  /** Scheme, host and mount prefix the request came in on, for absolute pagination links. */
  base: string;
}

/** ResponseErrorDto. */
const errorBody = (errorDescription: string) => ({ status: "ERROR", errorDescription });
const failure = failureFrom(errorBody);
/**
 * A request XPM refuses, on an operation whose contract declares no 4xx (only 200 and 500): a 500 whose
 * ResponseErrorDto says what is wrong with the request. syncline's connector tells these from
 * transient failures by that description (platforms/xpm/errors.ts).
 */
const refusal = (description: string): SandboxReply => failure(500, description);
const ok = (body: object): SandboxReply => ({ status: 200, body: { status: "OK", ...body } });

const ROUTES: Route<RouteContext>[] = [
  { path: /^\/v3\.1\/client\.api\/list$/, methods: { GET: listClients } },
  { path: /^\/v3\.1\/client\.api\/get\/([^/]+)\/customfield$/, methods: { GET: clientCustomFields } },
  { path: /^\/v3\.1\/job\.api\/get\/([^/]+)\/customfield$/, methods: { GET: jobCustomFields } },
  { path: /^\/v3\.1\/customfield\.api\/definition$/, methods: { GET: customFieldDefinitions } },
  { path: /^\/v3\.1\/client\.api\/paged-list$/, methods: { GET: pageClients } },
  { path: /^\/v3\.1\/job\.api\/current$/, methods: { GET: currentJobs } },
  { path: /^\/v3\.1\/job\.api\/get\/([^/]+)$/, methods: { GET: getJob } },
  { path: /^\/v3\.1\/job\.api\/update$/, methods: { PUT: updateJob } },
  { path: /^\/v3\.1\/staff\.api\/list$/, methods: { GET: listStaff } },
  { path: /^\/v3\.1\/time\.api\/list$/, methods: { GET: listTime } },
];

export function startXpmSandbox(options: XpmSandboxOptions = {}): Promise<XpmSandbox> {
  return startSandboxServer(options, {
    caps: PLATFORMS.XPM.caps,
    errorBody,
    basePath: "/",
    names: NAMES,
    tenantNoun: "XPM sandbox practice",
    contract: "XPM",
    routePath: (req) => routePath(new URL(req.url ?? "/", "http://sandbox").pathname).path,
    createTenant: (tenantId, sizes, now) => new XpmPractice({ seed: tenantId, ...sizes }, now),
    accept,
  });
}

/** The mount prefix (for pagination links) and the route path, then the shared Xero auth. */
function accept(req: IncomingMessage, context: SandboxContext<XpmPractice>): TenantCall | SandboxReply {
  const url = new URL(req.url ?? "/", "http://sandbox");
  const { prefix, path } = routePath(url.pathname);
  const base = `http://${req.headers.host ?? "127.0.0.1"}${prefix}`;
  return acceptXeroCall(req, context, path, (practice, method, body) => {
    const reply = routeCall(ROUTES, method, path, { practice, query: url.searchParams, body, base }, failure);
    return reply ?? failure(404, `No such endpoint: ${method} ${path}`);
  });
}

/** Splits "/practicemanager//v3.1/x/" into the mount prefix and the route path "/v3.1/x". */
function routePath(pathname: string): { prefix: string; path: string } {
  const clean = cleanPath(pathname);
  const prefix = clean.startsWith("/practicemanager/") ? "/practicemanager" : "";
  return { prefix, path: clean.slice(prefix.length) };
}

// ---- clients ----

function listClients({ practice, query }: RouteContext): SandboxReply {
  const since = query.get("modifiedSince");
  const sinceMs = since === null ? undefined : parseModifiedSince(since);
  if (sinceMs === null) return refusal("modifiedSince must be yyyy-MM-ddTHH:mm:ss (UTC)");
  const detailed = query.get("detailed")?.toLowerCase() === "true";
  const clients = practice.listClients(sinceMs).map((c) => (detailed ? detailedClientDto(c) : c.dto));
  return ok({ clients });
}

function pageClients({ practice, query, base }: RouteContext): SandboxReply {
  const pageSize = Number(query.get("pageSize") ?? DEFAULT_PAGE_SIZE);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    return failure(400, `pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  const token = query.get("pageToken");
  const from = token ? readPageToken(token) : 0;
  if (from === null) return failure(400, "pageToken is not one this API issued");
  const page = practice.clientPage(from, pageSize);
  const link = (position: number | null) => {
    if (position === null) return null;
    const tokenPart = position === 0 ? "" : `&pageToken=${writePageToken(position)}`;
    return `${base}/v3.1/client.api/paged-list?pageSize=${pageSize}${tokenPart}`;
  };
  return ok({
    clients: page.records.map((c) => c.dto),
    pagination: { links: { first: link(0), next: link(page.next) } },
  });
}

/** ClientDetailedDto: the base fields plus contacts, notes, groups and relationships (none in the sandbox). */
function detailedClientDto(client: Tracked<XpmClient>) {
  return { ...client.dto, contacts: [], notes: [], groups: [], relationships: [] };
}

/** Page tokens are opaque to clients; inside, the position in the practice's client order. */
function writePageToken(position: number): string {
  return Buffer.from(`clients:${position}`).toString("base64url");
}

function readPageToken(token: string): number | null {
  const match = /^clients:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  return match ? Number(match[1]) : null;
}

/** yyyy-MM-ddTHH:mm:ss, read as UTC; null when malformed. */
function parseModifiedSince(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(value)) return null;
  const at = Date.parse(`${value}Z`);
  return Number.isNaN(at) ? null : at;
}

// ---- jobs ----

function currentJobs({ practice }: RouteContext): SandboxReply {
  return ok({ jobs: practice.currentJobs().map((j) => j.dto) });
}

function getJob({ practice }: RouteContext, [jobNumber]: string[]): SandboxReply {
  const job = practice.jobs.get(jobNumber!);
  return job && !job.deleted ? ok({ job: job.dto }) : refusal(`Job ${jobNumber} not found`);
}

/** JobUpdateRequestDto: `id` names the job by number; the other fields given are changed. */
const JOB_UPDATE_FIELDS = new Set([
  "id",
  "name",
  "description",
  "startDate",
  "dueDate",
  "categoryUuid",
  "budget",
  "clientNumber",
]);

function updateJob({ practice, body }: RouteContext): SandboxReply {
  const request = parseJson(body);
  if (!isRecord(request)) return refusal("The body must be a JobUpdateRequestDto JSON object");
  const problem = jobUpdateProblem(request);
  if (problem) return refusal(problem);
  const id = request.id as string;
  const job = practice.jobs.get(id);
  if (!job || job.deleted) return refusal(`Job ${id} not found`);
  const updated = practice.editJob(id, jobChanges(request))!;
  return ok({ job: updated.dto });
}

/** What is wrong with a JobUpdateRequestDto, if anything (the spec allows no extra properties). */
function jobUpdateProblem(request: Record<string, unknown>): string | undefined {
  const unknown = Object.keys(request).find((key) => !JOB_UPDATE_FIELDS.has(key));
  if (unknown) return `Unknown field "${unknown}" (JobUpdateRequestDto fields are case-sensitive)`;
  if (typeof request.id !== "string" || request.id === "") return "id (the job number) is required";
  const { budget, name, description, startDate, dueDate } = request;
  if (
    budget !== undefined &&
    budget !== null &&
    !(typeof budget === "number" && Number.isFinite(budget) && budget >= 0)
  ) {
    return "budget must be a number of at least 0";
  }
  if (name !== undefined && (typeof name !== "string" || name.trim() === "")) return "name must not be empty";
  if (description !== undefined && description !== null && typeof description !== "string") {
    return "description must be a string";
  }
  for (const [field, value] of [
    ["startDate", startDate],
    ["dueDate", dueDate],
  ] as const) {
    if (value !== undefined && value !== null && toDay(value) === null)
      return `${field} must be a date yyyy-MM-dd`;
  }
  return undefined;
}

/** The JobDto changes a valid request asks for (categoryUuid and clientNumber are accepted and ignored). */
function jobChanges(request: Record<string, unknown>): Partial<XpmJob> {
  const changes: Partial<XpmJob> = {};
  if ("budget" in request) changes.budget = request.budget as number | null;
  if (typeof request.name === "string") changes.name = request.name;
  if ("description" in request) changes.description = (request.description as string | null) ?? "";
  const startDate = toDay(request.startDate);
  const dueDate = toDay(request.dueDate);
  if (startDate) changes.startDate = startDate;
  if (dueDate) changes.dueDate = dueDate;
  return changes;
}

/** A yyyy-MM-dd date from yyyy-MM-dd or yyyy-MM-ddTHH:mm:ss; null otherwise. */
function toDay(value: unknown): string | null {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?$/.test(value)) return null;
  const day = value.slice(0, 10);
  // The round trip rejects dates such as 2025-02-30, which Date.parse would roll over.
  const number = dayNumber(day);
  return Number.isFinite(number) && formatDay(number) === day ? day : null;
}

// ---- custom fields ----

function customFieldDefinitions({ practice }: RouteContext): SandboxReply {
  return ok({
    customFieldDefinitions: practice.customFields.map((d) => ({
      uuid: d.uuid,
      name: d.name,
      type: d.type,
      useClient: d.useClient,
      useJob: d.useJob,
    })),
  });
}

/** CustomFieldValueListResponseDto of a client (by uuid): the fields that apply to clients, with its values. */
function clientCustomFields({ practice }: RouteContext, [uuid]: string[]): SandboxReply {
  const client = practice.clients.get(uuid!);
  if (!client || client.deleted) return refusal(`Client ${uuid} not found`);
  return ok({ customFields: practice.customFieldValues({ client: uuid! }) });
}

function jobCustomFields({ practice }: RouteContext, [jobNumber]: string[]): SandboxReply {
  const job = practice.jobs.get(jobNumber!);
  if (!job || job.deleted) return refusal(`Job ${jobNumber} not found`);
  return ok({ customFields: practice.customFieldValues({ job: jobNumber! }) });
}

// ---- staff and time ----

function listStaff({ practice }: RouteContext): SandboxReply {
  return ok({ staffList: practice.activeStaff().map((s) => s.dto) });
}

function listTime({ practice, query }: RouteContext): SandboxReply {
  const from = compactDay(query.get("from"));
  const to = compactDay(query.get("to"));
  if (!from || !to) return failure(400, "from and to are required, as yyyyMMdd");
  if (from > to) return failure(400, "from must not be after to");
  // The widest range XPM takes is one year (PLATFORMS.md): `to` at most a year after `from`.
  if (to > `${Number(from.slice(0, 4)) + 1}${from.slice(4)}`)
    return failure(400, "from and to must be at most a year apart");
  return ok({ times: practice.timesBetween(from, to).map((t) => t.dto) });
}

/** yyyyMMdd → yyyy-MM-dd; null when missing or not a date. */
function compactDay(value: string | null): string | null {
  if (!value || !/^\d{8}$/.test(value)) return null;
  return toDay(`${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}`);
}
