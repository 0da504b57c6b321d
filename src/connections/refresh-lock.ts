import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * The lock one process holds while it refreshes an integration's token set, so a refresh happens once
 * however many processes need the token. It expires by itself (a holder that died frees it), and only its
 * holder can renew or release it.
 */

const RELEASE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`;

const RENEW = `
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call("PEXPIRE", KEYS[1], ARGV[2])`;

interface LockCommands {
  credentialsLockRelease(key: string, holder: string): Promise<number>;
  credentialsLockRenew(key: string, holder: string, ttlMs: number): Promise<number>;
}

export interface HeldLock {
  /** Extends the lock by its full lifetime; false when it was lost (expired, taken by another). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export class RefreshLock {
  private readonly redis: Redis & LockCommands;

  constructor(
    redis: Redis,
    readonly ttlMs: number,
  ) {
    redis.defineCommand("credentialsLockRelease", { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand("credentialsLockRenew", { numberOfKeys: 1, lua: RENEW });
    this.redis = redis as Redis & LockCommands;
  }

  /** Takes the lock, or answers null when another process holds it. */
  async tryAcquire(key: string): Promise<HeldLock | null> {
    const holder = randomUUID();
    if ((await this.redis.set(key, holder, "PX", this.ttlMs, "NX")) !== "OK") return null;
    return {
      renew: async () => (await this.redis.credentialsLockRenew(key, holder, this.ttlMs)) === 1,
      release: async () => void (await this.redis.credentialsLockRelease(key, holder)),
    };
  }
}
