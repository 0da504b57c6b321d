import { sourcesOf, type TransitionTable } from "../engine/transitions.ts";
import type { ConnectionFlow, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { ConnectionFlowStatus } from "../generated/prisma/enums.ts";

/**
 * A connection flow's status, and the only code that writes it (with the single use of its state).
 * Every move is a guarded UPDATE that follows this table, so two callbacks racing for one flow cannot
 * both complete it.
 */
export const FLOW_TRANSITIONS: TransitionTable<ConnectionFlowStatus> = {
  /** The platform calls back: several organisations to choose from, one connected, or a refusal. */
  AUTHORIZING: ["CHOOSING_ORGANISATION", "COMPLETED", "FAILED"],
  /** The client chose (or the choice expired). */
  CHOOSING_ORGANISATION: ["COMPLETED", "FAILED"],
  COMPLETED: [],
  FAILED: [],
};

type Db = Prisma.TransactionClient | PrismaClient;

/** Starts a flow, AUTHORIZING: the only way one comes to be. */
export function createFlow(
  db: Db,
  data: Omit<Prisma.ConnectionFlowUncheckedCreateInput, "status" | "consumedAt">,
): Promise<ConnectionFlow> {
  return db.connectionFlow.create({ data: { ...data, status: "AUTHORIZING" } });
}

/**
 * Uses up a flow's state: the flow it names, if that is still AUTHORIZING, unused and unexpired. A
 * state can be used once: of two callbacks carrying it, one gets the flow and the other null.
 */
export async function consumeState(db: Db, stateHash: string): Promise<ConnectionFlow | null> {
  const [flow] = await db.connectionFlow.updateManyAndReturn({
    where: { stateHash, status: "AUTHORIZING", consumedAt: null, expiresAt: { gt: new Date() } },
    data: { consumedAt: new Date() },
  });
  return flow ?? null;
}

/** Moves a flow to `to` if its status allows (and is one of `from`); null when it was not allowed. */
export async function moveFlow(
  db: Db,
  flowId: string,
  to: ConnectionFlowStatus,
  data: Omit<Prisma.ConnectionFlowUncheckedUpdateManyInput, "status"> = {},
  from?: readonly ConnectionFlowStatus[],
): Promise<ConnectionFlow | null> {
  const [moved] = await db.connectionFlow.updateManyAndReturn({
    where: { id: flowId, status: { in: sourcesOf(FLOW_TRANSITIONS, to, from) } },
    data: { ...data, status: to },
  });
  return moved ?? null;
}
