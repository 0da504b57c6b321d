import { GraphQLError, Kind } from "graphql";
import { EARLIEST, LATEST } from "../../commands/validate.ts";
import { builder } from "../builder.ts";

builder.scalarType("DateTime", {
  description: "An instant in time, as an ISO 8601 string in UTC (e.g. 2026-11-23T02:00:00.000Z).",
  serialize: (value) => value.toISOString(),
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

/**
 * An ISO 8601 instant that names a real calendar date (2026-02-30 is refused, not read as 2 March) within
 * the range syncline stores (commands/validate.ts EARLIEST…LATEST).
 */
function parseDate(value: unknown): Date {
  const match = typeof value === "string" && value.length <= 40 ? ISO_8601.exec(value) : null;
  const date = match ? new Date(value as string) : undefined;
  const [year, month, day, hour, minute, second] = (match ?? []).slice(1).map((part) => Number(part ?? 0));
  const real =
    date !== undefined &&
    !Number.isNaN(date.getTime()) &&
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= new Date(Date.UTC(year!, month!, 0)).getUTCDate() &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 59;
  if (!real) {
    throw new GraphQLError(
      "DateTime must be an ISO 8601 string naming a real date (e.g. 2026-11-23T02:00:00Z)",
      {
        extensions: { code: "BAD_USER_INPUT" },
      },
    );
  }
  if (date.getTime() < EARLIEST.getTime() || date.getTime() > LATEST.getTime()) {
    throw new GraphQLError(
      `DateTime must lie between ${EARLIEST.toISOString()} and ${LATEST.toISOString()}`,
      {
        extensions: { code: "BAD_USER_INPUT" },
      },
    );
  }
  return date;
}

const DECIMAL = /^-?\d{1,16}(\.\d{1,4})?$/;

builder.scalarType("Decimal", {
  description:
    'An exact decimal number as a string (e.g. "1234.50"), used for money so no amount is ever rounded by floating point.',
  serialize: (value) => value.toString(),
  parseValue: (value) => parseDecimal(value),
  parseLiteral: (ast) => parseDecimal(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parseDecimal(value: unknown): string {
  if (typeof value !== "string" || !DECIMAL.test(value)) {
    throw new GraphQLError('Decimal must be a string such as "12.34" (up to 4 decimal places)', {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
  return value;
}

builder.scalarType("JSON", {
  description: "Arbitrary JSON: structured detail whose shape depends on the platform or entity.",
  serialize: (value) => value,
  parseValue: (value) => value,
});
