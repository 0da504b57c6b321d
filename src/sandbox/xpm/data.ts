/**
 * The data of one XPM practice (a remote tenant) in the sandbox: clients, jobs with budgets, staff and
 * time entries, shaped like the v3.1 DTOs (ClientBaseDto, JobDto, StaffDto, TimeDto; field names from
 * src/sandbox/specs/xero-practicemanager-v3-1.yaml). Seeding is deterministic: the same seed and anchor give
 * the same practice. Plain maps and arrays, so benchmarks can seed 50,000 clients and 200,000 time
 * entries in well under a second.
 *
 * Each record carries the time it last changed. The DTOs do not expose it (the spec has no such field);
 * the sandbox uses it for `modifiedSince`, and tests use it to stage incremental pulls.
 */

import { seededRandom } from "../kit/random.ts";

const DAY_MS = 86_400_000;

export interface Tracked<T> {
  dto: T;
  /** Epoch ms of the last change that moves `modifiedSince` (a silent edit does not). */
  modifiedAt: number;
  /** Deleted records stay as tombstones, so tests can check that deletions were reconciled. */
  deleted: boolean;
}

/** XPM writes booleans of clients as "Yes" / "No" strings. */
export type YesNo = "Yes" | "No";

/** NamedEntityDto / JobPartyDto. */
export interface NamedRef {
  uuid: string;
  name: string;
}

/** The ClientBaseDto fields the sandbox fills. */
export interface XpmClient {
  uuid: string;
  name: string;
  firstName: string | null;
  lastName: string | null;
  email: string;
  phone: string;
  address: string;
  city: string;
  region: string;
  postCode: string;
  country: string;
  website: string | null;
  businessStructure: string;
  taxNumber: string;
  clientCode: string;
  isProspect: YesNo;
  isArchived: YesNo;
  isDeleted: YesNo;
  accountManager: NamedRef | null;
  type: { name: string; costMarkup: number; paymentTerm: string; paymentDay: number } | null;
}

/** The JobDto fields the sandbox fills. Dates are yyyy-MM-dd. */
export interface XpmJob {
  /** The job number, e.g. "J000042": what job.api/get/{jobNumber} and job.api/update take. */
  id: string;
  uuid: string;
  name: string;
  description: string;
  client: NamedRef | null;
  clientOrderNumber: string | null;
  budget: number | null;
  state: string;
  type: string;
  startDate: string;
  dueDate: string;
  completedDate: string | null;
  manager: NamedRef | null;
  partner: NamedRef | null;
}

/** StaffDto. */
export interface XpmStaff {
  uuid: string;
  name: string;
  email: string;
  phone: string;
  mobile: string;
  address: string;
  payrollCode: string;
}

/** TimeDto. `date` is yyyy-MM-dd. */
export interface XpmTime {
  uuid: string;
  job: { id: string; name: string };
  task: NamedRef;
  staff: NamedRef;
  date: string;
  minutes: number;
  note: string;
  billable: boolean;
  start: string | null;
  end: string | null;
}

/** CustomFieldDefinitionDto: what a practice's custom field is and which records it applies to. */
export interface XpmCustomFieldDefinition {
  uuid: string;
  name: string;
  type: "Text" | "Date" | "Number" | "Decimal" | "Boolean";
  useClient: boolean;
  useJob: boolean;
}

/** A CustomFieldValueDto's value: one of its typed members. */
export type XpmCustomFieldValue =
  | { text: string }
  | { date: string }
  | { number: number }
  | { decimal: number }
  | { boolean: boolean };

export interface SeedSizes {
  /** Defaults to 1 (the sandbox server seeds each practice with its tenant id instead). */
  seed?: number | string;
  clients?: number;
  jobs?: number;
  staff?: number;
  /** Needs at least one job and one staff member; otherwise none are made. */
  timeEntries?: number;
  /** Days of history that time entries and modified times spread over, ending at `anchor` (default 90). */
  days?: number;
  /** Epoch ms the history ends at (default: the clock at seeding). Fix it for byte-identical data. */
  anchor?: number;
}

export interface EditOptions {
  /** When the change happened (default: the practice's clock). */
  at?: number;
  /** Change the record without moving its modified time: the edits an incremental pull misses. */
  silent?: boolean;
}

const DEFAULT_SIZES = { clients: 20, jobs: 20, staff: 5, timeEntries: 50, days: 90 };

