import { LANES, type Lane, laneRank } from "../engine/lanes.ts";
import type { CallTarget } from "../engine/provider-call.ts";
import { settlementOf } from "../engine/settlement.ts";
import type { ClaimContext } from "../engine/store.ts";
import type { WorkSource } from "../engine/work-source.ts";
import type { SyncRun } from "../generated/prisma/client.ts";
import type { SyncKind } from "../generated/prisma/enums.ts";
import { markSyncing } from "../integrations/integration-state.ts";
import {
  applyPage,
  backOffPage,
  finishRun,
  nextPullStep,
  type PlanJson,
  type PlanReads,
  type PullStep,
  planBesideRuns,
  planOf,
  skipEntity,
} from "./pull.ts";
import {
  activeRuns,
  deferRun,
  deferralMemory,
  integrationsWithActiveRuns,
  resumeRun,
  runUpdated,
} from "./run-state.ts";
import { laneForKind } from "./runs.ts";
import type { WorkDeps } from "./work-deps.ts";

/** The kinds that pull, and the lanes they travel in (highest first). */
const PULL_KINDS: SyncKind[] = ["INITIAL", "DAILY", "FREQUENT", "NIGHTLY", "FORCE"];
const PULL_LANES: Lane[] = LANES.filter((lane) => PULL_KINDS.some((kind) => laneForKind(kind) === lane));

interface PullWork {
  run: SyncRun;
  step: Extract<PullStep, { kind: "call" }>;
  /** A run's start being written beside its first call: false if it was cancelled meanwhile. */
  started: Promise<boolean> | null;
}

/**
 * Pull runs as engine work: each call is the next page of the highest-lane run, the oldest first within
 * a lane. A run's pages go one after another (a page's cursor comes from the one before); starting,
 * moving to the next entity and finishing a run cost no call.
 */
