import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { ActivationLock } from "../../../src/engine/activation-lock.ts";
import { redisKeys } from "../../../src/redis/keys.ts";
import { until } from "../../support/engine.ts";
import { TEST_REDIS_URL } from "../../support/env.ts";

/**
 * An activation that lets go of an integration with nothing in flight says so (its fence, remembered by
 * the lock), so the next one skips looking for orphans; one that never let go (its worker died, its lock
 * lapsed) leaves no such word, and whoever comes next looks.
 */
const prefix = `test:activation-lock:${process.pid}:${randomUUID()}`;
const redis = new Redis(TEST_REDIS_URL);
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe("the activation lock's clean releases", () => {
  it("remembers the fence of a clean release, and nothing for a lock that lapsed", async () => {
    const lock = new ActivationLock(redis, redisKeys(prefix), 200);
    const id = randomUUID();

    const first = await lock.acquire(id, "a");
    expect(first).toEqual({ cleanFence: null });
    expect(await lock.acquire(id, "b")).toBeNull();
    expect(await lock.release(id, "a", 7)).toBe("released");

    expect(await lock.acquire(id, "c")).toEqual({ cleanFence: 7 });
    // Work announced while it served: it serves again, and its fence is not recorded as clean yet.
    await lock.markDirty(id);
    expect(await lock.release(id, "c", 8)).toBe("dirty");
    expect(await redis.get(redisKeys(prefix).activationClean(id))).toBe("7");

    // Its worker dies holding the lock: the lock lapses, and the next activation is told of fence 7 only,
    // not of 8, whose work may still be in flight (it will take fence 9 and look for orphans).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await lock.acquire(id, "d")).toEqual({ cleanFence: 7 });
    // A release by a holder whose lock lapsed and was taken over changes nothing.
    expect(await lock.release(id, "c", 8)).toBe("lost");
    expect(await redis.get(redisKeys(prefix).activationClean(id))).toBe("7");
  });
});

describe("the locks a process keeps", () => {
  it("renews them all, and says which one it lost", async () => {
    // A TTL of 1.5 s, renewed every third of it.
    const lock = new ActivationLock(redis, redisKeys(prefix), 1500);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const lost: string[] = [];
    const unkeep = await Promise.all(
      ids.map(async (id) => {
        expect(await lock.acquire(id, `token-${id}`)).not.toBeNull();
        return lock.keep(id, `token-${id}`, () => lost.push(id));
      }),
    );
    // Two TTLs later every lock is still held: renewed, not lapsed.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const id of ids) expect(await lock.acquire(id, "other")).toBeNull();
    expect(lost).toEqual([]);

    // One lapses and another activation takes it: a renewal finds it taken, and says so once.
    const [stolen, kept, released] = ids as [string, string, string];
    await redis.set(redisKeys(prefix).activationLock(stolen), "thief", "PX", 10_000);
    await until("the taken lock reported", () => lost.length > 0, 5000);
    expect(lost).toEqual([stolen]);
    expect(await redis.get(redisKeys(prefix).activationLock(stolen))).toBe("thief");

    // A lock no longer kept lapses; the others are still renewed meanwhile.
    unkeep[2]!();
    await until("the lock let go lapses", async () => (await lock.acquire(released, "next")) !== null, 5000);
    expect(await lock.acquire(kept, "other")).toBeNull();
    expect(lost).toEqual([stolen]);
    unkeep[1]!();
  });
});
