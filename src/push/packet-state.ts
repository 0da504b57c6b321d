import { type SqlPool, sqlOf } from "../db/client.ts";
import { ClaimQueue } from "../engine/claims.ts";
import type { Settlement } from "../engine/settlement.ts";
import { sourcesOf, type TransitionTable } from "../engine/transitions.ts";
import type { DomainEvent } from "../events.ts";
import type { Prisma, PrismaClient, SyncPacket, SyncRun } from "../generated/prisma/client.ts";
import type { PacketState } from "../generated/prisma/enums.ts";
import { journalAnswer } from "../platforms/xero-accounting/journal.ts";
import { redactText } from "../redact.ts";
import { logPacketMoves } from "./packet-log.ts";
import type { MappedState } from "./payload.ts";

/**
 * A push packet's state, and the only code that writes it. Each packet moves PENDING → MAPPED →
 * SENDING → SENT or FAILED (or SKIPPED); every move is a guarded UPDATE through the engine's one claim
 * path (engine/claims.ts), written to the run's log of packet moves in the same transaction
 * (packet-log.ts), and returns a packetStateChanged event carrying the move and its place in the log.
 */
export const PACKET_TRANSITIONS: TransitionTable<PacketState> = {
  PENDING: ["MAPPED", "FAILED", "SKIPPED"],
  MAPPED: ["SENDING"],
  /**
   * Back to MAPPED: the budget said wait, a 429, a transient failure to retry. IN_DOUBT: its outcome is
   * unknown (the answer was lost, timed out or a 5xx; its worker died mid-call).
   */
  SENDING: ["MAPPED", "SENT", "FAILED", "IN_DOUBT"],
  /** Resent with its Idempotency-Key, which the platform honours (an unsent claim goes back too). */
  IN_DOUBT: ["SENDING"],
  /** Retried: mapped again with the current rules. */
  FAILED: ["MAPPED", "SKIPPED"],
  SENT: [],
  SKIPPED: [],
};

/** A packet as its moves report it. */
export type PacketRow = Pick<
  SyncPacket,
  "id" | "runId" | "sequence" | "label" | "attempts" | "remoteId" | "errorCode" | "errorMessage"
>;

/** A packet claimed for sending: the row plus what its call needs. */
export type ClaimedPacket = PacketRow & Pick<SyncPacket, "idempotencyKey" | "payload">;

const PACKET_COLUMNS = `id, "runId", sequence, label, attempts, "remoteId", "errorCode", "errorMessage"`;

export const packetQueue = new ClaimQueue<PacketState, ClaimedPacket>({
  table: "SyncPacket",
  stateColumn: "state",
  stateType: "PacketState",
  transitions: PACKET_TRANSITIONS,
  waiting: "MAPPED",
  inFlight: "SENDING",
  inDoubt: "IN_DOUBT",
  dueColumn: "nextAttemptAt",
  orderColumn: "sequence",
  returning: `${PACKET_COLUMNS}, "idempotencyKey", payload`,
});

type Tx = Prisma.TransactionClient;

/**
 * A claimed packet's call goes out now: that is when it is seen SENDING (a claim the budget put back at
 * once never is). Logged after the claim, which committed on its own: should this fail, the packet's
 * next logged move starts from its last logged state, so the log stays a true chain.
 */
export function packetSending(sql: SqlPool, packet: Pick<SyncPacket, "id">): Promise<DomainEvent[]> {
  return logPacketMoves(sql, [{ id: packet.id, to: "SENDING" }]);
}

/** Packets per INSERT: a push of 100,000 orders unsummarized makes 100,000 packets. */
const INSERT_CHUNK = 2_000;

/**
 * Creates a run's packets, built PENDING and mapped in the same transaction (MAPPED, FAILED or
 * SKIPPED): the only way packets come to be. Inserted in a few statements (one JSON parameter each);
 * returns both moves of every packet, in order.
 */
export async function insertPackets(
  tx: Tx,
  run: Pick<SyncRun, "id" | "integrationId">,
  packets: (MappedState & { sequence: number; label: string; totalAmount: string })[],
): Promise<DomainEvent[]> {
  const ids: string[] = [];
  for (let start = 0; start < packets.length; start += INSERT_CHUNK) {
    const chunk = packets.slice(start, start + INSERT_CHUNK);
    const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
      INSERT_PACKETS,
      JSON.stringify(chunk),
      run.id,
      run.integrationId,
      new Date(),
    );
    ids.push(...rows.map((row) => row.id));
  }
  return logPacketMoves(
    sqlOf(tx),
    packets.flatMap((packet, index) => [
      { id: ids[index]!, from: null, to: "PENDING" as const },
      { id: ids[index]!, from: "PENDING" as const, to: packet.state },
    ]),
  );
}

