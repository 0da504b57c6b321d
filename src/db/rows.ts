/**
 * Model rows read by raw SQL in the shape Prisma returns them, for the few reads on the engine's hot
 * path (an integration's standing, its active runs): a Prisma model query costs the worker about a
 * millisecond of CPU in its query compiler, a prepared statement a tenth of that (bench:fleet).
 *
 * A model's columns are listed by kind, checked against the model's type: a column added to the model
 * fails the typecheck until it is listed here, so a raw read never returns less than Prisma would.
 */
export type ColumnKind =
  /** Returned by pg as Prisma returns it: text, uuid, integers, booleans, jsonb. */
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
