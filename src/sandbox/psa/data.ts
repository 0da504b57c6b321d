/**
 * The data of one PSA tenant (a ConnectWise Manage "company", named by its companyId) in the sandbox:
 * companies with their statuses, sites, configurations and contacts, and the service setup (boards,
 * their statuses, priorities) with tickets. Records are the API's JSON objects themselves, shaped like
 * ConnectWise Manage 3.0's, so the server sends them as they are.
 *
 * Seeding is deterministic: the same companyId, sizes and clock give the same data. Seeded records were
 * last updated between 90 days and an hour before seeding, so anything a test changes afterwards is
 * newer than all of them. Every list is kept in id order (ids only grow), which is the API's default
 * order: a page of an unfiltered list is a slice, and a record is found by binary search.
 */

import { seededRandom } from "../kit/random.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** What every listed record has. ConnectWise writes lastUpdated as ISO 8601 UTC, to the second. */
export interface PsaRecord {
  id: number;
  _info: { lastUpdated: string };
}

export interface PsaRef {
  id: number;
  name: string;
}

/** How records point at a company. One object per company, shared, so a rename shows everywhere. */
export interface PsaCompanyRef extends PsaRef {
  identifier: string;
}

export interface PsaCustomField {
  id: number;
  caption: string;
  type: "Text" | "Number" | "Date";
  value: string | number | null;
}

export interface PsaCompany extends PsaRecord {
  identifier: string;
  name: string;
  website: string;
  status: PsaRef;
}

export interface PsaCompanyStatus extends PsaRecord {
  name: string;
  defaultFlag: boolean;
  inactiveFlag: boolean;
}

export interface PsaSite extends PsaRecord {
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
}

export interface PsaConfiguration extends PsaRecord {
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
}

export interface PsaCommunicationItem {
  id: number;
  type: { id: number; name: "Email" | "Direct" | "Mobile" };
  value: string;
  communicationType: "Email" | "Phone";
  defaultFlag: boolean;
}

export interface PsaContact extends PsaRecord {
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
}

export interface PsaBoard extends PsaRecord {
  name: string;
  inactiveFlag: boolean;
}

export interface PsaPriority extends PsaRecord {
  name: string;
  sortOrder: number;
  color: string;
}

export interface PsaServiceStatus extends PsaRecord {
  name: string;
  board: PsaRef;
  sortOrder: number;
  closedStatus: boolean;
}

export type Level = "Low" | "Medium" | "High";

export interface PsaTicket extends PsaRecord {
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
  _info: { lastUpdated: string; dateEntered: string };
}

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

/** What an edit may change: anything but the id and `_info`, which the data keeps. */
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

/** Setup lists as `{ id, name }` refs, ids from 1. */
const refs = (...names: string[]): PsaRef[] => names.map((name, i) => ({ id: i + 1, name }));

const COMPANY_STATUSES = ["Active", "Inactive", "Not-Approved", "Credit Hold", "Imported"];
const BOARDS = ["Help Desk", "Projects", "Alerts", "Onboarding", "Procurement"];
const OPEN_STATUSES = ["New", "In Progress", "Waiting on Client", "Scheduled", "Escalated"];
const PRIORITIES = ["Emergency Response", "Quick Response", "Normal Response", "Schedule Maintenance"];
const COLORS = ["Red", "Orange", "Yellow", "Green", "Blue"];
const PLACES = ["Harbour", "Summit", "Riverside", "Granite", "Pioneer", "Lakeside", "Cedar", "Northgate"];
const TRADES = ["Dental", "Logistics", "Legal", "Builders", "Clinic", "Motors", "Foods", "Realty"];
const FIRST = ["Alex", "Bianca", "Carlos", "Dana", "Evan", "Fatima", "Grace", "Hiro", "Ines", "Jamal"];
const LAST = ["Nguyen", "Smith", "Garcia", "Okafor", "Müller", "Johnson", "Kowalski", "Patel", "Lee"];
const TITLES = ["Office Manager", "Owner", "IT Coordinator", "Accountant", "Receptionist", ""];
const SUMMARIES = ["Printer offline", "Cannot reach VPN", "New starter setup", "Backup failed", "Slow PC"];
const LEVELS: Level[] = ["Low", "Medium", "High"];
const WARRANTY_PROVIDERS = ["Dell ProSupport", "HP Care Pack", "Lenovo Premier", null];
const CONTACT_TIMES = ["Mornings", "Afternoons", "Any time", null];
const OS_TYPES: Record<string, string[]> = {
  "Managed Server": ["Windows Server 2022", "Ubuntu 22.04"],
  Workstation: ["Windows 11", "macOS 14"],
};
/**
 * Lookups and parts that no edit changes in place are one shared object each: seeding 50,000
 * companies then allocates, and collects, a good deal less.
 */
