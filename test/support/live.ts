import { Redis } from "ioredis";
import { TEST_REDIS_URL } from "./env.ts";

/**
 * Waits until `count` subscribers listen on a Redis channel, so a test publishes only once the
 * subscription is really in place (a condition, not a sleep).
 */
export async function waitForRedisSubscribers(channel: string, count = 1, timeoutMs = 5000): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const [, subscribers] = (await redis.pubsub("NUMSUB", channel)) as [string, number];
      if (Number(subscribers) >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no subscriber on ${channel} after ${timeoutMs} ms`);
  } finally {
    redis.disconnect();
  }
}

/** Reads `text/event-stream` events from a fetch response body, yielding each `data:` payload parsed. */
export async function* readServerSentEvents<T>(response: Response): AsyncGenerator<T> {
  if (!response.body) throw new Error("response has no body");
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let boundary = buffer.indexOf("\n\n");
    while (boundary >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trim())
        .join("\n");
      if (data) yield JSON.parse(data) as T;
      boundary = buffer.indexOf("\n\n");
    }
  }
}
