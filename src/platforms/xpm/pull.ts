import type { EntityPuller, PullContext } from "../pull.ts";

/**
 * Xero Practice Manager v3.1 pulls (PLATFORMS.md): clients by paged-list (full) or list?modifiedSince
 * (incremental); current jobs and staff in one call each; time entries by from/to date slices, since
 * the time list takes no modifiedSince.
 */

const PAGE_SIZE = 1000;
/** Days per time.api/list call. */
const TIME_SLICE_DAYS = 31;
/** How far back the first pull of time entries goes. */
const TIME_HISTORY_DAYS = 365;
const DAY_MS = 86_400_000;

type Body = Record<string, unknown>;

const list = (body: unknown, key: string): Record<string, unknown>[] => {
  const value = (body as Body | null)?.[key];
  return Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
};

/** yyyy-MM-ddTHH:mm:ss in UTC, as client.api/list's modifiedSince wants it. */
const modifiedSince = (at: Date) => at.toISOString().slice(0, 19);
const yyyymmdd = (at: Date) => at.toISOString().slice(0, 10).replaceAll("-", "");

/** The engine pulls full listings (initial, daily) with no `since`: anything else is incremental. */
const incremental = (context: PullContext) => context.since !== null;

const client: EntityPuller = {
  listsEverything: (context) => !incremental(context),
  request(context, cursor) {
    if (incremental(context))
      return { path: "v3.1/client.api/list", query: { modifiedSince: modifiedSince(context.since!) } };
    const query: Record<string, string> = { pageSize: String(PAGE_SIZE) };
    if (typeof cursor === "string") query.pageToken = cursor;
    return { path: "v3.1/client.api/paged-list", query };
  },
  parse(context, body) {
    const records = list(body, "clients").map((dto) => ({ remoteId: String(dto.uuid), data: dto }));
    if (incremental(context)) return { records, next: null };
    const next = ((body as Body)?.pagination as { links?: { next?: string | null } } | undefined)?.links
      ?.next;
    const token = next ? new URL(next, "http://xpm").searchParams.get("pageToken") : null;
    return { records, next: token };
  },
};

const job: EntityPuller = {
  listsEverything: () => true,
  request: () => ({ path: "v3.1/job.api/current" }),
  parse: (_context, body) => ({
    records: list(body, "jobs").map((dto) => ({ remoteId: String(dto.id), data: dto })),
    next: null,
  }),
};

const staff: EntityPuller = {
  listsEverything: () => true,
  request: () => ({ path: "v3.1/staff.api/list" }),
  parse: (_context, body) => ({
    records: list(body, "staffList").map((dto) => ({ remoteId: String(dto.uuid), data: dto })),
    next: null,
  }),
};

/** Slices [from, to] of at most TIME_SLICE_DAYS, walking forward to the run's start. */
const time: EntityPuller = {
  listsEverything: () => false,
  request(context, cursor) {
    const from = typeof cursor === "number" ? cursor : firstTimeDay(context);
    const to = Math.min(from + (TIME_SLICE_DAYS - 1) * DAY_MS, dayStart(context.startedAt));
    return {
      path: "v3.1/time.api/list",
      query: { from: yyyymmdd(new Date(from)), to: yyyymmdd(new Date(to)) },
    };
  },
  parse(context, body, cursor) {
    const from = typeof cursor === "number" ? cursor : firstTimeDay(context);
    const nextFrom = from + TIME_SLICE_DAYS * DAY_MS;
    return {
      records: list(body, "times").map((dto) => ({ remoteId: String(dto.uuid), data: dto })),
      next: nextFrom <= dayStart(context.startedAt) ? nextFrom : null,
    };
  },
};

function dayStart(at: Date): number {
  return Math.floor(at.getTime() / DAY_MS) * DAY_MS;
}

function firstTimeDay(context: PullContext): number {
  return dayStart(context.since ?? new Date(context.startedAt.getTime() - TIME_HISTORY_DAYS * DAY_MS));
}

export const XPM_PULLERS: Record<string, EntityPuller> = { client, job, staff, time };
