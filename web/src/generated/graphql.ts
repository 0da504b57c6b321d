/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Where an integration is in its life. */
export type IntegrationStatus =
  /** Connected and idle. */
  | 'CONNECTED'
  /** Disconnected; syncing again needs reconnectIntegration with fresh credentials. */
  | 'DISCONNECTED'
  /** The platform refused the credentials or failed persistently; see lastError. */
  | 'ERROR'
  /** The platform no longer accepts the authorization (see authorization.problem and lastError): its runs, exports and packets wait until it is connected again through startConnection, then resume where they stopped. */
  | 'NEEDS_AUTHORIZATION'
  /** Paused by a user: no scheduled or queued work runs. */
  | 'PAUSED'
  /** Connected, waiting for its first (initial) sync. */
  | 'PENDING'
  /** A sync run is in progress. */
  | 'SYNCING';

/** The dispatch engine's priority lanes, highest first. */
export type Lane =
  /** 24-hour and nightly syncs. */
  | 'DAILY'
  /** Exports and accounting pushes, under the export reserve. */
  | 'EXPORT'
  /** 10-minute syncs. */
  | 'FREQUENT'
  /** Opening-balance syncs. */
  | 'INITIAL'
  /** A person is waiting (live reads such as tickets). */
  | 'INTERACTIVE';

/** Severity of a sync log line. */
export type LogLevel =
  /** Something failed. */
  | 'ERROR'
  /** What happened. */
  | 'INFO'
  /** Something was skipped or retried. */
  | 'WARN';

/** Where a packet is. */
export type PacketState =
  /** Rejected or unmappable; see errorCode and errorMessage. */
  | 'FAILED'
  /** Its send's outcome is unknown (the answer was lost, timed out or a 5xx; its worker died mid-call): it is resent with the same Idempotency-Key, which the platform honours, so it is applied at most once. */
  | 'IN_DOUBT'
  /** Mapped to the platform's codes, waiting to be sent. */
  | 'MAPPED'
  /** Built, not yet mapped. */
  | 'PENDING'
  /** A call carrying it is in flight. */
  | 'SENDING'
  /** Accepted by the platform. */
  | 'SENT'
  /** Nothing to send (e.g. a zero-amount packet). */
  | 'SKIPPED';

/** A platform syncline connects to. */
export type PlatformKey =
  /** A ConnectWise-style professional services automation tool. */
  | 'PSA'
  /** Xero Accounting. */
  | 'XERO_ACCOUNTING'
  /** Xero Practice Manager. */
  | 'XPM';

/** A member's authority inside their tenant. */
export type Role =
  /** Connect, configure and sync integrations. */
  | 'ADMIN'
  /** Everything, including starting accounting pushes. */
  | 'OWNER'
  /** Read only: cannot run any mutation. */
  | 'VIEWER';

/** What a sync run does. */
export type SyncKind =
  /** Every 24 hours. */
  | 'DAILY'
  /** Local edits sent to the platform. */
  | 'EXPORT'
  /** A user's "Sync now". */
  | 'FORCE'
  /** Every 10 minutes (timesheets, staff). */
  | 'FREQUENT'
  /** Opening balances, on connect. */
  | 'INITIAL'
  /** At a wall-clock time in the tenant's time zone. */
  | 'NIGHTLY'
  /** Orders pushed to accounting as packets. */
  | 'PUSH';

/** Whether an integration keeps syncing. */
export type SyncMode =
  /** Scheduled syncs; counts towards the platform's continuous-connection limit. */
  | 'CONTINUOUS'
  /** Fetch once, then disconnect. Does not count towards the continuous-connection limit. */
  | 'ONE_OFF';

/** Where a sync run is. */
export type SyncRunStatus =
  /** Cancelled by a user or by a disconnect. */
  | 'CANCELLED'
  /** Waiting for the platform's day budget to reset; not a failure. */
  | 'DEFERRED'
  /** Stopped by an error; see error. */
  | 'FAILED'
  /** Finished, but some entities failed. */
  | 'PARTIAL'
  /** Waiting in its lane. */
  | 'QUEUED'
  /** In progress. */
  | 'RUNNING'
  /** Every record or packet was processed (packets carry their own states). */
  | 'SUCCEEDED';

/** Why a sync run started. */
export type SyncTrigger =
  /** The integration was connected or reconnected. */
  | 'CONNECT'
  /** A schedule fired. */
  | 'SCHEDULE'
  /** A person asked for it. */
  | 'USER';

