import type BeeQueue from "bee-queue";
import type { Redis } from "ioredis";
import type { Config } from "../config.ts";
import type { Integration } from "../generated/prisma/client.ts";
import { logger } from "../logger.ts";
import { createRedisClient } from "../redis/client.ts";
import { redisKeys } from "../redis/keys.ts";
import { ActivationLock } from "./activation-lock.ts";
import { type ActivationJob, createActivationQueue } from "./activation-queue.ts";
import type { CallCredentials } from "./credentials.ts";
import { Dispatcher } from "./dispatcher.ts";
import { LiveReader } from "./live-read.ts";
import { CallBudget } from "./rate-limit/budget.ts";
import { Scheduler } from "./scheduler.ts";
import type { EngineStore } from "./store.ts";
import { WakeHub } from "./wake.ts";
import type { WorkSource } from "./work-source.ts";

/**
 * The dispatch engine as one process sees it. Every role can announce work (`notify`); the worker role
 * also serves activations; the scheduler role also sweeps for work that lost its activation.
 */
export interface Engine {
  budget: CallBudget;
  dispatcher: Dispatcher;
  /** Provider reads made while a user waits, in the INTERACTIVE lane (any role may make them). */
  live: LiveReader;
  /**
   * Announces new work for an integration (after the transaction that queued it has committed).
   * `preempt: false` for exports: they need not wake slots that sleep for export budget.
   */
  notify(integrationId: string, options?: { preempt?: boolean }): Promise<void>;
  scheduler?: Scheduler;
  close(): Promise<void>;
}

/** What the domain gives the engine: its work, and when an integration may be served. */
export interface EngineWork {
  sources: readonly WorkSource[];
  /** The integration if it may be served now (not paused or disconnected), else null. */
  servable(integrationId: string, options?: { urgent?: boolean }): Promise<Integration | null>;
  /** Queues scheduled work that is due; returns the integrations that got some. */
  queueDue(): Promise<string[]>;
  /** Called after every provider call an activation made for the integration. */
  afterCall(integrationId: string): void;
  /** The engine's durable state in PostgreSQL: fencing tokens and the call ledger. */
  store: EngineStore;
  /** The secret each call carries (the engine knows no OAuth: refreshes happen behind this). */
  credentials: CallCredentials;
  /** The domain's housekeeping (pruning what is past its retention), on the scheduler leader's ticks. */
  housekeep?: () => Promise<void>;
}

