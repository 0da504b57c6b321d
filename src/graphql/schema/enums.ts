import * as Prisma from "../../generated/prisma/enums.ts";
import { builder } from "../builder.ts";

/** GraphQL enums for the Prisma enums, each value described for integrator tooling. */
function describedEnum<const K extends string>(
  name: string,
  _prismaEnum: Record<K, K>,
  description: string,
  values: Record<K, string>,
) {
  const entries = Object.entries<string>(values).map(([key, text]) => [key, { description: text }]);
  return builder.enumType(name, {
    description,
    values: Object.fromEntries(entries) as Record<K, { description: string }>,
  });
}

export const RoleEnum = describedEnum("Role", Prisma.Role, "A member's authority inside their tenant.", {
  OWNER: "Everything, including starting accounting pushes.",
  ADMIN: "Connect, configure and sync integrations.",
  VIEWER: "Read only: cannot run any mutation.",
});

export const PlatformKeyEnum = describedEnum(
  "PlatformKey",
  Prisma.PlatformKey,
  "A platform syncline connects to.",
  {
    XPM: "Xero Practice Manager.",
    XERO_ACCOUNTING: "Xero Accounting.",
    PSA: "A ConnectWise-style professional services automation tool.",
  },
);

export const IntegrationStatusEnum = describedEnum(
  "IntegrationStatus",
  Prisma.IntegrationStatus,
  "Where an integration is in its life.",
  {
    PENDING: "Connected, waiting for its first (initial) sync.",
    CONNECTED: "Connected and idle.",
    SYNCING: "A sync run is in progress.",
    PAUSED: "Paused by a user: no scheduled or queued work runs.",
    DISCONNECTED: "Disconnected; syncing again needs reconnectIntegration with fresh credentials.",
    ERROR: "The platform refused the credentials or failed persistently; see lastError.",
    NEEDS_AUTHORIZATION:
      "The platform no longer accepts the authorization (see authorization.problem and lastError): its runs, exports and packets wait until it is connected again through startConnection, then resume where they stopped.",
  },
);

export const SyncModeEnum = describedEnum(
  "SyncMode",
  Prisma.SyncMode,
  "Whether an integration keeps syncing.",
  {
    ONE_OFF: "Fetch once, then disconnect. Does not count towards the continuous-connection limit.",
    CONTINUOUS: "Scheduled syncs; counts towards the platform's continuous-connection limit.",
  },
);

export const SyncKindEnum = describedEnum("SyncKind", Prisma.SyncKind, "What a sync run does.", {
  INITIAL: "Opening balances, on connect.",
  DAILY: "Every 24 hours.",
  FREQUENT: "Every 10 minutes (timesheets, staff).",
  NIGHTLY: "At a wall-clock time in the tenant's time zone.",
  FORCE: 'A user\'s "Sync now".',
  EXPORT: "Local edits sent to the platform.",
  PUSH: "Orders pushed to accounting as packets.",
});

export const SyncTriggerEnum = describedEnum("SyncTrigger", Prisma.SyncTrigger, "Why a sync run started.", {
  CONNECT: "The integration was connected or reconnected.",
  SCHEDULE: "A schedule fired.",
  USER: "A person asked for it.",
});

export const SyncRunStatusEnum = describedEnum(
  "SyncRunStatus",
  Prisma.SyncRunStatus,
  "Where a sync run is.",
  {
    QUEUED: "Waiting in its lane.",
    RUNNING: "In progress.",
    SUCCEEDED: "Every record or packet was processed (packets carry their own states).",
    PARTIAL: "Finished, but some entities failed.",
    FAILED: "Stopped by an error; see error.",
    CANCELLED: "Cancelled by a user or by a disconnect.",
    DEFERRED: "Waiting for the platform's day budget to reset; not a failure.",
  },
);

export const LaneEnum = describedEnum(
  "Lane",
  Prisma.Lane,
  "The dispatch engine's priority lanes, highest first.",
  {
    INTERACTIVE: "A person is waiting (live reads such as tickets).",
    INITIAL: "Opening-balance syncs.",
    DAILY: "24-hour and nightly syncs.",
    FREQUENT: "10-minute syncs.",
    EXPORT: "Exports and accounting pushes, under the export reserve.",
  },
);

