import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub, type PubSub } from "graphql-yoga";
import type { Redis } from "ioredis";
import type { PacketState } from "./generated/prisma/enums.ts";
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
   * A push run's packet moved from one state to another. Unlike the other topics the event carries the
   * transition itself, so a subscriber sees every state in order, not just the latest.
   */
  packetStateChanged: [runId: string, payload: PacketTransition];
  /**
   * A pull committed a page that created, updated or deleted an integration's records; published once
   * those changes are readable by cursor, with the cursor that reads them.
   */
  recordsChanged: [integrationId: string, payload: RecordsChange];
  /** A webhook endpoint of the tenant changed status (e.g. disabled after a day of failed deliveries). */
  webhookEndpointChanged: [tenantId: string, payload: { endpointId: string }];
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
  packetId: string;
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
  | { topic: "queueProgress"; integrationId: string }
  | { topic: "recordsChanged"; change: RecordsChange }
  | { topic: "webhookEndpointChanged"; tenantId: string; endpointId: string };

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
      case "queueProgress":
        events.publish("queueProgress", event.integrationId, { integrationId: event.integrationId });
        break;
      case "recordsChanged":
        events.publish("recordsChanged", event.change.integrationId, event.change);
        break;
      case "webhookEndpointChanged":
        events.publish("webhookEndpointChanged", event.tenantId, { endpointId: event.endpointId });
        break;
    }
  }
}

export type Events = PubSub<Topics>;

export interface EventBus {
  pubSub: Events;
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
  const prefixed: typeof target = {
    addEventListener: (type, listener) => target.addEventListener(channel(type), listener),
    removeEventListener: (type, listener) => target.removeEventListener(channel(type), listener),
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
  return {
    pubSub: createPubSub<Topics>({ eventTarget: prefixed as never }),
    close: () => closeAll([publishClient, subscribeClient]),
  };
}

async function closeAll(clients: Redis[]) {
  await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
}
