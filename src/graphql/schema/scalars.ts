import { GraphQLError, Kind } from "graphql";
import { builder } from "../builder.ts";

builder.scalarType("DateTime", {
  description: "An instant in time, as an ISO 8601 string in UTC (e.g. 2026-11-23T02:00:00.000Z).",
  serialize: (value) => value.toISOString(),
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parseDate(value: unknown): Date {
  const date = typeof value === "string" ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new GraphQLError("DateTime must be an ISO 8601 string");
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
    throw new GraphQLError('Decimal must be a string such as "12.34" (up to 4 decimal places)');
  }
  return value;
}

builder.scalarType("JSON", {
  description: "Arbitrary JSON: structured detail whose shape depends on the platform or entity.",
  serialize: (value) => value,
  parseValue: (value) => value,
});
