/**
 * State streams: an integration's queue figures, a run's progress, an integration's status. An event
 * only says "this changed"; what a subscriber is shown is the state as it is when it is ready for the
 * next one, read once per change on this node however many subscribers show it. A subscriber that falls
 * behind skips to the latest state, never a backlog of stale ones.
 */

/**
 * The latest state of one thing (an integration's queue, a run, an integration) on this node. Each
 * change bumps its version; a read is shared by every subscriber that asks for the same selection at the
 * same version, so the database work per change does not grow with the number of subscribers.
 */
export class StateCell {
  private version = 0;
  private readonly reads = new Map<string, { version: number; at: number; value: Promise<unknown> }>();
  /** Subscriptions that keep it current: while any listens, every change reaches it. */
  watchers = 0;

  constructor(private readonly maxAgeMs: number) {}

  changed(): void {
    this.version++;
    this.reads.clear();
  }

  /**
   * The state for `selection` (a Prisma query, or a fixed name): the read made since the last change
   * when there is one (and it is younger than maxAgeMs, for figures that move with time alone, like a
   * budget's window), else a new one.
   */
  read<T>(selection: string, load: () => Promise<T>): Promise<T> {
    const cached = this.reads.get(selection);
    if (cached && cached.version === this.version && Date.now() - cached.at < this.maxAgeMs)
      return cached.value as Promise<T>;
    const value = load();
    const entry = { version: this.version, at: Date.now(), value };
    this.reads.set(selection, entry);
    // A failed read is not kept: the next subscriber tries again.
    value.catch(() => {
      if (this.reads.get(selection) === entry) this.reads.delete(selection);
    });
    // Selections are what clients' documents ask for: a handful. Keep the map small all the same.
    if (this.reads.size > 32) this.reads.delete(this.reads.keys().next().value!);
    return value;
  }
}

/** What a state subscription yields: the thing that changed, to be read through its cell. */
export interface StateTick {
  /** The changed thing's database id (an integration's, a run's). */
  id: string;
  /** Reads its state for `selection` (a Prisma query, or a name), once per change on this node. */
  read<T>(selection: unknown, load: () => Promise<T>): Promise<T>;
}

/**
 * One subscriber's view of a state stream: the set of things changed since it last pulled, in the
 * order they first changed, each delivered once with its state at delivery. Bounded by what it watches
 * (one queue, one run, an integration's runs, a tenant's integrations), never by how many changes come:
 * a subscriber that does not pull holds one entry per thing, however long it waits.
 */
export class StateSubscription implements AsyncIterableIterator<StateTick> {
  private readonly dirty = new Set<string>();
  /** The cells this subscription has marked, held so they stay current while it may read them. */
  private readonly held = new Map<string, StateCell>();
  private wake: (() => void) | null = null;
  private closed = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly cells: {
      acquire(id: string): StateCell;
      release(id: string): void;
    },
  ) {}

  /** Runs on close (stops listening, releases channels). */
  onClose(cleanup: () => void): void {
    if (this.closed) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** The thing changed (or is part of the first snapshot): deliver its state when the subscriber is ready. */
  mark(id: string): void {
    if (this.closed) return;
    // Watching starts at the first mark, so the cell hears every change from then on; the most recently
    // changed are held, the rest let go (a run that ended long ago), to be read afresh if they change.
    const cell = this.held.get(id) ?? this.cells.acquire(id);
    this.held.delete(id);
    this.held.set(id, cell);
    if (this.held.size > HELD) this.letGo();
    this.dirty.add(id);
    this.notify();
  }

  /** Everything may have changed (events were missed): deliver the latest state of all of it. */
  markAll(): void {
    for (const id of [...this.held.keys()]) this.mark(id);
  }

  async next(): Promise<IteratorResult<StateTick>> {
    while (!this.closed) {
      const id = this.dirty.values().next().value;
      if (id !== undefined) {
        this.dirty.delete(id);
        const cell = this.held.get(id)!;
        return {
          done: false,
          value: { id, read: (selection, load) => cell.read(keyOf(selection), load) },
        };
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<StateTick>> {
    this.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dirty.clear();
    for (const id of this.held.keys()) this.cells.release(id);
    this.held.clear();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.notify();
  }

  private letGo() {
    for (const id of this.held.keys()) {
      if (this.dirty.has(id)) continue;
      this.held.delete(id);
      this.cells.release(id);
      return;
    }
  }

  private notify() {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** Things a subscription keeps current at most (an integration's runs over months, a tenant's integrations). */
const HELD = 1000;

function keyOf(selection: unknown): string {
  return typeof selection === "string" ? selection : JSON.stringify(selection);
}
