import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import type { Target } from "../commands/command.ts";
import { ValidationError } from "../errors.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Decodes a global id of the expected type into the database id. A malformed id, or an id of another
 * type, is a ValidationError naming the field, never a database error.
 */
export function parseGlobalId(value: string, typename: string, path: (string | number)[]): string {
  let decoded: { typename: string; id: string } | undefined;
  try {
    decoded = decodeGlobalID(value);
  } catch {
    decoded = undefined;
  }
  if (!decoded || decoded.typename !== typename || !UUID.test(decoded.id)) {
    throw ValidationError.at(path, `"${value}" is not a ${typename} id`);
  }
  return decoded.id;
}

/** A global id argument as a command's target: the database id, and the id as given (for NotFoundError). */
export function targetOf(value: string | number, typename: string, path: (string | number)[]): Target {
  const globalId = String(value);
  return { id: parseGlobalId(globalId, typename, path), globalId };
}

export function globalId(typename: string, id: string): string {
  return encodeGlobalID(typename, id);
}
