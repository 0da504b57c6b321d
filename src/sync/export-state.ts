import type { SqlPool } from "../db/client.ts";
import { ClaimQueue } from "../engine/claims.ts";
import type { Settlement } from "../engine/settlement.ts";
import type { TransitionTable } from "../engine/transitions.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { ExportItemStatus } from "../generated/prisma/enums.ts";

/**
 * An outbox item's status, and the only code that writes it (sync/export.ts creates items PENDING and
 * coalesces new values into waiting ones; it never changes a status). Claims, unclaims and orphan
 * recovery go through the engine's one claim path (engine/claims.ts) with this table.
 */
export const EXPORT_TRANSITIONS: TransitionTable<ExportItemStatus> = {
  PENDING: ["SENDING"],
  /** Back to PENDING: the budget said wait, a 429, a transient failure to retry, a dead worker. */
  SENDING: ["PENDING", "SENT", "FAILED"],
  SENT: [],
  FAILED: [],
};

export interface ClaimedExport {
  id: string;
  entity: string;
  remoteId: string;
  field: string;
  value: Prisma.JsonValue;
  idempotencyKey: string;
  attempts: number;
}

export const exportQueue = new ClaimQueue<ExportItemStatus, ClaimedExport>({
  table: "ExportItem",
  stateColumn: "status",
  stateType: "ExportItemStatus",
  transitions: EXPORT_TRANSITIONS,
  waiting: "PENDING",
  inFlight: "SENDING",
  dueColumn: "notBefore",
  orderColumn: "sequence",
  returning: `id, entity, "remoteId", field, value, "idempotencyKey", attempts`,
});

/** Records what the platform's answer means for the item (engine/settlement.ts decided). */
export async function settleExport(sql: SqlPool, item: ClaimedExport, settlement: Settlement): Promise<void> {
  switch (settlement.kind) {
    case "done":
      await exportQueue.move(sql, item.id, "SENT", { sentAt: { sql: "now()" }, error: null });
      return;
    case "requeue":
      await exportQueue.move(sql, item.id, "PENDING", { attempts: { sql: "attempts - 1" } });
      return;
    case "failed":
      await exportQueue.move(sql, item.id, "FAILED", { error: settlement.message });
      return;
    case "retry":
      await exportQueue.move(sql, item.id, "PENDING", {
        error: settlement.message,
        notBefore: settlement.notBefore,
      });
      return;
  }
}