const FIRST = [
  "Aroha",
  "Ben",
  "Chloe",
  "Dev",
  "Ella",
  "Finn",
  "Grace",
  "Hemi",
  "Isla",
  "Jack",
  "Kiri",
  "Liam",
];
const LAST = ["Walker", "Ngata", "Smith", "Patel", "Brown", "Wilson", "Taylor", "Chen", "Singh", "Martin"];
const PLACES = [
  "Harbour",
  "Kauri",
  "Summit",
  "Tui",
  "Southern",
  "Pacific",
  "Rimu",
  "Totara",
  "Coastal",
  "Alpine",
];
const TRADES = ["Builders", "Dental", "Holdings", "Trust", "Farms", "Studio", "Consulting", "Motors", "Cafe"];
const CITIES = [
  ["Auckland", "Auckland", "1010"],
  ["Wellington", "Wellington", "6011"],
  ["Christchurch", "Canterbury", "8011"],
  ["Hamilton", "Waikato", "3204"],
  ["Dunedin", "Otago", "9016"],
] as const;
const STRUCTURES = ["Company", "Individual", "Trust", "Partnership"];
const CLIENT_TYPES = ["Monthly", "Quarterly", "Annual"];
const JOB_KINDS = ["Annual accounts", "GST return", "Tax return", "Payroll", "Advisory", "Audit"];
const TASKS = ["Bookkeeping", "Preparation", "Review", "Advice", "Admin"];
const NOTES = ["", "", "Call with client", "Reconciliation", "Queries", "Draft review"];

export class XpmPractice {
  readonly clients = new Map<string, Tracked<XpmClient>>();
  /** By job number ("J000001"…). */
  readonly jobs = new Map<string, Tracked<XpmJob>>();
  readonly staff = new Map<string, Tracked<XpmStaff>>();
  readonly time = new Map<string, Tracked<XpmTime>>();

  /** Clients in the order they were added: the paged list's order, stable under edits and deletes. */
  private readonly clientOrder: Tracked<XpmClient>[] = [];
  /** Time entries by day number (days since the epoch), for from/to lists without a full scan. */
  private readonly timeByDay = new Map<number, Tracked<XpmTime>[]>();
  /** Custom field definitions, and their values by record ("client:<uuid>", "job:<number>") and field uuid. */
  readonly customFields: XpmCustomFieldDefinition[] = [];
  private readonly customValues = new Map<string, Map<string, XpmCustomFieldValue>>();
  /** The practice's task names, which time entries refer to. */
  readonly tasks: NamedRef[];
  private readonly prng: Prng;
  private lastJobNumber = 0;

  constructor(
    sizes: SeedSizes = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.prng = new Prng(sizes.seed ?? 1);
    this.tasks = TASKS.map((name) => ({ uuid: this.prng.uuid(), name }));
    seedPractice(this, this.prng, { ...DEFAULT_SIZES, ...sizes }, sizes.anchor ?? clock());
  }

  // ---- adding ----

  addClient(fields: Partial<XpmClient> & { name: string }, options: EditOptions = {}): Tracked<XpmClient> {
    const { name, ...rest } = fields;
    const n = this.clientOrder.length + 1;
    const dto: XpmClient = {
      uuid: this.prng.uuid(),
      name,
      firstName: null,
      lastName: null,
      email: `accounts${n}@example.com`,
      phone: `09 ${String(3_000_000 + n)}`,
      address: `${(n % 300) + 1} Queen Street`,
      city: "Auckland",
      region: "Auckland",
      postCode: "1010",
      country: "New Zealand",
      website: null,
      businessStructure: "Company",
      taxNumber: String(100_000_000 + n),
      clientCode: `C${String(n).padStart(6, "0")}`,
      isProspect: "No",
      isArchived: "No",
      isDeleted: "No",
      accountManager: null,
      type: null,
      ...rest,
    };
    const record = this.track(this.clients, dto.uuid, dto, options);
    this.clientOrder.push(record);
    return record;
  }

  addJob(fields: Partial<XpmJob> & { name: string }, options: EditOptions = {}): Tracked<XpmJob> {
    const { name, ...rest } = fields;
    const today = formatDay(dayOf(this.clock()));
    const dto: XpmJob = {
      id: `J${String(++this.lastJobNumber).padStart(6, "0")}`,
      uuid: this.prng.uuid(),
      name,
      description: "",
      client: null,
      clientOrderNumber: null,
      budget: null,
      state: "Planned",
      type: "Accounts",
      startDate: today,
      dueDate: today,
      completedDate: null,
      manager: null,
      partner: null,
      ...rest,
    };
    return this.track(this.jobs, dto.id, dto, options);
  }

