import { describe, expect, it } from "vitest";
import { type LogSource, LogSubscription, SharedLog, StreamEnd } from "../../../src/graphql/live/log.ts";

/** Transition streams without a database: the log is an array, its reads counted. */
interface Entry {
  eventSequence: number;
  packet: string;
}

function logOf(count: number) {
  const entries: Entry[] = [];
  const source: LogSource<Entry> & { reads: number; append(): Entry } = {
    reads: 0,
    async readAfter(after, limit) {
      source.reads++;
      return entries.filter((e) => e.eventSequence > after).slice(0, limit);
    },
    async head() {
      return entries.length;
    },
    append() {
      const entry = { eventSequence: entries.length + 1, packet: `p${entries.length + 1}` };
      entries.push(entry);
      return entry;
    },
  };
  for (let i = 0; i < count; i++) source.append();
  return source;
}

async function take(subscription: LogSubscription<Entry>, count: number) {
  const seen: (Entry | StreamEnd)[] = [];
  for (let i = 0; i < count; i++) {
    const { value, done } = await subscription.next();
    if (done) break;
    seen.push(value);
  }
  return seen;
}

const sequences = (items: (Entry | StreamEnd)[]) =>
  items.map((item) =>
    item instanceof StreamEnd ? `end:${item.reason}@${item.afterSequence}` : item.eventSequence,
  );

const settle = () => new Promise((resolve) => setTimeout(resolve, 80));

describe("a transition stream", () => {
  it("replays what the subscriber missed, then follows live, each entry once and in order", async () => {
    const source = logOf(5);
    const shared = new SharedLog(source, 100);
    await shared.start();
    const late = new LogSubscription(shared, 2, 100, () => {});
    shared.subscribers.add(late);
    expect(sequences(await take(late, 3))).toEqual([3, 4, 5]);
    shared.event(source.append());
    shared.event(source.append());
    expect(sequences(await take(late, 2))).toEqual([6, 7]);
  });

  it("puts events that arrive out of order back in order, without reading the database", async () => {
    const source = logOf(0);
    const shared = new SharedLog(source, 100);
    await shared.start();
    const subscriber = new LogSubscription(shared, 0, 100, () => {});
    shared.subscribers.add(subscriber);
    const [first, second, third] = [source.append(), source.append(), source.append()];
    const reads = source.reads;
    shared.event(third!);
    shared.event(first!);
    shared.event(second!);
    expect(sequences(await take(subscriber, 3))).toEqual([1, 2, 3]);
    expect(source.reads).toBe(reads);
  });

  it("reads an event that never arrives from the database once, for every subscriber", async () => {
    const source = logOf(0);
    const shared = new SharedLog(source, 100);
    await shared.start();
    const subscribers = Array.from({ length: 50 }, () => {
      const subscription = new LogSubscription(shared, 0, 100, () => {});
      shared.subscribers.add(subscription);
      return subscription;
    });
    source.append(); // lost on the way (a Redis subscription that dropped it)
    const reads = source.reads;
    shared.event(source.append());
    await settle();
    expect(source.reads - reads).toBe(1);
    for (const subscriber of subscribers) expect(sequences(await take(subscriber, 2))).toEqual([1, 2]);
  });

  it("re-reads from the database when told events may have been missed", async () => {
    const source = logOf(0);
    const shared = new SharedLog(source, 100);
    await shared.start();
    const subscriber = new LogSubscription(shared, 0, 100, () => {});
    shared.subscribers.add(subscriber);
    source.append();
    source.append();
    shared.gap();
    expect(sequences(await take(subscriber, 2))).toEqual([1, 2]);
  });

  it("closes a subscriber that falls more than its limit behind, telling it where to resume, and only it", async () => {
    const source = logOf(0);
    const shared = new SharedLog(source, 100);
    await shared.start();
    const overflowed: StreamEnd[] = [];
    // Stalled the moment it stops asking (in production: after a second without a pull).
    const slow = new LogSubscription(shared, 0, 10, (end) => overflowed.push(end), 0);
    const healthy = new LogSubscription(shared, 0, 10, () => {});
    shared.subscribers.add(slow);
    shared.subscribers.add(healthy);
    const healthySeen: number[] = [];
    const reading = (async () => {
      for (;;) {
        const { value, done } = await healthy.next();
        if (done || value instanceof StreamEnd) return;
        healthySeen.push(value.eventSequence);
        if (value.eventSequence === 30) return;
      }
    })();
    shared.event(source.append());
    expect(sequences(await take(slow, 1))).toEqual([1]);
    // The slow one stops reading; the healthy one keeps up.
    for (let i = 0; i < 29; i++) {
      shared.event(source.append());
      await new Promise((resolve) => setImmediate(resolve));
    }
    await reading;
    expect(healthySeen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(overflowed).toHaveLength(1);
    expect(overflowed[0]).toMatchObject({ reason: "overflow", afterSequence: 1 });
    expect(sequences(await take(slow, 5))).toEqual(["end:overflow@1"]);
    // Resuming from its sequence, it gets the rest, once.
    const resumed = new LogSubscription(shared, 1, 100, () => {});
    shared.subscribers.add(resumed);
    expect(sequences(await take(resumed, 29))).toEqual(Array.from({ length: 29 }, (_, i) => i + 2));
  });

  it("lets a subscriber that keeps taking entries fall behind a burst, and catch up from the database", async () => {
    const source = logOf(0);
    const shared = new SharedLog(source, 20);
    await shared.start();
    const overflowed: StreamEnd[] = [];
    const subscriber = new LogSubscription(shared, 0, 10, (end) => overflowed.push(end), 200);
    shared.subscribers.add(subscriber);
    const first = subscriber.next();
    // 200 moves in one commit (a push's packets created and mapped), far past the window and the limit.
    for (let i = 0; i < 200; i++) source.append();
    shared.gap();
    const head = (await first).value!;
    const rest = await take(subscriber, 199);
    expect(sequences([head, ...rest])).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(overflowed).toHaveLength(0);
  });
});

describe("subscribers arriving late, all at once", () => {
  it("replay from the node's window, read once when the log is first listened to", async () => {
    const source = logOf(300);
    const shared = new SharedLog(source, 1000);
    await shared.start();
    const reads = source.reads;
    const late = Array.from({ length: 100 }, () => {
      const subscription = new LogSubscription(shared, 0, 10, () => {});
      shared.subscribers.add(subscription);
      return subscription;
    });
    for (const subscription of late)
      expect(sequences(await take(subscription, 300))).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(source.reads).toBe(reads);
  });

  it("share the database pages they need further back than the window", async () => {
    const source = logOf(300);
    const shared = new SharedLog(source, 100);
    await shared.start();
    const reads = source.reads;
    const late = Array.from({ length: 50 }, () => {
      const subscription = new LogSubscription(shared, 0, 10, () => {});
      shared.subscribers.add(subscription);
      return subscription;
    });
    const seen = await Promise.all(late.map((subscription) => take(subscription, 300)));
    for (const entries of seen)
      expect(sequences(entries)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(source.reads - reads).toBe(1);
  });
});
