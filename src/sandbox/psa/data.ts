/**
 * The data of one PSA tenant (a ConnectWise Manage "company", named by its companyId) in the sandbox:
 * companies with their statuses, sites, configurations and contacts, and the service setup (boards,
 * their statuses, priorities) with tickets. Records are the API's JSON objects themselves, shaped like
 * ConnectWise Manage 3.0's, so the server serialises them as they are.
 *
 * Seeding is deterministic: the same companyId, sizes and clock give the same data. Seeded records were
 * last updated between 90 days and an hour before seeding, so anything a test changes afterwards is
 * newer than all of them. Every list is kept in id order (ids only grow), which is the API's default
 * order: a page of an unfiltered list is a slice, and a record is found by binary search.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** `_info` of every record; ConnectWise writes lastUpdated as ISO 8601 UTC, to the second. */
export interface PsaInfo {
  lastUpdated: string;
}

export interface PsaRef {
  id: number;
  name: string;
}

/** How records point at a company. One object per company, shared, so renames show everywhere. */
export interface PsaCompanyRef {
  id: number;
  identifier: string;
  name: string;
}

export interface PsaCustomField {
  id: number;
  caption: string;
  type: "Text" | "Number" | "Date";
  value: string | number | null;
}

export interface PsaCompany {
  id: number;
  identifier: string;
  name: string;
  website: string;
  status: PsaRef;
  _info: PsaInfo;
}

export interface PsaCompanyStatus {
  id: number;
  name: string;
  defaultFlag: boolean;
  inactiveFlag: boolean;
  _info: PsaInfo;
}

export interface PsaSite {
  id: number;
  name: string;
  company: PsaCompanyRef;
  inactiveFlag: boolean;
  primaryAddressFlag: boolean;
  addressLine1: string;
  addressLine2: string;
  city: string;
  stateReference: { identifier: string };
  zip: string;
  country: { name: string };
  _info: PsaInfo;
}

export interface PsaConfiguration {
  id: number;
  name: string;
  type: PsaRef;
  status: PsaRef;
  company: PsaCompanyRef;
  manufacturer: PsaRef;
  serialNumber: string;
  osType: string;
  /** Dates without a time, as ConnectWise sends them: "YYYY-MM-DDT00:00:00Z". */
  purchaseDate: string;
  warrantyExpirationDate: string;
  notes: string;
  customFields: PsaCustomField[];
  _info: PsaInfo;
}

export interface PsaCommunicationItem {
  id: number;
  type: { id: number; name: "Email" | "Direct" | "Mobile" };
  value: string;
  communicationType: "Email" | "Phone";
  defaultFlag: boolean;
}

export interface PsaContact {
  id: number;
  firstName: string;
  lastName: string;
  types: PsaRef[];
  title: string;
  company: PsaCompanyRef;
  communicationItems: PsaCommunicationItem[];
  addressLine1: string;
  city: string;
  state: string;
  zip: string;
  country: { name: string };
  inactiveFlag: boolean;
  customFields: PsaCustomField[];
  _info: PsaInfo;
}

export interface PsaBoard {
  id: number;
  name: string;
  inactiveFlag: boolean;
  _info: PsaInfo;
}

export interface PsaPriority {
  id: number;
  name: string;
  sortOrder: number;
  color: string;
  _info: PsaInfo;
}

export interface PsaServiceStatus {
  id: number;
  name: string;
  board: PsaRef;
  sortOrder: number;
  closedStatus: boolean;
  _info: PsaInfo;
}

export type Level = "Low" | "Medium" | "High";

export interface PsaTicket {
  id: number;
  summary: string;
  board: PsaRef;
  status: PsaRef;
  priority: PsaRef;
  company: PsaCompanyRef;
  contact: PsaRef | null;
  severity: Level;
  impact: Level;
  closedFlag: boolean;
  dateEntered: string;
  _info: PsaInfo & { dateEntered: string };
}

/** Any record the API lists. */
export type PsaRecord = { id: number; _info: PsaInfo };

export interface PsaSeedSizes {
  companies?: number;
  sitesPerCompany?: number;
  configurationsPerCompany?: number;
  contactsPerCompany?: number;
  tickets?: number;
  boards?: number;
  statusesPerBoard?: number;
  priorities?: number;
  companyStatuses?: number;
}

/** What records may be changed to: anything but the id and `_info`, which the data keeps. */
export type PsaChanges<T> = Partial<Omit<T, "id" | "_info">>;

