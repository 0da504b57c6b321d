import type { CallTarget } from "../engine/provider-call.ts";
import type { ExportAllowance } from "../engine/rate-limit/export-allowance.ts";
import type { CallLimits } from "../engine/rate-limit/limits.ts";
import type { Integration } from "../generated/prisma/client.ts";
import type { ExportReserveMode, SyncKind } from "../generated/prisma/enums.ts";
import type { ServedIntegration } from "../integrations/integration-state.ts";
import { resolveExportReserveMode } from "../settings/effective.ts";
import { loadExportReserveMode } from "../settings/load.ts";
import { type ScheduledSync, syncSchedule } from "./schedules.ts";
import type { WorkDeps } from "./work-deps.ts";

/**
 * The ADAPTIVE export reserve (README, "The dispatch engine": Caps). The strict reserve keeps a share of
 * the caps for scheduled pulls at all times (XPM: exports 30 of 60 a minute, 4,500 of 5,000 a day), so
 * half the minute sits idle whenever no pull is due. In ADAPTIVE mode exports may use what the schedule
 * proves no pull will need:
 *
 * - the minute: all of it while no pull run is queued or running and none is due within the next minute
 *   window; otherwise the strict reserve's figure. A call stays in the sliding window for one minute, so
 *   every export still in the window when a pull falls due was admitted under the strict figure: the pull
 *   finds at least the headroom the strict reserve keeps (and goes first: it travels in a higher lane).
 * - the day: past the reserve's day figure, an export goes only while the day calls left after it cover
 *   what the rest of the day's scheduled runs need (their runs left today × the most calls one of their
 *   last runs made, plus a quarter). While that is unknown (a scheduled kind without a finished run to
 *   learn from), the reserve's day figure holds.
 *
 * A pull nobody scheduled (a forced sync, a live read) cannot be foreseen: it still goes first, and takes
 * the next units the window frees. Pushes travel in the EXPORT lane and count against the same reserve,
 * so they carry the same allowance (exportAllowances): what it protects is the pulls' headroom, whoever
 * the export call is.
 */

/**
 * How far ahead a due pull makes exports keep the reserve: a minute window, a little for clock skew, and
 * the real ms a view is kept at least (REFRESH_MS): a view is worked out again at most that often, so a
 * pull is seen coming a whole window ahead however short a compressed minute is.
 */
const LOOKAHEAD_MINUTES = 1.1;
const REFRESH_MS = 250;
/** Finished runs per kind the day estimate learns from, and the margin it adds. */
const RUNS_LEARNED_FROM = 5;
const DAY_MARGIN = 1.25;
const PULL_KINDS: SyncKind[] = ["INITIAL", "DAILY", "FREQUENT", "NIGHTLY", "FORCE"];

/** An allowance (none: STRICT) and until when it holds, unless new work is announced before. */
export interface ReserveView {
  allowance: ExportAllowance | null;
  validUntil: number;
  /**
   * Until when the allowance's minute figure holds as the schedule stands: when the next scheduled pull
   * comes near (Infinity: none is scheduled). `validUntil` is sooner: it is when the view is looked at
   * again. Near a pull the figure is the strict one already; this is the horizon of an estimate.
   */
  minuteUntil: number;
}

export async function exportReserveView(
  deps: Pick<WorkDeps, "prisma" | "sql" | "time">,
  integration: Integration,
  limits: CallLimits,
  now = Date.now(),
  options: { fresh?: boolean } = {},
): Promise<ReserveView> {
  const { prisma, time } = deps;
  // STRICT: nothing changes it but a settings change, which a new activation reads.
  if ((await reserveMode(deps, integration, options.fresh ?? false)) !== "ADAPTIVE")
    return { allowance: null, validUntil: Infinity, minuteUntil: Infinity };
  const tenant = await prisma.tenant.findUniqueOrThrow({
    where: { id: integration.tenantId },
    select: { timeZone: true },
  });
  const [schedule, open] = await Promise.all([
    syncSchedule(prisma, time, { ...integration, tenant }),
    prisma.syncRun.findMany({
      where: {
        integrationId: integration.id,
        status: { in: ["QUEUED", "RUNNING"] },
        kind: { in: PULL_KINDS },
      },
      select: { kind: true },
    }),
  ]);
  const lookahead = LOOKAHEAD_MINUTES * time.minuteMs + REFRESH_MS;
  const pullNear = open.length > 0 || schedule.some((s) => s.dueAt.getTime() <= now + lookahead);
  // Near a pull, look again soon (the run may be over); else when the next one comes near.
  const nextNear = Math.min(...schedule.map((s) => s.dueAt.getTime() - lookahead));
  const validUntil =
    now + Math.max(REFRESH_MS, pullNear ? time.minuteMs / 10 : Math.min(nextNear - now, time.minuteMs));
  const perRun = await callsPerRun(deps, integration.id, [
    ...new Set([...schedule.map((s) => s.kind), ...open.map((r) => r.kind)]),
  ]);
  return {
    allowance: {
      perMinute: pullNear ? limits.exportReserve.perMinute : limits.caps.perMinute,
      dayKeep: dayKeep(schedule, open, perRun, now, time.dayMs),
    },
    validUntil,
    minuteUntil: pullNear ? now : nextNear,
  };
}

