import type BeeQueue from "bee-queue";
import type { Redis } from "ioredis";
import type { Config } from "../config.ts";
import type { Integration } from "../generated/prisma/client.ts";
import { logger } from "../logger.ts";
import { createRedisClient } from "../redis/client.ts";
import { redisKeys } from "../redis/keys.ts";
import { ActivationLock } from "./activation-lock.ts";
import { type ActivationJob, createActivationQueue } from "./activation-queue.ts";
import { Dispatcher } from "./dispatcher.ts";
import { LiveReader } from "./live-read.ts";
import { CallBudget } from "./rate-limit/budget.ts";
import { Scheduler } from "./scheduler.ts";
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
  servable(integrationId: string): Promise<Integration | null>;
  /** Queues scheduled work that is due; returns the integrations that got some. */
  queueDue(): Promise<string[]>;
  /** Called after every provider call an activation made for the integration. */
  afterCall(integrationId: string): void;
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
  const queue: BeeQueue<ActivationJob> = createActivationQueue({
    redisUrl: options.redisUrl,
    prefix: keys.activationQueuePrefix,
    worker: options.worker,
  });
  await queue.ready();
  const wake = new WakeHub(client("wake-subscriber"), commands, keys.wakeChannel);
  if (options.worker) await wake.start();
  const budget = new CallBudget(commands, {
    prefix: config.redisPrefix,
    time: config.time,
    guardMs: config.engine.windowGuardMs,
    // A lease outlives any call (calls time out before), and frees a killed worker's slot soon after.
    leaseTtlMs: config.engine.callTimeoutMs * 2,
  });
  const lock = new ActivationLock(commands, keys, config.engine.lockTtlMs);
  const dispatcher = new Dispatcher({
    config,
    budget,
    lock,
    wake,
    queue,
    sources: work.sources,
    servable: work.servable,
    afterCall: work.afterCall,
  });

  if (options.worker) {
    queue.process(config.engine.workerConcurrency, async (job) => {
      await dispatcher.serve(job.data.integrationId);
    });
    queue.on("error", (err) => logger.error({ err }, "activation queue error"));
  }

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
    });
    scheduler.start();
  }

  return {
    budget,
    dispatcher,
    live: new LiveReader({ budget, config, maxWaitMs: config.engine.callTimeoutMs }),
    scheduler,
    notify: (integrationId, notifyOptions) => dispatcher.notify(integrationId, notifyOptions),
    close: async () => {
      // Graceful: no new call starts; calls in flight finish (a call never outlives its timeout) and
      // settle, and their integrations go back to the queue for other workers.
      dispatcher.drain();
      await scheduler?.stop();
      await queue
        .close(config.engine.callTimeoutMs + 5_000)
        .catch((err) => logger.warn({ err }, "activation queue did not close cleanly"));
      await Promise.all(clients.map((redis) => redis.quit().catch(() => redis.disconnect())));
    },
  };
}
