import { logger } from "../../logger.ts";

/**
 * Transition streams: a run's packet moves, an integration's run status changes. Each is an ordered log
 * in PostgreSQL, numbered 1, 2, 3, … without gaps in commit order; a subscriber gets every entry exactly
 * once and in order, starting after any sequence it names (a late subscriber replays what it missed
 * from PostgreSQL, then follows live events), and is closed, able to resume, if it falls too far behind.
 */

/** An entry of a transition log. */
export interface Sequenced {
  eventSequence: number;
}

/** Where a log lives: read from PostgreSQL. */
export interface LogSource<T extends Sequenced> {
  /** Up to `limit` entries with a sequence above `after`, in order. */
  readAfter(after: number, limit: number): Promise<T[]>;
  /** The latest entry's sequence (0: none yet). */
  head(): Promise<number>;
}

/** How a transition stream ended, delivered as its last item. */
export class StreamEnd {
  constructor(
    readonly reason: "overflow" | "interrupted",
    /** The last sequence delivered: subscribe again after it to resume. */
    readonly afterSequence: number,
  ) {}
}

/** Entries read from PostgreSQL at a time (a replay, a gap). */
const PAGE = 500;
/** How long a page read from PostgreSQL is shared with subscribers asking for it after it arrived. */
const SHARED_PAGE_MS = 1000;
/** How long an out-of-order event waits for the ones before it to arrive before they are read. */
const GAP_WAIT_MS = 50;
/** A subscriber that has not asked for its next entry for this long, while behind, has stopped taking them. */
const STALL_MS = 1000;

const log = logger.child({ component: "live-log" });

/** How long deliveries may run before requests waiting on the node get a turn. */
const SLICE_MS = 20;
let sliceStarted = performance.now();
let turn: Promise<void> | null = null;

/**
 * A burst (a push's packets built in one commit) delivered to a thousand subscribers is a long run of
 * executions and sends, each ready at once. Every subscriber waits here before taking an entry; once
 * deliveries have run for SLICE_MS, they all wait for one turn of the event loop (one shared
 * setImmediate), so a query or a health check on the node is served between slices, not after the burst.
 */
function yieldToRequests(): Promise<void> | undefined {
  if (performance.now() - sliceStarted < SLICE_MS) return undefined;
  turn ??= new Promise<void>((resolve) =>
    setImmediate(() => {
      turn = null;
      sliceStarted = performance.now();
      resolve();
    }),
  );
  return turn;
}

/**
 * One log as this node knows it, shared by every subscriber to it: the latest `capacity` entries up to
 * `head` (every entry up to there is known, in order). Live events extend it; an event that arrives
 * ahead of one still missing waits briefly, then the missing ones are read from PostgreSQL once for
 * everyone, as they are after a lost Redis subscription.
 */
export class SharedLog<T extends Sequenced> {
  head = 0;
  private readonly window: T[] = [];
  private readonly ahead = new Map<number, T>();
  private started = false;
  private filling: Promise<void> | null = null;
  private fillAgain = false;
  private gapTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private readonly reads = new Map<number, Promise<T[]>>();
  /** Looks for stalled subscribers even when no event comes (the log may have stopped growing). */
  private stallCheck: NodeJS.Timeout | null = null;
  readonly subscribers = new Set<LogSubscription<T>>();

  constructor(
    readonly source: LogSource<T>,
    private readonly capacity: number,
  ) {}

  /**
   * Called once listening is confirmed: what is in PostgreSQL now is the starting point. The latest
   * entries are read into the window at once, for everyone: subscribers arriving late (a thousand
   * monitors reconnecting after a restart) replay them from memory, not each from the database.
   */
  async start(): Promise<void> {
    const head = await this.source.head();
    this.head = Math.max(0, head - this.capacity);
    const rows = head > this.head ? await this.source.readAfter(this.head, head - this.head) : [];
    for (const row of rows) if (row.eventSequence === this.head + 1) this.append(row);
    this.head = Math.max(this.head, head);
    this.started = true;
    this.stallCheck = setInterval(() => this.advanced(), STALL_MS);
    this.stallCheck.unref();
    this.absorb();
    if (this.ahead.size > 0) this.scheduleFill();
  }

  /** A live event. */
  event(entry: T): void {
    if (this.started && entry.eventSequence <= this.head) return;
    this.ahead.set(entry.eventSequence, entry);
    if (this.ahead.size > this.capacity) {
      // Far ahead of what is known: PostgreSQL has all of it; read it rather than hold it.
      this.ahead.clear();
      if (this.started) void this.fill();
      return;
    }
    if (!this.started) return;
    this.absorb();
    if (this.ahead.size > 0) this.scheduleFill();
  }

  /** Events may have been missed: read what PostgreSQL has past the head. */
  gap(): void {
    if (this.started) void this.fill();
  }

  /**
   * A page of entries after `after` from PostgreSQL, for subscribers further behind than the window:
   * subscribers asking for the same page at the same time share one read. A page read is kept for a
   * moment after it arrives (SHARED_PAGE_MS): subscribers arriving together are delivered in slices
   * with turns for requests between them (yieldToRequests), so on a busy node the last of them asked
   * after the read had ended, and read the page again. Entries never change once written; a page read
   * near the head may be short, and a subscriber past its end simply asks for the next one.
   */
  page(after: number): Promise<T[]> {
    let read = this.reads.get(after);
    if (!read) {
      read = this.source.readAfter(after, PAGE);
      this.reads.set(after, read);
      const forget = () => {
        if (this.reads.get(after) === read) this.reads.delete(after);
      };
      // An empty read (entries not visible yet) is not kept: whoever asks again reads again.
      read.then(
        (entries) => (entries.length > 0 ? setTimeout(forget, SHARED_PAGE_MS).unref() : forget()),
        forget,
      );
    }
    return read;
  }

