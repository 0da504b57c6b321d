import { z } from "zod";
import { validate } from "../../commands/validate.ts";
import { prisma, sqlOf } from "../../db/client.ts";
import { CursorExpiredError, ValidationError } from "../../errors.ts";
import type { RecordsChange } from "../../events.ts";
import { PLATFORMS } from "../../platforms/catalog.ts";
import { RECORD_SHAPES } from "../../platforms/record-shapes.ts";
import type { FieldKind, RecordShape, RemoteRef } from "../../platforms/records.ts";
import { decodeCursor } from "../../records/position.ts";
import { type RecordRow, readRecords } from "../../records/read.ts";
import { builder } from "../builder.ts";
import { globalId } from "../ids.ts";
import { ownIntegrationId, subscriptionSetup } from "../subscriptions.ts";

/**
 * The host's side of the data (DESIGN.md, "Records out, and webhooks"): an integration's mirrored
 * records by delta cursor, as typed GraphQL objects per catalog entity (src/platforms/<platform>/records.ts
 * say which fields each has), and a subscription saying which entities changed. Reads only.
 */

/** Most records a page may hold. */
export const MAX_RECORDS_PER_PAGE = 1000;

/** A row as the typed objects resolve it: which GraphQL type it is decides its fields. */
type TypedRow = RecordRow & { typeName: string; shape: RecordShape | null };

const RemoteRefRef = builder.objectRef<RemoteRef>("RemoteRef").implement({
  description:
    "A reference from one remote object to another (e.g. a job's client), as the platform names it.",
  fields: (t) => ({
    id: t.exposeString("id", { description: "The referenced object's id on the platform." }),
    name: t.exposeString("name", { nullable: true, description: "Its name, as the record carries it." }),
  }),
});

const SyncedRecordRef = builder.interfaceRef<TypedRow>("SyncedRecord").implement({
  description:
    "A record pulled from a platform into syncline's mirror, with its typed fields (on the entity's type) " +
    "and the record as the platform sent it (`data`).",
  resolveType: (row) => row.typeName,
  fields: (t) => ({
    entity: t.exposeString("entity", { description: 'The catalog entity, e.g. "job".' }),
    remoteId: t.exposeString("remoteId", { description: "The record's id on the platform." }),
    data: t.field({
      type: "JSON",
      description:
        "The record as last pulled: every field the platform sent (custom fields only when chosen in the entity's settings).",
      resolve: (row) => row.data,
    }),
    remoteUpdatedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it last changed on the platform, where the platform says.",
      resolve: (row) => row.remoteUpdatedAt,
    }),
    deleted: t.exposeBoolean("deleted", {
      description:
        "A tombstone: the record was gone from a full listing of the platform. Its last data is kept.",
    }),
    deletedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it was found deleted.",
      resolve: (row) => row.deletedAt,
    }),
    changedAt: t.field({
      type: "DateTime",
      description: "When syncline last changed it (created, rewritten, or found deleted).",
      resolve: (row) => row.changedAt,
    }),
    cursor: t.exposeString("cursor", {
      description: "Its position in the change stream: pass it as `after` to read what changed after it.",
    }),
  }),
});

const SCALAR_OF: Record<
  Exclude<FieldKind, "ref" | "refList">,
  "String" | "Int" | "Float" | "Boolean" | "DateTime" | "JSON"
> = {
  string: "String",
  int: "Int",
  float: "Float",
  boolean: "Boolean",
  dateTime: "DateTime",
  json: "JSON",
};

/** One object type per entity shape: the interface's fields plus the shape's typed ones. */
/** Most references one record's list field returns: every list the API returns has a documented bound. */
const MAX_REFS_LISTED = 100;

function typedRecord(shape: RecordShape) {
  builder.objectRef<TypedRow>(shape.typeName).implement({
    description: shape.description,
    interfaces: [SyncedRecordRef],
    fields: (t) =>
      Object.fromEntries(
        shape.fields.map((spec) => {
          const read = (row: TypedRow) => spec.read((row.data ?? {}) as Record<string, unknown>);
          const options = { description: spec.description };
          if (spec.kind === "ref")
            return [
              spec.name,
              t.field({
                ...options,
                type: RemoteRefRef,
                nullable: true,
                resolve: (row) => read(row) as RemoteRef | null,
              }),
            ];
          if (spec.kind === "refList")
            return [
              spec.name,
              t.field({
                ...options,
                description: `${spec.description.replace(/\.$/, "")} (at most ${MAX_REFS_LISTED}).`,
                type: [RemoteRefRef],
                resolve: (row) => (read(row) as RemoteRef[]).slice(0, MAX_REFS_LISTED),
              }),
            ];
          return [
            spec.name,
            t.field({
              ...options,
              type: SCALAR_OF[spec.kind],
              nullable: true,
              resolve: (row) => read(row) as never,
            }),
          ];
        }),
      ),
  });
}

for (const shapes of Object.values(RECORD_SHAPES))
  for (const shape of Object.values(shapes)) typedRecord(shape);

builder.objectRef<TypedRow>("GenericRecord").implement({
  description: "A record of an entity without typed fields: read it through `data`.",
  interfaces: [SyncedRecordRef],
});

const RecordConnection = builder.connectionObject(
  {
    type: SyncedRecordRef,
    name: "RecordConnection",
    description: "A page of an entity's records in the order they changed, and the cursor to ask again from.",
    fields: (t) => ({
      cursor: t.string({
        description:
          "Where to read on from: the last record's cursor, or the cursor you gave when nothing new was there. Keep it and pass it as `after` next time to get every create, update and delete since, once each.",
        resolve: (page) => (page as unknown as { cursor: string }).cursor,
      }),
    }),
  },
  { name: "RecordEdge", description: "One record of a page, with its cursor." },
);

