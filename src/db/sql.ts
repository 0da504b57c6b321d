import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/**
 * The smallest SQL surface syncline needs outside Prisma: the migration runner runs whole
 * multi-statement files, which Prisma's driver adapters (prepared statements) cannot.
 */
export interface SqlSession {
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Runs one parameterised statement and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export async function openPostgresSession(url: string): Promise<SqlSession> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    exec: async (sql) => {
      await client.query(sql);
    },
    query: async <Row>(sql: string, params: unknown[] = []) =>
      (await client.query(sql, params)).rows as Row[],
    close: () => client.end(),
  };
}

/** A session on an in-process PGlite database; closing it leaves the database open for Prisma. */
export function pgliteSession(db: PGlite): SqlSession {
  return {
    exec: async (sql) => {
      await db.exec(sql);
    },
    query: async <Row>(sql: string, params: unknown[] = []) => (await db.query<Row>(sql, params)).rows,
    close: async () => {},
  };
}