export const PacketStateEnum = describedEnum("PacketState", Prisma.PacketState, "Where a packet is.", {
  PENDING: "Built, not yet mapped.",
  MAPPED: "Mapped to the platform's codes, waiting to be sent.",
  SENDING: "A call carrying it is in flight.",
  SENT: "Accepted by the platform.",
  FAILED: "Rejected or unmappable; see errorCode and errorMessage.",
  SKIPPED: "Nothing to send (e.g. a zero-amount packet).",
  IN_DOUBT:
    "Its send's outcome is unknown (the answer was lost, timed out or a 5xx; its worker died mid-call): it is resent with the same Idempotency-Key, which the platform honours, so it is applied at most once.",
});

export const ExportItemStatusEnum = describedEnum(
  "ExportItemStatus",
  Prisma.ExportItemStatus,
  "Where an outbox item is.",
  {
    PENDING: "Waiting for budget.",
    SENDING: "A call carrying it is in flight.",
    SENT: "Applied by the platform (accepted, or found there when read back).",
    FAILED: "Rejected by the platform, gone from it, or out of retries; see error.",
    IN_DOUBT:
      "Its send's outcome is unknown (the answer was lost, timed out or a 5xx; its worker died mid-call). Where the platform honours Idempotency-Key it is resent with its key; elsewhere the object is read back first and the item settled by what is there, so it is applied once.",
    VERIFYING: "The remote object is being read to learn whether an in-doubt send was applied.",
    CONFLICT:
      "Held: the platform's value changed since the last pull (someone edited it there) and differs from the edit. See remoteValue and baseValue; resolve with resolveExportConflict.",
    SKIPPED: "Not sent, by choice: a conflict was resolved in favour of the platform's value.",
  },
);

export const ConflictPolicyEnum = describedEnum(
  "ConflictPolicy",
  Prisma.ConflictPolicy,
  "What happens to an export whose remote field was changed on the platform since the last pull.",
  {
    LOCAL_WINS:
      "The local edit is sent anyway, overwriting the platform's value (the conflict is still reported).",
    REMOTE_WINS: "The platform's value is kept; the edit is not sent (SKIPPED).",
    ASK: "The edit is held as CONFLICT until someone resolves it with resolveExportConflict.",
  },
);

export const ExportReserveModeEnum = describedEnum(
  "ExportReserveMode",
  Prisma.ExportReserveMode,
  "How exports use the platform's export reserve (the share of its caps kept for scheduled pulls).",
  {
    STRICT: "Exports use only the export reserve (XPM: 30 a minute, 4,500 a day), whatever the schedule.",
    ADAPTIVE:
      "Exports may also use the headroom the pull schedule proves no pull will need; a pull that is queued or due still finds what the reserve keeps.",
  },
);

export const LogLevelEnum = describedEnum("LogLevel", Prisma.LogLevel, "Severity of a sync log line.", {
  INFO: "What happened.",
  WARN: "Something was skipped or retried.",
  ERROR: "Something failed.",
});

export const MappingSourceTypeEnum = describedEnum(
  "MappingSourceType",
  Prisma.MappingSourceType,
  "What a mapping rule maps from.",
  {
    REVENUE_CATEGORY: "An order item's revenue category.",
    PAYMENT_METHOD: "An order payment's method.",
    TAX_RATE: "An order item's tax rate.",
    ENTITY_FIELD: "A field of a synced entity.",
  },
);

export const MappingTargetTypeEnum = describedEnum(
  "MappingTargetType",
  Prisma.MappingTargetType,
  "What a mapping rule maps to.",
  {
    ACCOUNT_CODE: "An account code in the chart of accounts.",
    TAX_TYPE: "A tax type of the accounting platform.",
    ITEM_CODE: "An item code.",
    FIELD: "A field of the remote entity.",
  },
);

export const SettingSourceEnum = builder.enumType("SettingSource", {
  description: "The settings layer an effective value comes from.",
  values: {
    DEFAULT: { description: "Nobody set it: the catalog's default." },
    TENANT: { description: "Tenant-wide settings." },
    PLATFORM: { description: "The tenant's settings for this platform." },
    INTEGRATION: { description: "This integration's own settings." },
  },
});