  addStaff(fields: Partial<XpmStaff> & { name: string }, options: EditOptions = {}): Tracked<XpmStaff> {
    const { name, ...rest } = fields;
    const n = this.staff.size + 1;
    const dto: XpmStaff = {
      uuid: this.prng.uuid(),
      name,
      email: `staff${n}@practice.example.com`,
      phone: `09 ${String(5_000_000 + n)}`,
      mobile: `021 ${String(1_000_000 + n)}`,
      address: "",
      payrollCode: `P${String(n).padStart(4, "0")}`,
      ...rest,
    };
    return this.track(this.staff, dto.uuid, dto, options);
  }

  addTime(
    fields: Partial<XpmTime> & Pick<XpmTime, "job" | "staff" | "date" | "minutes">,
    options: EditOptions = {},
  ): Tracked<XpmTime> {
    // Field by field rather than spread: seeding makes 200,000 of these.
    const dto: XpmTime = {
      uuid: fields.uuid ?? this.prng.uuid(),
      job: fields.job,
      task: fields.task ?? this.tasks[0]!,
      staff: fields.staff,
      date: fields.date,
      minutes: fields.minutes,
      note: fields.note ?? "",
      billable: fields.billable ?? true,
      start: fields.start ?? null,
      end: fields.end ?? null,
    };
    const record = this.track(this.time, dto.uuid, dto, options);
    this.indexTime(record);
    return record;
  }

  // ---- editing (undefined: no such record) ----

  editClient(
    uuid: string,
    changes: Partial<XpmClient>,
    options: EditOptions = {},
  ): Tracked<XpmClient> | undefined {
    return this.edit(this.clients.get(uuid), changes, { uuid }, options);
  }

  /** Marks a client deleted: it leaves every list, and a full pull should notice it is gone. */
  deleteClient(uuid: string, options: EditOptions = {}): Tracked<XpmClient> | undefined {
    const record = this.editClient(uuid, { isDeleted: "Yes" }, options);
    if (record) record.deleted = true;
    return record;
  }

  editJob(id: string, changes: Partial<XpmJob>, options: EditOptions = {}): Tracked<XpmJob> | undefined {
    const record = this.jobs.get(id);
    return record && this.edit(record, changes, { id, uuid: record.dto.uuid }, options);
  }

  editStaff(
    uuid: string,
    changes: Partial<XpmStaff>,
    options: EditOptions = {},
  ): Tracked<XpmStaff> | undefined {
    return this.edit(this.staff.get(uuid), changes, { uuid }, options);
  }

  editTime(uuid: string, changes: Partial<XpmTime>, options: EditOptions = {}): Tracked<XpmTime> | undefined {
    const record = this.time.get(uuid);
    if (!record) return undefined;
    this.unindexTime(record);
    this.edit(record, changes, { uuid }, options);
    this.indexTime(record);
    return record;
  }

  deleteTime(uuid: string, options: EditOptions = {}): Tracked<XpmTime> | undefined {
    const record = this.editTime(uuid, {}, options);
    if (record) record.deleted = true;
    return record;
  }

  // ---- custom fields ----

  addCustomField(fields: Omit<XpmCustomFieldDefinition, "uuid">): XpmCustomFieldDefinition {
    const definition = { uuid: this.prng.uuid(), ...fields };
    this.customFields.push(definition);
    return definition;
  }

  /**
   * Sets a record's value of a custom field (by name). Like an edit of the field in XPM's screens, it
   * does not move the record's modified time.
   */
  setCustomField(
    record: { client: string } | { job: string },
    name: string,
    value: XpmCustomFieldValue,
  ): void {
    const definition = this.customFields.find((d) => d.name === name);
    if (!definition) throw new Error(`No custom field "${name}"`);
    const key = "client" in record ? `client:${record.client}` : `job:${record.job}`;
    const values = this.customValues.get(key) ?? new Map<string, XpmCustomFieldValue>();
    values.set(definition.uuid, value);
    this.customValues.set(key, values);
  }

  /** The custom fields that apply to a record, with the values it has (CustomFieldValueDto). */
  customFieldValues(record: { client: string } | { job: string }) {
    const key = "client" in record ? `client:${record.client}` : `job:${record.job}`;
    const applies = (d: XpmCustomFieldDefinition) => ("client" in record ? d.useClient : d.useJob);
    const values = this.customValues.get(key);
    return this.customFields
      .filter(applies)
      .map((d) => ({ uuid: d.uuid, name: d.name, ...(values?.get(d.uuid) ?? {}) }));
  }

  // ---- reading (what the API routes serve) ----