export async function startEngine(options: {
  config: Config;
  redisUrl: string;
  work: EngineWork;
  worker: boolean;
  scheduler: boolean;
}): Promise<Engine> {
  const { config, work } = options;
  const keys = redisKeys(config.redisPrefix);
  const clients: Redis[] = [];
  const client = (name: string) => {
    const redis = createRedisClient(options.redisUrl, name);
    clients.push(redis);
    return redis;
  };
  const commands = client("engine");
  const queueOf = (name: string, worker: boolean): BeeQueue<ActivationJob> =>
    createActivationQueue({ name, redisUrl: options.redisUrl, prefix: keys.activationQueuePrefix, worker });
  // Work above the EXPORT lane is announced on a queue of its own with slots of its own, so a run that
  // arrives never waits behind the activations of a fleet draining exports (at 2,000 integrations on two
  // workers, about 1,600 of them queued at any moment: a DAILY run waited 43 s for its activation).
  // Jobs are added through queues that only add, and taken through queues that only take (worker
  // role): a stopping worker stops taking jobs at once, while its activations resting in place, which
  // hold no job, still hand their integrations back to the queue as they end.
  const queue = queueOf("activations", false);
  const urgent = queueOf("urgent", false);
  const taking = options.worker ? [queueOf("activations", true), queueOf("urgent", true)] : [];
  await Promise.all([queue, urgent, ...taking].map((q) => q.ready()));
  const wake = new WakeHub(client("wake-subscriber"), commands, keys.wakeChannel);
  if (options.worker) await wake.start();
  const lapseMs = config.engine.heartbeatLapseMs;
  const budget = new CallBudget(commands, {
    prefix: config.redisPrefix,
    time: config.time,
    guardMs: config.engine.windowGuardMs,
    // Leases of calls in flight are renewed every third of the lapse (the heartbeat): a killed worker's
    // slots free within one lapse, however long its calls were allowed to take.
    leaseTtlMs: lapseMs,
    renewEveryMs: lapseMs / 3,
    ledger: work.store.ledger,
    callTimeoutMs: config.engine.callTimeoutMs,
  });
  const lock = new ActivationLock(commands, keys, lapseMs);
  const dispatcher = new Dispatcher({
    config,
    budget,
    lock,
    fences: work.store.fences,
    wake,
    queue,
    urgent,
    sources: work.sources,
    servable: work.servable,
    afterCall: work.afterCall,
    credentials: work.credentials,
  });

  if (options.worker) {
    const serve = (options: { urgent: boolean }) => async (job: BeeQueue.Job<ActivationJob>) => {
      await dispatcher.serve(job.data.integrationId, { ...options, budgetWait: job.data.budgetWait });
    };
    const [fleet, urgentTaking] = taking as [BeeQueue<ActivationJob>, BeeQueue<ActivationJob>];
    fleet.process(config.engine.workerConcurrency, serve({ urgent: false }));
    urgentTaking.process(urgentSlots(config.engine.workerConcurrency), serve({ urgent: true }));
  }
  for (const q of [queue, urgent, ...taking])
    q.on("error", (err) => logger.error({ err }, "activation queue error"));

  let scheduler: Scheduler | undefined;
  if (options.scheduler) {
    scheduler = new Scheduler({
      redis: commands,
      leaseKey: keys.schedulerLease,
      intervalMs: config.engine.sweepIntervalMs,
      queueDue: work.queueDue,
      integrationsWithWork: async () => [
        ...new Set((await Promise.all(work.sources.map((s) => s.integrationsWithWork()))).flat()),
      ],
      activate: (integrationId) => dispatcher.activateIfUnattended(integrationId),
      announce: (integrationId) => dispatcher.notify(integrationId),
      housekeep: housekeeping(ledgerPruner(work.store, config), work.housekeep),
    });
    scheduler.start();
  }

  return {
    budget,
    dispatcher,
    live: new LiveReader({
      budget,
      config,
      credentials: work.credentials,
      maxWaitMs: config.engine.callTimeoutMs,
    }),
    scheduler,
    notify: (integrationId, notifyOptions) => dispatcher.notify(integrationId, notifyOptions),
    close: async () => {
      // Graceful: no new call starts; calls in flight finish (a call never outlives its timeout) and
      // settle, and their integrations go back to the queue for other workers.
      dispatcher.drain();
      await scheduler?.stop();
      const graceMs = config.engine.callTimeoutMs + 5_000;
      const closeQueues = (queues: BeeQueue<ActivationJob>[]) =>
        Promise.all(
          queues.map((q) =>
            q.close(graceMs).catch((err) => logger.warn({ err }, "activation queue did not close cleanly")),
          ),
        );
      // No job is taken from here on; the activations of jobs taken end (and hand their work back).
      await closeQueues(taking);
      // So do the activations resting in place, which hold no job: they hand their integrations back
      // through the queues that add, closed after them.
      if (!(await dispatcher.settled(graceMs)))
        logger.warn("activations still running after the grace period; their locks will lapse");
      await closeQueues([queue, urgent]);
      await budget.close();
      await Promise.all(clients.map((redis) => redis.quit().catch(() => redis.disconnect())));
    },
  };
}

/** The engine's housekeeping, then the domain's; a failure of one does not skip the other. */
function housekeeping(...tasks: (undefined | (() => Promise<void>))[]): () => Promise<void> {
  return async () => {
    for (const task of tasks) {
      await task?.().catch((err) => logger.error({ err }, "housekeeping failed"));
    }
  };
}

/**
 * Prunes the call ledger once a platform hour: a rebuild needs today's calls and the last minute's, so
 * rows older than two platform days are never read again.
 */
function ledgerPruner(store: EngineStore, config: Config): () => Promise<void> {
  const { dayMs } = config.time;
  let last = 0;
  return async () => {
    if (Date.now() - last < dayMs / 24) return;
    last = Date.now();
    const pruned = await store.ledger.prune(Date.now() - 2 * dayMs);
    if (pruned > 0) logger.debug({ pruned }, "pruned the call ledger");
  };
}

/** Worker slots for urgent activations (work above the EXPORT lane), beside the export fleet's. */
function urgentSlots(workerConcurrency: number): number {
  return Math.max(10, Math.ceil(workerConcurrency / 4));
}
