import type { SqlPool } from "../db/client.ts";
import type { DomainEvent } from "../events.ts";
import { logger } from "../logger.ts";
import { SETTLED_BELOW_SQL } from "./position.ts";

/**
 * Holds `recordsChanged` events until the changes they announce can be read by cursor: a page's changes
 * are handed to readers only once every transaction older than the page's has ended (position.ts), which
 * may be a few milliseconds after the page committed. Events are released in the order given (the ones
 * behind a held event wait with it), with one query per tick, only while something waits; after
 * `maxWaitMs` (a transaction elsewhere that stays open) they go anyway.
 */
export class SettledPublisher {
  private readonly queue: { events: readonly DomainEvent[]; xid: bigint | null; since: number }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly sql: SqlPool,
    private readonly publish: (events: readonly DomainEvent[]) => void,
    private readonly options: { tickMs?: number; maxWaitMs?: number } = {},
  ) {}

  send(events: readonly DomainEvent[]): void {
    const xids = events.flatMap((event) =>
      event.topic === "recordsChanged" ? [BigInt(event.change.xid)] : [],
    );
    if (xids.length === 0 && this.queue.length === 0) {
      this.publish(events);
      return;
    }
    const xid = xids.length > 0 ? xids.reduce((a, b) => (a > b ? a : b)) : null;
    this.queue.push({ events, xid, since: Date.now() });
    this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const item of this.queue.splice(0)) this.publish(item.events);
  }

  private schedule() {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.release().catch((err) => {
        // Events are best effort (the rows are the truth): without the check, they go now.
        logger.warn({ err }, "could not check which changes are readable");
        for (const item of this.queue.splice(0)) this.publish(item.events);
      });
    }, this.options.tickMs ?? 5);
  }

  private async release() {
    const [row] = await this.sql.query<{ below: string }>(`SELECT ${SETTLED_BELOW_SQL}::text AS below`);
    const below = BigInt(row!.below);
    const maxWaitMs = this.options.maxWaitMs ?? 10_000;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.xid !== null && head.xid >= below && Date.now() - head.since < maxWaitMs) break;
      this.queue.shift();
      this.publish(head.events);
    }
    if (this.queue.length > 0) this.schedule();
  }
}
