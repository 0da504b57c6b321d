import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";

/** The client, or a transaction of it: what the domain's functions write with. */
export type Db = Prisma.TransactionClient | PrismaClient;

/**
 * Runs `work` inside the caller's transaction, or in a new one when given the client: for a change and
 * what it causes (e.g. a status and the webhook outbox rows it produces) that must commit together.
 */
export function inTransaction<T>(db: Db, work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  return "$transaction" in db ? db.$transaction(work) : work(db);
}