const DEFAULT_SIZES: Required<PsaSeedSizes> = {
  companies: 20,
  sitesPerCompany: 2,
  configurationsPerCompany: 3,
  contactsPerCompany: 3,
  tickets: 40,
  boards: 3,
  statusesPerBoard: 4,
  priorities: 4,
  companyStatuses: 3,
};

const COMPANY_STATUSES = ["Active", "Inactive", "Not-Approved", "Credit Hold", "Imported"];
const BOARDS = ["Help Desk", "Projects", "Alerts", "Onboarding", "Procurement"];
const OPEN_STATUSES = ["New", "In Progress", "Waiting on Client", "Scheduled", "Escalated"];
const PRIORITIES: [name: string, color: string][] = [
  ["Priority 1 - Emergency Response", "Red"],
  ["Priority 2 - Quick Response", "Orange"],
  ["Priority 3 - Normal Response", "Yellow"],
  ["Priority 4 - Schedule Maintenance", "Green"],
];
const PLACES = ["Harbour", "Summit", "Riverside", "Granite", "Pioneer", "Lakeside", "Cedar", "Northgate"];
const TRADES = [
  "Dental",
  "Logistics",
  "Legal",
  "Builders",
  "Clinic",
  "Motors",
  "Foods",
  "Consulting",
  "Realty",
];
const FIRST = ["Alex", "Bianca", "Carlos", "Dana", "Evan", "Fatima", "Grace", "Hiro", "Ines", "Jamal"];
const LAST = ["Nguyen", "Smith", "Garcia", "Okafor", "Müller", "Johnson", "Kowalski", "Patel", "Lee"];
const TITLES = ["Office Manager", "Owner", "IT Coordinator", "Accountant", "Receptionist", ""];
const CITIES = [
  ["Tampa", "FL", "33602"],
  ["Austin", "TX", "78701"],
  ["Denver", "CO", "80202"],
  ["Columbus", "OH", "43215"],
  ["Portland", "OR", "97204"],
] as const;
/** Lookups ConnectWise keeps in setup tables; one shared object each, since refs never change. */
const CONTACT_TYPES: PsaRef[] = ["Primary", "Billing", "Technical"].map((name, i) => ({ id: i + 1, name }));
const CONFIG_TYPES: PsaRef[] = ["Managed Server", "Workstation", "Firewall", "Printer", "Switch"].map(
  (name, i) => ({ id: i + 1, name }),
);
const CONFIG_STATUSES: PsaRef[] = ["Active", "Inactive"].map((name, i) => ({ id: i + 1, name }));
const MANUFACTURERS: PsaRef[] = ["Dell", "HP", "Lenovo", "Cisco", "Ubiquiti"].map((name, i) => ({
  id: i + 1,
  name,
}));
const OS_TYPES: Record<string, string[]> = {
  "Managed Server": ["Windows Server 2022", "Ubuntu 22.04"],
  Workstation: ["Windows 11", "macOS 14"],
};
const COMMUNICATION_TYPES = {
  Email: { id: 1, name: "Email" },
  Direct: { id: 2, name: "Direct" },
  Mobile: { id: 3, name: "Mobile" },
} as const;
const WARRANTY_PROVIDERS = ["Dell ProSupport", "HP Care Pack", "Lenovo Premier", null];
const CONTACT_TIMES = ["Mornings", "Afternoons", "Any time", null];
const SUMMARIES = ["Printer offline", "Cannot reach VPN", "New starter setup", "Backup failed", "Slow PC"];
const LEVELS: Level[] = ["Low", "Medium", "High"];

export class PsaCompanyData {
  /** Read these freely; change them through the methods, which keep `_info` and references right. */
  readonly companyStatuses: PsaCompanyStatus[] = [];
  readonly companies: PsaCompany[] = [];
  readonly sites: PsaSite[] = [];
  readonly configurations: PsaConfiguration[] = [];
  readonly contacts: PsaContact[] = [];
  readonly boards: PsaBoard[] = [];
  readonly priorities: PsaPriority[] = [];
  /** Every board's statuses, in id order (the flat service/statuses list). */
  readonly serviceStatuses: PsaServiceStatus[] = [];
  readonly tickets: PsaTicket[] = [];

  /** The shared references to each company and contact, updated in place by edits. */
  private readonly companyRefs = new Map<number, PsaCompanyRef>();
  private readonly contactRefs = new Map<number, PsaRef>();
  private nextCommunicationId = 1;

  constructor(
    readonly companyId: string,
    sizes: PsaSeedSizes = {},
    private readonly now: () => number = Date.now,
  ) {
    seed(this, prng(companyId), { ...DEFAULT_SIZES, ...sizes }, now());
  }

