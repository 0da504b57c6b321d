import type { Lane, SyncKind } from "../generated/prisma/enums.ts";

/**
 * Priority lanes per integration, highest first (DESIGN.md, "The dispatch engine"). Before each call
 * the engine serves the highest lane with pending work; inside a lane, first come first served.
 */
export const LANES = [
  "INTERACTIVE",
  "INITIAL",
  "DAILY",
  "FREQUENT",
  "EXPORT",
] as const satisfies readonly Lane[];

export type { Lane };

/** The lane a run of a kind travels in. A forced sync travels in the lane of the work it repeats. */
export function laneForKind(kind: SyncKind): Lane {
  switch (kind) {
    case "INITIAL":
      return "INITIAL";
    case "DAILY":
    case "NIGHTLY":
    case "FORCE":
      return "DAILY";
    case "FREQUENT":
      return "FREQUENT";
    case "EXPORT":
    case "PUSH":
      return "EXPORT";
  }
}

export function laneRank(lane: Lane): number {
  return LANES.indexOf(lane);
}
