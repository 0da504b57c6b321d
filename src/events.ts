import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub, type PubSub } from "graphql-yoga";
import type { Redis } from "ioredis";
import type { ConflictPolicy, PacketState, SyncKind, SyncRunStatus } from "./generated/prisma/enums.ts";
import { logger } from "./logger.ts";
import { createRedisClient } from "./redis/client.ts";
import { redisKeys } from "./redis/keys.ts";

/**
 * The typed pub/sub topics. Workers publish, every API node turns them into GraphQL subscriptions.
 * Events carry ids (and, for cheap filtering, the tenant); resolvers reload fresh rows. Topics are
 * scoped by tenant or run, so a node only receives the channels its subscribers listen to.
 */
export type Topics = {
  /** An integration's status changed (connect, disconnect, pause, sync start/end). */
  integrationStatusChanged: [tenantId: string, payload: { integrationId: string }];
  /** An integration's queue depth or call budget changed (items queued, a call made). */
  queueProgress: [integrationId: string, payload: { integrationId: string }];
  /** A sync run's status or counts changed. */
  syncRunUpdated: [runId: string, payload: { runId: string }];
  /** Any sync run of an integration changed (the same events, addressed by integration). */
  integrationSyncRuns: [integrationId: string, payload: { runId: string }];
  /**
   * A push run's packet moved from one state to another. Unlike the state topics the event carries the
   * transition itself, numbered in the run's durable log (PacketTransition), so a subscriber sees every
   * state in order and can replay what it missed.
   */
  packetStateChanged: [runId: string, payload: PacketTransition];
  /** A sync run of the integration changed status: numbered in the integration's log (RunTransition). */
  syncRunStatusChanged: [integrationId: string, payload: RunStatusTransition];
  /**
   * A pull committed a page that created, updated or deleted an integration's records; published once
   * those changes are readable by cursor, with the cursor that reads them.
   */
  recordsChanged: [integrationId: string, payload: RecordsChange];
  /** A webhook endpoint of the tenant changed status (e.g. disabled after a day of failed deliveries). */
  webhookEndpointChanged: [tenantId: string, payload: { endpointId: string }];
  /**
   * An export met a change someone made on the platform since the last pull; the integration's conflict
   * policy decided (ASK: it is held as CONFLICT until someone resolves it).
   */
  exportConflict: [integrationId: string, payload: { exportItemId: string; policy: ConflictPolicy }];
};

/** What one committed page changed, as `recordsChanged` streams it. */
export interface RecordsChange {
  integrationId: string;
  runId: string;
  entity: string;
  created: number;
  updated: number;
  deleted: number;
  /** Where a reader finds these changes (the position just before the first of them). */
  cursor: string;
  /** The writing transaction's id: readers see the changes once every older transaction has ended. */
  xid: string;
  at: string;
}

/** One move of a push packet from a state to another, as `packetStateChanged` streams it. */
export interface PacketTransition {
  runId: string;
  /** Its place in the run's log of packet moves: 1, 2, 3, … without gaps, in commit order. */
  eventSequence: number;
  packetId: string;
  /** The packet's order inside the run. */
  sequence: number;
  label: string;
  from: PacketState | null;
  to: PacketState;
  attempts: number;
  remoteId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  at: string;
}

/** One status change of a sync run, as `syncRunStatusChanged` streams it. */
export interface RunStatusTransition {
  integrationId: string;
  /** Its place in the integration's log of run status changes: 1, 2, 3, … without gaps, in commit order. */
  eventSequence: number;
  runId: string;
  kind: SyncKind;
  /** Null when the run was created (queued). */
  from: SyncRunStatus | null;
  to: SyncRunStatus;
  /** The run's error summary as it moved (FAILED, PARTIAL, CANCELLED). */
  error: string | null;
  at: string;
}

/**
 * What a state change causes, as the domain's state machines return it. Transitions return their events
 * instead of publishing them, and the caller hands them to `publishEvents` once the transaction that
 * made the change has committed, so no subscriber ever reads a row that is not there yet.
 */
export type DomainEvent =
  | { topic: "integrationStatusChanged"; tenantId: string; integrationId: string }
  /** A run's status or counts changed: reaches the run's subscribers and its integration's. */
  | { topic: "syncRunUpdated"; runId: string; integrationId: string }
  | { topic: "packetStateChanged"; transition: PacketTransition }
  | { topic: "syncRunStatusChanged"; transition: RunStatusTransition }
  | { topic: "queueProgress"; integrationId: string }
  | { topic: "recordsChanged"; change: RecordsChange }
  | { topic: "webhookEndpointChanged"; tenantId: string; endpointId: string }
  | { topic: "exportConflict"; integrationId: string; exportItemId: string; policy: ConflictPolicy };

