import type { Lane } from "../generated/prisma/enums.ts";

/**
 * The lane registry: the one place that orders lanes (DESIGN.md, "The dispatch engine"). Highest
 * first. Before each call the dispatcher serves the highest lane with pending work; inside a lane,
 * first come first served. The budget script is given a lane's rank, never its name, and the pull
 * queue orders runs by rank, so nothing else may rely on the order of the database enum.
 */
export const LANES = [
  /** A person is waiting on a live read: it takes the next free unit of every cap. */
  "INTERACTIVE",
  /** Opening balances after a connect. */
  "INITIAL",
  /** Once-a-day pulls (24-hourly and nightly) and forced syncs. */
  "DAILY",
  /** The 10-minute pulls. */
  "FREQUENT",
  /** Exports and accounting pushes, under the export reserve. */
  "EXPORT",
] as const satisfies readonly Lane[];

export type { Lane };

/** 0 for the highest lane. */
export function laneRank(lane: Lane): number {
  return LANES.indexOf(lane);
}

/** The lane whose callers wait in person and hold the next free unit (rank 0). */
export const INTERACTIVE_LANE: Lane = LANES[0];

/** The lane whose calls count against the export reserve as well as the integration's caps. */
export const EXPORT_LANE: Lane = "EXPORT";