  // ---- for tests: edits bump `_info.lastUpdated` to now() (undefined: no such record) ----

  editCompany(id: number, changes: PsaChanges<PsaCompany>): PsaCompany | undefined {
    const company = this.touch(findById(this.companies, id), changes);
    // Children point at the company by identifier and name: keep their references current.
    const ref = this.companyRefs.get(id);
    if (company && ref) Object.assign(ref, { identifier: company.identifier, name: company.name });
    return company;
  }

  /** Removes a company with its sites, contacts and configurations (its tickets stay, as history). */
  deleteCompany(id: number): boolean {
    const index = indexById(this.companies, id);
    if (index < 0) return false;
    this.companies.splice(index, 1);
    this.companyRefs.delete(id);
    const other = (record: { company: PsaCompanyRef }) => record.company.id !== id;
    keepOnly(this.sites, other);
    keepOnly(this.configurations, other);
    for (const contact of this.contacts) if (!other(contact)) this.contactRefs.delete(contact.id);
    keepOnly(this.contacts, other);
    return true;
  }

  editContact(id: number, changes: PsaChanges<PsaContact>): PsaContact | undefined {
    const contact = this.touch(findById(this.contacts, id), changes);
    const ref = this.contactRefs.get(id);
    if (contact && ref) ref.name = `${contact.firstName} ${contact.lastName}`;
    return contact;
  }

  /** A new ticket, by default on the first board, status, priority and company. */
  addTicket(fields: PsaChanges<PsaTicket> = {}): PsaTicket {
    const board = fields.board ?? ref(this.boards[0]);
    const status =
      fields.status ??
      ref(this.serviceStatuses.find((s) => s.board.id === board.id) ?? this.serviceStatuses[0]);
    const company = fields.company ?? this.companyRefs.get(this.companies[0]?.id ?? -1);
    if (!board || !status || !company) throw new Error("A ticket needs a board, a status and a company");
    const at = isoSecond(this.now());
    const ticket: PsaTicket = {
      id: (this.tickets.at(-1)?.id ?? 0) + 1,
      summary: "New ticket",
      board,
      status,
      priority: ref(this.priorities[0]) ?? { id: 0, name: "" },
      company,
      contact: null,
      severity: "Medium",
      impact: "Medium",
      closedFlag: this.isClosed(status.id),
      dateEntered: at,
      ...fields,
      _info: { lastUpdated: at, dateEntered: fields.dateEntered ?? at },
    };
    this.tickets.push(ticket);
    return ticket;
  }

  /** A new status closes or reopens the ticket, unless `closedFlag` is given too. */
  editTicket(id: number, changes: PsaChanges<PsaTicket>): PsaTicket | undefined {
    const closed = changes.status && changes.closedFlag === undefined;
    return this.touch(
      findById(this.tickets, id),
      closed ? { ...changes, closedFlag: this.isClosed(changes.status!.id) } : changes,
    );
  }

  // ---- used by seeding ----

  /** The one reference object of a company, made on first use. */
  companyRef(company: PsaCompany): PsaCompanyRef {
    let shared = this.companyRefs.get(company.id);
    if (!shared) {
      shared = { id: company.id, identifier: company.identifier, name: company.name };
      this.companyRefs.set(company.id, shared);
    }
    return shared;
  }

  contactRef(contact: PsaContact): PsaRef {
    let shared = this.contactRefs.get(contact.id);
    if (!shared) {
      shared = { id: contact.id, name: `${contact.firstName} ${contact.lastName}` };
      this.contactRefs.set(contact.id, shared);
    }
    return shared;
  }

  communicationId(): number {
    return this.nextCommunicationId++;
  }

  // ---- internals ----

  private isClosed(statusId: number): boolean {
    return findById(this.serviceStatuses, statusId)?.closedStatus ?? false;
  }

  /** Applies changes in place (the record stays where it is in its list) and bumps lastUpdated. */
  private touch<T extends PsaRecord>(record: T | undefined, changes: PsaChanges<T>): T | undefined {
    if (!record) return undefined;
    Object.assign(record, changes);
    record._info = { ...record._info, lastUpdated: isoSecond(this.now()) };
    return record;
  }
}

