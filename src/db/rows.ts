/**
 * Model rows read by raw SQL in the shape Prisma returns them, for the few reads on the engine's hot
 * path (an integration's standing, its active runs, a run's plan): a Prisma model query cost the worker
 * about 1.2 ms of CPU, most of it in its query compiler, a prepared statement about 0.2 ms.
 *
 * A model's columns are listed by kind against the model's type: a column added to the model fails the
 * typecheck until it is listed, so a raw read never returns fewer columns than Prisma would. The kinds
 * are not checked: a DateTime column listed as "plain" would read as local time, which is why
 * test/integration/db/rows.test.ts compares the rows with Prisma's in a zone far from UTC. Decimal and
 * BigInt columns have no kind (pg returns them as strings): a model with one is read through Prisma.
 */
export type ColumnKind =
  /** Returned by pg as Prisma returns it: text, uuid, int, boolean, jsonb, text[]. */
  | "plain"
  /** A PostgreSQL enum: read as text. */
  | "enum"
  /** `timestamp(3)` without a zone, holding UTC as Prisma writes it: read as a Date of that instant. */
  | "timestamp";

export type ModelColumns<Model> = { readonly [Column in keyof Model]-?: ColumnKind };

/** The SELECT list of every column of `table` (its alias in the query), each named and typed as Prisma's. */
export function selectList<Model>(alias: string, columns: ModelColumns<Model>): string {
  return Object.entries<ColumnKind>(columns)
    .map(([column, kind]) => {
      const ref = `${alias}."${column}"`;
      if (kind === "enum") return `${ref}::text AS "${column}"`;
      if (kind === "timestamp") return `(${ref} AT TIME ZONE 'UTC') AS "${column}"`;
      return ref;
    })
    .join(", ");
}
