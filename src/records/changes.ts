import { asSql, type SqlLike } from "../db/client.ts";
import type { DomainEvent } from "../events.ts";
import { recordHostEvents, recordsChanged } from "../webhooks/host-events.ts";
import { encodeCursor, justBefore, type Position } from "./position.ts";

/** What one committed page did to an entity's records, and where its first change sits. */
export interface PageChanges {
  integrationId: string;
  runId: string;
  entity: string;
  created: number;
  updated: number;
  deleted: number;
  /** Position of the page's first change (null: it changed nothing). */
  first: Position | null;
}

/**
 * Tells the host that a page changed records, inside the page's transaction: a `records.changed`
 * webhook (outbox row), and the `recordsChanged` event to publish once the transaction has committed.
 * Both carry the cursor a reader reads the changes from. A page that changed nothing tells nothing.
 */
export async function recordPageChanges(tx: SqlLike, page: PageChanges): Promise<DomainEvent[]> {
  if (!page.first || page.created + page.updated + page.deleted === 0) return [];
  const change = {
    integrationId: page.integrationId,
    runId: page.runId,
    entity: page.entity,
    created: page.created,
    updated: page.updated,
    deleted: page.deleted,
    cursor: encodeCursor(justBefore(page.first)),
  };
  await recordHostEvents(asSql(tx), [recordsChanged(change)]);
  return [
    { topic: "recordsChanged", change: { ...change, xid: page.first.xid, at: new Date().toISOString() } },
  ];
}