  /** Clients not deleted, archived included, changed at or after `since` (epoch ms) when given. */
  listClients(since?: number): Tracked<XpmClient>[] {
    return this.clientOrder.filter((c) => !c.deleted && (since === undefined || c.modifiedAt >= since));
  }

  /**
   * Up to `size` clients that are neither archived nor deleted, starting at position `from` in the
   * order clients were added; `next` is the position to continue from, or null at the end.
   */
  clientPage(from: number, size: number): { records: Tracked<XpmClient>[]; next: number | null } {
    const records: Tracked<XpmClient>[] = [];
    let position = from;
    for (; position < this.clientOrder.length && records.length < size; position++) {
      const client = this.clientOrder[position]!;
      if (isPageable(client)) records.push(client);
    }
    // Look ahead so the last page does not promise a next one that would be empty.
    let ahead = position;
    while (ahead < this.clientOrder.length && !isPageable(this.clientOrder[ahead]!)) ahead++;
    return { records, next: ahead < this.clientOrder.length ? position : null };
  }

  /** Jobs not completed and not deleted. */
  currentJobs(): Tracked<XpmJob>[] {
    return [...this.jobs.values()].filter((j) => !j.deleted && j.dto.state !== "Completed");
  }

  activeStaff(): Tracked<XpmStaff>[] {
    return [...this.staff.values()].filter((s) => !s.deleted);
  }

  /** Time entries dated from `from` to `to` (yyyy-MM-dd, both included), oldest first. */
  timesBetween(from: string, to: string): Tracked<XpmTime>[] {
    const result: Tracked<XpmTime>[] = [];
    for (let day = dayNumber(from); day <= dayNumber(to); day++) {
      for (const entry of this.timeByDay.get(day) ?? []) if (!entry.deleted) result.push(entry);
    }
    return result;
  }

  // ---- internals ----

  /** Stores a new record under `key`, modified now or at `options.at`. */
  private track<T>(records: Map<string, Tracked<T>>, key: string, dto: T, options: EditOptions): Tracked<T> {
    const record = { dto, modifiedAt: options.at ?? this.clock(), deleted: false };
    records.set(key, record);
    return record;
  }

  /** Applies `changes`, keeping the identity fields in `keep`, and moves the modified time. */
  private edit<T extends object>(
    record: Tracked<T> | undefined,
    changes: Partial<T>,
    keep: Partial<T>,
    options: EditOptions,
  ): Tracked<T> | undefined {
    if (!record) return undefined;
    record.dto = { ...record.dto, ...changes, ...keep };
    if (!options.silent) record.modifiedAt = options.at ?? this.clock();
    return record;
  }

  private indexTime(record: Tracked<XpmTime>): void {
    const day = dayNumber(record.dto.date);
    const bucket = this.timeByDay.get(day);
    if (bucket) bucket.push(record);
    else this.timeByDay.set(day, [record]);
  }

  private unindexTime(record: Tracked<XpmTime>): void {
    const bucket = this.timeByDay.get(dayNumber(record.dto.date));
    const index = bucket?.indexOf(record) ?? -1;
    if (bucket && index >= 0) bucket.splice(index, 1);
  }
}

function isPageable(client: Tracked<XpmClient>): boolean {
  return !client.deleted && client.dto.isArchived === "No";
}