/** Sends events in the order given (one Redis connection keeps that order for each subscriber). */
export function publishEvents(events: Events, list: readonly DomainEvent[]): void {
  for (const event of list) {
    switch (event.topic) {
      case "integrationStatusChanged":
        events.publish("integrationStatusChanged", event.tenantId, { integrationId: event.integrationId });
        break;
      case "syncRunUpdated":
        events.publish("syncRunUpdated", event.runId, { runId: event.runId });
        events.publish("integrationSyncRuns", event.integrationId, { runId: event.runId });
        break;
      case "packetStateChanged":
        events.publish("packetStateChanged", event.transition.runId, event.transition);
        break;
      case "syncRunStatusChanged":
        events.publish("syncRunStatusChanged", event.transition.integrationId, event.transition);
        break;
      case "queueProgress":
        events.publish("queueProgress", event.integrationId, { integrationId: event.integrationId });
        break;
      case "recordsChanged":
        events.publish("recordsChanged", event.change.integrationId, event.change);
        break;
      case "webhookEndpointChanged":
        events.publish("webhookEndpointChanged", event.tenantId, { endpointId: event.endpointId });
        break;
      case "exportConflict":
        events.publish("exportConflict", event.integrationId, {
          exportItemId: event.exportItemId,
          policy: event.policy,
        });
        break;
    }
  }
}

export type Events = PubSub<Topics>;

export interface EventBus {
  pubSub: Events;
  /** This process's one Redis subscription per channel, fanned out to live subscriptions (EventFeed). */
  feed: EventFeed;
  close(): Promise<void>;
}

/**
 * Pub/sub over Redis, so an event published by any process reaches subscribers on every API node.
 * Channels carry the deployment's key prefix so several deployments (or test files) can share a Redis.
 */
export function createEventBus(redisUrl: string, prefix: string): EventBus {
  const publishClient = createRedisClient(redisUrl, "publish");
  const subscribeClient = createRedisClient(redisUrl, "subscribe");
  const target = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient });
  const channel = redisKeys(prefix).eventChannel;
  // A listener that throws (yoga's PubSub throws once a subscriber has 1,024 events pending) must cost
  // that subscriber its event, never the process: the target calls listeners from Redis' message handler.
  const guarded = new WeakMap<EventListenerOrEventListenerObject, EventListener>();
  const guard = (type: string, listener: EventListenerOrEventListenerObject): EventListener => {
    let wrapped = guarded.get(listener);
    if (!wrapped) {
      wrapped = (event) => {
        try {
          if (typeof listener === "function") listener(event);
          else listener.handleEvent(event);
        } catch (err) {
          logger.error({ err, topic: type }, "an event listener failed; the event was dropped for it");
        }
      };
      guarded.set(listener, wrapped);
    }
    return wrapped;
  };
  const prefixed: typeof target = {
    addEventListener: (type, listener) =>
      listener && target.addEventListener(channel(type), guard(type, listener as EventListener)),
    removeEventListener: (type, listener) =>
      listener && target.removeEventListener(channel(type), guard(type, listener as EventListener)),
    // Published here rather than through the target, so a failed publish (Redis away, or closing) is
    // logged instead of surfacing as an unhandled rejection: events are best effort, the rows are the truth.
    dispatchEvent: (event) => {
      const detail = (event as CustomEvent).detail;
      publishClient
        .publish(channel(event.type), detail === undefined ? "" : JSON.stringify(detail))
        .catch((err) => logger.warn({ err, topic: event.type }, "event not published"));
      return true;
    },
  };
  const feed = createEventFeed(redisUrl, prefix);
  return {
    pubSub: createPubSub<Topics>({ eventTarget: prefixed as never }),
    feed,
    close: async () => {
      await feed.close();
      await closeAll([publishClient, subscribeClient]);
    },
  };
}

/** What a live subscription hears of one channel. */
export interface FeedListener<T> {
  /** An event published on the channel (parsed once per process, shared by every listener). */
  event(payload: T): void;
  /**
   * Events may have been missed: Redis dropped this process's subscription (a restart, a network cut, or
   * an output buffer it let overflow) and it has been re-established. Re-read what matters.
   */
  gap(): void;
}

export interface EventFeed {
  /**
   * Hands every event published on `topic`:`id` from now on to `listener`. Resolves once Redis has
   * confirmed the subscription, so state read after that misses nothing; returns the unsubscribe.
   */
  listen<K extends keyof Topics>(
    topic: K,
    id: string,
    listener: FeedListener<Topics[K][1]>,
  ): Promise<() => void>;
  close(): Promise<void>;
}

/**
 * One Redis connection per process for every live subscription, one SUBSCRIBE per channel however many
 * subscriptions listen to it: each message is parsed once and handed to every listener. Unlike yoga's
 * PubSub it keeps no queue of its own (each listener decides what to keep) and says when events may
 * have been lost, so ordered streams re-read them from PostgreSQL.
 */
