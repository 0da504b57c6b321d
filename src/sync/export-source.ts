import type { CallTarget } from "../engine/provider-call.ts";
import { settlementOf } from "../engine/settlement.ts";
import type { WorkSource } from "../engine/work-source.ts";
import { SERVABLE } from "../integrations/integration-state.ts";
import { PLATFORMS } from "../platforms/catalog.ts";
import { knownExportTarget } from "../platforms/exports.ts";
import { isConflict, knownRemote, verificationOf } from "./export-conflict.ts";
import { exportReserveView, type ReserveView } from "./export-reserve.ts";
import {
  type ClaimedExport,
  exportQueue,
  holdConflict,
  type Known,
  OPEN_EXPORT_STATUSES,
  settleExport,
  settleVerification,
} from "./export-state.ts";
import type { WorkDeps } from "./work-deps.ts";

/** An item's call: its write, or the read that verifies an in-doubt write. */
interface ExportWork {
  item: ClaimedExport;
  verifying: boolean;
}

/**
 * The outbox as engine work, in the EXPORT lane: the oldest due item, one call each, sent with its
 * Idempotency-Key. An item is claimed before the budget is asked, so a granted call starts at once; if
 * the budget says wait, it goes back in line untouched.
 *
 * Before a write, the field's platform value as last known (the last pull's, or an export's since) is
 * compared with the value the edit was based on: someone else's change is a conflict, decided by the
 * integration's policy, never silently overwritten. An item in doubt is resent with its key where the
 * platform honours idempotency keys (the catalog says, from its contract); elsewhere its object is read
 * first, through the budget like any call, and the item settled by what is there.
 */
export function exportSource(deps: WorkDeps): WorkSource<ExportWork> {
  const { sql } = deps;
  return {
    name: "exports",
    lanes: ["EXPORT"],
    recoverOrphans: (integrationId, claim) => exportQueue.recoverOrphans(sql, integrationId, claim),
    integrationsWithWork: async () => {
      const rows = await deps.prisma.exportItem.findMany({
        where: {
          status: { in: OPEN_EXPORT_STATUSES },
          integration: { status: { in: SERVABLE } },
        },
        distinct: ["integrationId"],
        select: { integrationId: true },
      });
      return rows.map((row) => row.integrationId);
    },
    open(target: CallTarget, claim) {
      const { integration } = target;
      const scope = { column: "integrationId", id: integration.id };
      const verifyInDoubt = !PLATFORMS[integration.platform].honoursIdempotencyKey;
      const base = (item: ClaimedExport): Known => (item.baseKnown ? { value: item.baseValue } : undefined);
      // The reserve mode's allowance (export-reserve.ts), worked out again when it runs out or work arrives.
      let reserve: ReserveView | null = null;
      const allowance = async () => {
        if (!reserve || Date.now() >= reserve.validUntil)
          reserve = await exportReserveView(deps, integration, target.limits);
        return reserve.allowance ? { allowance: reserve.allowance } : {};
      };
      return {
        announced: () => {
          reserve = null;
        },
        async next() {
          for (;;) {
            const item = await exportQueue.claim(sql, scope, claim, { verify: verifyInDoubt });
            if (!item) return { kind: "none", dueAt: await exportQueue.nextDue(sql, scope) };
            const exportTarget = knownExportTarget(integration.platform, item.entity);
            const logContext = { exportItemId: item.id };
            if (item.status === "VERIFYING") {
              return {
                kind: "call",
                lane: "EXPORT",
                work: { item, verifying: true },
                request: exportTarget.read(item.remoteId),
                logContext,
                ...(await allowance()),
              };
            }
            const remote = knownRemote(exportTarget, item);
            if (remote && isConflict(exportTarget, item.field, base(item), remote.value, item.value)) {
              const policy = integration.conflictPolicy;
              target.log.warn(
                { item: item.id, field: item.field, remote: remote.value, policy },
                "export conflicts with a change made on the platform",
              );
              deps.publish([
                ...(await holdConflict(sql, item, remote.value, policy, claim.fence, "SENDING")),
                { topic: "queueProgress", integrationId: integration.id },
              ]);
              // Held or dropped without a call: look for the next item. LOCAL_WINS sends it now.
              if (policy !== "LOCAL_WINS") continue;
            }
            return {
              kind: "call",
              lane: "EXPORT",
              work: { item, verifying: false },
              request: exportTarget.request(item.remoteId, item.field, item.value),
              idempotencyKey: item.idempotencyKey,
              logContext,
              ...(await allowance()),
            };
          }
        },
        unclaim: ({ item }) => exportQueue.unclaim(sql, item, claim.fence),
        async settle({ item, verifying }, outcome) {
          if (verifying) {
            const settlement = settlementOf(outcome, item.attempts, deps.time);
            const exportTarget = knownExportTarget(integration.platform, item.entity);
            const found = verificationOf(exportTarget, { ...item, base: base(item) }, settlement);
            if (found.kind !== "again")
              target.log.info(
                { item: item.id, found: found.kind },
                "read back an export whose outcome was unknown",
              );
            deps.publish(await settleVerification(sql, item, found, integration.conflictPolicy, claim.fence));
            return;
          }
          const settlement = settlementOf(outcome, item.attempts, deps.time, { write: true });
          await settleExport(sql, item, settlement, claim.fence);
          if (settlement.kind === "failed") target.log.warn({ item: item.id, outcome }, "export failed");
          if (settlement.kind === "inDoubt")
            target.log.warn({ item: item.id, reason: settlement.message }, "export's outcome unknown");
        },
      };
    },
  };
}