/** Fills a new practice. Records get modified times spread over the `days` before `anchor`. */
function seedPractice(
  practice: XpmPractice,
  prng: Prng,
  sizes: Required<Omit<SeedSizes, "seed" | "anchor">>,
  anchor: number,
): void {
  const spanMs = sizes.days * DAY_MS;
  const earlier = () => anchor - Math.floor(prng.next() * spanMs);
  const lastDay = dayOf(anchor);
  const firstDay = lastDay - sizes.days + 1;
  const days = Array.from({ length: sizes.days }, (_, i) => formatDay(firstDay + i));

  const staff = Array.from({ length: sizes.staff }, (_, i) => {
    const name = `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`;
    return practice.addStaff({ name }, { at: earlier() }).dto;
  });
  const managers = staff
    .slice(0, Math.max(1, Math.ceil(staff.length / 4)))
    .map(({ uuid, name }) => ({ uuid, name }));

  const clients = Array.from({ length: sizes.clients }, (_, i) => {
    const [city, region, postCode] = prng.pick(CITIES);
    const structure = prng.pick(STRUCTURES);
    const person = structure === "Individual";
    const firstName = prng.pick(FIRST);
    const lastName = prng.pick(LAST);
    const name = person
      ? `${firstName} ${lastName} ${i + 1}`
      : `${PLACES[i % PLACES.length]} ${TRADES[Math.floor(i / PLACES.length) % TRADES.length]} ${i + 1}`;
    return practice.addClient(
      {
        name,
        firstName: person ? firstName : null,
        lastName: person ? lastName : null,
        city,
        region,
        postCode,
        businessStructure: structure,
        isProspect: prng.next() < 0.05 ? "Yes" : "No",
        accountManager: managers.length > 0 ? prng.pick(managers) : null,
        type: { name: prng.pick(CLIENT_TYPES), costMarkup: 0, paymentTerm: "DayOfMonth", paymentDay: 20 },
      },
      { at: earlier() },
    ).dto;
  });

  const jobs = Array.from({ length: sizes.jobs }, (_, i) => {
    const client = clients.length > 0 ? prng.pick(clients) : undefined;
    const start = firstDay + Math.floor(prng.next() * sizes.days);
    const roll = prng.next();
    const state = roll < 0.1 ? "Completed" : roll < 0.2 ? "Planned" : "In Progress";
    const kind = prng.pick(JOB_KINDS);
    return practice.addJob(
      {
        name: `${kind} ${i + 1}`,
        description: client ? `${kind} for ${client.name}` : kind,
        client: client ? { uuid: client.uuid, name: client.name } : null,
        budget: Math.round(prng.next() * 5000) * 10,
        state,
        type: kind,
        startDate: formatDay(start),
        dueDate: formatDay(start + 30 + Math.floor(prng.next() * 90)),
        completedDate: state === "Completed" ? formatDay(Math.min(lastDay, start + 20)) : null,
        manager: managers.length > 0 ? prng.pick(managers) : null,
      },
      { at: earlier() },
    ).dto;
  });

  if (jobs.length === 0 || staff.length === 0) return;
  // One reference object per job and staff member, shared by their entries (never mutated in place).
  const jobRefs = jobs.map(({ id, name }) => ({ id, name }));
  const staffRefs = staff.map(({ uuid, name }) => ({ uuid, name }));
  for (let i = 0; i < sizes.timeEntries; i++) {
    // Spread evenly over the days, oldest first, each modified on its own day (never after the anchor).
    const dayIndex = Math.floor((i * sizes.days) / sizes.timeEntries);
    const dayStart = (firstDay + dayIndex) * DAY_MS;
    practice.addTime(
      {
        job: prng.pick(jobRefs),
        staff: prng.pick(staffRefs),
        task: practice.tasks[i % practice.tasks.length]!,
        date: days[dayIndex]!,
        minutes: 15 * (1 + Math.floor(prng.next() * 16)),
        note: prng.pick(NOTES),
        billable: prng.next() > 0.2,
      },
      { at: Math.min(anchor, dayStart + Math.floor(prng.next() * DAY_MS)) },
    );
  }
}

/** Days since the epoch of an epoch-ms instant (UTC). */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

const dayNumbers = new Map<string, number>();

/** Days since the epoch of a yyyy-MM-dd date (NaN if it is not one). Cached: there are few distinct days. */
export function dayNumber(date: string): number {
  let day = dayNumbers.get(date);
  if (day === undefined) {
    day = Math.floor(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) / DAY_MS);
    if (dayNumbers.size < 100_000) dayNumbers.set(date, day);
  }
  return day;
}

/** yyyy-MM-dd of a day number. */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Deterministic randomness for one practice (seededRandom), with the picks and UUIDs seeding needs. */
class Prng {
  /** A number in [0, 1). */
  readonly next: () => number;

  constructor(seed: number | string) {
    this.next = seededRandom(seed);
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }

  /** A v4-shaped UUID. */
  uuid(): string {
    const a = this.word();
    const b = this.word();
    const c = this.word();
    const d = this.word();
    // Version 4 in the third group, RFC 4122 variant in the fourth.
    const version = (b & 0xffff0fff) | 0x4000;
    const variant = ((c & 0x3fffffff) | 0x80000000) >>> 0;
    return `${hex32(a)}-${hex16(version >>> 16)}-${hex16(version)}-${hex16(variant >>> 16)}-${hex16(variant)}${hex32(d)}`;
  }

  /** 32 random bits. */
  private word(): number {
    return Math.floor(this.next() * 4_294_967_296);
  }
}

/** Two hex digits for every byte: seeding makes hundreds of thousands of UUIDs. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

function hex16(n: number): string {
  return HEX[(n >>> 8) & 0xff]! + HEX[n & 0xff]!;
}

function hex32(n: number): string {
  return hex16(n >>> 16) + hex16(n);
}
