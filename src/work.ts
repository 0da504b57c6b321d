import type { Config } from "./config.ts";
import type { Connections } from "./connections/index.ts";
import type { Database } from "./db/client.ts";
import { engineStore } from "./db/engine-store.ts";
import type { EngineWork } from "./engine/index.ts";
import { type Events, publishEvents, StateEventThrottle } from "./events.ts";
import { SERVABLE } from "./integrations/integration-state.ts";
import { pushSource } from "./push/push-source.ts";
import { SettledPublisher } from "./records/settled.ts";
import { exportSource } from "./sync/export-source.ts";
import { pullSource } from "./sync/pull-source.ts";
import { queueDueRuns } from "./sync/schedules.ts";
import type { WorkDeps } from "./sync/work-deps.ts";

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
    time: config.time,
    publish: (list) => settled.send(list),
  };
  return {
    sources: [pullSource(deps), pushSource(deps), exportSource(deps)],
    servable: (integrationId) =>
      db.prisma.integration.findFirst({ where: { id: integrationId, status: { in: SERVABLE } } }),
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
    store: engineStore(db.sql),
    // Each call's token: refreshed once per integration across every process, the engine knowing no OAuth.
    credentials: connections.credentials,
  };
}