const CITIES = ["Tampa FL 33602", "Austin TX 78701", "Denver CO 80202", "Portland OR 97204"].map((line) => {
  const [city, state, zip] = line.split(" ") as [string, string, string];
  return { city, state, zip, stateReference: { identifier: state } };
});
const UNITED_STATES = { name: "United States" };
const CONFIG_TYPES = refs("Managed Server", "Workstation", "Firewall", "Printer", "Switch");
const CONFIG_STATUSES = refs("Active", "Inactive");
const MANUFACTURERS = refs("Dell", "HP", "Lenovo", "Cisco", "Ubiquiti");
/** A contact's types: none, or one of Primary, Billing, Technical. */
const CONTACT_TYPE_LISTS = [[], ...refs("Primary", "Billing", "Technical").map((type) => [type])];
const COMMUNICATION_TYPES = {
  Email: { id: 1, name: "Email" },
  Direct: { id: 2, name: "Direct" },
  Mobile: { id: 3, name: "Mobile" },
} as const;

export class PsaCompanyData {
  /** Read these freely; change them through the methods, which keep `_info` and references right. */
  readonly companyStatuses: PsaCompanyStatus[] = [];
  readonly companies: PsaCompany[] = [];
  readonly sites: PsaSite[] = [];
  readonly configurations: PsaConfiguration[] = [];
  readonly contacts: PsaContact[] = [];
  readonly boards: PsaBoard[] = [];
  readonly priorities: PsaPriority[] = [];
  /** Every board's statuses (the flat service/statuses list). */
  readonly serviceStatuses: PsaServiceStatus[] = [];
  readonly tickets: PsaTicket[] = [];

  /** The one reference object of each company and contact, updated in place by edits. */
  private readonly companyRefs = new Map<number, PsaCompanyRef>();
  private readonly contactRefs = new Map<number, PsaRef>();

  constructor(
    readonly companyId: string,
    sizes: PsaSeedSizes = {},
    private readonly now: () => number = Date.now,
  ) {
    this.seed(seededRandom(companyId), { ...DEFAULT_SIZES, ...sizes }, now());
  }

  // ---- for tests: edits bump `_info.lastUpdated` to now() (undefined: no such record) ----

  editCompany(id: number, changes: PsaChanges<PsaCompany>): PsaCompany | undefined {
    const company = this.touch(findById(this.companies, id), changes);
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
    const other = (record: { company: PsaRef }) => record.company.id !== id;
    for (const contact of this.contacts) if (!other(contact)) this.contactRefs.delete(contact.id);
    for (const list of [this.sites, this.configurations, this.contacts]) keepOnly(list, other);
    return true;
  }

  editContact(id: number, changes: PsaChanges<PsaContact>): PsaContact | undefined {
    const contact = this.touch(findById(this.contacts, id), changes);
    const ref = this.contactRefs.get(id);
    if (contact && ref) ref.name = `${contact.firstName} ${contact.lastName}`;
    return contact;
  }