export type IntegrationCardFieldsFragment = { id: string, name: string, platformKey: PlatformKey, remoteTenantId: string, status: IntegrationStatus, syncMode: SyncMode, lastError: string | null, lastSyncRun: { id: string, kind: SyncKind, status: SyncRunStatus, finishedAt: string | null } | null, nextSyncs: Array<{ kind: SyncKind, dueAt: string }> };

export type QueueFieldsFragment = { pending: number, inFlight: number, sent: number, failed: number, estimatedDrainSeconds: number | null, estimatedDrainAt: string | null, lanes: Array<{ lane: Lane, depth: number }> };

export type WindowFieldsFragment = { limit: number, used: number, remaining: number, resetsAt: string };

export type BudgetFieldsFragment = { blockedUntil: string | null, concurrent: { limit: number, inFlight: number }, minute: { limit: number, used: number, remaining: number, resetsAt: string }, day: { limit: number, used: number, remaining: number, resetsAt: string }, exportMinute: { limit: number, used: number, remaining: number, resetsAt: string }, exportDay: { limit: number, used: number, remaining: number, resetsAt: string } };

export type RunFieldsFragment = { id: string, kind: SyncKind, status: SyncRunStatus, trigger: SyncTrigger, lane: Lane, queuedAt: string, startedAt: string | null, finishedAt: string | null, deferredUntil: string | null, error: string | null, fetchedCount: number, createdCount: number, updatedCount: number, deletedCount: number, skippedCount: number, sentCount: number, failedCount: number, entities: Array<{ entity: string, state: string, fetched: number, created: number, updated: number, unchanged: number, deleted: number }> };

export type LogFieldsFragment = { id: string, sequence: number, level: LogLevel, message: string, entity: string | null, createdAt: string };

export type PacketFieldsFragment = { id: string, sequence: number, label: string, state: PacketState, attempts: number, errorCode: string | null, errorMessage: string | null, remoteId: string | null, totalAmount: string, updatedAt: string };

export type MonitorViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type MonitorViewerQuery = { viewer: { id: string, name: string, role: Role, tenant: { id: string, name: string } } };

export type MonitorIntegrationsQueryVariables = Exact<{ [key: string]: never; }>;


export type MonitorIntegrationsQuery = { integrations: { totalCount: number, edges: Array<{ node: { id: string, name: string, platformKey: PlatformKey, remoteTenantId: string, status: IntegrationStatus, syncMode: SyncMode, lastError: string | null, exportQueue: { pending: number, inFlight: number, sent: number, failed: number, estimatedDrainSeconds: number | null, estimatedDrainAt: string | null, lanes: Array<{ lane: Lane, depth: number }> }, rateBudget: { blockedUntil: string | null, concurrent: { limit: number, inFlight: number }, minute: { limit: number, used: number, remaining: number, resetsAt: string }, day: { limit: number, used: number, remaining: number, resetsAt: string }, exportMinute: { limit: number, used: number, remaining: number, resetsAt: string }, exportDay: { limit: number, used: number, remaining: number, resetsAt: string } }, lastSyncRun: { id: string, kind: SyncKind, status: SyncRunStatus, finishedAt: string | null } | null, nextSyncs: Array<{ kind: SyncKind, dueAt: string }> } }> } };

export type MonitorRunListQueryVariables = Exact<{
  id: string | number;
}>;


export type MonitorRunListQuery = { integration:
    | { __typename: 'Integration', id: string, syncRuns: { edges: Array<{ node: { id: string, kind: SyncKind, status: SyncRunStatus, trigger: SyncTrigger, lane: Lane, queuedAt: string, startedAt: string | null, finishedAt: string | null, deferredUntil: string | null, error: string | null, fetchedCount: number, createdCount: number, updatedCount: number, deletedCount: number, skippedCount: number, sentCount: number, failedCount: number, entities: Array<{ entity: string, state: string, fetched: number, created: number, updated: number, unchanged: number, deleted: number }> } }> } }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'ValidationError', message: string }
   };

export type MonitorRunQueryVariables = Exact<{
  id: string | number;
}>;


