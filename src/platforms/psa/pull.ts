import { hasNextPage } from "../http.ts";
import type { EntityPuller, PullContext } from "../pull.ts";

/**
 * PSA (ConnectWise Manage-style) pulls (PLATFORMS.md, "PSA"). Lists page by key, not by page number:
 * `conditions=id > <last id seen>` with `orderBy=id asc`, so a record deleted or added mid-pull cannot
 * shift a page and hide another record from the pull (which would then count as deleted). The platform's
 * `Link: <…>; rel="next"` header says whether more records follow. Incremental pulls add
 * `lastUpdated > [since]`.
 */

const PAGE_SIZE = 1000;

interface DtoWithCustomFields {
  customFields?: { id?: unknown; caption?: unknown }[];
  [key: string]: unknown;
}

/** `[2026-11-23T02:00:00Z]`: the condition language's datetime literal, at second precision. */
const datetime = (at: Date) => `[${at.toISOString().slice(0, 19)}Z]`;

/**
 * Custom fields are kept only when the tenant chose them in the entity's settings (by caption or id);
 * with none chosen the record carries none, so a change to an unchosen field rewrites nothing.
 */
function keepChosenCustomFields(dto: DtoWithCustomFields, chosen: readonly string[]): DtoWithCustomFields {
  if (!Array.isArray(dto.customFields)) return dto;
  const { customFields, ...rest } = dto;
  const wanted = new Set(chosen.map((name) => name.toLowerCase()));
  const kept = customFields.filter(
    (field) =>
      wanted.has(String(field.caption ?? "").toLowerCase()) ||
      wanted.has(String(field.id ?? "").toLowerCase()),
  );
  return kept.length > 0 ? { ...rest, customFields: kept } : rest;
}

/** `_info.lastUpdated`, the platform's modified time of a record. */
function lastUpdated(dto: DtoWithCustomFields): Date | null {
  const value = (dto._info as { lastUpdated?: unknown } | undefined)?.lastUpdated;
  const at = typeof value === "string" ? new Date(value) : null;
  return at && !Number.isNaN(at.getTime()) ? at : null;
}

function keyset(path: string, options: { incremental: boolean }): EntityPuller {
  const incremental = (context: PullContext) => options.incremental && context.since !== null;
  return {
    listsEverything: (context) => !incremental(context),
    request(context, cursor) {
      const conditions: string[] = [];
      if (typeof cursor === "number") conditions.push(`id > ${cursor}`);
      if (incremental(context)) conditions.push(`lastUpdated > ${datetime(context.since!)}`);
      return {
        path,
        query: {
          pageSize: String(PAGE_SIZE),
          orderBy: "id asc",
          ...(conditions.length > 0 ? { conditions: conditions.join(" and ") } : {}),
        },
      };
    },
    parse(context, body, _cursor, headers) {
      const dtos = Array.isArray(body) ? (body as DtoWithCustomFields[]) : [];
      const records = dtos.map((dto) => ({
        remoteId: String(dto.id),
        data: keepChosenCustomFields(dto, context.customFields),
        remoteUpdatedAt: lastUpdated(dto),
      }));
      const last = dtos.at(-1)?.id;
      return { records, next: hasNextPage(headers) && typeof last === "number" ? last : null };
    },
  };
}

/** The nightly run lists everything (and so reconciles deletions); a forced run pulls what changed. */
export const PSA_PULLERS: Record<string, EntityPuller> = {
  company: keyset("company/companies", { incremental: true }),
  companyStatus: keyset("company/companies/statuses", { incremental: false }),
  site: keyset("company/sites", { incremental: true }),
  configuration: keyset("company/configurations", { incremental: true }),
  contact: keyset("company/contacts", { incremental: true }),
  serviceBoard: keyset("service/boards", { incremental: false }),
  servicePriority: keyset("service/priorities", { incremental: false }),
  serviceStatus: keyset("service/statuses", { incremental: false }),
};
