import type BeeQueue from "bee-queue";
import type { Redis } from "ioredis";
import type { Config } from "../config.ts";
import type { SqlPool } from "../db/client.ts";
import type { Events } from "../events.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { logger } from "../logger.ts";
import { createRedisClient } from "../redis.ts";
import { ActivationLock } from "./activation-lock.ts";
import { type ActivationJob, createActivationQueue } from "./activation-queue.ts";
import { CallBudget } from "./budget.ts";
import { Dispatcher } from "./dispatcher.ts";
import { LiveReader } from "./live-read.ts";
import { Scheduler } from "./scheduler.ts";
import { WakeHub } from "./wake.ts";

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

export async function startEngine(options: {
  config: Config;
  prisma: PrismaClient;
  sql: SqlPool;
  redisUrl: string;
  events: Events;
  worker: boolean;
  scheduler: boolean;
}): Promise<Engine> {
  const { config } = options;
  const prefix = config.redisPrefix;
  const clients: Redis[] = [];
  const client = (name: string) => {
    const redis = createRedisClient(options.redisUrl, name);
    clients.push(redis);
    return redis;
  };
  const commands = client("engine");
  const queue: BeeQueue<ActivationJob> = createActivationQueue({
    redisUrl: options.redisUrl,
    prefix,
    worker: options.worker,
  });
  await queue.ready();
  const wake = new WakeHub(client("wake-subscriber"), commands, `${prefix}:wake`);
  if (options.worker) await wake.start();
  const budget = new CallBudget(commands, {
    prefix: `${prefix}:budget`,
    time: config.time,
    guardMs: config.engine.windowGuardMs,
    // A lease outlives any call (calls time out before), and frees a killed worker's slot soon after.
    leaseTtlMs: config.engine.callTimeoutMs * 2,
  });
  const lock = new ActivationLock(commands, prefix, config.engine.lockTtlMs);
  const dispatcher = new Dispatcher({
    prisma: options.prisma,
    sql: options.sql,
    config,
    budget,
    lock,
    wake,
    queue,
    events: options.events,
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
      prisma: options.prisma,
      redis: commands,
      prefix,
      intervalMs: config.engine.sweepIntervalMs,
      time: config.time,
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
      await scheduler?.stop();
      // Waits for running activations to finish their current call before closing.
      await queue
        .close(10_000)
        .catch((err) => logger.warn({ err }, "activation queue did not close cleanly"));
      await Promise.all(clients.map((redis) => redis.quit().catch(() => redis.disconnect())));
    },
  };
}