export type MonitorRunQuery = { syncRun:
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'SyncRun', id: string, kind: SyncKind, status: SyncRunStatus, trigger: SyncTrigger, lane: Lane, queuedAt: string, startedAt: string | null, finishedAt: string | null, deferredUntil: string | null, error: string | null, fetchedCount: number, createdCount: number, updatedCount: number, deletedCount: number, skippedCount: number, sentCount: number, failedCount: number, packets: { totalCount: number, edges: Array<{ node: { id: string, sequence: number, label: string, state: PacketState, attempts: number, errorCode: string | null, errorMessage: string | null, remoteId: string | null, totalAmount: string, updatedAt: string } }> }, logs: { edges: Array<{ node: { id: string, sequence: number, level: LogLevel, message: string, entity: string | null, createdAt: string } }> }, entities: Array<{ entity: string, state: string, fetched: number, created: number, updated: number, unchanged: number, deleted: number }> }
    | { __typename: 'ValidationError', message: string }
   };

export type MonitorStatusChangedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type MonitorStatusChangedSubscription = { integrationStatusChanged: { id: string, name: string, platformKey: PlatformKey, remoteTenantId: string, status: IntegrationStatus, syncMode: SyncMode, lastError: string | null, lastSyncRun: { id: string, kind: SyncKind, status: SyncRunStatus, finishedAt: string | null } | null, nextSyncs: Array<{ kind: SyncKind, dueAt: string }> } };

export type MonitorQueueProgressSubscriptionVariables = Exact<{
  integrationId: string | number;
}>;


export type MonitorQueueProgressSubscription = { queueProgress: { at: string, integrationId: string, exportQueue: { pending: number, inFlight: number, sent: number, failed: number, estimatedDrainSeconds: number | null, estimatedDrainAt: string | null, lanes: Array<{ lane: Lane, depth: number }> }, rateBudget: { blockedUntil: string | null, concurrent: { limit: number, inFlight: number }, minute: { limit: number, used: number, remaining: number, resetsAt: string }, day: { limit: number, used: number, remaining: number, resetsAt: string }, exportMinute: { limit: number, used: number, remaining: number, resetsAt: string }, exportDay: { limit: number, used: number, remaining: number, resetsAt: string } } } };

export type MonitorIntegrationRunsSubscriptionVariables = Exact<{
  integrationId: string | number;
}>;


export type MonitorIntegrationRunsSubscription = { integrationSyncRuns: { id: string, kind: SyncKind, status: SyncRunStatus, trigger: SyncTrigger, lane: Lane, queuedAt: string, startedAt: string | null, finishedAt: string | null, deferredUntil: string | null, error: string | null, fetchedCount: number, createdCount: number, updatedCount: number, deletedCount: number, skippedCount: number, sentCount: number, failedCount: number, integration: { id: string }, entities: Array<{ entity: string, state: string, fetched: number, created: number, updated: number, unchanged: number, deleted: number }> } };

export type MonitorRunUpdatedSubscriptionVariables = Exact<{
  id: string | number;
}>;


export type MonitorRunUpdatedSubscription = { syncRunUpdated: { id: string, kind: SyncKind, status: SyncRunStatus, trigger: SyncTrigger, lane: Lane, queuedAt: string, startedAt: string | null, finishedAt: string | null, deferredUntil: string | null, error: string | null, fetchedCount: number, createdCount: number, updatedCount: number, deletedCount: number, skippedCount: number, sentCount: number, failedCount: number, logs: { edges: Array<{ node: { id: string, sequence: number, level: LogLevel, message: string, entity: string | null, createdAt: string } }> }, entities: Array<{ entity: string, state: string, fetched: number, created: number, updated: number, unchanged: number, deleted: number }> } };

export type MonitorPacketStateSubscriptionVariables = Exact<{
  runId: string | number;
}>;


export type MonitorPacketStateSubscription = { packetStateChanged: { packetId: string, sequence: number, label: string, from: PacketState | null, to: PacketState, attempts: number, errorCode: string | null, errorMessage: string | null, remoteId: string | null, at: string } };

export type MonitorTriggerSyncMutationVariables = Exact<{
  integrationId: string | number;
}>;


export type MonitorTriggerSyncMutation = { triggerSync:
    | { __typename: 'ForbiddenError', message: string }
    | { __typename: 'InvalidStateError', message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'TriggerSyncPayload', syncRun: { id: string } }
    | { __typename: 'ValidationError', message: string }
   };

export type MonitorCancelRunMutationVariables = Exact<{
  id: string | number;
}>;


export type MonitorCancelRunMutation = { cancelSyncRun:
    | { __typename: 'CancelSyncRunPayload' }
    | { __typename: 'ForbiddenError', message: string }
    | { __typename: 'InvalidStateError', message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'ValidationError', message: string }
   };

