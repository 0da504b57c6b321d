/**
 * The platforms catalog: one entry per connector, kept in code (DESIGN.md, "Concepts: Platform").
 * Figures come from PLATFORMS.md; every cap can be overridden per integration through settings.
 */

export const PLATFORM_KEYS = ["XPM", "XERO_ACCOUNTING", "PSA"] as const;
export type PlatformKey = (typeof PLATFORM_KEYS)[number];

export const SYNC_KINDS = ["INITIAL", "DAILY", "FREQUENT", "NIGHTLY", "FORCE", "EXPORT", "PUSH"] as const;
export type SyncKindKey = (typeof SYNC_KINDS)[number];

/** Rate caps the platform enforces per connected remote tenant. */
export interface RateCaps {
  /** Calls that may be in flight at once. */
  concurrent: number;
  /** Calls in any sliding platform minute. */
  perMinute: number;
  /** Calls per platform day. */
  perDay: number;
  /** How the day budget resets: at UTC midnight, or as a rolling 24 hours. */
  dayResets: "UTC_MIDNIGHT" | "ROLLING_24H";
}

/**
 * A cap the platform enforces across every tenant of one app (syncline's registration with the
 * platform), above the per-tenant caps: Xero allows one app 10,000 calls a minute, whatever the tenants.
 * Platforms naming the same `app` share one window (XPM and Xero Accounting reached through one Xero app).
 */
export interface AppCaps {
  /** Which app window the platform's calls count against (a Redis key part: letters and digits). */
  app: string;
  /** Calls in any sliding platform minute, across the app's tenants (configuration may override it). */
  perMinute: number;
}

/** The part of the caps that exports and pushes may use, so scheduled pulls keep headroom. */
export interface ExportReserve {
  perMinute: number;
  perDay: number;
}

export interface EntityDefinition {
  /** Stable key, e.g. "client". */
  key: string;
  /** Human name, e.g. "Clients". */
  name: string;
  /** Sync kinds that pull this entity. */
  syncKinds: SyncKindKey[];
  /** Whether the initial (opening balances) sync fetches it by default. */
  fetchOnFirstLink: boolean;
  /** Whether the platform exposes custom fields on it that a tenant may choose to pull. */
  supportsCustomFields: boolean;
  /** Read live on request and never stored (tickets). */
  liveOnly?: boolean;
  /**
   * For an entity the platform lists by date, not by modified time: how many days back every
   * incremental pull lists again, so late edits and deletions of older records are seen.
   */
  relistDays?: number;
}

export interface PlatformEntry {
  key: PlatformKey;
  name: string;
  kind: "PRACTICE_MANAGEMENT" | "ACCOUNTING" | "PSA";
  caps: RateCaps;
  /** The app-wide cap, if the platform has one: a call must fit it as well as the tenant's caps. */
  appCaps?: AppCaps;
  exportReserve: ExportReserve;
  /** Integrations with continuous sync a tenant may hold on this platform at once. */
  continuousConnectionLimit: number;
  /**
   * Whether the platform's contract promises that a write repeated with the same Idempotency-Key is
   * applied at most once. Where it does, a write whose outcome is unknown is resent with its key; where
   * it does not, the remote object is read first and the write settled by what is there.
   */
  honoursIdempotencyKey: boolean;
  entities: EntityDefinition[];
  syncKinds: SyncKindKey[];
}

const XERO_CAPS: RateCaps = { concurrent: 3, perMinute: 60, perDay: 5000, dayResets: "UTC_MIDNIGHT" };
const XERO_EXPORT_RESERVE: ExportReserve = { perMinute: 30, perDay: 4500 };
/** One Xero app serves both Xero APIs: their calls share its 10,000 a minute (PLATFORMS.md). */
const XERO_APP_CAPS: AppCaps = { app: "xero", perMinute: 10_000 };

