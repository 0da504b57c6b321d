import type { Config } from "./config.ts";
import type { Connections } from "./connections/index.ts";
import type { Database, SqlPool } from "./db/client.ts";
import { engineStore } from "./db/engine-store.ts";
import type { EngineWork } from "./engine/index.ts";
import { type Events, publishEvents, StateEventThrottle } from "./events.ts";
import { servableIntegration } from "./integrations/integration-state.ts";
import { logger } from "./logger.ts";
import { pushSource } from "./push/push-source.ts";
import { pruneTombstones } from "./records/retention.ts";
import { SettledPublisher } from "./records/settled.ts";
import { withExportDayNotice } from "./sync/export-budget.ts";
import { exportSource } from "./sync/export-source.ts";
import { pullSource } from "./sync/pull-source.ts";
import { queueDueRuns } from "./sync/schedules.ts";
import type { WorkDeps } from "./sync/work-deps.ts";
import { pruneDeliveries } from "./webhooks/retention.ts";

/**
 * What syncline's engine serves: the domain's work sources (pull runs, push packets, the outbox), when
 * an integration may be served, and what the scheduler queues. The one place the generic engine and
 * the domain meet.
 */
export function engineWork(
  config: Config,
  db: Database,
  events: Events,
  connections: Connections,
): EngineWork {
  // State events (an integration's queue figures, a run's progress) go out a few times a second at
  // most per integration or run, the last of a burst always; transitions at once.
  const throttle = new StateEventThrottle((list) => publishEvents(events, list), config.live.stateIntervalMs);
  // A page's recordsChanged event goes out once its changes can be read by cursor.
  const settled = new SettledPublisher(db.sql, (list) => throttle.send(list));
  const deps: WorkDeps = {
    prisma: db.prisma,
    sql: db.sql,
    urgentSql: db.urgentSql,
    transaction: (work) => db.transaction(work),
    time: config.time,
    publish: (list) => settled.send(list),
  };
  return {
    sources: [pullSource(deps), pushSource(deps), withExportDayNotice(exportSource(deps), deps)],
    // The look that follows an announcement (a run arrived, most likely) does not queue behind the fleet's.
    servable: (integrationId, options) =>
      servableIntegration(options?.urgent ? db.urgentSql : db.sql, integrationId),
    queueDue: async () => {
      // Authorizations a disconnect or a one-off sync left behind are revoked on the same sweep.
      const [due] = await Promise.all([
        queueDueRuns(db.prisma, config.time),
        connections.release.releaseDue(),
      ]);
      return due;
    },
    afterCall: (integrationId) => deps.publish([{ topic: "queueProgress", integrationId }]),
    // Fencing tokens and the call ledger, in PostgreSQL.
    store: engineStore(db.sql, db.urgentSql),
    // Each call's token: refreshed once per integration across every process, the engine knowing no OAuth.
    credentials: connections.credentials,
    housekeep: retentionPruner(config, db.sql),
  };
}

/** Real ms of pruning per scheduler tick at most, so the sweep it shares the tick with is never held up. */
const PRUNE_SLICE_MS = 500;

/**
 * Prunes what is past its retention once a platform hour (config.retention): webhook deliveries that are
 * over, with their attempts, then tombstones. Each runs in batches; a pass that does not finish within its
 * slice goes on at the next tick (both keep where they stopped).
 */
function retentionPruner(config: Config, sql: SqlPool): () => Promise<void> {
  const { dayMs } = config.time;
  let nextPassAt = 0;
  return async () => {
    const now = Date.now();
    if (now < nextPassAt) return;
    const deadline = now + PRUNE_SLICE_MS;
    const deliveries = await pruneDeliveries(sql, new Date(now - config.retention.webhookDays * dayMs), {
      deadline,
    });
    const tombstones = deliveries.done
      ? await pruneTombstones(sql, new Date(now - config.retention.tombstoneDays * dayMs), { deadline })
      : { deleted: 0, done: false };
    if (deliveries.done && tombstones.done) nextPassAt = now + dayMs / 24;
    if (deliveries.deleted + tombstones.deleted > 0)
      logger.info(
        { deliveries: deliveries.deleted, tombstones: tombstones.deleted },
        "pruned what is past its retention",
      );
  };
}
