import { z } from "zod";
import { type FieldIssue, ValidationError } from "../errors.ts";

/**
 * Input rules, declared once: each command's zod schema is the only place its rules live (the GraphQL
 * input types declare the wire shape and descriptions, no rules). Every issue names its field's path,
 * e.g. ["input", "credentials", "accessToken"].
 */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  basePath: string[] = ["input"],
): z.output<S> {
  // The boundary every command shares: no string or date PostgreSQL would refuse reaches a schema.
  const boundary = boundaryIssues(value, basePath);
  if (boundary.length > 0) throw new ValidationError(boundary);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      path: [...basePath, ...issue.path.map(String)],
      message: issue.message,
    })),
  );
}

/** Text that must not be blank once trimmed, up to `max` characters. */
export const text = (max: number) => storable(max).trim().min(1, "must not be empty");

/** A local wall-clock time, HH:MM on a 24-hour clock. */
export const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time HH:MM (24-hour)");

/** The earliest and latest instants syncline stores (PostgreSQL's timestamp range is far wider). */
export const EARLIEST = new Date("1900-01-01T00:00:00.000Z");
export const LATEST = new Date("9999-12-31T23:59:59.999Z");
/** Longest string any input may hold anywhere (a field's own rule is usually far shorter). */
export const MAX_STRING = 100_000;
/** Deepest nesting of any input (objects and arrays), JSON values included. */
export const MAX_DEPTH = 32;

/**
 * What PostgreSQL and the platforms accept of every string and date, checked for the whole input before
 * its schema: no NUL character, well-formed Unicode (no lone surrogate), at most MAX_STRING characters,
 * keys likewise; dates real instants between EARLIEST and LATEST; nesting at most MAX_DEPTH. One issue per
 * offending field, with its path.
 */
export function boundaryIssues(value: unknown, basePath: string[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const walk = (node: unknown, path: string[], depth: number) => {
    if (issues.length >= 20) return;
    if (typeof node === "string") {
      const problem = stringProblem(node, MAX_STRING);
      if (problem) issues.push({ path, message: problem });
    } else if (node instanceof Date) {
      const problem = dateProblem(node);
      if (problem) issues.push({ path, message: problem });
    } else if (node !== null && typeof node === "object") {
      if (depth >= MAX_DEPTH) {
        issues.push({ path, message: `must be nested at most ${MAX_DEPTH} levels deep` });
        return;
      }
      const entries = Array.isArray(node)
        ? node.map((item, i) => [String(i), item] as const)
        : Object.entries(node);
      for (const [key, item] of entries) {
        const keyProblem = stringProblem(key, 1000);
        if (keyProblem) {
          issues.push({ path, message: `a key ${keyProblem}` });
          continue;
        }
        walk(item, [...path, key], depth + 1);
      }
    }
  };
  walk(value, basePath, 0);
  return issues;
}

/** With the u flag a surrogate pair is one code point, so only a lone surrogate is in category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

function stringProblem(value: string, max: number): string | null {
  if (value.length > max) return `must be at most ${max} characters`;
  if (value.includes("\u0000")) return "must not contain a NUL character";
  if (LONE_SURROGATE.test(value)) return "must be well-formed Unicode (no lone surrogate)";
  return null;
}

function dateProblem(value: Date): string | null {
  const time = value.getTime();
  if (Number.isNaN(time)) return "must be a real date";
  if (time < EARLIEST.getTime() || time > LATEST.getTime()) {
    return `must lie between ${EARLIEST.toISOString()} and ${LATEST.toISOString()}`;
  }
  return null;
}

/** A string stored as given (ids, names of remote things): what PostgreSQL accepts, up to `max`. */
export const storable = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !value.includes("\u0000"), "must not contain a NUL character")
    .refine((value) => !LONE_SURROGATE.test(value), "must be well-formed Unicode (no lone surrogate)");

/** A credential (token, key): printable ASCII without spaces or line breaks, up to `max` characters. */
export const credential = (max = 4096) =>
  z
    .string()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .regex(/^[\x21-\x7E]*$/, "must be printable ASCII without spaces or line breaks");

/** An instant syncline can store: a real date between EARLIEST and LATEST. */
export const instant = z
  .date({ error: "must be a real date" })
  .min(EARLIEST, `must not be before ${EARLIEST.toISOString()}`)
  .max(LATEST, `must not be after ${LATEST.toISOString()}`);

/** A JSON value (export values, custom fields) of at most `maxBytes` serialised and `maxDepth` levels. */
export const boundedJson = (bounds: JsonBounds = {}) => z.unknown().superRefine(jsonBounds(bounds));

interface JsonBounds {
  maxBytes?: number;
  maxDepth?: number;
}

/**
 * The bounded-JSON check as a refinement, for a value stored as JSON (or as a list) that already has a
 * schema of its own: `.superRefine(jsonBounds({ maxBytes: 8192, maxDepth: 1 }))` keeps its type.
 */
export function jsonBounds({ maxBytes = 65_536, maxDepth = 10 }: JsonBounds = {}) {
  return (value: unknown, ctx: z.RefinementCtx): void => {
    if (depthOf(value, maxDepth + 1) > maxDepth) {
      ctx.addIssue({ code: "custom", message: `must be nested at most ${maxDepth} levels deep` });
      return;
    }
    const size = value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value) ?? "");
    if (size > maxBytes)
      ctx.addIssue({ code: "custom", message: `must be at most ${maxBytes} bytes as JSON` });
  };
}

function depthOf(value: unknown, stopAt: number): number {
  if (value === null || typeof value !== "object" || stopAt <= 0) return 0;
  let deepest = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    deepest = Math.max(deepest, depthOf(item, stopAt - 1));
    if (deepest >= stopAt) break;
  }
  return deepest + 1;
}