export const PLATFORMS: Readonly<Record<PlatformKey, PlatformEntry>> = {
  XPM: {
    key: "XPM",
    name: "Xero Practice Manager",
    kind: "PRACTICE_MANAGEMENT",
    caps: XERO_CAPS,
    appCaps: XERO_APP_CAPS,
    exportReserve: XERO_EXPORT_RESERVE,
    continuousConnectionLimit: 25,
    // The XPM v3.1 contract declares no Idempotency-Key on job.api/update (PLATFORMS.md).
    honoursIdempotencyKey: false,
    entities: [
      entity("client", "Clients", ["INITIAL", "DAILY", "FORCE"], { customFields: true }),
      entity("job", "Jobs (with budgets)", ["INITIAL", "DAILY", "FORCE"], { customFields: true }),
      entity("staff", "Staff", ["INITIAL", "FREQUENT", "FORCE"]),
      // time.api/list filters by entry date only: an edit to last week's entry moves no date it can ask by.
      entity("time", "Time entries", ["INITIAL", "FREQUENT", "FORCE"], { relistDays: 30 }),
    ],
    syncKinds: ["INITIAL", "DAILY", "FREQUENT", "FORCE", "EXPORT"],
  },
  XERO_ACCOUNTING: {
    key: "XERO_ACCOUNTING",
    name: "Xero Accounting",
    kind: "ACCOUNTING",
    caps: XERO_CAPS,
    appCaps: XERO_APP_CAPS,
    exportReserve: XERO_EXPORT_RESERVE,
    continuousConnectionLimit: 25,
    // The Accounting API takes an optional Idempotency-Key on PUT, POST and PATCH (PLATFORMS.md).
    honoursIdempotencyKey: true,
    entities: [
      entity("organisation", "Organisation (base currency)", ["INITIAL", "DAILY", "FORCE"]),
      entity("account", "Chart of accounts", ["INITIAL", "DAILY", "FORCE"]),
      entity("taxRate", "Tax rates", ["INITIAL", "DAILY", "FORCE"]),
      entity("manualJournal", "Manual journals", ["PUSH"], { fetchOnFirstLink: false }),
    ],
    syncKinds: ["INITIAL", "DAILY", "FORCE", "PUSH"],
  },
  PSA: {
    key: "PSA",
    name: "PSA (ConnectWise-style)",
    kind: "PSA",
    caps: { concurrent: 3, perMinute: 60, perDay: 5000, dayResets: "UTC_MIDNIGHT" },
    exportReserve: { perMinute: 30, perDay: 4500 },
    continuousConnectionLimit: 25,
    // A ConnectWise-style API documents no idempotency keys.
    honoursIdempotencyKey: false,
    entities: [
      entity("company", "Companies", ["INITIAL", "NIGHTLY", "FORCE"]),
      entity("companyStatus", "Company statuses", ["INITIAL", "NIGHTLY", "FORCE"]),
      entity("site", "Company sites", ["INITIAL", "NIGHTLY", "FORCE"]),
      entity("configuration", "Assets / configurations", ["INITIAL", "NIGHTLY", "FORCE"], {
        customFields: true,
      }),
      entity("contact", "Contacts", ["INITIAL", "NIGHTLY", "FORCE"], { customFields: true }),
      entity("serviceBoard", "Service boards", ["INITIAL", "NIGHTLY", "FORCE"]),
      entity("servicePriority", "Service priorities", ["INITIAL", "NIGHTLY", "FORCE"]),
      entity("serviceStatus", "Service statuses", ["INITIAL", "NIGHTLY", "FORCE"]),
      entity("ticket", "Tickets (read live, never stored)", [], { fetchOnFirstLink: false, liveOnly: true }),
    ],
    syncKinds: ["INITIAL", "NIGHTLY", "FORCE"],
  },
};

function entity(
  key: string,
  name: string,
  syncKinds: SyncKindKey[],
  options: {
    customFields?: boolean;
    fetchOnFirstLink?: boolean;
    liveOnly?: boolean;
    relistDays?: number;
  } = {},
): EntityDefinition {
  return {
    key,
    name,
    syncKinds,
    fetchOnFirstLink: options.fetchOnFirstLink ?? true,
    supportsCustomFields: options.customFields ?? false,
    ...(options.liveOnly ? { liveOnly: true } : {}),
    ...(options.relistDays ? { relistDays: options.relistDays } : {}),
  };
}

export function isPlatformKey(value: string): value is PlatformKey {
  return (PLATFORM_KEYS as readonly string[]).includes(value);
}

export function platformEntry(key: PlatformKey): PlatformEntry {
  return PLATFORMS[key];
}
