/**
 * The typed shape of a mirrored record, per entity, as the connector's pull stores it (`data`): which
 * fields integrator tooling gets as typed GraphQL fields (the graphql layer builds one type per shape),
 * with a description each, and how each is read from the stored record. Everything else the platform
 * sends stays reachable as the record's raw JSON.
 */
export type FieldKind = "string" | "int" | "float" | "boolean" | "dateTime" | "ref" | "refList" | "json";

/** A reference to another remote object, e.g. a job's client. */
export interface RemoteRef {
  id: string;
  name: string | null;
}

export interface RecordField {
  name: string;
  kind: FieldKind;
  description: string;
  /** Reads the value from the stored record; undefined or null means absent. */
  read(data: Record<string, unknown>): unknown;
}

export interface RecordShape {
  /** GraphQL type name, e.g. "XpmJob". */
  typeName: string;
  description: string;
  fields: RecordField[];
}

type Data = Record<string, unknown>;

/** Follows a path of keys. */
export function at(data: Data, ...path: string[]): unknown {
  let value: unknown = data;
  for (const key of path) {
    if (!value || typeof value !== "object") return undefined;
    value = (value as Data)[key];
  }
  return value;
}

const text = (value: unknown) => (value === undefined || value === null ? null : String(value));
const number = (value: unknown) => {
  if (value === undefined || value === null || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
};
const bool = (value: unknown) =>
  value === undefined || value === null ? null : value === true || value === "Yes" || value === "true";
/** ISO date-times, and Microsoft JSON dates as Xero writes them: /Date(1700000000000+0000)/. */
const dateTime = (value: unknown) => {
  if (typeof value !== "string" || value === "") return null;
  const ms = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(value);
  const date = ms
    ? new Date(Number(ms[1]))
    : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
};
const ref = (value: unknown, idKey = "id"): RemoteRef | null => {
  if (!value || typeof value !== "object") return null;
  const id = (value as Data)[idKey] ?? (value as Data).uuid ?? (value as Data).id;
  return id === undefined || id === null ? null : { id: String(id), name: text((value as Data).name) };
};

/** Field builders: a name, a description and where the value lives in the record. */
export const field = {
  string: (name: string, description: string, ...path: string[]): RecordField => ({
    name,
    kind: "string",
    description,
    read: (data) => text(at(data, ...(path.length ? path : [name]))),
  }),
  int: (name: string, description: string, ...path: string[]): RecordField => ({
    name,
    kind: "int",
    description,
    read: (data) => {
      const n = number(at(data, ...(path.length ? path : [name])));
      return n === null ? null : Math.trunc(n);
    },
  }),
  float: (name: string, description: string, ...path: string[]): RecordField => ({
    name,
    kind: "float",
    description,
    read: (data) => number(at(data, ...(path.length ? path : [name]))),
  }),
  /** true/false, or XPM's "Yes"/"No". */
  boolean: (name: string, description: string, ...path: string[]): RecordField => ({
    name,
    kind: "boolean",
    description,
    read: (data) => bool(at(data, ...(path.length ? path : [name]))),
  }),
  dateTime: (name: string, description: string, ...path: string[]): RecordField => ({
    name,
    kind: "dateTime",
    description,
    read: (data) => dateTime(at(data, ...(path.length ? path : [name]))),
  }),
  /** An object with an id (or uuid) and a name. */
  ref: (name: string, description: string, ...path: string[]): RecordField => ({
    name,
    kind: "ref",
    description,
    read: (data) => ref(at(data, ...(path.length ? path : [name]))),
  }),
  refList: (name: string, description: string, ...path: string[]): RecordField => ({
    name,
    kind: "refList",
    description,
    read: (data) => {
      const list = at(data, ...(path.length ? path : [name]));
      return Array.isArray(list) ? list.map((item) => ref(item)).filter(Boolean) : [];
    },
  }),
  json: (name: string, description: string, ...path: string[]): RecordField => ({
    name,
    kind: "json",
    description,
    read: (data) => at(data, ...(path.length ? path : [name])) ?? null,
  }),
  /** A value computed from the record. */
  derived: (
    name: string,
    kind: FieldKind,
    description: string,
    read: (data: Data) => unknown,
  ): RecordField => ({
    name,
    kind,
    description,
    read,
  }),
};
