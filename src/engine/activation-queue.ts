import BeeQueue from "bee-queue";

/**
 * bee-queue queues of activation jobs, each saying "serve integration C" (DESIGN.md: not a queue per
 * integration; every bee-queue Queue holds its own Redis connections): one for the fleet, and an urgent
 * one for work above the EXPORT lane, with worker slots of its own (engine/index.ts). Jobs carry no work: the
 * work is in PostgreSQL, so a lost job is recovered by the scheduler's sweep, never lost data.
 */
export interface ActivationJob {
  integrationId: string;
  /**
   * The activation that parked and enqueued this job left a source's work waiting for budget (it parked
   * on the budget's refusal of it): that source's new session asks the budget before it claims
   * (WorkSource.open).
   */
  budgetWait?: BudgetWait;
}

/** A source's work the budget refused, as the activation that parked with it left it. */
export interface BudgetWait {
  source: string;
}

export interface ActivationQueueOptions {
  /** "activations", or "urgent" for work above the EXPORT lane (engine/index.ts). */
  name: string;
  redisUrl: string;
  /** bee-queue's key prefix (RedisKeys.activationQueuePrefix). */
  prefix: string;
  /** Workers process jobs and move due delayed jobs; producers only add jobs. */
  worker: boolean;
}

export function createActivationQueue(options: ActivationQueueOptions): BeeQueue<ActivationJob> {
  return new BeeQueue<ActivationJob>(options.name, {
    prefix: options.prefix,
    redis: { url: options.redisUrl },
    isWorker: options.worker,
    getEvents: false,
    sendEvents: false,
    storeJobs: false,
    removeOnSuccess: true,
    removeOnFailure: true,
    activateDelayedJobs: options.worker,
    // Parked activations wake at their budget's reset; the default 1 s debounce would blur that in
    // compressed time, where a "minute" may be a second.
    delayedDebounce: 5,
    nearTermWindow: 60_000,
    stallInterval: 5_000,
  });
}

/**
 * Enqueues an activation now, or at `at` (ms since epoch) for a parked integration, with the work it
 * parked with, refused by the budget (ActivationJob.budgetWait).
 */
export async function enqueueActivation(
  queue: BeeQueue<ActivationJob>,
  integrationId: string,
  at?: number,
  budgetWait?: BudgetWait,
): Promise<void> {
  const job = queue.createJob(budgetWait === undefined ? { integrationId } : { integrationId, budgetWait });
  if (at !== undefined && at > Date.now()) job.delayUntil(at);
  await job.save();
}