function createEventFeed(redisUrl: string, prefix: string): EventFeed {
  const channelOf = redisKeys(prefix).eventChannel;
  const log = logger.child({ component: "event-feed" });
  const channels = new Map<string, { listeners: Set<FeedListener<unknown>>; subscribed: Promise<unknown> }>();
  let client: { redis: Redis; ready: Promise<void> } | null = null;

  const connection = () => {
    if (client) return client;
    // Named after the deployment, so an operator (or a test) can tell its connection in CLIENT LIST.
    const redis = createRedisClient(redisUrl, `feed:${prefix}`);
    redis.on("message", (name: string, message: string) => {
      const entry = channels.get(name);
      if (!entry) return;
      let payload: unknown;
      try {
        payload = message === "" ? undefined : JSON.parse(message);
      } catch (err) {
        log.warn({ err, channel: name }, "unreadable event dropped");
        return;
      }
      for (const listener of entry.listeners) deliver(() => listener.event(payload));
    });
    let connected = false;
    // SUBSCRIBE only once the connection is ready: before, ioredis' ready check (INFO) would be refused
    // on a connection already in subscriber mode.
    const ready = new Promise<void>((resolve) => redis.once("ready", () => resolve()));
    redis.on("ready", () => {
      if (!connected) {
        connected = true;
        return;
      }
      // Reconnected: ioredis subscribes again by itself; a SUBSCRIBE of our own answers once that has
      // happened too, and then every listener hears it may have missed events meanwhile.
      const names = [...channels.keys()];
      if (names.length === 0) return;
      redis.subscribe(...names).then(
        () => {
          log.warn({ channels: names.length }, "event subscription re-established; streams re-read");
          for (const name of names)
            for (const listener of channels.get(name)?.listeners ?? []) deliver(() => listener.gap());
        },
        (err) => log.warn({ err }, "could not re-subscribe to events"),
      );
    });
    client = { redis, ready };
    return client;
  };

  const deliver = (call: () => void) => {
    try {
      call();
    } catch (err) {
      log.error({ err }, "a live subscription failed on an event; it was skipped");
    }
  };

  return {
    async listen(topic, id, listener) {
      const name = channelOf(`${topic}:${id}`);
      let entry = channels.get(name);
      if (!entry) {
        const { redis, ready } = connection();
        entry = { listeners: new Set(), subscribed: ready.then(() => redis.subscribe(name)) };
        channels.set(name, entry);
      }
      const own = entry;
      own.listeners.add(listener as FeedListener<unknown>);
      const leave = () => {
        if (!own.listeners.delete(listener as FeedListener<unknown>) || own.listeners.size > 0) return;
        if (channels.get(name) === own) channels.delete(name);
        client?.redis
          .unsubscribe(name)
          .catch((err) => log.warn({ err, channel: name }, "unsubscribe failed"));
      };
      try {
        await own.subscribed;
      } catch (err) {
        leave();
        throw err;
      }
      return leave;
    },
    async close() {
      channels.clear();
      if (client) await closeAll([client.redis]);
      client = null;
    },
  };
}

async function closeAll(clients: Redis[]) {
  await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
}

/** State topics: an event says "look again", so only the latest per key matters. */
function stateKey(event: DomainEvent): string | null {
  if (event.topic === "queueProgress") return `queueProgress:${event.integrationId}`;
  if (event.topic === "syncRunUpdated") return `syncRunUpdated:${event.runId}`;
  return null;
}

/**
 * Publishes events in the order given, except state events (an integration's queue figures, a run's
 * progress), which go out at most once per `intervalMs` per integration or run: the first at once, the
 * last of a burst at the end of the interval, so the final state is always sent. Transitions (packet
 * and run status changes, records, integration status) are never held.
 */
export class StateEventThrottle {
  private readonly slots = new Map<string, { pending: DomainEvent | null; timer: NodeJS.Timeout }>();

  constructor(
    private readonly publish: (events: readonly DomainEvent[]) => void,
    private readonly intervalMs: number,
  ) {}

  send(events: readonly DomainEvent[]): void {
    const now: DomainEvent[] = [];
    for (const event of events) {
      const key = this.intervalMs > 0 ? stateKey(event) : null;
      const slot = key ? this.slots.get(key) : undefined;
      if (!key) now.push(event);
      else if (slot) slot.pending = event;
      else {
        now.push(event);
        this.slots.set(key, { pending: null, timer: this.schedule(key) });
      }
    }
    if (now.length > 0) this.publish(now);
  }

  /** Sends what is held now (on shutdown). */
  flush(): void {
    const held = [...this.slots.values()];
    this.slots.clear();
    for (const slot of held) clearTimeout(slot.timer);
    const pending = held.flatMap((slot) => (slot.pending ? [slot.pending] : []));
    if (pending.length > 0) this.publish(pending);
  }

  private schedule(key: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const slot = this.slots.get(key);
      if (!slot) return;
      if (!slot.pending) {
        this.slots.delete(key);
        return;
      }
      const event = slot.pending;
      slot.pending = null;
      slot.timer = this.schedule(key);
      this.publish([event]);
    }, this.intervalMs);
    timer.unref();
    return timer;
  }
}