  /** The entry right after `cursor`, if this node still holds it. */
  entryAfter(cursor: number): T | undefined {
    const index = cursor - (this.head - this.window.length);
    return index >= 0 && index < this.window.length ? this.window[index] : undefined;
  }

  close(): void {
    if (this.gapTimer) clearTimeout(this.gapTimer);
    if (this.stallCheck) clearInterval(this.stallCheck);
    this.gapTimer = null;
    this.stallCheck = null;
    this.started = false;
  }

  private absorb() {
    for (const sequence of this.ahead.keys()) if (sequence <= this.head) this.ahead.delete(sequence);
    let moved = false;
    for (let next = this.ahead.get(this.head + 1); next; next = this.ahead.get(this.head + 1)) {
      this.ahead.delete(next.eventSequence);
      this.append(next);
      moved = true;
    }
    if (moved) this.advanced();
  }

  private append(entry: T) {
    this.window.push(entry);
    this.head = entry.eventSequence;
    if (this.window.length > this.capacity) this.window.splice(0, this.window.length - this.capacity);
  }

  private advanced() {
    for (const subscriber of this.subscribers) subscriber.advanced(this.head);
  }

  private scheduleFill(delayMs = GAP_WAIT_MS) {
    if (this.gapTimer || this.filling) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      if (this.ahead.size > 0) void this.fill();
    }, delayMs);
    this.gapTimer.unref();
  }

  /** Reads every entry past the head from PostgreSQL, once at a time for all subscribers. */
  private fill(): Promise<void> {
    if (this.filling) {
      this.fillAgain = true;
      return this.filling;
    }
    this.filling = (async () => {
      try {
        do {
          this.fillAgain = false;
          for (;;) {
            const rows = await this.source.readAfter(this.head, PAGE);
            for (const row of rows) if (row.eventSequence === this.head + 1) this.append(row);
            if (rows.length > 0) this.advanced();
            if (rows.length < PAGE || !this.started) break;
          }
          this.absorb();
        } while (this.fillAgain && this.started);
        this.failures = 0;
      } catch (err) {
        this.failures++;
        log.warn({ err }, "could not read a transition log; trying again");
        this.filling = null;
        this.scheduleFill(Math.min(5000, 100 * 2 ** this.failures));
        return;
      }
      this.filling = null;
      if (this.ahead.size > 0 && this.started) this.scheduleFill();
    })();
    return this.filling;
  }
}

/**
 * One subscriber's place in a log: entries after `cursor`, from the node's window when it still holds
 * them, else from PostgreSQL, a page at a time (a late subscriber's replay, one that fell behind a
 * burst). What it holds of its own is that cursor and at most a page. One that stops taking entries
 * (its connection stopped reading) while more than `limit` behind is ended: `onOverflow` closes its
 * connection, and it resumes, when it reconnects, from the sequence it had reached.
 */
export class LogSubscription<T extends Sequenced> implements AsyncIterableIterator<T | StreamEnd> {
  private page: T[] = [];
  /** Inside next(): reading or waiting, so not stalled. */
  private pulling = false;
  private lastPull = Date.now();
  private ended: StreamEnd | null = null;
  private closed = false;
  private wake: (() => void) | null = null;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly shared: SharedLog<T>,
    private cursor: number,
    private readonly limit: number,
    private readonly onOverflow: (end: StreamEnd) => void,
    private readonly stallMs = STALL_MS,
  ) {}

  onClose(cleanup: () => void): void {
    if (this.closed) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** The shared log moved on to `head`. */
  advanced(head: number): void {
    if (this.closed || this.ended) return;
    const stalled = !this.pulling && Date.now() - this.lastPull >= this.stallMs;
    if (stalled && head - this.cursor > this.limit) {
      this.ended = new StreamEnd("overflow", this.cursor);
      this.onOverflow(this.ended);
    }
    this.notify();
  }

  async next(): Promise<IteratorResult<T | StreamEnd>> {
    this.pulling = true;
    try {
      await yieldToRequests();
      return await this.take();
    } finally {
      this.pulling = false;
      this.lastPull = Date.now();
    }
  }

  private async take(): Promise<IteratorResult<T | StreamEnd>> {
    while (!this.closed) {
      if (this.ended) {
        const end = this.ended;
        this.close();
        return { done: false, value: end };
      }
      const live = this.shared.entryAfter(this.cursor);
      if (live) {
        this.page = [];
        this.cursor = live.eventSequence;
        return { done: false, value: live };
      }
      // Behind what the node holds (a late or resuming subscriber): replay from PostgreSQL.
      while (this.page.length > 0 && this.page[0]!.eventSequence <= this.cursor) this.page.shift();
      if (this.page.length === 0 && this.cursor < this.shared.head) {
        try {
          // A copy: the page read may be shared with other subscribers.
          this.page = [...(await this.shared.page(this.cursor))];
        } catch (err) {
          log.warn({ err }, "could not replay a transition log; the stream ends, resumable");
          this.ended = new StreamEnd("interrupted", this.cursor);
          continue;
        }
        if (this.closed) break;
      }
      const replayed = this.page[0];
      if (replayed && replayed.eventSequence === this.cursor + 1) {
        this.page.shift();
        this.cursor = replayed.eventSequence;
        return { done: false, value: replayed };
      }
      this.page = [];
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<T | StreamEnd>> {
    this.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  private close() {
    if (this.closed) return;
    this.closed = true;
    this.page = [];
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.notify();
  }

  private notify() {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
