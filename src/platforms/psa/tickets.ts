import type { OutgoingRequest } from "../http.ts";

/**
 * Live tickets from the PSA (PLATFORMS.md: read live, never stored). Builds the platform request for a
 * filter and a page, and reads its answer into syncline's ticket shape.
 */

export interface TicketFilter {
  boardId?: number | null;
  statusName?: string | null;
  priorityName?: string | null;
  companyId?: number | null;
  closed?: boolean | null;
  summaryContains?: string | null;
  updatedSince?: Date | null;
}

export interface Ticket {
  remoteId: string;
  summary: string;
  boardName: string | null;
  statusName: string | null;
  priorityName: string | null;
  companyName: string | null;
  contactName: string | null;
  severity: string | null;
  impact: string | null;
  closed: boolean;
  enteredAt: Date | null;
  updatedAt: Date | null;
}

/** Most tickets one request may ask for; the platform pages at most 1,000. */
export const MAX_TICKETS_PER_PAGE = 100;

/**
 * The condition-language clauses for a filter. String values were validated to hold no double quote
 * or backslash, so quoting them cannot change the condition's meaning.
 */
export function ticketConditions(filter: TicketFilter): string | undefined {
  const clauses: string[] = [];
  if (filter.boardId != null) clauses.push(`board/id = ${filter.boardId}`);
  if (filter.companyId != null) clauses.push(`company/id = ${filter.companyId}`);
  if (filter.statusName) clauses.push(`status/name = "${filter.statusName}"`);
  if (filter.priorityName) clauses.push(`priority/name = "${filter.priorityName}"`);
  if (filter.closed != null) clauses.push(`closedFlag = ${filter.closed}`);
  if (filter.summaryContains) clauses.push(`summary contains "${filter.summaryContains}"`);
  if (filter.updatedSince) clauses.push(`lastUpdated > [${filter.updatedSince.toISOString().slice(0, 19)}Z]`);
  return clauses.length > 0 ? clauses.join(" and ") : undefined;
}

/**
 * One page of `first` tickets after `offset`, newest first. Pages are numbered, so an offset that is not
 * a multiple of the page size reads from the start of a larger page and drops the head (`skip`).
 */
export function ticketRequest(
  filter: TicketFilter,
  offset: number,
  first: number,
): { request: OutgoingRequest; skip: number } {
  const aligned = offset % first === 0;
  const pageSize = aligned ? first : offset + first;
  const conditions = ticketConditions(filter);
  return {
    request: {
      method: "GET",
      path: "service/tickets",
      query: {
        page: String(aligned ? offset / first + 1 : 1),
        pageSize: String(pageSize),
        orderBy: "id desc",
        ...(conditions ? { conditions } : {}),
      },
    },
    skip: aligned ? 0 : offset,
  };
}

type Named = { name?: unknown } | null | undefined;
const nameOf = (ref: unknown) => {
  const name = (ref as Named)?.name;
  return typeof name === "string" ? name : null;
};
const dateOf = (value: unknown) => (typeof value === "string" && value ? new Date(value) : null);
const stringOf = (value: unknown) => (typeof value === "string" ? value : null);

export function parseTickets(body: unknown): Ticket[] {
  if (!Array.isArray(body)) return [];
  return body.map((dto: Record<string, unknown>) => {
    const info = (dto._info ?? {}) as Record<string, unknown>;
    return {
      remoteId: String(dto.id),
      summary: String(dto.summary ?? ""),
      boardName: nameOf(dto.board),
      statusName: nameOf(dto.status),
      priorityName: nameOf(dto.priority),
      companyName: nameOf(dto.company),
      contactName: nameOf(dto.contact),
      severity: stringOf(dto.severity),
      impact: stringOf(dto.impact),
      closed: dto.closedFlag === true,
      enteredAt: dateOf(dto.dateEntered ?? info.dateEntered),
      updatedAt: dateOf(info.lastUpdated),
    };
  });
}