export type MonitorRetryPacketsMutationVariables = Exact<{
  runId: string | number;
}>;


export type MonitorRetryPacketsMutation = { retryFailedPackets:
    | { __typename: 'ForbiddenError', message: string }
    | { __typename: 'InvalidStateError', message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'RetryFailedPacketsPayload' }
    | { __typename: 'ValidationError', message: string }
   };

export type MonitorPauseMutationVariables = Exact<{
  id: string | number;
}>;


export type MonitorPauseMutation = { pauseIntegration:
    | { __typename: 'ForbiddenError', message: string }
    | { __typename: 'IntegrationPayload' }
    | { __typename: 'InvalidStateError', message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'ValidationError', message: string }
   };

export type MonitorResumeMutationVariables = Exact<{
  id: string | number;
}>;


export type MonitorResumeMutation = { resumeIntegration:
    | { __typename: 'ForbiddenError', message: string }
    | { __typename: 'IntegrationPayload' }
    | { __typename: 'InvalidStateError', message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'ValidationError', message: string }
   };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const IntegrationCardFieldsFragmentDoc = new TypedDocumentString(`
    fragment IntegrationCardFields on Integration {
  id
  name
  platformKey
  remoteTenantId
  status
  syncMode
  lastError
  lastSyncRun {
    id
    kind
    status
    finishedAt
  }
  nextSyncs {
    kind
    dueAt
  }
}
    `, {"fragmentName":"IntegrationCardFields"}) as unknown as TypedDocumentString<IntegrationCardFieldsFragment, unknown>;
export const QueueFieldsFragmentDoc = new TypedDocumentString(`
    fragment QueueFields on ExportQueue {
  pending
  inFlight
  sent
  failed
  estimatedDrainSeconds
  estimatedDrainAt
  lanes {
    lane
    depth
  }
}
    `, {"fragmentName":"QueueFields"}) as unknown as TypedDocumentString<QueueFieldsFragment, unknown>;
export const WindowFieldsFragmentDoc = new TypedDocumentString(`
    fragment WindowFields on BudgetWindow {
  limit
  used
  remaining
  resetsAt
}
    `, {"fragmentName":"WindowFields"}) as unknown as TypedDocumentString<WindowFieldsFragment, unknown>;
export const BudgetFieldsFragmentDoc = new TypedDocumentString(`
    fragment BudgetFields on RateBudget {
  blockedUntil
  concurrent {
    limit
    inFlight
  }
  minute {
    ...WindowFields
  }
  day {
    ...WindowFields
  }
  exportMinute {
    ...WindowFields
  }
  exportDay {
    ...WindowFields
  }
}
    fragment WindowFields on BudgetWindow {
  limit
  used
  remaining
  resetsAt
}`, {"fragmentName":"BudgetFields"}) as unknown as TypedDocumentString<BudgetFieldsFragment, unknown>;
export const RunFieldsFragmentDoc = new TypedDocumentString(`
    fragment RunFields on SyncRun {
  id
  kind
  status
  trigger
  lane
  queuedAt
  startedAt
  finishedAt
  deferredUntil
  error
  fetchedCount
  createdCount
  updatedCount
  deletedCount
  skippedCount
  sentCount
  failedCount
  entities {
    entity
    state
    fetched
    created
    updated
    unchanged
    deleted
  }
}
    `, {"fragmentName":"RunFields"}) as unknown as TypedDocumentString<RunFieldsFragment, unknown>;
export const LogFieldsFragmentDoc = new TypedDocumentString(`
    fragment LogFields on SyncLog {
  id
  sequence
  level
  message
  entity
  createdAt
}
    `, {"fragmentName":"LogFields"}) as unknown as TypedDocumentString<LogFieldsFragment, unknown>;
export const PacketFieldsFragmentDoc = new TypedDocumentString(`
    fragment PacketFields on SyncPacket {
  id
  sequence
  label
  state
  attempts
  errorCode
  errorMessage
  remoteId
  totalAmount
  updatedAt
}
    `, {"fragmentName":"PacketFields"}) as unknown as TypedDocumentString<PacketFieldsFragment, unknown>;
export const MonitorViewerDocument = new TypedDocumentString(`
    query MonitorViewer {
  viewer {
    id
    name
    role
    tenant {
      id
      name
    }
  }
}
    `) as unknown as TypedDocumentString<MonitorViewerQuery, MonitorViewerQueryVariables>;
