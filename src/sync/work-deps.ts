import type { Database, SqlPool } from "../db/client.ts";
import type { DomainEvent } from "../events.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { TimeScale } from "../time.ts";

/** What the domain's work sources need from the process (app.ts builds it). */
export interface WorkDeps {
  prisma: PrismaClient;
  /** Raw SQL on the pool, for the statements made once per call. */
  sql: SqlPool;
  /**
   * Raw SQL on a few connections of their own (Database.urgentSql), for reads on the way to the first
   * call of newly announced work (a run, most likely): `sql` queues behind a draining fleet's claims.
   */
  urgentSql: SqlPool;
  /** One transaction of raw SQL (Database.transaction), for writes made per call (a pull's page). */
  transaction: Database["transaction"];
  time: TimeScale;
  /** Publishes events once the change that caused them has committed. */
  publish(events: readonly DomainEvent[]): void;
}