  /** A new ticket, by default on the first board (and its first status), priority and company. */
  addTicket(fields: PsaChanges<PsaTicket> = {}): PsaTicket {
    const board = fields.board ?? nameRef(this.boards[0]);
    const status = fields.status ?? nameRef(this.serviceStatuses.find((s) => s.board.id === board?.id));
    const company = fields.company ?? this.companyRefs.get(this.companies[0]?.id ?? 0);
    const priority = fields.priority ?? nameRef(this.priorities[0]);
    if (!board || !status || !company || !priority) {
      throw new Error("A ticket needs a board, a status, a priority and a company");
    }
    const at = isoSecond(this.now());
    const ticket: PsaTicket = {
      id: (this.tickets.at(-1)?.id ?? 0) + 1,
      summary: "New ticket",
      board,
      status,
      priority,
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
    const closedFlag = changes.closedFlag ?? (changes.status && this.isClosed(changes.status.id));
    return this.touch(
      findById(this.tickets, id),
      closedFlag === undefined ? changes : { ...changes, closedFlag },
    );
  }

  // ---- internals ----

  private isClosed(statusId: number): boolean {
    return findById(this.serviceStatuses, statusId)?.closedStatus ?? false;
  }

  /** Applies changes in place (the record keeps its place in its list) and bumps lastUpdated. */
  private touch<T extends PsaRecord>(record: T | undefined, changes: PsaChanges<T>): T | undefined {
    if (!record) return undefined;
    Object.assign(record, changes);
    record._info = { ...record._info, lastUpdated: isoSecond(this.now()) };
    return record;
  }

  /** Fills a new tenant. Ids start at 1 for each kind of record. */
  private seed(random: () => number, sizes: Required<PsaSeedSizes>, anchor: number): void {
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const updated = () => ({ lastUpdated: isoSecond(anchor - HOUR_MS - Math.floor(random() * 90 * DAY_MS)) });
    const today = Math.floor(anchor / DAY_MS);

    for (let i = 0; i < sizes.companyStatuses; i++) {
      const name = COMPANY_STATUSES[i] ?? `Status ${i + 1}`;
      const inactiveFlag = name === "Inactive";
      this.companyStatuses.push({ id: i + 1, name, defaultFlag: i === 0, inactiveFlag, _info: updated() });
    }
    for (let i = 0; i < sizes.boards; i++) {
      this.boards.push({
        id: i + 1,
        name: BOARDS[i] ?? `Board ${i + 1}`,
        inactiveFlag: false,
        _info: updated(),
      });
    }
    // Each board's statuses: open ones, then "Closed" (a board needs one to close tickets with).
    const boardStatuses = this.boards.map((board) =>
      Array.from({ length: sizes.statusesPerBoard }, (_, i): PsaServiceStatus => {
        const closedStatus = sizes.statusesPerBoard > 1 && i === sizes.statusesPerBoard - 1;
        const name = closedStatus ? "Closed" : (OPEN_STATUSES[i] ?? `Status ${i + 1}`);
        const id = this.serviceStatuses.length + 1;
        const status = { id, name, board: nameRef(board)!, sortOrder: i, closedStatus, _info: updated() };
        this.serviceStatuses.push(status);
        return status;
      }),
    );
    for (let i = 0; i < sizes.priorities; i++) {
      const name = `Priority ${i + 1}${PRIORITIES[i] ? ` - ${PRIORITIES[i]}` : ""}`;
      this.priorities.push({ id: i + 1, name, sortOrder: i + 1, color: COLORS[i % 5]!, _info: updated() });
    }

    const statuses = this.companyStatuses.map((status) => nameRef(status)!);
    const contactsByCompany: PsaRef[][] = [];
    let communicationId = 0;
    const communication = (kind: keyof typeof COMMUNICATION_TYPES, value: string, defaultFlag: boolean) => {
      const communicationType = kind === "Email" ? ("Email" as const) : ("Phone" as const);
      return {
        id: ++communicationId,
        type: COMMUNICATION_TYPES[kind],
        value,
        communicationType,
        defaultFlag,
      };
    };

    for (let c = 1; c <= sizes.companies; c++) {
      const name = `${PLACES[c % PLACES.length]} ${TRADES[Math.floor(c / PLACES.length) % TRADES.length]} ${c}`;
      const identifier = name.replace(/\s+/g, "").slice(0, 25);
      const domain = `${identifier.toLowerCase()}.example.com`;
      // Mostly the default status, as in a real tenant.
      const status =
        random() < 0.85 || statuses.length < 2
          ? (statuses[0] ?? { id: 0, name: "" })
          : pick(statuses.slice(1));
      this.companies.push({ id: c, identifier, name, website: `www.${domain}`, status, _info: updated() });
      const company = { id: c, identifier, name };
      this.companyRefs.set(c, company);
      const { city, state, zip, stateReference } = pick(CITIES);

      for (let s = 0; s < sizes.sitesPerCompany; s++) {
        this.sites.push({
          id: this.sites.length + 1,
          name: s === 0 ? "Main" : `Branch ${s}`,
          company,
          inactiveFlag: s > 0 && random() < 0.1,
          primaryAddressFlag: s === 0,
          addressLine1: `${100 + Math.floor(random() * 900)} ${pick(PLACES)} Ave`,
          addressLine2: s === 0 ? "" : `Suite ${s * 100}`,
          city,
          stateReference,
          zip,
          country: UNITED_STATES,
          _info: updated(),
        });
      }

      for (let k = 0; k < sizes.configurationsPerCompany; k++) {
        const id = this.configurations.length + 1;
        const type = pick(CONFIG_TYPES);
        const purchased = today - 30 - Math.floor(random() * 1500);
        this.configurations.push({
          id,
          name: `${identifier.slice(0, 8).toUpperCase()}-${type.name.split(" ")[0]!.toUpperCase()}-${k + 1}`,
          type,
          status: random() < 0.9 ? CONFIG_STATUSES[0]! : CONFIG_STATUSES[1]!,
          company,
          manufacturer: pick(MANUFACTURERS),
          serialNumber: `SN${String(id * 7919).padStart(8, "0")}`,
          osType: OS_TYPES[type.name] ? pick(OS_TYPES[type.name]!) : "",
          purchaseDate: isoDay(purchased),
          warrantyExpirationDate: isoDay(purchased + 3 * 365),
          notes: random() < 0.3 ? "Replace battery at next visit" : "",
          customFields: [
            { id: 1, caption: "Warranty Provider", type: "Text", value: pick(WARRANTY_PROVIDERS) },
            { id: 2, caption: "Last Audit", type: "Date", value: isoDay(Math.min(today, purchased + 200)) },
          ],
          _info: updated(),
        });
      }

      const contacts: PsaRef[] = [];
      for (let k = 0; k < sizes.contactsPerCompany; k++) {
        const id = this.contacts.length + 1;
        const firstName = pick(FIRST);
        const lastName = pick(LAST);
        const phone = (n: number) => `555-${String((id * 31 + n) % 10_000).padStart(4, "0")}`;
        this.contacts.push({
          id,
          firstName,
          lastName,
          // The first contact is the primary one; the others have one type or none.
          types: CONTACT_TYPE_LISTS[k === 0 ? 1 : random() < 0.7 ? 1 + Math.floor(random() * 3) : 0]!,
          title: pick(TITLES),
          company,
          communicationItems: [
            communication("Email", `${firstName}.${lastName}${id}@${domain}`.toLowerCase(), true),
            communication("Direct", phone(1), true),
            communication("Mobile", phone(2), false),
          ],
          addressLine1: `${100 + Math.floor(random() * 900)} ${pick(PLACES)} St`,
          city,
          state,
          zip,
          country: UNITED_STATES,
          inactiveFlag: random() < 0.05,
          customFields: [
            { id: 3, caption: "Preferred Contact Time", type: "Text", value: pick(CONTACT_TIMES) },
            { id: 4, caption: "Satisfaction Score", type: "Number", value: 1 + Math.floor(random() * 10) },
          ],
          _info: updated(),
        });
        const contact = { id, name: `${firstName} ${lastName}` };
        this.contactRefs.set(id, contact);
        contacts.push(contact);
      }
      contactsByCompany.push(contacts);
    }

    // Tickets need a company and a board with statuses (every board has them when any board does).
    if (this.companies.length === 0 || this.serviceStatuses.length === 0) return;
    for (let t = 1; t <= sizes.tickets; t++) {
      const boardIndex = Math.floor(random() * this.boards.length);
      const status = pick(boardStatuses[boardIndex]!);
      const companyIndex = Math.floor(random() * this.companies.length);
      const contacts = contactsByCompany[companyIndex]!;
      const { lastUpdated } = updated();
      // Entered up to 30 days before its last update.
      const dateEntered = isoSecond(Date.parse(lastUpdated) - Math.floor(random() * 30 * DAY_MS));
      this.tickets.push({
        id: t,
        summary: `${pick(SUMMARIES)} #${t}`,
        board: status.board,
        status: nameRef(status)!,
        priority: nameRef(pick(this.priorities)) ?? { id: 0, name: "" },
        company: this.companyRefs.get(this.companies[companyIndex]!.id)!,
        contact: contacts.length > 0 && random() < 0.8 ? pick(contacts) : null,
        severity: pick(LEVELS),
        impact: pick(LEVELS),
        closedFlag: status.closedStatus,
        dateEntered,
        _info: { lastUpdated, dateEntered },
      });
    }
  }
}

/** `{ id, name }` of a record (undefined stays undefined). */
function nameRef(record: PsaRef | undefined): PsaRef | undefined {
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

/** Filters an array in place, in one pass (deleting a company must not splice once per dependant). */
function keepOnly<T>(list: T[], keep: (item: T) => boolean): void {
  let kept = 0;
  for (const item of list) if (keep(item)) list[kept++] = item;
  list.length = kept;
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, "0"));
const dayStrings = new Map<number, string>();

/** A date as ConnectWise sends one, midnight UTC, of a day number (days since the epoch). Cached. */
function isoDay(day: number): string {
  let text = dayStrings.get(day);
  if (text === undefined) {
    text = `${new Date(day * DAY_MS).toISOString().slice(0, 10)}T00:00:00Z`;
    if (dayStrings.size < 100_000) dayStrings.set(day, text);
  }
  return text;
}

/**
 * ISO 8601 UTC to the second, as ConnectWise writes times: "2026-01-31T09:05:00Z". Built on the cached
 * day rather than a Date: seeding formats one for every record.
 */
export function isoSecond(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const day = Math.floor(seconds / 86_400);
  const time = seconds - day * 86_400;
  const [hours, minutes] = [Math.floor(time / 3600), Math.floor(time / 60) % 60];
  return isoDay(day).replace(
    "00:00:00",
    `${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[time % 60]}`,
  );
}
