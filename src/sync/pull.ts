import type { Database, SqlPool } from "../db/client.ts";
import { type ModelColumns, selectList } from "../db/rows.ts";
import { holdsFence } from "../engine/claims.ts";
import type { DomainEvent } from "../events.ts";
import type { Integration, Prisma, PrismaClient, SyncRun, Watermark } from "../generated/prisma/client.ts";
import type { SyncKind } from "../generated/prisma/enums.ts";
import { moveIntegration } from "../integrations/integration-state.ts";
import { PLATFORMS } from "../platforms/catalog.ts";
import { PSA_PULLERS } from "../platforms/psa/pull.ts";
import type { EntityPuller, PageRequest, PullContext, PulledPage } from "../platforms/pull.ts";
import { XERO_ACCOUNTING_PULLERS } from "../platforms/xero-accounting/pull.ts";
import { XPM_PULLERS } from "../platforms/xpm/pull.ts";
import { recordPageChanges } from "../records/changes.ts";
import type { EffectiveSettings } from "../settings/effective.ts";
import {
  type LayerParams,
  type SettingsLayers,
  settingsLayersJson,
  settingsOfLayers,
} from "../settings/load.ts";
import { appendLog } from "./logs.ts";
import { reconcileDeletions, upsertRecords } from "./records.ts";
import { moveRun, runById, runUpdated } from "./run-state.ts";

/**
 * Pull runs (DESIGN.md, "Pull"): entity by entity, page by page, one provider call per step. The run's
 * cursor (entity, page, when the entity's pull began) lives on the SyncRun row, so a restart resumes
 * where it stopped. Records and the cursor commit together; an entity's watermark advances only after
 * its last page has committed.
 */

/** Pulls look back this many platform minutes before the watermark: some edits don't move the modified time at once. */
export const OVERLAP_MINUTES = 5;
export interface RunCursor {
  entities: string[];
  index: number;
  page: unknown | null;
  /** ISO time the current entity's pull began (its next watermark). */
  entityStartedAt: string | null;
  /** ISO time the current entity pulls from (null: full pull). */
  since: string | null;
  attempts: number;
  /** ISO time before which the current page is not retried (backoff). */
  notBefore: string | null;
  failedEntities: string[];
  /** Custom fields chosen per entity when the run started. */
  customFields?: Record<string, string[]>;
  /** What each entity's pages brought so far (the run's per-entity progress). */
  counts?: Record<string, EntityCounts>;
  /**
   * Set once the current entity's listing is done and its puller has follow-up calls to make (XPM's
   * custom fields): the last record followed up (null: none yet), in remote id order.
   */
  followUp?: { after: string | null } | null;
}

