import type { PlatformKey } from "./catalog.ts";
import { PSA_RECORD_SHAPES } from "./psa/records.ts";
import type { RecordShape } from "./records.ts";
import { XERO_ACCOUNTING_RECORD_SHAPES } from "./xero-accounting/records.ts";
import { XPM_RECORD_SHAPES } from "./xpm/records.ts";

/** Each platform's typed record shapes, by entity key (an entity without one is read as raw JSON). */
export const RECORD_SHAPES: Readonly<Record<PlatformKey, Record<string, RecordShape>>> = {
  XPM: XPM_RECORD_SHAPES,
  XERO_ACCOUNTING: XERO_ACCOUNTING_RECORD_SHAPES,
  PSA: PSA_RECORD_SHAPES,
};
