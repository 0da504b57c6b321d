import type { Config } from "./config.ts";
import type { Database } from "./db/client.ts";
import type { EngineWork } from "./engine/index.ts";
import { type Events, publishEvents } from "./events.ts";
import { SERVABLE } from "./integrations/integration-state.ts";
import { pushSource } from "./push/push-source.ts";
import { exportSource } from "./sync/export-source.ts";
import { pullSource } from "./sync/pull-source.ts";
import { queueDueRuns } from "./sync/schedules.ts";
import type { WorkDeps } from "./sync/work-deps.ts";

/**
 * What syncline's engine serves: the domain's work sources (pull runs, push packets, the outbox), when
 * an integration may be served, and what the scheduler queues. The one place the generic engine and
 * the domain meet.
 */
export function engineWork(config: Config, db: Database, events: Events): EngineWork {
  const deps: WorkDeps = {
    prisma: db.prisma,
    sql: db.sql,
    time: config.time,
    publish: (list) => publishEvents(events, list),
  };
  return {
    sources: [pullSource(deps), pushSource(deps), exportSource(deps)],
    servable: (integrationId) =>
      db.prisma.integration.findFirst({ where: { id: integrationId, status: { in: SERVABLE } } }),
    queueDue: () => queueDueRuns(db.prisma, config.time),
    afterCall: (integrationId) => deps.publish([{ topic: "queueProgress", integrationId }]),
  };
}
