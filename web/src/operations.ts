import { graphql } from "./generated/gql.ts";

/**
 * Every operation the monitor page sends, typed by codegen against schema.graphql (`npm run generate`), so
 * a schema change that breaks the page fails `npm run check`.
 */

export const IntegrationCardFields = graphql(`
  fragment IntegrationCardFields on Integration {
    id
    name
    platformKey
    remoteTenantId
    status
    syncMode
    lastError
    lastSyncRun { id kind status finishedAt }
    nextSyncs { kind dueAt }
  }
`);

export const QueueFields = graphql(`
  fragment QueueFields on ExportQueue {
    pending
    inFlight
    sent
    failed
    estimatedDrainSeconds
    estimatedDrainAt
    lanes { lane depth }
  }
`);

export const WindowFields = graphql(`
  fragment WindowFields on BudgetWindow { limit used remaining resetsAt }
`);

export const BudgetFields = graphql(`
  fragment BudgetFields on RateBudget {
    blockedUntil
    concurrent { limit inFlight }
    minute { ...WindowFields }
    day { ...WindowFields }
    exportMinute { ...WindowFields }
    exportDay { ...WindowFields }
  }
`);

export const RunFields = graphql(`
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
    entities { entity state fetched created updated unchanged deleted }
  }
`);

export const LogFields = graphql(`
  fragment LogFields on SyncLog { id sequence level message entity createdAt }
`);

export const PacketFields = graphql(`
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
`);

export const ViewerQuery = graphql(`
  query MonitorViewer {
    viewer { id name role tenant { id name } }
  }
`);

export const IntegrationsQuery = graphql(`
  query MonitorIntegrations {
    integrations(first: 100) {
      totalCount
      edges { node { ...IntegrationCardFields exportQueue { ...QueueFields } rateBudget { ...BudgetFields } } }
    }
  }
`);

export const IntegrationRunsQuery = graphql(`
  query MonitorRunList($id: ID!) {
    integration(id: $id) {
      __typename
      ... on Integration { id syncRuns(first: 25) { edges { node { ...RunFields } } } }
      ... on Error { message }
    }
  }
`);

export const RunDetailQuery = graphql(`
  query MonitorRun($id: ID!) {
    syncRun(id: $id) {
      __typename
      ... on SyncRun {
        ...RunFields
        packets(first: 500) { totalCount edges { node { ...PacketFields } } }
        logs(last: 200) { edges { node { ...LogFields } } }
      }
      ... on Error { message }
    }
  }
`);

export const StatusChangedSubscription = graphql(`
  subscription MonitorStatusChanged {
    integrationStatusChanged { ...IntegrationCardFields }
  }
`);

export const QueueProgressSubscription = graphql(`
  subscription MonitorQueueProgress($integrationId: ID!) {
    queueProgress(integrationId: $integrationId) {
      at
      integrationId
      exportQueue { ...QueueFields }
      rateBudget { ...BudgetFields }
    }
  }
`);

export const IntegrationRunsSubscription = graphql(`
  subscription MonitorIntegrationRuns($integrationId: ID!) {
    integrationSyncRuns(integrationId: $integrationId) { ...RunFields integration { id } }
  }
`);

export const RunUpdatedSubscription = graphql(`
  subscription MonitorRunUpdated($id: ID!) {
    syncRunUpdated(id: $id) {
      ...RunFields
      logs(last: 200) { edges { node { ...LogFields } } }
    }
  }
`);

export const PacketStateSubscription = graphql(`
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
`);

export const TriggerSyncMutation = graphql(`
  mutation MonitorTriggerSync($integrationId: ID!) {
    triggerSync(input: { integrationId: $integrationId, kind: FORCE }) {
      __typename
      ... on TriggerSyncPayload { syncRun { id } }
      ... on Error { message }
    }
  }
`);

export const CancelRunMutation = graphql(`
  mutation MonitorCancelRun($id: ID!) {
    cancelSyncRun(id: $id) {
      __typename
      ... on Error { message }
    }
  }
`);

export const RetryPacketsMutation = graphql(`
  mutation MonitorRetryPackets($runId: ID!) {
    retryFailedPackets(runId: $runId) {
      __typename
      ... on Error { message }
    }
  }
`);

export const PauseMutation = graphql(`
  mutation MonitorPause($id: ID!) {
    pauseIntegration(id: $id) {
      __typename
      ... on Error { message }
    }
  }
`);

export const ResumeMutation = graphql(`
  mutation MonitorResume($id: ID!) {
    resumeIntegration(id: $id) {
      __typename
      ... on Error { message }
    }
  }
`);
