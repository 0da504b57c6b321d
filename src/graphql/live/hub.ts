import type { EventFeed, Topics } from "../../events.ts";
import { type LogSource, LogSubscription, type Sequenced, SharedLog, type StreamEnd } from "./log.ts";
import { StateCell, StateSubscription } from "./state.ts";

export interface LiveLimits {
  /**
   * Entries a transition-stream subscriber may lag behind while it stops taking them: past it (and a
   * moment without a pull) it is closed, and can resume from its sequence.
   */
  bufferLimit: number;
  /** A state read is shared with later subscribers for at most this long (figures that move with time). */
  stateMaxAgeMs: number;
}

/**
 * Entries of a log a node holds for its subscribers (a push's burst of created packets, subscribers a
 * little behind): those further behind read PostgreSQL, a page at a time, as they pull.
 */
const WINDOW = 10_000;

interface LogChannel {
  log: SharedLog<Sequenced>;
  /** Listening is confirmed and the head read. */
  ready: Promise<void>;
  /** Subscriptions using it. */
  refs: number;
  unlisten: (() => void) | null;
}

/** The kinds of thing whose state the streams show, each read through one cell per thing and node. */
export type CellKind = "integration" | "queue" | "run";

/**
 * This API node's side of every live subscription: one Redis subscription per channel however many
 * subscribers listen (EventFeed), one state read per change per thing (StateCell), one window per
 * transition log (SharedLog). Per subscriber it keeps only a cursor or a set of what changed, so
 * memory and database work per event do not grow with the number of subscribers.
 */
export class LiveHub {
  private readonly cells = new Map<string, StateCell>();
  private readonly logs = new Map<string, LogChannel>();

  constructor(
    private readonly feed: EventFeed,
    private readonly limits: LiveLimits,
  ) {}

  /**
   * A state stream: listens on `topic`:`channel`, then marks `initial` (the snapshot: the subscriber
   * first gets the current state of each), then every thing `idOf` names in an event on the channel
   * (null: not for this subscriber).
   */
  async state<K extends keyof Topics>(spec: {
    topic: K;
    channel: string;
    cell: CellKind;
    idOf: (payload: Topics[K][1]) => string | null;
    initial: () => Promise<string[]> | string[];
  }): Promise<StateSubscription> {
    const subscription = new StateSubscription(this.cellsOf(spec.cell));
    const unlisten = await this.feed.listen(spec.topic, spec.channel, {
      event: (payload) => {
        const id = spec.idOf(payload);
        if (id === null) return;
        this.cells.get(`${spec.cell}:${id}`)?.changed();
        subscription.mark(id);
      },
      gap: () => {
        for (const key of this.cells.keys())
          if (key.startsWith(`${spec.cell}:`)) this.cells.get(key)!.changed();
        subscription.markAll();
      },
    });
    subscription.onClose(unlisten);
    try {
      for (const id of await spec.initial()) subscription.mark(id);
    } catch (error) {
      subscription.close();
      throw error;
    }
    return subscription;
  }

  /**
   * A transition stream: every entry of the log on `topic`:`channel` after `after`, replayed from
   * PostgreSQL where this node no longer holds it, then live.
   */
  async log<K extends keyof Topics, T extends Topics[K][1] & Sequenced>(spec: {
    topic: K;
    channel: string;
    source: LogSource<T>;
    after: number;
    onOverflow: (end: StreamEnd) => void;
  }): Promise<LogSubscription<T>> {
    const key = `${spec.topic}:${spec.channel}`;
    let channel = this.logs.get(key);
    if (!channel) {
      const shared = new SharedLog<Sequenced>(spec.source, Math.max(WINDOW, this.limits.bufferLimit));
      const created: LogChannel = { log: shared, ready: Promise.resolve(), refs: 0, unlisten: null };
      created.ready = (async () => {
        created.unlisten = await this.feed.listen(spec.topic, spec.channel, {
          event: (payload) => shared.event(payload as T),
          gap: () => shared.gap(),
        });
        await shared.start();
      })();
      created.ready.catch(() => this.dropLog(key, created));
      this.logs.set(key, created);
      channel = created;
    }
    const own = channel;
    own.refs++;
    const release = () => {
      own.refs--;
      if (own.refs === 0) this.dropLog(key, own);
    };
    try {
      await own.ready;
    } catch (error) {
      release();
      throw error;
    }
    const shared = own.log as unknown as SharedLog<T>;
    const subscription = new LogSubscription<T>(shared, spec.after, this.limits.bufferLimit, spec.onOverflow);
    shared.subscribers.add(subscription);
    subscription.onClose(() => {
      shared.subscribers.delete(subscription);
      release();
    });
    return subscription;
  }

  private dropLog(key: string, channel: LogChannel) {
    if (this.logs.get(key) === channel) this.logs.delete(key);
    channel.log.close();
    channel.unlisten?.();
    channel.unlisten = null;
  }

  private cellsOf(kind: CellKind) {
    return {
      acquire: (id: string): StateCell => {
        const key = `${kind}:${id}`;
        let cell = this.cells.get(key);
        if (!cell) {
          cell = new StateCell(this.limits.stateMaxAgeMs);
          this.cells.set(key, cell);
        }
        cell.watchers++;
        return cell;
      },
      release: (id: string): void => {
        const key = `${kind}:${id}`;
        const cell = this.cells.get(key);
        if (!cell) return;
        cell.watchers--;
        // Unwatched, it would miss changes: the next subscriber starts from a fresh read.
        if (cell.watchers <= 0) this.cells.delete(key);
      },
    };
  }
}
