import type { SyncKind } from "../generated/prisma/enums.ts";

/** A record as a platform returned it. */
export interface RemoteRecord {
  remoteId: string;
  data: unknown;
  remoteUpdatedAt?: Date | null;
}

/**
 * How a connector pulls one entity, one page (one provider call) at a time. The engine persists the
 * page cursor between calls, so a pull survives restarts and yields to higher lanes between pages.
 */
export interface PullContext {
  kind: SyncKind;
  /** Pull what changed since this time (watermark minus overlap); null for a full pull. */
  since: Date | null;
  /** When the run started pulling this entity: the next watermark. */
  startedAt: Date;
  /** Custom fields the tenant chose to pull for this entity (captions or ids); empty: none. */
  customFields: readonly string[];
  /**
   * Days before the run's start that an incremental pull lists again whatever its watermark says, for
   * entities listed by date rather than by modified time (the catalog's relistDays; 0: none).
   */
  relistDays: number;
}

/** A window of a date field: the records a pull listed in full, so those it did not see there were deleted. */
export interface ListedWindow {
  /** The field of the record's data holding its date (yyyy-MM-dd, or an ISO date-time). */
  field: string;
  /** yyyy-MM-dd, both included. */
  from: string;
  to: string;
}

export interface PageRequest {
  path: string;
  query?: Record<string, string>;
  /** Headers the platform reads, e.g. If-Modified-Since for Xero Accounting lists. */
  headers?: Record<string, string>;
}

export interface PulledPage {
  records: RemoteRecord[];
  /** Cursor of the next page; null when the entity is done. */
  next: unknown | null;
}

/**
 * Calls a connector makes per record once an entity's listing is done, for what the listing does not
 * carry (XPM's custom fields: one call per client or job, through the contract's custom-field
 * endpoints). Their results are mirrored as records of their own entity, by the same remote id.
 */
export interface FollowUp {
  /** The mirror's entity for the results, e.g. "clientCustomFields". */
  entity: string;
  /** Whether this pull needs follow-up calls at all (e.g. custom fields were chosen). */
  wanted(context: PullContext): boolean;
  /** The call for one record the listing brought (its remote id and data as mirrored). */
  request(context: PullContext, record: { remoteId: string; data: unknown }): PageRequest;
  /** The follow-up record from the answer. */
  parse(context: PullContext, record: { remoteId: string; data: unknown }, body: unknown): RemoteRecord;
}

export interface EntityPuller {
  /** Whether this kind lists every live record (so records not seen were deleted). */
  listsEverything(context: PullContext): boolean;
  /**
   * For a pull that does not list everything but does list every record dated inside a window (time
   * entries by from/to): that window, so the records of it not seen were deleted.
   */
  listedWindow?(context: PullContext): ListedWindow | null;
  /** The request for the page at `cursor` (null: the first page). */
  request(context: PullContext, cursor: unknown | null): PageRequest;
  /** Reads a page from the answer's body (and headers, for platforms that page by Link header). */
  parse(context: PullContext, body: unknown, cursor: unknown | null, headers: Headers): PulledPage;
  /**
   * Per-record calls after the listing: made for the records this run created or changed, and for those
   * with no follow-up record yet.
   */
  followUp?: FollowUp;
}