/** Fills a new tenant. Ids start at 1 per kind of record and grow in list order. */
function seed(data: PsaCompanyData, random: Random, sizes: Required<PsaSeedSizes>, anchor: number): void {
  const updated = () => ({ lastUpdated: isoSecond(anchor - HOUR_MS - Math.floor(random() * 90 * DAY_MS)) });
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

  for (let i = 0; i < sizes.companyStatuses; i++) {
    const name = COMPANY_STATUSES[i] ?? `Status ${i + 1}`;
    const inactiveFlag = name === "Inactive";
    data.companyStatuses.push({ id: i + 1, name, defaultFlag: i === 0, inactiveFlag, _info: updated() });
  }
  for (let i = 0; i < sizes.boards; i++) {
    data.boards.push({
      id: i + 1,
      name: BOARDS[i] ?? `Board ${i + 1}`,
      inactiveFlag: false,
      _info: updated(),
    });
  }
  // Each board's statuses: open ones, then "Closed" last (a board needs one to close tickets with).
  for (const board of data.boards) {
    for (let i = 0; i < sizes.statusesPerBoard; i++) {
      const closedStatus = sizes.statusesPerBoard > 1 && i === sizes.statusesPerBoard - 1;
      const name = closedStatus ? "Closed" : (OPEN_STATUSES[i] ?? `Status ${i + 1}`);
      const id = data.serviceStatuses.length + 1;
      const boardRef = ref(board)!;
      data.serviceStatuses.push({ id, name, board: boardRef, sortOrder: i, closedStatus, _info: updated() });
    }
  }
  for (let i = 0; i < sizes.priorities; i++) {
    const [name, color] = PRIORITIES[i] ?? [`Priority ${i + 1}`, "Blue"];
    data.priorities.push({ id: i + 1, name, sortOrder: i + 1, color, _info: updated() });
  }

  const statusRefs = data.companyStatuses.map((status) => ref(status)!);
  const defaultStatus = statusRefs[0] ?? { id: 0, name: "" };
  const contactsByCompany: PsaRef[][] = [];
  for (let c = 1; c <= sizes.companies; c++) {
    const name = `${PLACES[c % PLACES.length]} ${TRADES[Math.floor(c / PLACES.length) % TRADES.length]} ${c}`;
    const identifier = name.replace(/\s+/g, "").slice(0, 25);
    const company: PsaCompany = {
      id: c,
      identifier,
      name,
      website: `www.${identifier.toLowerCase()}.example.com`,
      // Mostly the default status, as in a real tenant.
      status: random() < 0.85 || statusRefs.length < 2 ? defaultStatus : pick(statusRefs.slice(1)),
      _info: updated(),
    };
    data.companies.push(company);
    const companyRef = data.companyRef(company);
    const [city, state, zip] = pick(CITIES);

    for (let s = 0; s < sizes.sitesPerCompany; s++) {
      data.sites.push({
        id: data.sites.length + 1,
        name: s === 0 ? "Main" : `Branch ${s}`,
        company: companyRef,
        inactiveFlag: s > 0 && random() < 0.1,
        primaryAddressFlag: s === 0,
        addressLine1: `${100 + Math.floor(random() * 900)} ${pick(PLACES)} Ave`,
        addressLine2: s === 0 ? "" : `Suite ${s * 100}`,
        city,
        stateReference: { identifier: state },
        zip,
        country: { name: "United States" },
        _info: updated(),
      });
    }

    for (let k = 0; k < sizes.configurationsPerCompany; k++) {
      const id = data.configurations.length + 1;
      const type = pick(CONFIG_TYPES);
      const purchased = Math.floor(anchor / DAY_MS) - 30 - Math.floor(random() * 1500);
      data.configurations.push({
        id,
        name: `${identifier.slice(0, 8).toUpperCase()}-${type.name.split(" ")[0]!.toUpperCase()}-${k + 1}`,
        type,
        status: random() < 0.9 ? CONFIG_STATUSES[0]! : CONFIG_STATUSES[1]!,
        company: companyRef,
        manufacturer: pick(MANUFACTURERS),
        serialNumber: `SN${String(id * 7919).padStart(8, "0")}`,
        osType: OS_TYPES[type.name] ? pick(OS_TYPES[type.name]!) : "",
        purchaseDate: isoDay(purchased),
        warrantyExpirationDate: isoDay(purchased + 3 * 365),
        notes: random() < 0.3 ? "Replace battery at next visit" : "",
        customFields: [
          { id: 1, caption: "Warranty Provider", type: "Text", value: pick(WARRANTY_PROVIDERS) },
          { id: 2, caption: "Last Audit", type: "Date", value: isoDay(purchased + 200) },
        ],
        _info: updated(),
      });
    }

    const refs: PsaRef[] = [];
    for (let k = 0; k < sizes.contactsPerCompany; k++) {
      const id = data.contacts.length + 1;
      const firstName = pick(FIRST);
      const lastName = pick(LAST);
      const email = `${firstName}.${lastName}${id}@${identifier.toLowerCase()}.example.com`.toLowerCase();
      const phone = (n: number) => `555-${String((id * 31 + n) % 10_000).padStart(4, "0")}`;
      const contact: PsaContact = {
        id,
        firstName,
        lastName,
        types: k === 0 ? [CONTACT_TYPES[0]!] : random() < 0.7 ? [pick(CONTACT_TYPES)] : [],
        title: pick(TITLES),
        company: companyRef,
        communicationItems: [
          communication(data, "Email", email, true),
          communication(data, "Direct", phone(1), true),
          communication(data, "Mobile", phone(2), false),
        ],
        addressLine1: `${100 + Math.floor(random() * 900)} ${pick(PLACES)} St`,
        city,
        state,
        zip,
        country: { name: "United States" },
        inactiveFlag: random() < 0.05,
        customFields: [
          { id: 3, caption: "Preferred Contact Time", type: "Text", value: pick(CONTACT_TIMES) },
          { id: 4, caption: "Satisfaction Score", type: "Number", value: 1 + Math.floor(random() * 10) },
        ],
        _info: updated(),
      };
      data.contacts.push(contact);
      refs.push(data.contactRef(contact));
    }
    contactsByCompany.push(refs);
  }

  // Tickets need a company and a board with statuses (every board has them when any board does).
  if (data.companies.length === 0 || data.serviceStatuses.length === 0) return;
  const statusesOf = (board: PsaBoard) => data.serviceStatuses.filter((s) => s.board.id === board.id);
  const boardStatuses = new Map(data.boards.map((board) => [board, statusesOf(board)]));
  for (let t = 1; t <= sizes.tickets; t++) {
    const board = pick(data.boards);
    const status = pick(boardStatuses.get(board)!);
    const companyIndex = Math.floor(random() * data.companies.length);
    const contacts = contactsByCompany[companyIndex]!;
    const info = updated();
    // Entered up to 30 days before its last update.
    const dateEntered = isoSecond(Date.parse(info.lastUpdated) - Math.floor(random() * 30 * DAY_MS));
    data.tickets.push({
      id: t,
      summary: `${pick(SUMMARIES)} #${t}`,
      board: ref(board)!,
      status: ref(status)!,
      priority: ref(pick(data.priorities)) ?? { id: 0, name: "" },
      company: data.companyRef(data.companies[companyIndex]!),
      contact: contacts.length > 0 && random() < 0.8 ? pick(contacts) : null,
      severity: pick(LEVELS),
      impact: pick(LEVELS),
      closedFlag: status.closedStatus,
      dateEntered,
      _info: { ...info, dateEntered },
    });
  }
}

