import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { Config } from "../config.ts";
import { PrismaClient } from "../generated/prisma/client.ts";
import { logger } from "../logger.ts";
import { countDatabaseStatements } from "../observability/metrics.ts";
import { migrate } from "./migrate.ts";
import { openPostgresSession, pgliteSession, type SqlSession } from "./sql.ts";

export type { PrismaClient };

/** Parameterised SQL on a pool, for the engine's hot path (one statement per call, no query planning). */
export interface SqlPool {
  /**
   * `prepared`: the statement is made once per connection and its plan reused (PostgreSQL), for the
   * few fixed statements run once per provider call, activation or announcement; never for SQL whose
   * text varies with data.
   */
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    options?: { prepared?: boolean },
  ): Promise<Row[]>;
}

/** Raw SQL inside a Prisma transaction (or on the client), for statements that must commit with others. */
export function sqlOf(db: Pick<PrismaClient, "$queryRawUnsafe">): SqlPool {
  return { query: <Row>(sql: string, params: unknown[] = []) => db.$queryRawUnsafe<Row[]>(sql, ...params) };
}

/** Raw SQL, or a Prisma client or transaction to run it in (asSql). */
export type SqlLike = SqlPool | Pick<PrismaClient, "$queryRawUnsafe">;

/** Raw SQL on whichever `db` is: statements shared by raw transactions and Prisma ones take either. */
export function asSql(db: SqlLike): SqlPool {
  return "query" in db ? db : sqlOf(db);
}

/** An open database: the Prisma client plus raw SQL for migrations and the engine's hot path. */
export interface Database {
  kind: Config["database"]["kind"];
  prisma: PrismaClient;
  sql: SqlPool;
  /**
   * Raw SQL on a few connections of its own, for the engine's statements on the way to a call above the
   * EXPORT lane (a newly arrived run's ledger row): a fleet draining exports keeps `sql` busy, and a run
   * behind it waited there for its turn (bench:fleet: up to 116 statements queued ahead of it).
   */
  urgentSql: SqlPool;
  /**
   * Runs `work` in one transaction of raw SQL on connections kept for it (PGlite: the embedded instance, to
   * itself meanwhile), committed when it resolves and rolled back when it throws: for writes made per
   * call that must commit together (a pull's page) without the cost of a Prisma transaction. `work` uses
   * only the `tx` it is given: a statement on `prisma` or `sql` inside it would wait for the transaction
   * on PGlite, which waits for it.
   */
  transaction<T>(work: (tx: SqlPool) => Promise<T>): Promise<T>;
  /** Opens a raw SQL session (its own connection on PostgreSQL; the shared instance on PGlite). */
  session(): Promise<SqlSession>;
  /**
   * Statements this process has sent through `prisma` and `sql` since the database was opened: how tests
   * and benchmarks see what a piece of work costs the database (e.g. per subscription event).
   */
  queryCount(): number;
  close(): Promise<void>;
}

let current: Database | undefined;

/**
 * The process-wide Prisma client. The GraphQL layer imports it as a module rather than carrying it on
 * the request context (plugin-prisma's recommended setup); `openDatabase` must have run first.
 */
export function prisma(): PrismaClient {
  if (!current) throw new Error("Database not opened: call openDatabase(config) first");
  return current.prisma;
}

/** Opens PostgreSQL (DATABASE_URL) or the embedded PGlite database, and applies pending migrations. */
export async function openDatabase(database: Config["database"], options: { migrate?: boolean } = {}) {
  const db = database.kind === "postgres" ? openPostgres(database.url) : await openPglite(database.dir);
  if (options.migrate ?? true) {
    const session = await db.session();
    try {
      await migrate(session);
    } finally {
      await session.close();
    }
  }
  current = db;
  countDatabaseStatements(() => db.queryCount());
  return db;
}

/** A Prisma client that reports each statement it sends, for `Database.queryCount`. */
function countedClient(adapter: PrismaPg): { prisma: PrismaClient; counter: { n: number } } {
  const counter = { n: 0 };
  const client = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
  client.$on("query", () => {
    counter.n++;
  });
  return { prisma: client as unknown as PrismaClient, counter };
}

/** Connections kept for statements on the way to a call above the EXPORT lane (`Database.urgentSql`). */
const URGENT_CONNECTIONS = 3;
/**
 * Connections kept for raw transactions (`Database.transaction`): a page of a big listing holds one while
 * it hashes and writes its records, and the engine's statements on `sql` must not queue behind it.
 */
const TRANSACTION_CONNECTIONS = 4;
/** The longest a raw transaction's statement may run, or the transaction sit idle (ms). */
const TRANSACTION_LIMIT_MS = 60_000;

