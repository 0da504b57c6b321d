import { describe, expect, it, vi } from "vitest";
import { StateEventThrottle } from "../../../src/events.ts";
import { StateCell, StateSubscription } from "../../../src/graphql/live/state.ts";

/** State streams without a database: reads are counted functions. */
function cells() {
  const map = new Map<string, StateCell>();
  return {
    map,
    acquire(id: string) {
      let cell = map.get(id);
      if (!cell) {
        cell = new StateCell(60_000);
        map.set(id, cell);
      }
      cell.watchers++;
      return cell;
    },
    release(id: string) {
      const cell = map.get(id)!;
      if (--cell.watchers === 0) map.delete(id);
    },
  };
}

describe("a state stream", () => {
  it("reads a change once however many subscribers show it, and again only after the next change", async () => {
    const registry = cells();
    let state = 1;
    const load = vi.fn(async () => ({ state }));
    const subscribers = Array.from({ length: 100 }, () => new StateSubscription(registry));
    for (const subscriber of subscribers) subscriber.mark("queue");
    const first = await Promise.all(
      subscribers.map(async (s) => (await s.next()).value!.read("figures", load)),
    );
    expect(first.every((value) => value.state === 1)).toBe(true);
    expect(load).toHaveBeenCalledTimes(1);

    state = 2;
    registry.map.get("queue")!.changed();
    for (const subscriber of subscribers) subscriber.mark("queue");
    const second = await Promise.all(
      subscribers.map(async (s) => (await s.next()).value!.read("figures", load)),
    );
    expect(second.every((value) => value.state === 2)).toBe(true);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("gives a subscriber that fell behind the latest state, not a backlog", async () => {
    const registry = cells();
    const subscriber = new StateSubscription(registry);
    let state = 0;
    for (let i = 0; i < 50; i++) {
      state = i;
      registry.acquire("run");
      registry.map.get("run")!.changed();
      registry.release("run");
      subscriber.mark("run");
    }
    const tick = (await subscriber.next()).value!;
    expect(await tick.read("q", async () => state)).toBe(49);
    // Nothing else is waiting: the next pull waits for a new change.
    const next = subscriber.next();
    const pending = await Promise.race([
      next.then(() => "delivered"),
      new Promise((r) => setTimeout(() => r("waiting"), 20)),
    ]);
    expect(pending).toBe("waiting");
    subscriber.close();
    expect((await next).done).toBe(true);
  });

  it("holds one entry per thing for a subscriber that does not pull, however many changes come", async () => {
    const registry = cells();
    const subscriber = new StateSubscription(registry);
    for (let i = 0; i < 10_000; i++) subscriber.mark(["a", "b", "c"][i % 3]!);
    const delivered = [];
    for (let i = 0; i < 3; i++) delivered.push((await subscriber.next()).value!.id);
    expect(delivered).toEqual(["a", "b", "c"]);
    subscriber.close();
    expect(registry.map.size).toBe(0);
  });
});

describe("StateEventThrottle", () => {
  it("sends a burst's first state event at once and its last at the end of the interval, transitions untouched", () => {
    vi.useFakeTimers();
    try {
      const sent: string[] = [];
      const throttle = new StateEventThrottle(
        (events) =>
          sent.push(...events.map((e) => (e.topic === "queueProgress" ? `q:${e.integrationId}` : e.topic))),
        250,
      );
      for (let i = 0; i < 20; i++) throttle.send([{ topic: "queueProgress", integrationId: "a" }]);
      throttle.send([{ topic: "queueProgress", integrationId: "b" }]);
      throttle.send([{ topic: "integrationStatusChanged", tenantId: "t", integrationId: "a" }]);
      expect(sent).toEqual(["q:a", "q:b", "integrationStatusChanged"]);
      vi.advanceTimersByTime(250);
      expect(sent).toEqual(["q:a", "q:b", "integrationStatusChanged", "q:a"]);
      vi.advanceTimersByTime(1000);
      expect(sent).toHaveLength(4);
      // A later burst starts at once again.
      throttle.send([{ topic: "queueProgress", integrationId: "a" }]);
      throttle.send([{ topic: "queueProgress", integrationId: "a" }]);
      expect(sent).toHaveLength(5);
      throttle.flush();
      expect(sent).toHaveLength(6);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("a state stream told it may have missed changes", () => {
  it("delivers the latest state of everything it watches, once each", async () => {
    const registry = cells();
    const subscriber = new StateSubscription(registry);
    for (const id of ["a", "b", "c"]) subscriber.mark(id);
    for (let i = 0; i < 3; i++) await subscriber.next();
    subscriber.markAll();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await subscriber.next()).value!.id);
    expect(ids).toEqual(["a", "b", "c"]);
    subscriber.close();
  });
});
