import type { EntityPuller, FollowUp, PullContext } from "../pull.ts";

/**
 * Xero Practice Manager v3.1 pulls (PLATFORMS.md): clients by list (all, archived included) or
 * list?modifiedSince (incremental); current jobs and staff in one call each; time entries by from/to
 * date windows, since the time list takes no modifiedSince.
 *
 * Clients are listed by client.api/list, never paged-list: the contract's paged-list returns only
 * "non-archived and non-deleted" clients, so a full pull through it would take every archived client
 * for deleted. Archived is a state of the record (isArchived "Yes"), kept in the mirror.
 *
 * Time entries are listed by the date they are for, so an edit or deletion of an older entry moves
 * nothing an incremental pull could ask by: every incremental pull lists the last `relistDays` days
 * again (in one call: the contract allows a year per call) and reconciles deletions inside that window.
 */

/**
 * Days one time.api/list call covers: the widest from/to range the API takes (PLATFORMS.md: one year),
 * `to` one year after `from`, both days included. A year of history is one call, not twelve slices.
 */
const RANGE_DAYS = 366;
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
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The engine pulls full listings (initial, daily) with no `since`: anything else is incremental. */
const incremental = (context: PullContext) => context.since !== null;

/**
 * The chosen custom fields of one client or job, through the contract's custom-field endpoints
 * (client.api/get/{uuid}/customfield, job.api/get/{jobNumber}/customfield: a
 * CustomFieldValueListResponseDto): one call per record, so only when the tenant chose custom fields,
 * and only for records a run created or changed (or that have none mirrored yet). A field is chosen by
 * its name or its uuid, case-insensitively; its value is whichever of text, date, number, decimal or
 * boolean it carries.
 */
function customFields(entity: string, path: (remoteId: string) => string): FollowUp {
  return {
    entity: `${entity}CustomFields`,
    wanted: (context) => context.customFields.length > 0,
    request: (_context, record) => ({ path: path(encodeURIComponent(record.remoteId)) }),
    parse(context, record, body) {
      const chosen = new Set(context.customFields.map((field) => field.toLowerCase()));
      const isChosen = (value: unknown) => typeof value === "string" && chosen.has(value.toLowerCase());
      const fields = list(body, "customFields")
        .filter((field) => isChosen(field.name) || isChosen(field.uuid))
        .map((field) => ({ uuid: field.uuid ?? null, name: field.name ?? null, value: customValue(field) }));
      return { remoteId: record.remoteId, data: { customFields: fields } };
    },
  };
}

const customValue = (field: Record<string, unknown>) =>
  [field.text, field.date, field.number, field.decimal, field.boolean].find(
    (value) => value !== null && value !== undefined,
  ) ?? null;

const client: EntityPuller = {
  listsEverything: (context) => !incremental(context),
  request(context) {
    if (incremental(context))
      return { path: "v3.1/client.api/list", query: { modifiedSince: modifiedSince(context.since!) } };
    return { path: "v3.1/client.api/list" };
  },
  parse: (_context, body) => ({
    records: list(body, "clients").map((dto) => ({ remoteId: String(dto.uuid), data: dto })),
    next: null,
  }),
  followUp: customFields("client", (uuid) => `v3.1/client.api/get/${uuid}/customfield`),
};
const job: EntityPuller = {
  listsEverything: () => true,
  request: () => ({ path: "v3.1/job.api/current" }),
  parse: (_context, body) => ({
    records: list(body, "jobs").map((dto) => ({ remoteId: String(dto.id), data: dto })),
    next: null,
  }),
  // Jobs are mirrored by their number, which is what job.api/get/{jobNumber}/customfield takes.
  followUp: customFields("job", (jobNumber) => `v3.1/job.api/get/${jobNumber}/customfield`),
};

const staff: EntityPuller = {
  listsEverything: () => true,
  request: () => ({ path: "v3.1/staff.api/list" }),
  parse: (_context, body) => ({
    records: list(body, "staffList").map((dto) => ({ remoteId: String(dto.uuid), data: dto })),
    next: null,
  }),
};

/**
 * Windows [from, to] walking forward to the run's start, each as wide as the API allows (RANGE_DAYS): a
 * year of history on a full pull; on an incremental one, from the earlier of the watermark's day and
 * `relistDays` back. One call either way, unless a watermark is more than a year old.
 */
const time: EntityPuller = {
  listsEverything: () => false,
  listedWindow: (context) => ({
    field: "date",
    from: isoDay(firstTimeDay(context)),
    to: isoDay(dayStart(context.startedAt)),
  }),
  request(context, cursor) {
    const from = typeof cursor === "number" ? cursor : firstTimeDay(context);
    const to = Math.min(from + (RANGE_DAYS - 1) * DAY_MS, dayStart(context.startedAt));
    return {
      path: "v3.1/time.api/list",
      query: { from: yyyymmdd(new Date(from)), to: yyyymmdd(new Date(to)) },
    };
  },
  parse(context, body, cursor) {
    const from = typeof cursor === "number" ? cursor : firstTimeDay(context);
    const nextFrom = from + RANGE_DAYS * DAY_MS;
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
  const today = dayStart(context.startedAt);
  if (!context.since) return today - TIME_HISTORY_DAYS * DAY_MS;
  const relisted = today - (Math.max(1, context.relistDays) - 1) * DAY_MS;
  return Math.min(dayStart(context.since), relisted);
}

export const XPM_PULLERS: Record<string, EntityPuller> = { client, job, staff, time };