export const MonitorIntegrationsDocument = new TypedDocumentString(`
    query MonitorIntegrations {
  integrations(first: 100) {
    totalCount
    edges {
      node {
        ...IntegrationCardFields
        exportQueue {
          ...QueueFields
        }
        rateBudget {
          ...BudgetFields
        }
      }
    }
  }
}
    fragment IntegrationCardFields on Integration {
  id
  name
  platformKey
  remoteTenantId
  status
  syncMode
  lastError
  lastSyncRun {
    id
    kind
    status
    finishedAt
  }
  nextSyncs {
    kind
    dueAt
  }
}
fragment QueueFields on ExportQueue {
  pending
  inFlight
  sent
  failed
  estimatedDrainSeconds
  estimatedDrainAt
  lanes {
    lane
    depth
  }
}
fragment WindowFields on BudgetWindow {
  limit
  used
  remaining
  resetsAt
}
fragment BudgetFields on RateBudget {
  blockedUntil
  concurrent {
    limit
    inFlight
  }
  minute {
    ...WindowFields
  }
  day {
    ...WindowFields
  }
  exportMinute {
    ...WindowFields
  }
  exportDay {
    ...WindowFields
  }
}`) as unknown as TypedDocumentString<MonitorIntegrationsQuery, MonitorIntegrationsQueryVariables>;
export const MonitorRunListDocument = new TypedDocumentString(`
    query MonitorRunList($id: ID!) {
  integration(id: $id) {
    __typename
    ... on Integration {
      id
      syncRuns(first: 25) {
        edges {
          node {
            ...RunFields
          }
        }
      }
    }
    ... on Error {
      message
    }
  }
}
    fragment RunFields on SyncRun {
  id
  kind
  status
  trigger
  lane
  queuedAt
  startedAt
  finishedAt
  deferredUntil
  error
  fetchedCount
  createdCount
  updatedCount
  deletedCount
  skippedCount
  sentCount
  failedCount
  entities {
    entity
    state
    fetched
    created
    updated
    unchanged
    deleted
  }
}`) as unknown as TypedDocumentString<MonitorRunListQuery, MonitorRunListQueryVariables>;
export const MonitorRunDocument = new TypedDocumentString(`
    query MonitorRun($id: ID!) {
  syncRun(id: $id) {
    __typename
    ... on SyncRun {
      ...RunFields
      packets(first: 500) {
        totalCount
        edges {
          node {
            ...PacketFields
          }
        }
      }
      logs(last: 200) {
        edges {
          node {
            ...LogFields
          }
        }
      }
    }
    ... on Error {
      message
    }
  }
}
    fragment RunFields on SyncRun {
  id
  kind
  status
  trigger
  lane
  queuedAt
  startedAt
  finishedAt
  deferredUntil
  error
  fetchedCount
  createdCount
  updatedCount
  deletedCount
  skippedCount
  sentCount
  failedCount
  entities {
    entity
    state
    fetched
    created
    updated
    unchanged
    deleted
  }
}
fragment LogFields on SyncLog {
  id
  sequence
  level
  message
  entity
  createdAt
}
fragment PacketFields on SyncPacket {
  id
  sequence
  label
  state
  attempts
  errorCode
  errorMessage
  remoteId
  totalAmount
  updatedAt
}`) as unknown as TypedDocumentString<MonitorRunQuery, MonitorRunQueryVariables>;
export const MonitorStatusChangedDocument = new TypedDocumentString(`
    subscription MonitorStatusChanged {
  integrationStatusChanged {
    ...IntegrationCardFields
  }
}
    fragment IntegrationCardFields on Integration {
  id
  name
  platformKey
  remoteTenantId
  status
  syncMode
  lastError
  lastSyncRun {
    id
    kind
    status
    finishedAt
  }
  nextSyncs {
    kind
    dueAt
  }
}`) as unknown as TypedDocumentString<MonitorStatusChangedSubscription, MonitorStatusChangedSubscriptionVariables>;
export const MonitorQueueProgressDocument = new TypedDocumentString(`
    subscription MonitorQueueProgress($integrationId: ID!) {
  queueProgress(integrationId: $integrationId) {
    at
    integrationId
    exportQueue {
      ...QueueFields
    }
    rateBudget {
      ...BudgetFields
    }
  }
}
    fragment QueueFields on ExportQueue {
  pending
  inFlight
  sent
  failed
  estimatedDrainSeconds
  estimatedDrainAt
  lanes {
    lane
    depth
  }
}
fragment WindowFields on BudgetWindow {
  limit
  used
  remaining
  resetsAt
}
fragment BudgetFields on RateBudget {
  blockedUntil
  concurrent {
    limit
    inFlight
  }
  minute {
    ...WindowFields
  }
  day {
    ...WindowFields
  }
  exportMinute {
    ...WindowFields
  }
  exportDay {
    ...WindowFields
  }
}`) as unknown as TypedDocumentString<MonitorQueueProgressSubscription, MonitorQueueProgressSubscriptionVariables>;
export const MonitorIntegrationRunsDocument = new TypedDocumentString(`
    subscription MonitorIntegrationRuns($integrationId: ID!) {
  integrationSyncRuns(integrationId: $integrationId) {
    ...RunFields
    integration {
      id
    }
  }
}
    fragment RunFields on SyncRun {
  id
  kind
  status
  trigger
  lane
  queuedAt
  startedAt
  finishedAt
  deferredUntil
  error
  fetchedCount
  createdCount
  updatedCount
  deletedCount
  skippedCount
  sentCount
  failedCount
  entities {
    entity
    state
    fetched
    created
    updated
    unchanged
    deleted
  }
}`) as unknown as TypedDocumentString<MonitorIntegrationRunsSubscription, MonitorIntegrationRunsSubscriptionVariables>;
export const MonitorRunUpdatedDocument = new TypedDocumentString(`
    subscription MonitorRunUpdated($id: ID!) {
  syncRunUpdated(id: $id) {
    ...RunFields
    logs(last: 200) {
      edges {
        node {
          ...LogFields
        }
      }
    }
  }
}
    fragment RunFields on SyncRun {
  id
  kind
  status
  trigger
  lane
  queuedAt
  startedAt
  finishedAt
  deferredUntil
  error
  fetchedCount
  createdCount
  updatedCount
  deletedCount
  skippedCount
  sentCount
  failedCount
  entities {
    entity
    state
    fetched
    created
    updated
    unchanged
    deleted
  }
}
fragment LogFields on SyncLog {
  id
  sequence
  level
  message
  entity
  createdAt
}`) as unknown as TypedDocumentString<MonitorRunUpdatedSubscription, MonitorRunUpdatedSubscriptionVariables>;
export const MonitorPacketStateDocument = new TypedDocumentString(`
    subscription MonitorPacketState($runId: ID!) {
  packetStateChanged(runId: $runId) {
    packetId
    sequence
    label
    from
    to
    attempts
    errorCode
    errorMessage
    remoteId
    at
  }
}
    `) as unknown as TypedDocumentString<MonitorPacketStateSubscription, MonitorPacketStateSubscriptionVariables>;