const RecordFilterInput = builder.inputType("RecordFilter", {
  description: "Which records to read; all given conditions must hold.",
  fields: (t) => ({
    includeDeleted: t.boolean({
      required: false,
      description: "Include tombstones (default true: a delta reader needs them to learn of deletions).",
    }),
    remoteIds: t.stringList({ required: false, description: "Only these remote ids (at most 1,000)." }),
    changedSince: t.field({
      type: "DateTime",
      required: false,
      description:
        "Only records syncline changed at or after this time: a starting point for a reader without a cursor (it filters, the cursor pages).",
    }),
  }),
});

const Paging = z.object({
  first: z
    .number()
    .int()
    .min(1, "must be at least 1")
    .max(MAX_RECORDS_PER_PAGE, `must be at most ${MAX_RECORDS_PER_PAGE}`),
});

const Filter = z.object({
  includeDeleted: z.boolean().nullish(),
  remoteIds: z
    .array(z.string().max(200, "must be at most 200 characters"))
    .max(1000, "at most 1,000")
    .nullish(),
  changedSince: z.date().nullish(),
});

builder.prismaObjectFields("Integration", (t) => ({
  records: t.field({
    type: RecordConnection,
    description:
      "The integration's mirrored records of one entity, by delta cursor: every create, update and deletion (tombstone), in the order committed, " +
      "each once. Start without `after`; keep the connection's `cursor` and pass it as `after` next time. A change committed late by a slower " +
      "transaction is never stepped over. Typed by entity (e.g. XpmJob, PsaContact). Tombstones are kept for a retention (30 days by default): " +
      "a cursor from before the newest one pruned gets CursorExpiredError, and the reader resyncs from a zero cursor (without `after`).",
    errors: {
      types: [ValidationError, CursorExpiredError],
      directResult: true,
      union: { description: "The result of records: a page of records, or a typed error." },
    },
    select: { id: true, platform: true },
    args: {
      entity: t.arg.string({
        description: 'A catalog entity of the platform that is stored, e.g. "client".',
      }),
      after: t.arg.string({ required: false, description: "Read the changes after this cursor." }),
      first: t.arg.int({
        required: false,
        description: `Page size, 1 to ${MAX_RECORDS_PER_PAGE} (default 100).`,
      }),
      filter: t.arg({ type: RecordFilterInput, required: false, description: "Which records." }),
    },
    resolve: async (integration, args) => {
      const entities = PLATFORMS[integration.platform].entities.filter((e) => !e.liveOnly).map((e) => e.key);
      if (!entities.includes(args.entity))
        throw ValidationError.at(
          ["entity"],
          `is not a stored entity of ${integration.platform}: ${entities.join(", ")}`,
        );
      const { first } = validate(Paging, { first: args.first ?? 100 }, []);
      const filter = validate(Filter, args.filter ?? {}, ["filter"]);
      const after = args.after ? decodeCursor(args.after, ["after"]) : null;
      const page = await readRecords(sqlOf(prisma()), {
        integrationId: integration.id,
        entity: args.entity,
        after,
        first,
        filter: {
          includeDeleted: filter.includeDeleted ?? true,
          ...(filter.remoteIds ? { remoteIds: filter.remoteIds } : {}),
          ...(filter.changedSince ? { changedSince: filter.changedSince } : {}),
        },
      });
      const shape = RECORD_SHAPES[integration.platform][args.entity] ?? null;
      const typeName = shape?.typeName ?? "GenericRecord";
      const rows = page.rows.map((row): TypedRow => ({ ...row, typeName, shape }));
      return {
        cursor: page.cursor,
        edges: rows.map((node) => ({ cursor: node.cursor, node })),
        pageInfo: {
          hasNextPage: page.hasNextPage,
          hasPreviousPage: after !== null,
          startCursor: rows[0]?.cursor ?? null,
          endCursor: rows.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
}));

const RecordsChangedRef = builder.objectRef<RecordsChange>("RecordsChanged").implement({
  description:
    "A pull committed a page that changed an entity's records. Sent once the changes can be read by cursor.",
  fields: (t) => ({
    integrationId: t.id({
      description: "The integration's global id.",
      resolve: (change) => globalId("Integration", change.integrationId),
    }),
    syncRunId: t.id({
      description: "The global id of the run that pulled the page.",
      resolve: (change) => globalId("SyncRun", change.runId),
    }),
    entity: t.exposeString("entity", { description: "The entity whose records changed." }),
    created: t.exposeInt("created", { description: "Records created." }),
    updated: t.exposeInt("updated", { description: "Records rewritten because they changed." }),
    deleted: t.exposeInt("deleted", { description: "Records found deleted (tombstones)." }),
    cursor: t.exposeString("cursor", {
      description:
        "A cursor from which `records(entity, after)` returns these changes. A reader that keeps its own cursor just reads on from it.",
    }),
    at: t.field({
      type: "DateTime",
      description: "When the page committed.",
      resolve: (change) => new Date(change.at),
    }),
  }),
});

builder.subscriptionField("recordsChanged", (t) =>
  t.field({
    type: RecordsChangedRef,
    description:
      "Streams, after each committed page of a pull, which entity of the integration changed and the cursor to read from: a host keeps in step without polling.",
    args: { integrationId: t.arg.id({ description: "The integration's global id." }) },
    subscribe: (_root, args, ctx) =>
      subscriptionSetup(async () =>
        ctx.services.events.subscribe(
          "recordsChanged",
          await ownIntegrationId(ctx, String(args.integrationId)),
        ),
      ),
    resolve: (change: RecordsChange) => change,
  }),
);
