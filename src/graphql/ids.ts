import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { GraphQLError } from "graphql";
import type { Target } from "../commands/command.ts";
import { ValidationError } from "../errors.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Longest global id accepted (a type name and a UUID encode to well under this). */
const MAX_GLOBAL_ID = 200;

/** Decodes a global id into its type and database id, or null if it is not one syncline could have given. */
export function decodeId(value: unknown): { typename: string; id: string } | null {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_GLOBAL_ID) return null;
  let decoded: { typename: string; id: string } | undefined;
  try {
    decoded = decodeGlobalID(value);
  } catch {
    return null;
  }
  return decoded && UUID.test(decoded.id) ? decoded : null;
}

/** The id as a message may quote it: short ids whole, long ones cut (a megabyte id is not echoed back). */
function quoted(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/**
 * Decodes a global id of the expected type into the database id. A malformed id, or an id of another
 * type, is a ValidationError naming the field, never a database error. Every id-taking field and `node`
 * decode here.
 */
export function parseGlobalId(value: string, typename: string, path: (string | number)[]): string {
  const decoded = decodeId(value);
  if (!decoded || decoded.typename !== typename) {
    throw ValidationError.at(path, `${quoted(String(value))} is not a ${typename} id`);
  }
  return decoded.id;
}

/**
 * `node(id:)`: an id that is not a well-formed global id is refused with a typed error (BAD_USER_INPUT)
 * before any lookup; a well-formed one of nothing the tenant can see answers null.
 */
export function checkNodeId(value: unknown, isNodeType: (typename: string) => boolean): void {
  // The relay plugin may hand the id over already decoded ({ typename, id }).
  const decoded =
    value !== null && typeof value === "object"
      ? (value as { typename: string; id: string })
      : decodeId(value);
  if (decoded && !UUID.test(String(decoded.id))) {
    throw new GraphQLError(`${quoted(String(decoded.id))} is not a valid id`, {
      extensions: { code: "BAD_USER_INPUT", path: ["id"] },
    });
  }
  if (!decoded || !isNodeType(decoded.typename)) {
    const given = decoded ? `${decoded.typename}:${decoded.id}` : String(value);
    throw new GraphQLError(`${quoted(given)} is not a global id`, {
      extensions: { code: "BAD_USER_INPUT", path: ["id"] },
    });
  }
}

/** A global id argument as a command's target: the database id, and the id as given (for NotFoundError). */
export function targetOf(value: string | number, typename: string, path: (string | number)[]): Target {
  const globalId = String(value);
  return { id: parseGlobalId(globalId, typename, path), globalId };
}

export function globalId(typename: string, id: string): string {
  return encodeGlobalID(typename, id);
}
