import type { SqlPool } from "../db/client.ts";
import type { ClaimContext } from "./store.ts";
import { sourcesOf, type TransitionTable } from "./transitions.ts";

/**
 * The one claim path for work sent one call at a time from a table (outbox items, push packets):
 * claim the oldest due row (waiting or in doubt → in flight, one attempt more) with FOR UPDATE SKIP
 * LOCKED so parallel slots never take the same row, put it back untouched when the budget says wait,
 * turn rows a lost activation left in flight into rows in doubt, and say when a backed-off row becomes
 * due. Every state change goes through `move`, a guarded UPDATE that follows the table's transition
 * table. The domain module that owns the table declares its spec and is the only caller.
 *
 * Fencing: a claim stamps the row with the claiming activation's fencing token, and is made only while
 * that token is the integration's current one (the ActivationFence table, engine/store.ts). Settling or
 * putting back a claimed row passes the token again: an activation whose token was superseded (it lost
 * its lock, and another activation took the integration) changes nothing.
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
  /**
   * Rows whose send's outcome is unknown (the worker died mid-call, the answer was lost). They are
   * claimed again in their turn: resent (in flight, with the same idempotency key), or, when the caller
   * asks to verify, moved to `verifying` while the remote object is read.
   */
  inDoubt: S;
  verifying?: S;
  /** Column holding the earliest time a backed-off row may be sent again. */
  dueColumn: string;
  /** Column giving first come, first served order within a scope. */
  orderColumn: string;
  /** SQL column list returned by claim (the table's columns, unqualified, or subqueries over it). */
  returning: string;
  /** SQL column list returned by move, when less than a claim's is needed. */
  movedReturning?: string;
  /** An extra condition a row must meet to be claimed (SQL over the table, e.g. no older row for the same object). */
  claimable?: string;
}

/** A value to set: a plain value (bound as a parameter) or an SQL expression over the row. */
export type SetValue = string | number | Date | null | { sql: string } | { json: unknown };

/** The engine's fencing tokens (written by the composition root's store: db/engine-store.ts). */
const FENCES = `"ActivationFence"`;

/**
 * Whether `fence` is still the integration's current fencing token, for work that is not a claimed row
 * (a pull run's page). Call it first inside the transaction that settles the work: it locks the token's
 * row for the rest of the transaction, so an activation taking the integration over (which takes the
 * next token) waits for this settlement to commit, then sees it, and a superseded activation settles
 * nothing.
 */
export async function holdsFence(sql: SqlPool, integrationId: string, fence: number): Promise<boolean> {
  const rows = await sql.query(
    `SELECT 1 FROM ${FENCES} WHERE "integrationId" = $1::uuid AND fence = $2::bigint FOR SHARE`,
    [integrationId, fence],
    { prepared: true },
  );
  return rows.length > 0;
}

export class ClaimQueue<S extends string, Row, Moved = Row> {
  constructor(readonly spec: ClaimSpec<S>) {}

  private get t() {
    return `"${this.spec.table}"`;
  }

  private get state() {
    return `"${this.spec.stateColumn}"`;
  }

  private literal(state: S): string {
    return `'${state}'::"${this.spec.stateType}"`;
  }

  /**
   * Whether `fence` (a parameter) is still the current token of the row's integration. `lock` (for a
   * claim): the token is held FOR SHARE until the claim commits, so a newer activation's fence waits for
   * the claim, and its orphan recovery, which follows, sees the row claimed. Unlocked, a lost
   * activation's claim running while the fence was taken could commit after the recovery looked, and
   * the row would stay in flight once the activations after it skip recovery after clean releases.
   */
  private currentFence(param: string, options: { lock?: boolean } = {}): string {
    return `EXISTS (SELECT 1 FROM ${FENCES} f WHERE f."integrationId" = ${this.t}."integrationId" AND f.fence = ${param}::bigint${options.lock ? " FOR SHARE" : ""})`;
  }