export const MonitorTriggerSyncDocument = new TypedDocumentString(`
    mutation MonitorTriggerSync($integrationId: ID!) {
  triggerSync(input: {integrationId: $integrationId, kind: FORCE}) {
    __typename
    ... on TriggerSyncPayload {
      syncRun {
        id
      }
    }
    ... on Error {
      message
    }
  }
}
    `) as unknown as TypedDocumentString<MonitorTriggerSyncMutation, MonitorTriggerSyncMutationVariables>;
export const MonitorCancelRunDocument = new TypedDocumentString(`
    mutation MonitorCancelRun($id: ID!) {
  cancelSyncRun(id: $id) {
    __typename
    ... on Error {
      message
    }
  }
}
    `) as unknown as TypedDocumentString<MonitorCancelRunMutation, MonitorCancelRunMutationVariables>;
export const MonitorRetryPacketsDocument = new TypedDocumentString(`
    mutation MonitorRetryPackets($runId: ID!) {
  retryFailedPackets(runId: $runId) {
    __typename
    ... on Error {
      message
    }
  }
}
    `) as unknown as TypedDocumentString<MonitorRetryPacketsMutation, MonitorRetryPacketsMutationVariables>;
export const MonitorPauseDocument = new TypedDocumentString(`
    mutation MonitorPause($id: ID!) {
  pauseIntegration(id: $id) {
    __typename
    ... on Error {
      message
    }
  }
}
    `) as unknown as TypedDocumentString<MonitorPauseMutation, MonitorPauseMutationVariables>;
export const MonitorResumeDocument = new TypedDocumentString(`
    mutation MonitorResume($id: ID!) {
  resumeIntegration(id: $id) {
    __typename
    ... on Error {
      message
    }
  }
}
    `) as unknown as TypedDocumentString<MonitorResumeMutation, MonitorResumeMutationVariables>;