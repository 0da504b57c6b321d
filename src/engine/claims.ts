import type { SqlPool } from "../db/client.ts";
import { sourcesOf, type TransitionTable } from "./transitions.ts";

/**
 * The one claim path for work sent one call at a time from a table (outbox items, push packets):
 * claim the oldest due row (waiting → in flight, one attempt more) with FOR UPDATE SKIP LOCKED so
 * parallel slots never take the same row, put it back untouched when the budget says wait, recover
 * rows a dead worker left in flight, and say when a backed-off row becomes due. Every state change
 * goes through `move`, a guarded UPDATE that follows the table's transition table. The domain module
 * that owns the table declares its spec and is the only caller.
 */
export interface ClaimSpec<S extends string> {
  /** Table name, as in the schema (quoted in SQL). */
  table: string;
  /** The column holding the state, and its PostgreSQL enum type. */
  stateColumn: string;
  stateType: string;
  transitions: TransitionTable<S>;
  /** The state of rows waiting to be sent, and of rows whose call is in flight. */
  waiting: S;
  inFlight: S;
  /** Column holding the earliest time a backed-off row may be sent again. */
  dueColumn: string;
  /** Column giving first come, first served order within a scope. */
  orderColumn: string;
  /** SQL column list returned by claim and move. */
  returning: string;
}

/** A value to set: a plain value (bound as a parameter) or an SQL expression over the row. */
export type SetValue = string | number | Date | null | { sql: string };

export class ClaimQueue<S extends string, Row> {
  constructor(readonly spec: ClaimSpec<S>) {}

  private get t() {
    return `"${this.spec.table}"`;
  }

  private get state() {
    return `"${this.spec.stateColumn}"`;
  }

  /** Claims the oldest due row of a scope (an integration's outbox, a run's packets), if any. */
  async claim(sql: SqlPool, scope: { column: string; id: string }): Promise<Row | null> {
    const { waiting, inFlight, stateType, dueColumn, orderColumn, returning } = this.spec;
    const rows = await sql.query<Row>(
      `UPDATE ${this.t} SET ${this.state} = '${inFlight}'::"${stateType}", attempts = attempts + 1,
         "updatedAt" = now()
       WHERE id = (
         SELECT id FROM ${this.t}
         WHERE "${scope.column}" = $1::uuid AND ${this.state} = '${waiting}'::"${stateType}"
           AND ("${dueColumn}" IS NULL OR "${dueColumn}" <= now())
         ORDER BY "${orderColumn}"
         LIMIT 1
         FOR UPDATE SKIP LOCKED
       )
       RETURNING ${returning}`,
      [scope.id],
    );
    return rows[0] ?? null;
  }

  /** The budget said wait: the claimed row goes back in line as it was, its attempt not counted. */
  async unclaim(sql: SqlPool, id: string): Promise<void> {
    await this.move(sql, id, this.spec.waiting, { attempts: { sql: "attempts - 1" } }, [this.spec.inFlight]);
  }

  /**
   * Rows a worker that died mid-call left in flight go back in line. Called by the activation that
   * holds the integration's lock, so no live call is in flight for them.
   */
  async recoverOrphans(sql: SqlPool, integrationId: string): Promise<number> {
    const { waiting, inFlight, stateType } = this.spec;
    const rows = await sql.query(
      `UPDATE ${this.t} SET ${this.state} = '${waiting}'::"${stateType}", "updatedAt" = now()
       WHERE "integrationId" = $1::uuid AND ${this.state} = '${inFlight}'::"${stateType}"
       RETURNING id`,
      [integrationId],
    );
    return rows.length;
  }

  /** When the scope's next backed-off row becomes due (ms since epoch), if one waits only for that. */
  async nextDue(sql: SqlPool, scope: { column: string; id: string }): Promise<number | null> {
    const { waiting, stateType, dueColumn } = this.spec;
    const rows = await sql.query<{ due: Date | null }>(
      `SELECT min("${dueColumn}") AS due FROM ${this.t}
       WHERE "${scope.column}" = $1::uuid AND ${this.state} = '${waiting}'::"${stateType}"
         AND "${dueColumn}" > now()`,
      [scope.id],
    );
    const due = rows[0]?.due;
    return due ? new Date(due).getTime() : null;
  }

  /**
   * Moves one row to `to` (setting `set` too) if its current state may move there, optionally only
   * from the states in `from`. Returns the row after the move, or null when it was not allowed.
   */
  async move(
    sql: SqlPool,
    id: string,
    to: S,
    set: Record<string, SetValue> = {},
    from?: readonly S[],
  ): Promise<Row | null> {
    const { stateType, transitions, returning } = this.spec;
    const params: unknown[] = [id, sourcesOf(transitions, to, from)];
    const assignments = Object.entries(set).map(([column, value]) => {
      if (value === null) return `"${column}" = NULL`;
      if (typeof value === "object" && !(value instanceof Date)) return `"${column}" = ${value.sql}`;
      params.push(value instanceof Date ? value.toISOString() : value);
      const placeholder = `$${params.length}`;
      // Timestamps are stored as UTC without a zone, as Prisma writes them.
      if (value instanceof Date) return `"${column}" = (${placeholder}::timestamptz AT TIME ZONE 'UTC')`;
      return `"${column}" = ${placeholder}${typeof value === "number" ? "::int" : "::text"}`;
    });
    const rows = await sql.query<Row>(
      `UPDATE ${this.t}
       SET ${[`${this.state} = '${to}'::"${stateType}"`, ...assignments, `"updatedAt" = now()`].join(", ")}
       WHERE id = $1::uuid AND ${this.state}::text = ANY($2::text[])
       RETURNING ${returning}`,
      params,
    );
    return rows[0] ?? null;
  }
}