export function pullSource(deps: WorkDeps): WorkSource<PullWork> {
  const { prisma } = deps;
  return {
    name: "pulls",
    lanes: PULL_LANES,
    // A pull's page in flight when its worker died is simply asked for again: its cursor never moved.
    recoverOrphans: async () => 0,
    integrationsWithWork: () => integrationsWithActiveRuns(prisma, PULL_KINDS),
    open(target: CallTarget, claim: ClaimContext) {
      const integration = target.integration;
      /** Runs with a page in flight. */
      const busy = new Set<string>();
      /**
       * Whether runs may be waiting. Runs arrive with an announcement, so the run query is skipped
       * between announcements while the activation drains exports: one query less per call.
       */
      let mayWait = true;
      /**
       * Set by an announcement: a new run has probably arrived, so the next look for runs (with the plan
       * of a run not yet started) goes on the connections kept for such work (WorkDeps.urgentSql).
       */
      let expectRun = false;
      /**
       * Counts what makes runs worth a look again (a page settled or put back, an announcement), so a look
       * that sets `mayWait` from what it found knows whether one came while it was out.
       */
      let signals = 0;
      const done = (run: SyncRun) => {
        busy.delete(run.id);
        mayWait = true;
        signals++;
      };

      /** Deferred runs' next due time, learnt with each look at the runs. */
      const deferred = deferralMemory();
      /**
       * The oldest due run of the highest lane, ordered by the lane registry's rank, and, when it has not
       * started, its plan, read in the same statement (planBesideRuns). `urgent`: a run was announced, and
       * its look goes on the connections kept for such work (WorkDeps.urgentSql).
       */
      const nextRun = async (
        skipped: Set<string>,
        urgent: boolean,
      ): Promise<{ run: SyncRun; plan: PlanReads | undefined; others: number } | null> => {
        const { due, deferredAt, extra } = await activeRuns<PlanJson>(
          urgent ? deps.urgentSql : deps.sql,
          integration.id,
          PULL_KINDS,
          [...busy, ...skipped],
          planBesideRuns(integration),
        );
        deferred.learn(deferredAt);
        const run = due.reduce<SyncRun | null>(
          (best, run) => (best && laneRank(best.lane) <= laneRank(run.lane) ? best : run),
          null,
        );
        if (!run) return null;
        return {
          run,
          plan: !run.cursor && extra ? planOf(integration, extra) : undefined,
          others: due.length - 1,
        };
      };

      /** Writes a run's start (and the integration's SYNCING) and publishes it; settles to whether it started. */
      const start = (run: SyncRun, starting: () => Promise<boolean>): Promise<boolean> => {
        const started = (async () => {
          if (!(await starting())) return false;
          // Not started before (queued, or deferred by a day cap before its first call).
          const syncing = run.startedAt === null ? (await markSyncing(prisma, integration)).events : [];
          deps.publish([...syncing, ...runUpdated(run)]);
          return true;
        })();
        // Awaited when the call settles or is put back; until then a failure must not go unhandled.
        started.catch(() => {});
        return started;
      };

      return {
        announced: () => {
          mayWait = true;
          expectRun = true;
          signals++;
        },
        async next() {
          let backoffUntil: number | null = null;
          const skipped = new Set<string>();
          if (deferred.arrived()) mayWait = true;
          while (mayWait) {
            // Cleared before the query, so an announcement that lands during it is not lost.
            mayWait = false;
            const announced = expectRun;
            expectRun = false;
            const before = signals;
            const found = await nextRun(skipped, announced);
            if (!found) {
              // Backed-off runs are looked at again on the next pick.
              if (skipped.size > 0) mayWait = true;
              break;
            }
            mayWait = true;
            const { run, plan } = found;
            const step = await nextPullStep(deps, run, integration, { plan, fence: claim.fence });
            if (step.kind === "done") {
              deps.publish(await finishRun(prisma, run));
              continue;
            }
            if (step.kind === "backoff") {
              skipped.add(run.id);
              backoffUntil = Math.min(backoffUntil ?? step.until, step.until);
              continue;
            }
            if (run.status === "DEFERRED") deps.publish((await resumeRun(prisma, run)).events);
            busy.add(run.id);
            // The only run due, its page now in flight: the other slots need not look for runs until it
            // settles (done) or one is announced. Their looks came just as a newly arrived run's first
            // call was being recorded, and found nothing. Unless a page settled or work was announced
            // since this look began: what it found is then out of date.
            if (found.others === 0 && skipped.size === 0 && signals === before) mayWait = false;
            return {
              kind: "call",
              lane: run.lane,
              work: { run, step, started: null },
              request: { method: "GET", ...step.request },
              logContext: { runId: run.id },
            };
          }
          const due = [backoffUntil, deferred.at()].filter((at): at is number => at !== null);
          return { kind: "none", dueAt: due.length > 0 ? Math.min(...due) : null };
        },
        // A run's first call goes out at once, its budget granted; its start is written meanwhile
        // (nextPullStep). A run put back before its call is not started.
        calling(work) {
          if (work.step.starting) work.started = start(work.run, work.step.starting);
        },
        async unclaim({ run, started }, denial) {
          done(run);
          if (started && !(await started)) return;
          if (denial?.reason === "day" || denial?.reason === "exportDay")
            deps.publish((await deferRun(prisma, run, denial.waitMs)).events);
        },
        async settle({ run, step, started }, outcome) {
          try {
            // A run cancelled before its start was written: its first page is not applied.
            if (started && !(await started)) return;
            const settlement = settlementOf(outcome, step.cursor.attempts + 1, deps.time);
            switch (settlement.kind) {
              case "done": {
                const page = step.puller.parse(
                  step.context,
                  settlement.body,
                  step.cursor.page,
                  settlement.headers,
                );
                deps.publish(await applyPage(deps, run, step, page, claim.fence));
                break;
              }
              case "requeue":
                if (settlement.dayCapped)
                  deps.publish((await deferRun(prisma, run, settlement.retryAfterMs)).events);
                break;
              case "retry":
                deps.publish(
                  await backOffPage(deps, run, step, settlement.notBefore, settlement.message, claim.fence),
                );
                break;
              case "failed":
                deps.publish(await skipEntity(deps, run, step.cursor, settlement.message, claim.fence));
                break;
            }
          } finally {
            done(run);
          }
        },
      };
    },
  };
}