  /**
   * Claims the oldest due row of a scope (an integration's outbox, a run's packets), if any, for the
   * activation holding `claim.fence`. A row in doubt goes to `verifying` when `verify` is set (the
   * platform does not honour idempotency keys: read before writing again), else in flight. The row
   * comes back with `claimedFrom`, the state it was claimed from, and `moreDue`: whether another row of
   * the scope was due beside it (as the claim's snapshot saw them), so the caller knows work is waiting.
   */
  async claim(
    sql: SqlPool,
    scope: { column: string; id: string },
    claim: Pick<ClaimContext, "fence">,
    options: { verify?: boolean } = {},
  ): Promise<(Row & { claimedFrom: S; moreDue: boolean }) | null> {
    const { waiting, inFlight, inDoubt, verifying, dueColumn, orderColumn, returning } = this.spec;
    const verify = options.verify && verifying;
    const next = verify
      ? `CASE WHEN c.claimed_from = ${this.literal(inDoubt)} THEN ${this.literal(verifying)} ELSE ${this.literal(inFlight)} END`
      : this.literal(inFlight);
    // The oldest due row of each claimable state, each found in order on the (scope, state, order) index
    // (one sort over both states would read every waiting row first), then the older of the two.
    const candidate = (state: S) => `
         SELECT id AS claimed_id, ${this.state} AS claimed_from, "${orderColumn}" AS claimed_order FROM ${this.t}
         WHERE "${scope.column}" = $1::uuid AND ${this.state} = ${this.literal(state)}
           AND ("${dueColumn}" IS NULL OR "${dueColumn}" <= now())
           ${this.spec.claimable ? `AND ${this.spec.claimable}` : ""}
         ORDER BY "${orderColumn}"
         LIMIT 1
         FOR UPDATE SKIP LOCKED`;
    const rows = await sql.query<Row & { claimedFrom: S; moreDue: boolean }>(
      `WITH waiting AS (${candidate(waiting)}), in_doubt AS (${candidate(inDoubt)}),
         c AS (SELECT * FROM waiting UNION ALL SELECT * FROM in_doubt ORDER BY claimed_order LIMIT 1)
       UPDATE ${this.t} SET ${this.state} = ${next}, attempts = attempts + 1, fence = $2::bigint,
         "updatedAt" = now()
       FROM c
       WHERE ${this.t}.id = c.claimed_id AND ${this.currentFence("$2", { lock: true })}
       RETURNING ${returning}, c.claimed_from::text AS "claimedFrom",
         EXISTS (SELECT 1 FROM ${this.t}
           WHERE "${scope.column}" = $1::uuid AND ${this.state} IN (${this.literal(waiting)}, ${this.literal(inDoubt)})
             AND id <> c.claimed_id AND ("${dueColumn}" IS NULL OR "${dueColumn}" <= now())
             ${this.spec.claimable ? `AND ${this.spec.claimable}` : ""}) AS "moreDue"`,
      [scope.id, claim.fence],
      { prepared: true },
    );
    return rows[0] ?? null;
  }

  /**
   * Claims, along with a row just claimed, the other due rows of its group that the same call can carry
   * (export edits of other fields of one remote object), for the same activation: at most `limit`, oldest
   * first, from `from` (waiting: to in flight; in doubt: to `verifying`), each claimable in its own right.
   * `sameGroup` is SQL comparing the table's row with `p`, the row already claimed.
   */
  async claimAlong(
    sql: SqlPool,
    claimedId: string,
    sameGroup: string,
    from: S,
    claim: Pick<ClaimContext, "fence">,
    limit: number,
  ): Promise<(Row & { claimedFrom: S })[]> {
    const { inFlight, inDoubt, verifying, dueColumn, orderColumn, returning } = this.spec;
    const to = from === inDoubt && verifying ? verifying : inFlight;
    return sql.query<Row & { claimedFrom: S }>(
      `WITH c AS (
         SELECT ${this.t}.id AS claimed_id FROM ${this.t}, ${this.t} p
         WHERE p.id = $1::uuid AND ${this.t}.id <> p.id AND ${sameGroup}
           AND ${this.t}.${this.state} = ${this.literal(from)}
           AND (${this.t}."${dueColumn}" IS NULL OR ${this.t}."${dueColumn}" <= now())
           ${this.spec.claimable ? `AND ${this.spec.claimable}` : ""}
         ORDER BY ${this.t}."${orderColumn}"
         LIMIT $3
         FOR UPDATE OF ${this.t} SKIP LOCKED)
       UPDATE ${this.t} SET ${this.state} = ${this.literal(to)}, attempts = attempts + 1, fence = $2::bigint,
         "updatedAt" = now()
       FROM c
       WHERE ${this.t}.id = c.claimed_id AND ${this.currentFence("$2", { lock: true })}
       RETURNING ${returning}, '${from}' AS "claimedFrom"`,
      [claimedId, claim.fence, limit],
      { prepared: true },
    );
  }

  /** The budget said wait: the claimed row goes back to where it was claimed from, its attempt not counted. */
  async unclaim(sql: SqlPool, row: { id: string; claimedFrom: S }, fence: number): Promise<void> {
    const { inFlight, verifying } = this.spec;
    await this.move(
      sql,
      row.id,
      row.claimedFrom,
      { attempts: { sql: "attempts - 1" } },
      {
        from: verifying ? [inFlight, verifying] : [inFlight],
        fence,
      },
    );
  }

