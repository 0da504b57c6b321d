import { createHash } from "node:crypto";
import type { CallTarget } from "../engine/provider-call.ts";
import { settlementOf } from "../engine/settlement.ts";
import type { WorkSource } from "../engine/work-source.ts";
import { SERVABLE } from "../integrations/integration-state.ts";
import { PLATFORMS } from "../platforms/catalog.ts";
import type { ExportTarget } from "../platforms/export-target.ts";
import { knownExportTarget } from "../platforms/exports.ts";
import { isConflict, knownRemote, verificationOf } from "./export-conflict.ts";
import { exportAllowances } from "./export-reserve.ts";
import {
  type ClaimedExport,
  claimSameObject,
  exportQueue,
  holdConflict,
  type Known,
  OPEN_EXPORT_STATUSES,
  refusedTogether,
  settleExport,
  settleVerification,
} from "./export-state.ts";
import type { WorkDeps } from "./work-deps.ts";

/**
 * An object's call: the write of one or more of its fields' items, or the read that verifies items in
 * doubt. The first item is the one claimed in its turn; the others came along (claimSameObject).
 */
interface ExportWork {
  items: ClaimedExport[];
  verifying: boolean;
}

/**
 * The outbox as engine work, in the EXPORT lane: the oldest due item, sent with its Idempotency-Key.
 * Where the platform's update takes several fields of one object together (XPM job.api/update), the
 * object's other due fields go in the same call; each stays an item of its own, so repeated edits of a
 * field still coalesce to the latest value while they wait. Items are claimed before the budget is
 * asked, so a granted call starts at once; if the budget says wait, they go back in line untouched.
 * Items known to wait for budget (put back, due beside the last claimed, or left refused by the
 * activation that parked) have the budget asked first and are claimed once it grants (`waiting`).
 *
 * Before a write, each field's platform value as last known (the last pull's, or an export's since) is
 * compared with the value the edit was based on: someone else's change is a conflict, decided by the
 * integration's policy, never silently overwritten. Items in doubt are resent with their key where the
 * platform honours idempotency keys (the catalog says, from its contract); elsewhere their object is
 * read first, through the budget like any call (one read for every field of it in doubt), and each item
 * settled by what is there for its field. A call of several fields the platform refuses applied none
 * of them: each is sent again in a call of its own, so only a field the platform will not take fails
 * (export-state.ts refusedTogether). In ADAPTIVE reserve mode each call carries what it may use beyond
 * the export reserve (export-reserve.ts).
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
    open(target: CallTarget, claim, options = {}) {
      const { integration } = target;
      const scope = { column: "integrationId", id: integration.id };
      const verifyInDoubt = !PLATFORMS[integration.platform].honoursIdempotencyKey;
      const base = (item: ClaimedExport): Known => (item.baseKnown ? { value: item.baseValue } : undefined);
      // The reserve mode's allowance (export-reserve.ts), worked out again when it runs out or work arrives.
      const reserve = exportAllowances(deps, target);
      // Items wait for budget: put back after a denial, or due beside the last one claimed. The budget is
      // asked before a claim, so a look the budget refuses costs no claim and no putting back (half the
      // claims of a backlogged fleet were put back at once).
      // Waiting from the start when the activation that parked left them refused (WorkSource.open).
      let putBack = options.waitsForBudget ?? false;
      let moreDue = false;
      return {
        announced: () => reserve.forget(),
        waiting: async () => (putBack || moreDue ? { lane: "EXPORT", ...(await reserve.offer()) } : null),
        async next() {
          for (;;) {
            const first = await exportQueue.claim(sql, scope, claim, { verify: verifyInDoubt });
            moreDue = first?.moreDue ?? false;
            if (!first) {
              putBack = false;
              return { kind: "none", dueAt: await exportQueue.nextDue(sql, scope) };
            }
            const exportTarget = knownExportTarget(integration.platform, first.entity);
            // Other fields of the same object go in the same call where the platform's update takes them.
            // Only where items in doubt are read back, field by field: a platform that honours keys
            // would get each resent with its own key, which a call of several did not carry.
            const items =
              exportTarget.requestFields && verifyInDoubt && first.otherFields
                ? [first, ...(await claimSameObject(sql, first, claim))]
                : [first];
            // What was due beside the first may be the fields claimed along with it: not known to wait
            // (asked first, the budget's unit would go unused, charged as a call).
            if (items.length > 1) moreDue = false;
            const logContext = { exportItemId: items.map((item) => item.id).join(",") };
            if (first.status === "VERIFYING") {
              return {
                kind: "call",
                lane: "EXPORT",
                work: { items, verifying: true },
                request: exportTarget.read(first.remoteId),
                logContext,
                ...(await reserve.offer()),
              };
            }
            // Each field is checked on its own: one held as a conflict leaves the call, the others go.
            const sending: ClaimedExport[] = [];
            for (const item of items) {
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
                // Held or dropped without a call. LOCAL_WINS sends it now.
                if (policy !== "LOCAL_WINS") continue;
              }
              sending.push(item);
            }
            if (sending.length === 0) continue;
            return {
              kind: "call",
              lane: "EXPORT",
              work: { items: sending, verifying: false },
              request: requestFor(exportTarget, sending),
              idempotencyKey: idempotencyKeyOf(sending),
              logContext,
              ...(await reserve.offer()),
            };
          }
        },
        async unclaim({ items }) {
          for (const item of items) await exportQueue.unclaim(sql, item, claim.fence);
          putBack = true;
        },
        calling() {
          putBack = false;
        },
        async settle({ items, verifying }, outcome) {
          const attempts = Math.max(...items.map((item) => item.attempts));
          const exportTarget = knownExportTarget(integration.platform, items[0]!.entity);
          if (verifying) {
            // One read, each field judged by what it shows.
            const settlement = settlementOf(outcome, attempts, deps.time);
            for (const item of items) {
              const found = verificationOf(exportTarget, { ...item, base: base(item) }, settlement);
              if (found.kind !== "again")
                target.log.info(
                  { item: item.id, found: found.kind },
                  "read back an export whose outcome was unknown",
                );
              deps.publish(
                await settleVerification(sql, item, found, integration.conflictPolicy, claim.fence),
              );
            }
            return;
          }
          // One answer for every field the call carried.
          const settlement = settlementOf(outcome, attempts, deps.time, { write: true });
          const ids = items.map((item) => item.id);
          if (items.length > 1 && settlement.kind === "failed" && settlement.code === "PLATFORM_REJECTED") {
            // Refused, so nothing of it was applied: each field goes once more on its own, and only the
            // one the platform will not take fails.
            for (const item of items) await refusedTogether(sql, item, settlement.message, claim.fence);
            target.log.warn({ items: ids, outcome }, "a call of several fields was refused; each goes alone");
            return;
          }
          for (const item of items) await settleExport(sql, item, settlement, claim.fence);
          if (settlement.kind === "failed") target.log.warn({ items: ids, outcome }, "export failed");
          if (settlement.kind === "inDoubt")
            target.log.warn({ items: ids, reason: settlement.message }, "export's outcome unknown");
        },
      };
    },
  };
}

/** One field's call as before; several fields of one object in one call (the target takes them together). */
function requestFor(target: ExportTarget, items: readonly ClaimedExport[]) {
  const [first] = items as [ClaimedExport, ...ClaimedExport[]];
  if (items.length === 1 || !target.requestFields)
    return target.request(first.remoteId, first.field, first.value);
  return target.requestFields(
    first.remoteId,
    Object.fromEntries(items.map((item) => [item.field, item.value])),
  );
}

/**
 * A call's Idempotency-Key: its item's own, or for several items one derived from theirs, so the same
 * set of edits resent carries the same key and any other set a key of its own.
 */
function idempotencyKeyOf(items: readonly ClaimedExport[]): string {
  if (items.length === 1) return items[0]!.idempotencyKey;
  const keys = items.map((item) => item.idempotencyKey).sort();
  return createHash("sha256").update(keys.join(",")).digest("hex").slice(0, 64);
}
