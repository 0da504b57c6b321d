import type { Lane } from "../generated/prisma/enums.ts";
import { logger } from "../logger.ts";
import type { SqlPool } from "./client.ts";

/**
 * The dispatch engine's durable state in PostgreSQL (the engine declares what it needs in
 * engine/store.ts; src/work.ts hands it this): activation fences and the call ledger. One statement per
 * use on the pool, outside any transaction, so a fence or a call is durable before the engine goes on.
 */

interface LedgerRow {
  id: string;
  integrationId: string;
  lane: Lane;
  export: boolean;
  startedAt: number;
  endedAt: number | null;
}

/** A row as the engine reads it: its times as numbers. */
function ledgerCall(row: LedgerRow): LedgerRow {
  return {
    ...row,
    startedAt: Number(row.startedAt),
    endedAt: row.endedAt === null ? null : Number(row.endedAt),
  };
}

/** Ends written together, at most this long after the first of them. */
const END_FLUSH_MS = 50;

/**
 * `urgentSql`: connections of their own (Database.urgentSql) for what stands between work above the
 * EXPORT lane and its call: the fence an urgent activation takes, and a non-export call's ledger row.
 */
export function engineStore(sql: SqlPool, urgentSql: SqlPool = sql) {
  return { fences: activationFences(sql, urgentSql), ledger: new CallLedgerTable(sql, urgentSql) };
}

function activationFences(sql: SqlPool, urgentSql: SqlPool) {
  return {
    async take(integrationId: string, options: { urgent?: boolean } = {}): Promise<number> {
      const rows = await (options.urgent ? urgentSql : sql).query<{ fence: string }>(
        `INSERT INTO "ActivationFence" ("integrationId", fence, "takenAt") VALUES ($1::uuid, 1, now())
         ON CONFLICT ("integrationId")
         DO UPDATE SET fence = "ActivationFence".fence + 1, "takenAt" = now()
         RETURNING fence`,
        [integrationId],
      );
      return Number(rows[0]!.fence);
    },
  };
}

/**
 * Ledger rows group-committed: one statement in flight at a time, and the calls granted meanwhile share
 * the next one, so an idle process writes each call at once and a busy one pays one commit for many.
 */
class GroupInsert {
  /** Calls granted while an insert was in flight: they go in the next one, together. */
  private waiting: { call: Omit<LedgerRow, "endedAt">; done: (err?: unknown) => void }[] = [];
  private inserting = false;

  constructor(private readonly sql: SqlPool) {}

  insert(call: Omit<LedgerRow, "endedAt">): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ call, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!this.inserting) void this.insertWaiting();
    });
  }

  private async insertWaiting(): Promise<void> {
    this.inserting = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      const calls = batch.map((entry) => entry.call);
      try {
        await this.sql.query(
          `INSERT INTO "CallLedger" (id, "integrationId", lane, export, "startedAt")
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::"Lane"[], $4::boolean[], $5::bigint[])`,
          [
            calls.map((call) => call.id),
            calls.map((call) => call.integrationId),
            calls.map((call) => call.lane),
            calls.map((call) => call.export),
            calls.map((call) => call.startedAt),
          ],
          { prepared: true },
        );
        for (const entry of batch) entry.done();
      } catch (err) {
        for (const entry of batch) entry.done(err ?? new Error("call ledger insert failed"));
      }
    }
    this.inserting = false;
  }
}

/**
 * A call is inserted when the budget grants it (before it goes out) and its end written when it ends.
 * Ends are buffered for a few milliseconds and written in one statement: an end that a crash loses
 * leaves the call open, which a rebuild reads as lasting until its call timeout (never shorter).
 */
class CallLedgerTable {
  private ends = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly exports: GroupInsert;
  private readonly others: GroupInsert;

  constructor(
    private readonly sql: SqlPool,
    urgentSql: SqlPool,
  ) {
    this.exports = new GroupInsert(sql);
    this.others = new GroupInsert(urgentSql);
  }

  /**
   * Records a granted call; resolves once its row is committed (the call may then go out). Exports and
   * other calls (a pull page, a live read: work that preempted the exports) are inserted apart, the
   * others on the urgent connections: behind a busy fleet's export rows and claims they waited 10-480 ms.
   */
  begin(call: Omit<LedgerRow, "endedAt">): Promise<void> {
    return (call.export ? this.exports : this.others).insert(call);
  }

  end(id: string, endedAt: number): void {
    this.ends.set(id, endedAt);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flushing = this.flushing.then(() => this.writeEnds());
    }, END_FLUSH_MS);
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.flushing = this.flushing.then(() => this.writeEnds());
    await this.flushing;
  }

  private async writeEnds(): Promise<void> {
    if (this.ends.size === 0) return;
    const ends = [...this.ends];
    this.ends = new Map();
    await this.sql
      .query(
        `UPDATE "CallLedger" AS l SET "endedAt" = e.ended
         FROM unnest($1::uuid[], $2::bigint[]) AS e(id, ended) WHERE l.id = e.id`,
        [ends.map(([id]) => id), ends.map(([, at]) => at)],
      )
      .catch((err) => logger.warn({ err, calls: ends.length }, "call ledger ends not written"));
  }

  async windows(integrationId: string, dayStart: number, recentFrom: number) {
    await this.flush();
    const [day] = await this.sql.query<{ calls: string; exports: string }>(
      `SELECT count(*) AS calls, count(*) FILTER (WHERE export) AS exports FROM "CallLedger"
       WHERE "integrationId" = $1::uuid AND "startedAt" >= $2`,
      [integrationId, dayStart],
    );
    const recent = await this.sql.query<LedgerRow>(
      `SELECT id, "integrationId", lane, export, "startedAt"::float8 AS "startedAt",
              "endedAt"::float8 AS "endedAt"
       FROM "CallLedger"
       WHERE "integrationId" = $1::uuid AND "startedAt" >= $2`,
      [integrationId, recentFrom],
    );
    return {
      day: { calls: Number(day?.calls ?? 0), exports: Number(day?.exports ?? 0) },
      recent: recent.map(ledgerCall),
    };
  }

  /**
   * Ranges over the start-time index (the last minute or so of the whole deployment's calls) and keeps
   * those of the platforms' integrations: one statement however many integrations the app has.
   */
  async platformCalls(platforms: readonly string[], recentFrom: number) {
    await this.flush();
    const rows = await this.sql.query<LedgerRow>(
      `SELECT l.id, l."integrationId", l.lane, l.export, l."startedAt"::float8 AS "startedAt",
              l."endedAt"::float8 AS "endedAt"
       FROM "CallLedger" l JOIN "Integration" i ON i.id = l."integrationId"
       WHERE l."startedAt" >= $1 AND i.platform = ANY($2::"PlatformKey"[])`,
      [recentFrom, platforms],
    );
    return rows.map(ledgerCall);
  }

  async prune(before: number): Promise<number> {
    const rows = await this.sql.query(`DELETE FROM "CallLedger" WHERE "startedAt" < $1 RETURNING 1`, [
      before,
    ]);
    return rows.length;
  }

  async forget(integrationId: string): Promise<void> {
    await this.flush();
    await this.sql.query(`DELETE FROM "CallLedger" WHERE "integrationId" = $1::uuid`, [integrationId]);
  }
}