/** $1 the packets (JSON array), $2 run, $3 integration, $4 now. Returns ids in sequence order. */
const INSERT_PACKETS = `
  INSERT INTO "SyncPacket"
    (id, "runId", "integrationId", sequence, state, attempts, "idempotencyKey", label, "totalAmount",
     payload, "errorCode", "errorMessage", "createdAt", "updatedAt")
  SELECT gen_random_uuid(), $2::uuid, $3::uuid, p.sequence, p.state::"PacketState", 0, p."idempotencyKey",
         p.label, p."totalAmount"::numeric, p.payload, p."errorCode", p."errorMessage",
         $4::timestamp(3), $4::timestamp(3)
  FROM jsonb_to_recordset($1::jsonb) AS p(sequence int, state text, "idempotencyKey" text, label text,
    "totalAmount" text, payload jsonb, "errorCode" text, "errorMessage" text)
  ORDER BY p.sequence
  RETURNING id`;

/**
 * Records what the platform's answer means for a packet (engine/settlement.ts decided) and the run's
 * counts with it, in one transaction: SENT with the journal's id, FAILED (a refusal, including a 200
 * whose journal Xero marked ERROR), or back to MAPPED. A 429 is
 * not the packet's fault: it goes back with its attempt not counted, and that is no move to report.
 */
export async function settlePacket(
  prisma: PrismaClient,
  packet: ClaimedPacket,
  settlement: Settlement,
  fence: number,
): Promise<DomainEvent[]> {
  return prisma.$transaction(async (tx) => {
    const sql = sqlOf(tx);
    // Only the activation that claimed it, while its fencing token is current, settles it.
    if (!(await packetQueue.holds(sql, packet.id, fence))) return [];
    const count = (column: "sentCount" | "failedCount") =>
      tx.syncRun.update({ where: { id: packet.runId }, data: { [column]: { increment: 1 } } });
    let moved: PacketRow | null;
    let to: PacketState;
    switch (settlement.kind) {
      case "done": {
        // A 200 is not yet a sent journal: in the contract's default mode a refused one is a 200 too.
        const answer = journalAnswer(settlement.body);
        if (answer.kind === "saved") {
          to = "SENT";
          moved = await packetQueue.move(sql, packet.id, "SENT", {
            remoteId: answer.id,
            errorCode: null,
            errorMessage: null,
          });
          if (moved) await count("sentCount");
        } else {
          to = "FAILED";
          moved = await packetQueue.move(sql, packet.id, "FAILED", {
            errorCode: answer.kind === "refused" ? "PLATFORM_REJECTED" : "PLATFORM_UNREADABLE",
            errorMessage: redactText(
              answer.kind === "refused" ? `HTTP 200 (ERROR): ${answer.messages.join("; ")}` : answer.message,
            ),
          });
          if (moved) await count("failedCount");
        }
        break;
      }
      case "failed":
        moved = await packetQueue.move(sql, packet.id, "FAILED", {
          errorCode: settlement.code,
          errorMessage: redactText(settlement.message),
        });
        if (moved) await count("failedCount");
        to = "FAILED";
        break;
      case "retry":
        moved = await packetQueue.move(sql, packet.id, "MAPPED", {
          nextAttemptAt: settlement.notBefore,
          errorMessage: redactText(settlement.message),
        });
        to = "MAPPED";
        break;
      case "inDoubt":
        moved = await packetQueue.move(sql, packet.id, "IN_DOUBT", {
          nextAttemptAt: settlement.notBefore,
          errorMessage: redactText(`outcome unknown: ${settlement.message}`),
        });
        to = "IN_DOUBT";
        break;
      case "requeue":
        await packetQueue.move(sql, packet.id, "MAPPED", { attempts: { sql: "attempts - 1" } });
        // Back in line: logged only if its call was (a move from SENDING back to MAPPED).
        return logPacketMoves(sql, [{ id: packet.id, to: "MAPPED" }]);
    }
    return moved ? logPacketMoves(sql, [{ id: moved.id, to }]) : [];
  });
}

/**
 * Maps a FAILED packet again (the rule it lacked may exist now): MAPPED or SKIPPED with a fresh start,
 * or still FAILED with the current reason. Returns the move, if it moved.
 */
export async function remapFailedPacket(
  tx: Tx,
  packet: Pick<SyncPacket, "id">,
  mapped: MappedState,
): Promise<DomainEvent[]> {
  const data = {
    idempotencyKey: mapped.idempotencyKey,
    errorCode: mapped.errorCode,
    errorMessage: mapped.errorMessage,
    payload: mapped.payload as unknown as Prisma.InputJsonValue,
  };
  if (mapped.state === "FAILED") {
    await tx.syncPacket.update({ where: { id: packet.id }, data });
    return [];
  }
  const [moved] = await tx.syncPacket.updateManyAndReturn({
    where: { id: packet.id, state: { in: sourcesOf(PACKET_TRANSITIONS, mapped.state, ["FAILED"]) } },
    data: { ...data, state: mapped.state, attempts: 0, nextAttemptAt: null, remoteId: null },
  });
  return moved ? logPacketMoves(sqlOf(tx), [{ id: moved.id, to: mapped.state }]) : [];
}