function communication(
  data: PsaCompanyData,
  kind: keyof typeof COMMUNICATION_TYPES,
  value: string,
  defaultFlag: boolean,
): PsaCommunicationItem {
  const communicationType = kind === "Email" ? "Email" : "Phone";
  return {
    id: data.communicationId(),
    type: COMMUNICATION_TYPES[kind],
    value,
    communicationType,
    defaultFlag,
  };
}

/** `{ id, name }` of a record (undefined stays undefined). */
function ref(record: { id: number; name: string } | undefined): PsaRef | undefined {
  return record && { id: record.id, name: record.name };
}

/** Position of a record in an id-ordered list, by binary search; -1 when absent. */
export function indexById(list: readonly PsaRecord[], id: number): number {
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const found = list[middle]!.id;
    if (found === id) return middle;
    if (found < id) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

export function findById<T extends PsaRecord>(list: readonly T[], id: number): T | undefined {
  return list[indexById(list, id)];
}

/** Filters an array in place, in one pass (deleting a company must not splice per dependant). */
function keepOnly<T>(list: T[], keep: (item: T) => boolean): void {
  let kept = 0;
  for (const item of list) if (keep(item)) list[kept++] = item;
  list.length = kept;
}

/** ISO 8601 UTC to the second, as ConnectWise writes times: "2026-01-31T09:05:00Z". */
export function isoSecond(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** A date as ConnectWise sends one: midnight UTC of a day number (days since the epoch). */
function isoDay(day: number): string {
  return isoSecond(day * DAY_MS);
}

type Random = () => number;

/** mulberry32 seeded by FNV-1a of the seed's text: deterministic, never Math.random. */
function prng(seed: string): Random {
  let state = 0x811c9dc5;
  for (const char of seed) state = Math.imul(state ^ char.charCodeAt(0), 0x01000193);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
