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
  /**
   * The keys of an app-wide cap (platforms/catalog.ts, `appCaps`), shared by every integration of the
   * app and taken by budget.lua together with the integration's own. (On a Redis Cluster the script
   * would need both on one slot: the app's {tag} is not the integration's.)
   */
  appBudget(app: string): {
    /** Sliding minute log of the app's calls (ZSET leaseId -> time). */
    minute: string;
    /** Blocked-until after the platform's `appminute` 429 (STRING ms). */
    blocked: string;
    /** Integrations waiting for the app's budget, by lane (ZSET id -> rank * 1e13 + since). */
    waiting: string;
    /** The waiting integrations under their fair share (ZSET id -> rank * 1e13 + since). */
    starving: string;
    /** When each waiting integration's place lapses (ZSET id -> ms). */
    expiry: string;
    /** Integrations that asked for the app's budget, by when they last did (ZSET id -> ms). */
    active: string;
    /** When the app's paced rate has its next unit for an export (STRING ms; budget.lua). */
    pace: string;
  };
  /** The lock an activation holds while it serves an integration. */
  activationLock(integrationId: string): string;
  /** Set by producers of new work, so a releasing activation serves again instead of leaving. */
  activationDirty(integrationId: string): string;
  /** Set while a parked activation waits for its delayed job. */
  activationParked(integrationId: string): string;
  /** The fence of the integration's last activation that let go of it with nothing of its work in flight. */
  activationClean(integrationId: string): string;
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
    appBudget: (app) => {
      const base = `${prefix}:app:{${app}}`;
      return {
        minute: `${base}:minute`,
        blocked: `${base}:blocked`,
        waiting: `${base}:waiting`,
        starving: `${base}:starving`,
        expiry: `${base}:expiry`,
        active: `${base}:active`,
        pace: `${base}:pace`,
      };
    },
    activationLock: (id) => `${integration(id)}:activation`,
    activationDirty: (id) => `${integration(id)}:dirty`,
    activationParked: (id) => `${integration(id)}:parked`,
    activationClean: (id) => `${integration(id)}:clean`,
    credentialsLock: (id) => `${integration(id)}:credentials`,
    activationQueuePrefix: `${prefix}:bq`,
    wakeChannel: `${prefix}:wake`,
    schedulerLease: `${prefix}:scheduler:lease`,
    eventChannel: (topic) => `${prefix}:events:${topic}`,
  };
}