  /**
   * Rows an earlier activation left in flight or verifying (its worker died mid-call, or it lost its
   * lock) become rows in doubt: their send may have reached the platform. Called by the activation that
   * holds the integration's lock and its newest fence, so the earlier one can settle none of them any
   * more. A write is looked at again only once its call can no longer arrive (the call timeout after its
   * claim): read back or resent before then, a late arrival could still apply it twice.
   */
  async recoverOrphans(sql: SqlPool, integrationId: string, claim: ClaimContext): Promise<number> {
    const { inFlight, verifying, inDoubt, dueColumn } = this.spec;
    const stranded = verifying ? [inFlight, verifying] : [inFlight];
    const rows = await sql.query(
      `UPDATE ${this.t} SET ${this.state} = ${this.literal(inDoubt)},
         "${dueColumn}" = CASE WHEN ${this.state} = ${this.literal(inFlight)}
           THEN "updatedAt" + make_interval(secs => $3::float8 / 1000) ELSE NULL END,
         "updatedAt" = now()
       WHERE "integrationId" = $1::uuid AND ${this.state} IN (${stranded.map((s) => this.literal(s)).join(", ")})
         AND (fence IS NULL OR fence < $2::bigint)
       RETURNING id`,
      [integrationId, claim.fence, claim.callTimeoutMs],
    );
    return rows.length;
  }

  /**
   * Whether the activation holding `fence` may settle the row: it claimed it with that token, and the
   * token is still the integration's current one. Locks the row for the rest of the transaction, so an
   * activation taking the integration over waits for the settlement before it looks at the row.
   */
  async holds(sql: SqlPool, id: string, fence: number): Promise<boolean> {
    const rows = await sql.query(
      `SELECT 1 FROM ${this.t} WHERE id = $1::uuid AND fence = $2::bigint AND ${this.currentFence("$2")}
       FOR UPDATE`,
      [id, fence],
      { prepared: true },
    );
    return rows.length > 0;
  }

  /**
   * When the scope's next backed-off claimable row becomes due (ms since epoch), asked after a claim
   * found none. The time may already have passed: a row whose backoff ended between the claim and this
   * look (a retry's backoff can be a few milliseconds in compressed time) is due now, and the caller
   * comes back for it soon instead of leaving it behind with nothing to wake it. Rows without a due time
   * are not counted: one the claim did not get is new or held by another transaction, whose commit
   * announces it.
   */
  async nextDue(sql: SqlPool, scope: { column: string; id: string }): Promise<number | null> {
    const { waiting, inDoubt, dueColumn } = this.spec;
    const rows = await sql.query<{ due: Date | null }>(
      `SELECT min("${dueColumn}") AS due FROM ${this.t}
       WHERE "${scope.column}" = $1::uuid AND ${this.state} IN (${this.literal(waiting)}, ${this.literal(inDoubt)})
         ${this.spec.claimable ? `AND ${this.spec.claimable}` : ""}`,
      [scope.id],
      { prepared: true },
    );
    const due = rows[0]?.due;
    return due ? new Date(due).getTime() : null;
  }

  /**
   * Moves one row to `to` (setting `set` too) if its current state may move there, optionally only
   * from the states in `from`, and, given a `fence`, only while the row was claimed with that token and
   * it is still its integration's current one. Returns the row after the move, or null when it was not
   * allowed.
   */
  async move(
    sql: SqlPool,
    id: string,
    to: S,
    set: Record<string, SetValue> = {},
    guard: { from?: readonly S[]; fence?: number } = {},
  ): Promise<Moved | null> {
    const { stateType, transitions, returning, movedReturning } = this.spec;
    const params: unknown[] = [id, sourcesOf(transitions, to, guard.from)];
    const assignments = Object.entries(set).map(([column, value]) => {
      if (value === null) return `"${column}" = NULL`;
      if (typeof value === "object" && "sql" in value) return `"${column}" = ${value.sql}`;
      if (typeof value === "object" && "json" in value) {
        params.push(JSON.stringify(value.json ?? null));
        return `"${column}" = $${params.length}::jsonb`;
      }
      params.push(value instanceof Date ? value.toISOString() : value);
      const placeholder = `$${params.length}`;
      // Timestamps are stored as UTC without a zone, as Prisma writes them.
      if (value instanceof Date) return `"${column}" = (${placeholder}::timestamptz AT TIME ZONE 'UTC')`;
      return `"${column}" = ${placeholder}${typeof value === "number" ? "::int" : "::text"}`;
    });
    let fenced = "";
    if (guard.fence !== undefined) {
      params.push(guard.fence);
      fenced = `AND fence = $${params.length}::bigint AND ${this.currentFence(`$${params.length}`)}`;
    }
    const rows = await sql.query<Moved>(
      `UPDATE ${this.t}
       SET ${[`${this.state} = '${to}'::"${stateType}"`, ...assignments, `"updatedAt" = now()`].join(", ")}
       WHERE id = $1::uuid AND ${this.state}::text = ANY($2::text[]) ${fenced}
       RETURNING ${movedReturning ?? returning}`,
      params,
      // The text varies only with which columns are set: a few statements per table.
      { prepared: true },
    );
    return rows[0] ?? null;
  }
}
