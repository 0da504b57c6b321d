import type { Config } from "../config.ts";
import type { Engine } from "../engine/index.ts";
import { type DomainEvent, type Events, publishEvents } from "../events.ts";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { logger } from "../logger.ts";

/**
 * Commands: one function per mutation (DESIGN.md "Layers"). Each validates its input once, makes its
 * change in one transaction, and only after the commit publishes the events the domain returned and
 * tells the engine about new work. Authorization happened before (GraphQL scope-auth); a command throws
 * the domain errors of src/errors.ts and knows nothing of GraphQL.
 */

/** What a command needs from the running process. */
export interface CommandDeps {
  prisma: PrismaClient;
  config: Config;
  events: Events;
  engine: Pick<Engine, "notify">;
}

/** The member a command acts for. */
export interface Actor {
  tenantId: string;
  memberId: string;
}

/** An object named by the caller: its database id, and the id the caller used (for NotFoundError). */
export interface Target {
  id: string;
  globalId: string;
}

export type Tx = Prisma.TransactionClient;

/** What a command's transaction produced. */
export interface Outcome<T> {
  result: T;
  /** What the change caused, published once the transaction has committed. */
  events?: readonly DomainEvent[];
  /** An integration that may have new work, announced to the engine after the commit. */
  notify?: { integrationId: string; preempt?: boolean };
}

/** Runs `work` in one transaction; after the commit, publishes its events and notifies the engine. */
export async function runCommand<T>(deps: CommandDeps, work: (tx: Tx) => Promise<Outcome<T>>): Promise<T> {
  const { result, events = [], notify } = await deps.prisma.$transaction(work, { timeout: 15_000 });
  publishEvents(deps.events, events);
  if (notify) {
    // The change is committed whatever happens here: a lost notice only delays the work until the
    // scheduler's next sweep finds it, so it must not turn a done mutation into an error.
    await deps.engine
      .notify(notify.integrationId, { preempt: notify.preempt })
      .catch((err) => logger.warn({ err, integrationId: notify.integrationId }, "engine not notified"));
  }
  return result;
}
