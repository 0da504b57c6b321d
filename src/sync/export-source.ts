import type { CallTarget } from "../engine/provider-call.ts";
import { settlementOf } from "../engine/settlement.ts";
import type { WorkSource } from "../engine/work-source.ts";
import { SERVABLE } from "../integrations/integration-state.ts";
import { exportRequest } from "../platforms/exports.ts";
import { type ClaimedExport, exportQueue, settleExport } from "./export-state.ts";
import type { WorkDeps } from "./work-deps.ts";

/**
 * The outbox as engine work, in the EXPORT lane: the oldest due item, one call each, sent with its
 * Idempotency-Key. An item is claimed before the budget is asked, so a granted call starts at once; if
 * the budget says wait, it goes back in line untouched.
 */
export function exportSource(deps: WorkDeps): WorkSource<ClaimedExport> {
  const { sql } = deps;
  return {
    name: "exports",
    lanes: ["EXPORT"],
    recoverOrphans: (integrationId) => exportQueue.recoverOrphans(sql, integrationId),
    integrationsWithWork: async () => {
      const rows = await deps.prisma.exportItem.findMany({
        where: { status: { in: ["PENDING", "SENDING"] }, integration: { status: { in: SERVABLE } } },
        distinct: ["integrationId"],
        select: { integrationId: true },
      });
      return rows.map((row) => row.integrationId);
    },
    open(target: CallTarget) {
      const scope = { column: "integrationId", id: target.integration.id };
      return {
        announced: () => {},
        async next() {
          const item = await exportQueue.claim(sql, scope);
          if (!item) return { kind: "none", dueAt: await exportQueue.nextDue(sql, scope) };
          return {
            kind: "call",
            lane: "EXPORT",
            work: item,
            request: exportRequest(target.integration.platform, item),
            idempotencyKey: item.idempotencyKey,
            logContext: { exportItemId: item.id },
          };
        },
        unclaim: (item) => exportQueue.unclaim(sql, item.id),
        async settle(item, outcome) {
          const settlement = settlementOf(outcome, item.attempts, deps.time);
          await settleExport(sql, item, settlement);
          if (settlement.kind === "failed") target.log.warn({ item: item.id, outcome }, "export failed");
        },
      };
    },
  };
}