function openPostgres(url: string): Database {
  const { prisma, counter } = countedClient(new PrismaPg({ connectionString: url }));
  const pools = [
    new pg.Pool({ connectionString: url, max: 10 }),
    new pg.Pool({ connectionString: url, max: URGENT_CONNECTIONS }),
    new pg.Pool({ connectionString: url, max: TRANSACTION_CONNECTIONS }),
  ];
  const [pool, urgentPool, transactionPool] = pools as [pg.Pool, pg.Pool, pg.Pool];
  // An idle pooled connection the server closed is replaced on next use; it must not crash the process.
  for (const each of pools) each.on("error", (err) => logger.warn({ err }, "idle database connection lost"));
  return {
    kind: "postgres",
    prisma,
    sql: pooledSql(pool, counter),
    urgentSql: pooledSql(urgentPool, counter),
    transaction: (work) => pooledTransaction(transactionPool, counter, work),
    session: () => openPostgresSession(url),
    queryCount: () => counter.n,
    close: async () => {
      await Promise.all(pools.map((each) => each.end()));
      await prisma.$disconnect();
      if (current?.prisma === prisma) current = undefined;
    },
  };
}

/** Prepared statements' names by their text: a fixed set (SqlPool.query), hashed once each. */
const statementNames = new Map<string, string>();

/** A prepared statement's name, from its text, so a connection prepares each statement once. */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `s${createHash("sha1").update(sql).digest("base64url")}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** Raw SQL on a pg pool, or on one of its connections, each statement counted. */
function pooledSql(pool: pg.Pool | pg.PoolClient, counter: { n: number }): SqlPool {
  return {
    query: async <Row>(sql: string, params: unknown[] = [], options: { prepared?: boolean } = {}) => {
      counter.n++;
      if (!options.prepared) return (await pool.query(sql, params)).rows as Row[];
      return (await pool.query({ name: statementName(sql), text: sql, values: params })).rows as Row[];
    },
  };
}

/**
 * Opens a transaction: no statement of it may run, and it may not sit idle, longer than a minute (a
 * page's transaction holds its run's fencing token, which a new activation of the integration waits for).
 * One round trip: a simple query may hold several statements.
 */
const BEGIN = `BEGIN; SET LOCAL statement_timeout = ${TRANSACTION_LIMIT_MS}; SET LOCAL idle_in_transaction_session_timeout = ${TRANSACTION_LIMIT_MS}`;

/** `work` in one transaction on a connection of `pool` (Database.transaction). */
async function pooledTransaction<T>(
  pool: pg.Pool,
  counter: { n: number },
  work: (tx: SqlPool) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  const tx = pooledSql(client, counter);
  // A connection that fails or whose ROLLBACK fails is in an unknown state: it is closed, not returned to
  // the pool. The pool stops listening for a connection's errors while it is lent out: this does.
  let broken: Error | undefined;
  const failed = (error: Error) => {
    broken = error;
  };
  client.on("error", failed);
  try {
    await tx.query(BEGIN);
    const result = await work(tx);
    await tx.query("COMMIT");
    return result;
  } catch (error) {
    await tx.query("ROLLBACK").catch(failed);
    throw error;
  } finally {
    client.removeListener("error", failed);
    client.release(broken);
  }
}

async function openPglite(dir: string): Promise<Database> {
  if (dir !== "memory://") mkdirSync(dir, { recursive: true });
  const pglite = await PGlite.create(dir);
  // pglite-prisma-adapter 0.6 is typed against an older @prisma/driver-adapter-utils than the client;
  // the runtime contract is the same (verified on Prisma 6.19, STACK.md), so only the types differ.
  const adapter = new PrismaPGlite(pglite) as unknown as PrismaPg;
  const { prisma, counter } = countedClient(adapter);
  const sql: SqlPool = {
    query: async <Row>(text: string, params: unknown[] = []) => {
      counter.n++;
      return (await pglite.query<Row>(text, params)).rows;
    },
  };
  return {
    kind: "pglite",
    prisma,
    // One embedded instance answers one statement at a time: there are no connections to keep aside.
    sql,
    urgentSql: sql,
    transaction: (work) =>
      pglite.transaction((tx) => {
        // Its BEGIN and COMMIT, counted as on PostgreSQL.
        counter.n += 2;
        return work({
          query: async <Row>(text: string, params: unknown[] = []) => {
            counter.n++;
            return (await tx.query<Row>(text, params)).rows;
          },
        });
      }),
    session: async () => pgliteSession(pglite),
    queryCount: () => counter.n,
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
      if (current?.prisma === prisma) current = undefined;
    },
  };
}
