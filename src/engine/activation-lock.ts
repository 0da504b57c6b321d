import type { Redis } from "ioredis";
import { logger } from "../logger.ts";
import type { RedisKeys } from "../redis/keys.ts";

/**
 * At most one activation serves an integration at a time (it runs that integration's parallel call
 * slots itself). Producers mark the integration dirty before they enqueue an activation; the holder
 * releases the lock only if nothing became dirty meanwhile, atomically, so no wake-up is ever lost:
 * either the new activation gets the lock, or the holder sees the flag and serves again.
 */

const RELEASE_UNLESS_DIRTY = `
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call("EXISTS", KEYS[2]) == 1 then
  redis.call("DEL", KEYS[2])
  return 0
end
redis.call("DEL", KEYS[1])
redis.call("SET", KEYS[3], ARGV[2], "PX", ARGV[3])
return 1`;

/** Takes the lock; answers the fence of the last clean release (false: the lock is held). */
const ACQUIRE = `
if not redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then return false end
return redis.call("GET", KEYS[2]) or ""`;

/** How long a clean release is remembered: an integration idle longer recovers orphans anyway (cheaply). */
const CLEAN_TTL_MS = 86_400_000;

/**
 * Renews every lock in KEYS whose value is still its holder's token (ARGV[1 + i]) for ARGV[1] ms; answers,
 * for each, 1 if renewed and 0 if it was lost (lapsed, or taken by another activation).
 */
const RENEW_MANY = `
local held = {}
for i, key in ipairs(KEYS) do
  if redis.call("GET", key) == ARGV[i + 1] then
    redis.call("PEXPIRE", key, ARGV[1])
    held[i] = 1
  else
    held[i] = 0
  end
end
return held`;

/** Locks renewed by one round trip at most (a script's keys are held in memory at once). */
const RENEW_BATCH = 500;

export type ReleaseOutcome = "released" | "dirty" | "lost";

interface LockCommands {
  activationAcquire(lock: string, clean: string, token: string, ttlMs: number): Promise<string | null>;
  activationRelease(
    lock: string,
    dirty: string,
    clean: string,
    token: string,
    fence: number,
    cleanTtlMs: number,
  ): Promise<number>;
  activationRenewMany(...keysThenArgs: (string | number)[]): Promise<number[]>;
}

/** A lock this process holds, renewed with the others (ActivationLock.keep). */
interface Kept {
  integrationId: string;
  token: string;
  /** Called once if a renewal finds the lock gone. */
  lost: () => void;
}

