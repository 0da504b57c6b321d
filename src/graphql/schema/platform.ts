import {
  type EntityDefinition,
  type ExportReserve,
  PLATFORM_KEYS,
  PLATFORMS,
  type PlatformEntry,
  type RateCaps,
} from "../../platforms/catalog.ts";
import { builder } from "../builder.ts";
import { PlatformKeyEnum, SyncKindEnum } from "./enums.ts";

const RateCapsRef = builder.objectRef<RateCaps>("RateCaps").implement({
  description: "Rate caps a platform enforces per connected remote organisation.",
  fields: (t) => ({
    concurrent: t.exposeInt("concurrent", { description: "Calls that may be in flight at once." }),
    perMinute: t.exposeInt("perMinute", { description: "Calls in any sliding minute." }),
    perDay: t.exposeInt("perDay", { description: "Calls per day." }),
    dayResets: t.exposeString("dayResets", {
      description: "How the day budget resets: UTC_MIDNIGHT or ROLLING_24H.",
    }),
  }),
});

const ExportReserveRef = builder.objectRef<ExportReserve>("ExportReserve").implement({
  description: "The share of the caps that exports and pushes may use, so scheduled pulls keep headroom.",
  fields: (t) => ({
    perMinute: t.exposeInt("perMinute", { description: "Export calls in any sliding minute." }),
    perDay: t.exposeInt("perDay", { description: "Export calls per day." }),
  }),
});

const PlatformEntityRef = builder.objectRef<EntityDefinition>("PlatformEntity").implement({
  description: "A kind of data a platform's connector moves.",
  fields: (t) => ({
    key: t.exposeString("key", { description: 'Stable key, used in settings (e.g. "client").' }),
    name: t.exposeString("name", { description: "Human name." }),
    syncKinds: t.field({
      type: [SyncKindEnum],
      description: "The sync kinds that pull it.",
      resolve: (entity) => entity.syncKinds,
    }),
    fetchOnFirstLink: t.exposeBoolean("fetchOnFirstLink", {
      description: "Whether the initial sync fetches it unless settings say otherwise.",
    }),
    supportsCustomFields: t.exposeBoolean("supportsCustomFields", {
      description: "Whether custom fields can be chosen for it.",
    }),
    liveOnly: t.boolean({
      description: "Read live on request and never stored (e.g. tickets).",
      resolve: (entity) => entity.liveOnly ?? false,
    }),
  }),
});

export const PlatformRef = builder.objectRef<PlatformEntry>("Platform").implement({
  description: "A catalog entry: one platform syncline has a connector for, with its caps and entities.",
  fields: (t) => ({
    key: t.field({ type: PlatformKeyEnum, description: "The platform's key.", resolve: (p) => p.key }),
    name: t.exposeString("name", { description: "Display name." }),
    kind: t.exposeString("kind", { description: "PRACTICE_MANAGEMENT, ACCOUNTING or PSA." }),
    caps: t.field({
      type: RateCapsRef,
      description: "Default rate caps per connection.",
      resolve: (p) => p.caps,
    }),
    exportReserve: t.field({
      type: ExportReserveRef,
      description: "Default export reserve per connection.",
      resolve: (p) => p.exportReserve,
    }),
    continuousConnectionLimit: t.exposeInt("continuousConnectionLimit", {
      description: "Continuous connections a tenant may hold on this platform at once.",
    }),
    honoursIdempotencyKey: t.exposeBoolean("honoursIdempotencyKey", {
      description:
        "Whether the platform's contract promises that a write repeated with the same Idempotency-Key is applied once. Where it does, a write whose outcome is unknown is resent with its key; where it does not, the object is read back first and the write settled by what is there.",
    }),
    entities: t.field({
      type: [PlatformEntityRef],
      description: "What it syncs.",
      resolve: (p) => p.entities,
    }),
    syncKinds: t.field({
      type: [SyncKindEnum],
      description: "Sync kinds it supports.",
      resolve: (p) => p.syncKinds,
    }),
  }),
});

builder.queryField("platforms", (t) =>
  t.field({
    type: [PlatformRef],
    description: "Every platform syncline connects to, with caps, export reserve, limits and entities.",
    resolve: () => PLATFORM_KEYS.map((key) => PLATFORMS[key]),
  }),
);
