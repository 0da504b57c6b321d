import { describe, expect, it } from "vitest";
import { sourcesOf, type TransitionTable } from "../../../src/engine/transitions.ts";
import { INTEGRATION_TRANSITIONS } from "../../../src/integrations/integration-state.ts";
import { ACTIVE_RUN_STATUSES, RUN_TRANSITIONS } from "../../../src/sync/run-state.ts";

/** State machines as data: the guard every status change is written with, and the tables themselves. */
const LIGHT: TransitionTable<"RED" | "GREEN" | "AMBER" | "OFF"> = {
  RED: ["GREEN", "OFF"],
  GREEN: ["AMBER", "OFF"],
  AMBER: ["RED", "OFF"],
  OFF: [],
};

describe("sourcesOf", () => {
  it("lists every state that may move to the target", () => {
    expect(sourcesOf(LIGHT, "OFF")).toEqual(["RED", "GREEN", "AMBER"]);
    expect(sourcesOf(LIGHT, "RED")).toEqual(["AMBER"]);
  });

  it("narrows to the states a caller expects, and refuses a move the table does not allow", () => {
    expect(sourcesOf(LIGHT, "OFF", ["GREEN", "AMBER"])).toEqual(["GREEN", "AMBER"]);
    expect(() => sourcesOf(LIGHT, "RED", ["GREEN"])).toThrow("No transition GREEN → RED");
  });
});

describe("the domain's tables", () => {
  const tables = { run: RUN_TRANSITIONS, integration: INTEGRATION_TRANSITIONS } as Record<
    string,
    TransitionTable<string>
  >;

  it.each(Object.entries(tables))("%s: every move goes to a declared state, none to itself", (_, table) => {
    const states = Object.keys(table);
    for (const [from, targets] of Object.entries(table)) {
      expect(targets.every((to) => states.includes(to))).toBe(true);
      expect(targets).not.toContain(from);
    }
  });

  it("a run still ahead of its work may always be cancelled; a cancelled, failed or partial one never moves", () => {
    for (const status of ACTIVE_RUN_STATUSES) expect(RUN_TRANSITIONS[status]).toContain("CANCELLED");
    for (const status of ["CANCELLED", "FAILED", "PARTIAL"] as const)
      expect(RUN_TRANSITIONS[status]).toEqual([]);
  });

  it("a disconnected integration comes back only by reconnecting, to wait for its initial sync", () => {
    expect(INTEGRATION_TRANSITIONS.DISCONNECTED).toEqual(["PENDING"]);
    expect(sourcesOf(INTEGRATION_TRANSITIONS, "DISCONNECTED").sort()).toEqual(
      Object.keys(INTEGRATION_TRANSITIONS)
        .filter((status) => status !== "DISCONNECTED")
        .sort(),
    );
  });
});
