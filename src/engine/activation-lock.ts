import type { Redis } from "ioredis";
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

const RENEW = `
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return 1`;

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
  activationRenew(lock: string, token: string, ttlMs: number): Promise<number>;
}

export class ActivationLock {
  private readonly redis: Redis & LockCommands;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    readonly ttlMs: number,
  ) {
    redis.defineCommand("activationAcquire", { numberOfKeys: 2, lua: ACQUIRE });
    redis.defineCommand("activationRelease", { numberOfKeys: 3, lua: RELEASE_UNLESS_DIRTY });
    redis.defineCommand("activationRenew", { numberOfKeys: 1, lua: RENEW });
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

  async renew(integrationId: string, token: string): Promise<boolean> {
    return (await this.redis.activationRenew(this.lockKey(integrationId), token, this.ttlMs)) === 1;
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
