import { z } from "zod";
import { ValidationError } from "../errors.ts";

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
export const text = (max: number) =>
  z.string().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);

/** A local wall-clock time, HH:MM on a 24-hour clock. */
export const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time HH:MM (24-hour)");