/**
 * The export reserve mode in force: as the integration was read when its activation began, when that
 * read brought the platform's layer (integrations/integration-state.ts, ServedIntegration) and `fresh`
 * is not asked for; else read now.
 */
async function reserveMode(
  deps: Pick<WorkDeps, "sql">,
  integration: Integration | ServedIntegration,
  fresh: boolean,
): Promise<ExportReserveMode> {
  if (fresh || !("platformExportReserveMode" in integration))
    return loadExportReserveMode(deps.sql, integration.id);
  return resolveExportReserveMode(integration, { exportReserveMode: integration.platformExportReserveMode })
    .value;
}

/**
 * The allowance an EXPORT-lane work session hands the engine with each call (the outbox's and the
 * pushes'): worked out again when its view runs out, or, after `forget`, when new work was announced.
 */
export function exportAllowances(
  deps: Pick<WorkDeps, "prisma" | "sql" | "time">,
  target: Pick<CallTarget, "integration" | "limits">,
): { offer(): Promise<{ allowance?: ExportAllowance }>; forget(): void } {
  let view: ReserveView | null = null;
  /**
   * Until when the integration's row, read as the session opened (its activation's servable read), is
   * fresh enough to take the mode from; after it, after a first view, or once an announcement made the
   * session forget, the mode is read: a change of it holds as soon as it did when every view read it.
   */
  let rowFreshUntil = Date.now() + REFRESH_MS;
  return {
    async offer() {
      if (!view || Date.now() >= view.validUntil) {
        const now = Date.now();
        view = await exportReserveView(deps, target.integration, target.limits, now, {
          fresh: now >= rowFreshUntil,
        });
        rowFreshUntil = 0;
      }
      return view.allowance ? { allowance: view.allowance } : {};
    },
    forget() {
      view = null;
      rowFreshUntil = 0;
    },
  };
}

/**
 * Day calls the rest of the platform day's scheduled runs need (and the runs queued or running now):
 * runs left × the most calls one of the kind's recent runs made, with a margin. -1 when a kind that
 * still runs today has no finished run to learn from.
 */
export function dayKeep(
  schedule: readonly Pick<ScheduledSync, "kind" | "dueAt" | "periodMs">[],
  open: readonly { kind: SyncKind }[],
  perRun: ReadonlyMap<SyncKind, number>,
  now: number,
  dayMs: number,
): number {
  const dayEnd = (Math.floor(now / dayMs) + 1) * dayMs;
  let need = 0;
  const runs = [
    ...schedule.map((s) => ({ kind: s.kind, count: runsLeft(s, now, dayEnd) })),
    ...open.map((r) => ({ kind: r.kind, count: 1 })),
  ];
  for (const { kind, count } of runs) {
    if (count === 0) continue;
    const calls = perRun.get(kind);
    if (calls === undefined) return -1;
    need += count * calls;
  }
  return Math.ceil(need * DAY_MARGIN);
}

/** How many times a scheduled kind falls due between now and the day's end (an overdue one counts now). */
function runsLeft(s: Pick<ScheduledSync, "dueAt" | "periodMs">, now: number, dayEnd: number): number {
  const first = Math.max(s.dueAt.getTime(), now);
  if (first >= dayEnd) return 0;
  return 1 + Math.floor((dayEnd - 1 - first) / Math.max(1, s.periodMs));
}

/**
 * The most calls one of each kind's last finished runs made, counted in the call ledger: the
 * integration's non-export calls in the run's lane between its start and its end.
 */
async function callsPerRun(
  deps: Pick<WorkDeps, "sql">,
  integrationId: string,
  kinds: SyncKind[],
): Promise<Map<SyncKind, number>> {
  if (kinds.length === 0) return new Map();
  const rows = await deps.sql.query<{ kind: SyncKind; calls: number }>(
    `SELECT r.kind::text AS kind, max(c.calls)::int AS calls
     FROM (SELECT kind, lane, "startedAt", "finishedAt",
             row_number() OVER (PARTITION BY kind ORDER BY "finishedAt" DESC) AS n
           FROM "SyncRun"
           WHERE "integrationId" = $1::uuid AND kind::text = ANY($2::text[])
             AND status IN ('SUCCEEDED', 'PARTIAL') AND "startedAt" IS NOT NULL AND "finishedAt" IS NOT NULL) r
     CROSS JOIN LATERAL (
       SELECT count(*) AS calls FROM "CallLedger" l
       WHERE l."integrationId" = $1::uuid AND NOT l.export AND l.lane = r.lane
         AND l."startedAt" BETWEEN (extract(epoch FROM r."startedAt") * 1000)::bigint
                               AND (extract(epoch FROM r."finishedAt") * 1000)::bigint) c
     WHERE r.n <= ${RUNS_LEARNED_FROM}
     GROUP BY r.kind`,
    [integrationId, kinds],
  );
  return new Map(rows.map((row) => [row.kind, Number(row.calls)]));
}