export class ActivationLock {
  private readonly redis: Redis & LockCommands;
  /** The locks this process holds, by integration: renewed together, every third of the TTL. */
  private readonly kept = new Map<string, Kept>();
  private renewal: NodeJS.Timeout | null = null;
  private renewing = false;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    readonly ttlMs: number,
  ) {
    redis.defineCommand("activationAcquire", { numberOfKeys: 2, lua: ACQUIRE });
    redis.defineCommand("activationRelease", { numberOfKeys: 3, lua: RELEASE_UNLESS_DIRTY });
    redis.defineCommand("activationRenewMany", { lua: RENEW_MANY });
    this.redis = redis as Redis & LockCommands;
  }

  private lockKey(integrationId: string) {
    return this.keys.activationLock(integrationId);
  }

  private dirtyKey(integrationId: string) {
    return this.keys.activationDirty(integrationId);
  }

  /**
   * Takes the integration's lock, or answers null if another activation holds it. Taken, it says the
   * fence of the last activation that released the integration cleanly (`release`), if Redis still
   * knows it: an activation whose fence follows it directly has nothing left in flight to take back.
   */
  async acquire(integrationId: string, token: string): Promise<{ cleanFence: number | null } | null> {
    const clean = await this.redis.activationAcquire(
      this.lockKey(integrationId),
      this.cleanKey(integrationId),
      token,
      this.ttlMs,
    );
    if (clean === null) return null;
    return { cleanFence: clean === "" ? null : Number(clean) };
  }

  private cleanKey(integrationId: string) {
    return this.keys.activationClean(integrationId);
  }

  /**
   * Keeps a lock this process took alive until the returned function is called: every lock the process
   * holds is renewed in one round trip, every third of the TTL (a worker may hold thousands, most of them
   * resting until their budget allows a call; one renewal each would be thousands of round trips a
   * second). `lost` is called once if a renewal finds the lock lapsed or taken.
   */
  keep(integrationId: string, token: string, lost: () => void): () => void {
    const kept: Kept = { integrationId, token, lost };
    // Another activation of this process kept the integration's lock before: this one took it since,
    // so that one lost it (it lapsed under it), and is told.
    const before = this.kept.get(integrationId);
    this.kept.set(integrationId, kept);
    if (before && before.token !== token) before.lost();
    this.renewal ??= setInterval(() => {
      // One renewal at a time: a slow one is not overtaken by the next tick.
      if (this.renewing) return;
      this.renewing = true;
      void this.renewKept().finally(() => {
        this.renewing = false;
      });
    }, this.ttlMs / 3);
    return () => {
      if (this.kept.get(integrationId) === kept) this.kept.delete(integrationId);
      if (this.kept.size === 0 && this.renewal) {
        clearInterval(this.renewal);
        this.renewal = null;
      }
    };
  }

  /** One renewal of every kept lock; a failed round trip is tried again at the next tick (a TTL holds three). */
  private async renewKept(): Promise<void> {
    const kept = [...this.kept.values()];
    for (let start = 0; start < kept.length; start += RENEW_BATCH) {
      const batch = kept.slice(start, start + RENEW_BATCH);
      const held = await this.redis
        .activationRenewMany(
          batch.length,
          ...batch.map(({ integrationId }) => this.lockKey(integrationId)),
          this.ttlMs,
          ...batch.map(({ token }) => token),
        )
        .catch((err: unknown) => {
          logger.warn({ err, locks: batch.length }, "could not renew activation locks; trying again");
          return null;
        });
      if (!held) continue;
      batch.forEach((entry, i) => {
        if (held[i] === 1 || this.kept.get(entry.integrationId) !== entry) return;
        this.kept.delete(entry.integrationId);
        entry.lost();
      });
    }
  }

  /** Clears the dirty flag at the start of a round of picking work: later marks are caught at release. */
  async clearDirty(integrationId: string): Promise<void> {
    await this.redis.del(this.dirtyKey(integrationId));
  }

  private parkedKey(integrationId: string) {
    return this.keys.activationParked(integrationId);
  }

  /** Records that the integration's activation parked itself until `until` (a delayed job will wake it). */
  async markParked(integrationId: string, until: number): Promise<void> {
    await this.redis.set(
      this.parkedKey(integrationId),
      String(until),
      "PX",
      Math.max(1, until - Date.now()) + this.ttlMs,
    );
  }

  /** Whether an activation is running or parked for the integration (so a sweep need not start one). */
  async isAttended(integrationId: string): Promise<boolean> {
    return (await this.redis.exists(this.lockKey(integrationId), this.parkedKey(integrationId))) > 0;
  }

  async markDirty(integrationId: string): Promise<void> {
    await this.redis.set(this.dirtyKey(integrationId), "1", "PX", 86_400_000);
  }

  /**
   * Lets go of the integration unless it became dirty meanwhile. Called once every call slot of the
   * activation holding `fence` has settled or put back what it claimed: a release records that fence as
   * clean, so the next activation need not look for orphans.
   */
  async release(integrationId: string, token: string, fence: number): Promise<ReleaseOutcome> {
    const outcome = await this.redis.activationRelease(
      this.lockKey(integrationId),
      this.dirtyKey(integrationId),
      this.cleanKey(integrationId),
      token,
      fence,
      CLEAN_TTL_MS,
    );
    return outcome === 1 ? "released" : outcome === 0 ? "dirty" : "lost";
  }
}
