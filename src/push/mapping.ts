import { createHash } from "node:crypto";
import type { MappingRule } from "../generated/prisma/client.ts";
import type { ManualJournalPayload } from "../platforms/xero-accounting/journal.ts";
import { formatCents } from "./money.ts";
import type { PacketDraft } from "./summarize.ts";

/**
 * Packets → the integrator's objects through the integration's MappingRules (DESIGN.md "Concepts:
 * MappingRule"): revenue categories and payment methods to account codes, tax rates to tax types. A rule
 * with an empty source value is the default for its source type. A packet with a value no rule maps
 * fails with a code naming what is missing; the run goes on with the other packets.
 */

export type MappingFailureCode =
  | "UNMAPPED_REVENUE_CATEGORY"
  | "UNMAPPED_TAX_RATE"
  | "UNMAPPED_PAYMENT_METHOD";

export type MappedPacket =
  | { ok: true; payload: ManualJournalPayload }
  | { ok: false; code: MappingFailureCode; message: string };

type Rule = Pick<MappingRule, "sourceType" | "sourceValue" | "targetType" | "targetValue">;

export class Mapper {
  private readonly targets = new Map<string, string>();

  constructor(rules: readonly Rule[]) {
    for (const rule of rules)
      this.targets.set(key(rule.sourceType, rule.targetType, rule.sourceValue), rule.targetValue);
  }

  private lookup(sourceType: Rule["sourceType"], targetType: Rule["targetType"], value: string) {
    return (
      this.targets.get(key(sourceType, targetType, value)) ??
      this.targets.get(key(sourceType, targetType, ""))
    );
  }

  /**
   * A balanced manual journal with tax exclusive: each revenue line credits its account with the net
   * (negative LineAmount) and carries its tax (TaxAmount, so the platform posts it to its tax account);
   * each payment method debits its clearing account. Debits equal credits because payments equal net
   * plus tax.
   */
  map(packet: PacketDraft): MappedPacket {
    const missing: { code: MappingFailureCode; what: string }[] = [];
    const need = (code: MappingFailureCode, what: string, target: string | undefined) => {
      if (target === undefined) missing.push({ code, what });
      return target ?? "";
    };
    const lines: ManualJournalPayload["JournalLines"] = [];
    for (const line of packet.revenue) {
      lines.push({
        Description: `Sales: ${line.revenueCategory} (${line.taxRate})`,
        LineAmount: amount(-line.netCents),
        AccountCode: need(
          "UNMAPPED_REVENUE_CATEGORY",
          `revenue category "${line.revenueCategory}"`,
          this.lookup("REVENUE_CATEGORY", "ACCOUNT_CODE", line.revenueCategory),
        ),
        TaxType: need(
          "UNMAPPED_TAX_RATE",
          `tax rate "${line.taxRate}"`,
          this.lookup("TAX_RATE", "TAX_TYPE", line.taxRate),
        ),
        TaxAmount: amount(-line.taxCents),
      });
    }
    for (const payment of packet.payments) {
      lines.push({
        Description: `Payments: ${payment.method}`,
        LineAmount: amount(payment.amountCents),
        AccountCode: need(
          "UNMAPPED_PAYMENT_METHOD",
          `payment method "${payment.method}"`,
          this.lookup("PAYMENT_METHOD", "ACCOUNT_CODE", payment.method),
        ),
        TaxType: "NONE",
        TaxAmount: 0,
      });
    }
    if (missing.length > 0) {
      const unique = [...new Set(missing.map((m) => m.what))];
      return {
        ok: false,
        code: missing[0]!.code,
        message: `No mapping rule for ${unique.join(", ")} (add a rule for the value, or a default rule)`,
      };
    }
    return {
      ok: true,
      payload: {
        Narration: `Sales ${packet.label}`,
        Date: packet.date,
        Status: "POSTED",
        LineAmountTypes: "Exclusive",
        JournalLines: lines,
      },
    };
  }
}

/** Cents as the JSON number Xero takes: "-100.10" parses to -100.1, which prints back as "-100.1". */
const amount = (cents: bigint) => Number(formatCents(cents));

const key = (sourceType: string, targetType: string, value: string) =>
  `${sourceType}\u0000${targetType}\u0000${value}`;

/**
 * The packet's Idempotency-Key: a hash of the integration and the exact payload. A resend of the same
 * packet (after a crash mid-call, or a retry) carries the same key, so the platform creates it once.
 */
export function packetIdempotencyKey(integrationId: string, payload: ManualJournalPayload): string {
  return createHash("sha256")
    .update(integrationId)
    .update("\u0000")
    .update(JSON.stringify(payload))
    .digest("hex");
}