export interface EntityCounts {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

const PULLERS: Partial<Record<Integration["platform"], Record<string, EntityPuller>>> = {
  XPM: XPM_PULLERS,
  XERO_ACCOUNTING: XERO_ACCOUNTING_PULLERS,
  PSA: PSA_PULLERS,
};

/**
 * Kinds that list every record and so reconcile deletions: the initial pull, and the once-a-day run
 * (DAILY for Xero, NIGHTLY for the PSA). FREQUENT and FORCE runs pull what changed since the watermark.
 */
const FULL_PULL_KINDS: readonly SyncKind[] = ["INITIAL", "DAILY", "NIGHTLY"];

/** The entities a run of this kind pulls, in catalog order, after settings. */
export function entitiesFor(
  platform: Integration["platform"],
  kind: SyncKind,
  settings: EffectiveSettings,
): string[] {
  const pullers = PULLERS[platform] ?? {};
  return PLATFORMS[platform].entities
    .filter((entity) => pullers[entity.key] && !entity.liveOnly)
    .filter((entity) => {
      const chosen = settings.entities.find((e) => e.entity === entity.key);
      if (chosen && !chosen.enabled.value) return false;
      if (kind === "INITIAL") return chosen ? chosen.fetchOnFirstLink.value : entity.fetchOnFirstLink;
      if (kind === "FORCE") return true;
      return entity.syncKinds.includes(kind);
    })
    .map((entity) => entity.key);
}

export type PullStep =
  | {
      kind: "call";
      cursor: RunCursor;
      context: PullContext;
      request: PageRequest;
      puller: EntityPuller;
      /** Set on a follow-up call: the entity its record is mirrored under. */
      followUpEntity?: string;
      /**
       * Set on a run's first call: writes the run's start (false: it was cancelled meanwhile, and its
       * page is not applied). The caller runs it beside the call and awaits it before settling.
       */
      starting?: () => Promise<boolean>;
    }
  | { kind: "backoff"; until: number }
  | { kind: "done" };

/** What a run's start is planned from: the integration's settings and its entities' watermarks. */
export interface PlanReads {
  settings: EffectiveSettings;
  watermarks: Map<string, Date | null>;
}

const WATERMARK_READ = `SELECT ${selectList("w", { cursor: "timestamp" } satisfies ModelColumns<Pick<Watermark, "cursor">>)}
  FROM "Watermark" w WHERE w."integrationId" = $1::uuid AND w.entity = $2`;

/** Real ms a superseded activation leaves a run alone (it notices its lost lock within a heartbeat). */
const SUPERSEDED_BACKOFF_MS = 1_000;

/** The pull's database: Prisma for a run's start and end, raw SQL for its pages (one per call). */
export type PullDb = { prisma: PrismaClient; sql: SqlPool; transaction: Database["transaction"] };

/**
 * What a run's start is planned from, as one JSON value (an expression for a SELECT list; placeholders
 * as given): the integration's settings layers and its entities' watermarks. Read by `planOf`.
 */
function planJson(p: LayerParams): string {
  // A cursor is UTC without a zone: written out with a Z, whatever the session's time zone.
  return `json_build_object('settings', ${settingsLayersJson(p)},
    'watermarks', (SELECT coalesce(json_agg(x), '[]'::json) FROM (SELECT w.entity,
      to_char(w.cursor, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS cursor
      FROM "Watermark" w WHERE w."integrationId" = ${p.integration}::uuid) x))`;
}

/** What `planJson` reads: a watermark's time as ISO text in UTC. */
export interface PlanJson {
  settings: SettingsLayers;
  watermarks: { entity: string; cursor: string | null }[];
}

/** A run's plan from what `planJson` read. */
export function planOf(integration: Integration, plan: PlanJson): PlanReads {
  return {
    settings: settingsOfLayers(integration, plan.settings),
    watermarks: new Map(
      plan.watermarks.map((mark) => [mark.entity, mark.cursor ? new Date(mark.cursor) : null]),
    ),
  };
}

const PLAN_READ = `SELECT ${planJson({ integration: "$1", tenant: "$2", platform: "$3" })} AS plan`;

/** Reads what a run's start is planned from, in one prepared statement. */
export async function readPlan(sql: SqlPool, integration: Integration): Promise<PlanReads> {
  const [row] = await sql.query<{ plan: PlanJson }>(
    PLAN_READ,
    [integration.id, integration.tenantId, integration.platform],
    { prepared: true },
  );
  return planOf(integration, row!.plan);
}

/**
 * The plan of a run that has not started, read in the same statement as the look for the integration's
 * runs (activeRuns' `extra`, where $1 is the integration): a newly arrived run's first call waits for
 * one statement, not for the look and then the plan.
 */
export function planBesideRuns(integration: Integration): { select: string; params: unknown[] } {
  return { select: PLAN_BESIDE_RUNS, params: [integration.tenantId, integration.platform] };
}

/** Not for a run deferred to a later day: it is not due, and its plan is read when it is. */
const PLAN_BESIDE_RUNS = `CASE WHEN r.cursor IS NULL
    AND NOT (r.status::text = 'DEFERRED' AND r."deferredUntil" > (now() AT TIME ZONE 'UTC'))
  THEN ${planJson({ integration: "$1", tenant: "$5", platform: "$6" })} END`;

/**
 * Finds the run's next provider call, moving to its next entity as needed (no call is spent on
 * bookkeeping). Returns "done" once every entity has been pulled, after finishing the run.
 *
 * A run not yet started gets its plan (entities from settings, the first entity's watermark) in one
 * statement (`plan`, when the caller read it with the run already), and its first call goes out at once:
 * writing the start (RUNNING, the cursor, the log line) is `starting`, which the caller sets going beside
 * the call and awaits before the page is applied. A newly arrived run behind a busy fleet waited for a
 * dozen statements before its first call.
 */
export async function nextPullStep(
  db: PullDb,
  run: SyncRun,
  integration: Integration,
  options: { plan?: PlanReads; fence?: number } = {},
): Promise<PullStep> {
  const { prisma } = db;
  const { plan, fence } = options;
  let cursor = run.cursor as RunCursor | null;
  let starting: (() => Promise<boolean>) | undefined;
  let watermarks: Map<string, Date | null> | undefined;
  if (!cursor) {
    const read = plan ?? (await readPlan(db.sql, integration));
    const settings = read.settings;
    watermarks = read.watermarks;
    const entities = entitiesFor(integration.platform, run.kind, settings);
    const planned: RunCursor = {
      entities,
      index: 0,
      page: null,
      entityStartedAt: null,
      since: null,
      attempts: 0,
      notBefore: null,
      failedEntities: [],
      customFields: Object.fromEntries(
        settings.entities
          .filter((e) => entities.includes(e.entity) && e.customFields.value.length > 0)
          .map((e) => [e.entity, e.customFields.value]),
      ),
    };
    cursor = planned;
    starting = () => startRun(prisma, run, planned);
    // Nothing to pull: the run is started and finished here, with no call.
    if (entities.length === 0) {
      await starting();
      return { kind: "done" };
    }
  }
  if (cursor.index >= cursor.entities.length) return { kind: "done" };
  if (cursor.notBefore && Date.parse(cursor.notBefore) > Date.now())
    return { kind: "backoff", until: Date.parse(cursor.notBefore) };
  const entity = cursor.entities[cursor.index]!;
  if (!cursor.entityStartedAt) {
    const watermark = watermarks
      ? watermarks.get(entity)
      : (
          await db.sql.query<{ cursor: Date | null }>(WATERMARK_READ, [integration.id, entity], {
            prepared: true,
          })
        )[0]?.cursor;
    const fullPull = FULL_PULL_KINDS.includes(run.kind) || !watermark;
    cursor = {
      ...cursor,
      entityStartedAt: new Date().toISOString(),
      since: fullPull ? null : new Date(watermark!.getTime() - OVERLAP_MINUTES * 60_000).toISOString(),
    };
  }
  const puller = PULLERS[integration.platform]![entity]!;
  const context = contextOf(run.kind, cursor, entity, integration.platform);
  if (cursor.followUp && puller.followUp) {
    const record = await nextToFollowUp(db.sql, run, entity, puller.followUp.entity, cursor);
    if (!record) {
      const listsEverything = puller.listsEverything(context);
      const finished = await db.transaction(async (tx) => {
        // Only while `fence` is the integration's current token (see applyPage): a superseded activation
        // would move the run's cursor back.
        if (fence !== undefined && !(await holdsFence(tx, run.integrationId, fence))) return false;
        await advanceWatermark(tx, run, entity, context, listsEverything);
        await writeCursor(tx, run, nextEntity(cursor));
        return true;
      });
      // The integration went to another activation: this one leaves the run alone until it stops.
      if (!finished) return { kind: "backoff", until: Date.now() + SUPERSEDED_BACKOFF_MS };
      const moved = await runById(db.sql, run.id);
      if (!moved) return { kind: "done" };
      return nextPullStep(db, moved, integration, { fence });
    }
    const followUp = puller.followUp;
    // The follow-up's answer is read as a one-record page whose `next` names the record it was for.
    const stepPuller: EntityPuller = {
      listsEverything: () => false,
      request: (ctx) => followUp.request(ctx, record),
      parse: (ctx, body) => ({ records: [followUp.parse(ctx, record, body)], next: record.remoteId }),
    };
    return {
      kind: "call",
      cursor,
      context,
      request: stepPuller.request(context, null),
      puller: stepPuller,
      followUpEntity: followUp.entity,
    };
  }
  return { kind: "call", cursor, context, request: puller.request(context, cursor.page), puller, starting };
}

/**
 * Writes a run's start: RUNNING with its planned cursor (a run cancelled meanwhile stays cancelled:
 * false) and the log line naming what it pulls.
 */
async function startRun(prisma: PrismaClient, run: SyncRun, cursor: RunCursor): Promise<boolean> {
  const started = { startedAt: new Date(), cursor: cursor as unknown as Prisma.InputJsonValue };
  if (run.status === "QUEUED") {
    if (!(await moveRun(prisma, run, "RUNNING", started, ["QUEUED"])).changed) return false;
  } else {
    // Resumed after a day cap deferred it before its first call: still not if cancelled meanwhile.
    const { count } = await prisma.syncRun.updateMany({
      where: { id: run.id, status: { in: ["RUNNING", "DEFERRED"] } },
      data: started,
    });
    if (count === 0) return false;
  }
  await appendLog(prisma, run.id, "INFO", null, `Pulling ${cursor.entities.join(", ") || "nothing"}`);
  return true;
}

/**
 * The next record of the entity to follow up, in remote id order: one created or changed since the
 * entity's listing started, or one with no follow-up record yet (an unchanged record keeps the follow-up
 * it has). Not "one this run listed": another run of the integration (a FREQUENT pull beside an INITIAL
 * one) may have listed the same records meanwhile and marked them as its own.
 */
async function nextToFollowUp(
  sql: SqlPool,
  run: SyncRun,
  entity: string,
  followUpEntity: string,
  cursor: RunCursor,
): Promise<{ remoteId: string; data: unknown } | null> {
  const rows = await sql.query<{ remoteId: string; data: unknown }>(
    `SELECT s."remoteId", s.data FROM "SyncedRecord" s
     WHERE s."integrationId" = $1::uuid AND s.entity = $2 AND NOT s.deleted
       AND s."remoteId" > $3
       AND (s."updatedAt" >= $4::timestamp(3) OR NOT EXISTS (
         SELECT 1 FROM "SyncedRecord" f
         WHERE f."integrationId" = s."integrationId" AND f.entity = $5 AND f."remoteId" = s."remoteId"))
     ORDER BY s."remoteId" LIMIT 1`,
    [
      run.integrationId,
      entity,
      cursor.followUp?.after ?? "",
      new Date(cursor.entityStartedAt ?? 0).toISOString(),
      followUpEntity,
    ],
    { prepared: true },
  );
  return rows[0] ?? null;
}

/** $1 integration, $2 entity, $3 cursor, $4 run, $5 when reconciled (null: not a full listing), $6 now. */
const ADVANCE_WATERMARK = `
  INSERT INTO "Watermark" (id, "integrationId", entity, cursor, "lastRunId", "reconciledAt", "updatedAt")
  VALUES (gen_random_uuid(), $1::uuid, $2, $3::timestamp(3), $4::uuid, $5::timestamp(3), $6::timestamp(3))
  ON CONFLICT ("integrationId", entity) DO UPDATE
  SET cursor = EXCLUDED.cursor, "lastRunId" = EXCLUDED."lastRunId", "updatedAt" = EXCLUDED."updatedAt",
      "reconciledAt" = COALESCE(EXCLUDED."reconciledAt", "Watermark"."reconciledAt")`;

/**
 * The current entity is done: its watermark advances to when its pull began (and, after a listing of
 * everything, its deletions were reconciled now).
 */
async function advanceWatermark(
  tx: SqlPool,
  run: SyncRun,
  entity: string,
  context: PullContext,
  listsEverything: boolean,
): Promise<void> {
  const now = new Date().toISOString();
  await tx.query(
    ADVANCE_WATERMARK,
    [run.integrationId, entity, context.startedAt.toISOString(), run.id, listsEverything ? now : null, now],
    { prepared: true },
  );
}

/** The cursor at the start of the run's next entity. */
function nextEntity(cursor: RunCursor): RunCursor {
  return {
    ...cursor,
    index: cursor.index + 1,
    page: null,
    entityStartedAt: null,
    since: null,
    followUp: null,
  };
}

/** $1 run, $2 cursor, $3-$7 what the page adds to its fetched, created, updated, skipped, deleted counts. */
const WRITE_CURSOR = `
  UPDATE "SyncRun" SET cursor = $2::jsonb, "fetchedCount" = "fetchedCount" + $3::int,
    "createdCount" = "createdCount" + $4::int, "updatedCount" = "updatedCount" + $5::int,
    "skippedCount" = "skippedCount" + $6::int, "deletedCount" = "deletedCount" + $7::int
  WHERE id = $1::uuid`;

/** Writes the run's cursor, adding a page's counts to its own. */
async function writeCursor(
  tx: SqlPool,
  run: Pick<SyncRun, "id">,
  cursor: RunCursor,
  page: EntityCounts = NO_COUNTS,
): Promise<void> {
  await tx.query(
    WRITE_CURSOR,
    [run.id, JSON.stringify(cursor), page.fetched, page.created, page.updated, page.unchanged, page.deleted],
    { prepared: true },
  );
}

const NO_COUNTS: EntityCounts = { fetched: 0, created: 0, updated: 0, unchanged: 0, deleted: 0 };

function contextOf(
  kind: SyncKind,
  cursor: RunCursor,
  entity: string,
  platform: Integration["platform"],
): PullContext {
  return {
    kind,
    since: cursor.since ? new Date(cursor.since) : null,
    startedAt: new Date(cursor.entityStartedAt ?? Date.now()),
    customFields: cursor.customFields?.[entity] ?? [],
    relistDays: PLATFORMS[platform].entities.find((e) => e.key === entity)?.relistDays ?? 0,
  };
}

/**
 * Commits one page: the records, the run's counts and its cursor together, and, when records changed,
 * the host's `records.changed` webhook. Only while `fence` is still the integration's current token: an
 * activation that lost the integration (its lock lapsed, another took over and asks for the page again)
 * commits nothing, so a page is never counted twice and a run's cursor never moves back. Raw SQL in one
 * transaction (Database.transaction): a page is written on every pull call, and the same writes through
 * Prisma cost the worker a dozen query compilations.
 */
export async function applyPage(
  db: PullDb,
  run: SyncRun,
  step: Extract<PullStep, { kind: "call" }>,
  page: PulledPage,
  fence: number,
): Promise<DomainEvent[]> {
  const entity = step.cursor.entities[step.cursor.index]!;
  if (step.cursor.followUp) return applyFollowUp(db, run, step, page, fence);
  const target = { integrationId: run.integrationId, entity, runId: run.id };
  const listsEverything = step.puller.listsEverything(step.context);
  const followUp = lastPageOf(page) && step.puller.followUp?.wanted(step.context);
  // A pull that lists a date window in full reconciles deletions inside it (time entries).
  const window = listsEverything ? null : (step.puller.listedWindow?.(step.context) ?? null);
  const changed = await db.transaction(async (tx) => {
    if (!(await holdsFence(tx, run.integrationId, fence))) return null;
    const counts = await upsertRecords(tx, target, page.records);
    const lastPage = page.next === null;
    const gone =
      lastPage && (listsEverything || window) ? await reconcileDeletions(tx, target, window) : null;
    const deleted = gone?.count ?? 0;
    const pageCounts: EntityCounts = {
      fetched: page.records.length,
      created: counts.created,
      updated: counts.updated,
      unchanged: counts.unchanged,
      deleted,
    };
    let cursor: RunCursor = {
      ...step.cursor,
      page: page.next,
      attempts: 0,
      notBefore: null,
      counts: { ...step.cursor.counts, [entity]: addCounts(step.cursor.counts?.[entity], pageCounts) },
    };
    if (lastPage && followUp) {
      // The listing is done; the entity finishes once every record that needs it was followed up.
      cursor = { ...cursor, page: null, followUp: { after: null } };
    } else if (lastPage) {
      await advanceWatermark(tx, run, entity, step.context, listsEverything);
      cursor = nextEntity(cursor);
    }
    await writeCursor(tx, run, cursor, pageCounts);
    const line = `${entity}: fetched ${page.records.length}, created ${counts.created}, updated ${counts.updated}, unchanged ${counts.unchanged}${deleted ? `, deleted ${deleted}` : ""}`;
    await appendLog(tx, run.id, "INFO", entity, line, { ...pageCounts });
    return recordPageChanges(tx, {
      ...target,
      ...counts,
      deleted,
      first: counts.first ?? gone?.first ?? null,
    });
  });
  return changed ? [...changed, ...runUpdated(run)] : [];
}

const lastPageOf = (page: PulledPage) => page.next === null;

/** Commits one follow-up answer: its record (under the follow-up's entity) and the cursor, together. */
async function applyFollowUp(
  db: PullDb,
  run: SyncRun,
  step: Extract<PullStep, { kind: "call" }>,
  page: PulledPage,
  fence: number,
): Promise<DomainEvent[]> {
  const target = { integrationId: run.integrationId, entity: step.followUpEntity!, runId: run.id };
  const changed = await db.transaction(async (tx) => {
    if (!(await holdsFence(tx, run.integrationId, fence))) return null;
    const counts = await upsertRecords(tx, target, page.records);
    const cursor: RunCursor = {
      ...step.cursor,
      attempts: 0,
      notBefore: null,
      followUp: { after: page.next as string },
    };
    await writeCursor(tx, run, cursor);
    return recordPageChanges(tx, { ...target, ...counts, deleted: 0, first: counts.first ?? null });
  });
  return changed ? [...changed, ...runUpdated(run)] : [];
}

function addCounts(before: EntityCounts | undefined, page: EntityCounts): EntityCounts {
  if (!before) return page;
  return {
    fetched: before.fetched + page.fetched,
    created: before.created + page.created,
    updated: before.updated + page.updated,
    unchanged: before.unchanged + page.unchanged,
    deleted: before.deleted + page.deleted,
  };
}

/** A page failed transiently: it is tried again from `notBefore` (the retry policy decided). */
export async function backOffPage(
  db: PullDb,
  run: SyncRun,
  step: Extract<PullStep, { kind: "call" }>,
  notBefore: Date,
  message: string,
  fence: number,
): Promise<DomainEvent[]> {
  const entity = step.cursor.entities[step.cursor.index]!;
  const cursor: RunCursor = {
    ...step.cursor,
    attempts: step.cursor.attempts + 1,
    notBefore: notBefore.toISOString(),
  };
  return moveCursor(db, run, cursor, fence, "WARN", entity, `${message}; retrying`);
}

/** Writes the run's cursor and a log line, while `fence` is current (see applyPage). */
async function moveCursor(
  db: PullDb,
  run: SyncRun,
  cursor: RunCursor,
  fence: number,
  ...log: [level: "WARN" | "ERROR", entity: string, message: string]
): Promise<DomainEvent[]> {
  const moved = await db.transaction(async (tx) => {
    if (!(await holdsFence(tx, run.integrationId, fence))) return false;
    await writeCursor(tx, run, cursor);
    await appendLog(tx, run.id, ...log);
    return true;
  });
  return moved ? runUpdated(run) : [];
}

/** The platform refused a page, or it failed too often: the entity is skipped (its watermark stays) and the run goes on. */
export async function skipEntity(
  db: PullDb,
  run: SyncRun,
  cursor: RunCursor,
  message: string,
  fence: number,
): Promise<DomainEvent[]> {
  const entity = cursor.entities[cursor.index]!;
  const next: RunCursor = {
    ...nextEntity(cursor),
    attempts: 0,
    notBefore: null,
    failedEntities: [...cursor.failedEntities, entity],
  };
  return moveCursor(db, run, next, fence, "ERROR", entity, message);
}

/**
 * Ends a run whose entities are all done (SUCCEEDED, or PARTIAL when an entity failed), and frees its
 * integration from SYNCING; a one-off integration disconnects after its initial sync. A run cancelled
 * meanwhile stays cancelled. Returns the events.
 */
export async function finishRun(prisma: PrismaClient, run: SyncRun): Promise<DomainEvent[]> {
  const cursor = run.cursor as RunCursor | null;
  const failed = cursor?.failedEntities ?? [];
  const status = failed.length === 0 ? "SUCCEEDED" : "PARTIAL";
  return prisma.$transaction(async (tx) => {
    const finished = await moveRun(tx, run, status, {
      finishedAt: new Date(),
      ...(failed.length > 0 ? { error: `Failed entities: ${failed.join(", ")}` } : {}),
    });
    if (!finished.changed) return [];
    await appendLog(tx, run.id, "INFO", null, `Run ${status.toLowerCase()}`);
    const integration = await tx.integration.findUniqueOrThrow({ where: { id: run.integrationId } });
    const oneOffDone = run.kind === "INITIAL" && integration.syncMode === "ONE_OFF";
    const ended =
      oneOffDone && integration.status !== "DISCONNECTED"
        ? await moveIntegration(tx, integration, "DISCONNECTED", { disconnectedAt: new Date() })
        : integration.status === "CONNECTED" || integration.status === "PAUSED"
          ? { events: [] }
          : await moveIntegration(tx, integration, "CONNECTED");
    return [...finished.events, ...ended.events];
  });
}
