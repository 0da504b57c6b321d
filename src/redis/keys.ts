/**
 * Every Redis key and channel syncline uses, in one place. Keys of one integration share a
 * {hash tag} (its id), so on a Redis Cluster they live on one slot and its Lua scripts stay atomic.
 * `prefix` is the deployment's SYNCLINE_REDIS_PREFIX, so several deployments (or test files) can
 * share one Redis.
 */
export interface RedisKeys {
  /** The call budget's keys of one integration, in the order budget.lua takes them. */
  budget(integrationId: string): {
    leases: string;
    minute: string;
    exportMinute: string;
    day: string;
    blocked: string;
    waiters: string;
    /** The platform's own remaining figures, as its headers last said. */
    platform: string;
  };
  /** The lock an activation holds while it serves an integration. */
  activationLock(integrationId: string): string;
  /** Set by producers of new work, so a releasing activation serves again instead of leaving. */
  activationDirty(integrationId: string): string;
  /** Set while a parked activation waits for its delayed job. */
  activationParked(integrationId: string): string;
  /** Held by the one process refreshing the integration's access token; the others wait for its result. */
  credentialsLock(integrationId: string): string;
  /** bee-queue's own key prefix for the activation queue. */
  activationQueuePrefix: string;
  /** Pub/sub channel announcing new work (wakes sleeping call slots). */
  wakeChannel: string;
  /** The scheduler role's leader lease. */
  schedulerLease: string;
  /** Pub/sub channel of one GraphQL subscription topic. */
  eventChannel(topic: string): string;
}

export function redisKeys(prefix: string): RedisKeys {
  const integration = (id: string) => `${prefix}:{${id}}`;
  return {
    budget: (id) => {
      const base = `${prefix}:budget:{${id}}`;
      return {
        leases: `${base}:leases`,
        minute: `${base}:minute`,
        exportMinute: `${base}:xminute`,
        day: `${base}:day`,
        blocked: `${base}:blocked`,
        waiters: `${base}:waiters`,
        platform: `${base}:platform`,
      };
    },
    activationLock: (id) => `${integration(id)}:activation`,
    activationDirty: (id) => `${integration(id)}:dirty`,
    activationParked: (id) => `${integration(id)}:parked`,
    credentialsLock: (id) => `${integration(id)}:credentials`,
    activationQueuePrefix: `${prefix}:bq`,
    wakeChannel: `${prefix}:wake`,
    schedulerLease: `${prefix}:scheduler:lease`,
    eventChannel: (topic) => `${prefix}:events:${topic}`,
  };
}
