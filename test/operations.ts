import { graphql } from "./generated/gql.ts";

/** The GraphQL operations the tests run, as a client would write them. Codegen types each one. */

export const ErrorFields = graphql(`
  fragment ErrorFields on Error {
    __typename
    message
    ... on ValidationError { issues { path message } }
    ... on NotFoundError { resourceType resourceId }
    ... on ForbiddenError { requiredRoles }
    ... on InvalidStateError { currentState }
    ... on ContinuousConnectionLimitError { platformKey limit current }
    ... on RateLimitedError { retryAfterSeconds }
    ... on PlatformError { httpStatus }
  }
`);

export const IntegrationFields = graphql(`
  fragment IntegrationFields on Integration {
    id
    name
    platformKey
    remoteTenantId
    status
    syncMode
    hasCredentials
    connectedAt
    disconnectedAt
  }
`);

export const ViewerQuery = graphql(`
  query Viewer {
    viewer { id name role tenant { id name timeZone } }
  }
`);

export const PlatformsQuery = graphql(`
  query Platforms {
    platforms {
      key name kind continuousConnectionLimit syncKinds
      caps { concurrent perMinute perDay dayResets }
      exportReserve { perMinute perDay }
      entities { key name syncKinds fetchOnFirstLink supportsCustomFields liveOnly }
    }
  }
`);

export const NodeQuery = graphql(`
  query Node($id: ID!) {
    node(id: $id) { __typename id ... on Integration { name } }
  }
`);

export const IntegrationsQuery = graphql(`
  query Integrations($platform: PlatformKey, $status: IntegrationStatus, $first: Int, $after: String) {
    integrations(platform: $platform, status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...IntegrationFields } }
    }
  }
`);

export const IntegrationQuery = graphql(`
  query Integration($id: ID!) {
    integration(id: $id) {
      __typename
      ... on Integration {
        ...IntegrationFields
        platform { key continuousConnectionLimit }
        settings {
          oneOffSync { value source }
          summarizeData { value source }
          nightlySyncTime { value source }
          entities {
            entity name
            enabled { value source }
            fetchOnFirstLink { value source }
            customFields { value source }
            frequencyMinutes { value source }
          }
        }
        mappingRules(first: 50) {
          totalCount
          edges { node { id sourceType sourceValue isDefault targetType targetValue } }
        }
        syncRuns(first: 10) { totalCount edges { node { id kind trigger lane status } } }
      }
      ...ErrorFields
    }
  }
`);

export const SyncRunQuery = graphql(`
  query SyncRun($id: ID!) {
    syncRun(id: $id) {
      __typename
      ... on SyncRun {
        id kind trigger lane status queuedAt
        integration { id }
        requestedBy { id name }
        entities { entity state fetched created updated unchanged deleted }
        packets(first: 10) { totalCount edges { node { id state } } }
        logs(first: 50) { totalCount edges { node { id message level } } }
      }
      ...ErrorFields
    }
  }
`);

export const TenantSettingsQuery = graphql(`
  query TenantSettings {
    tenantSettings { oneOffSync summarizeData nightlySyncTime timeZone }
  }
`);

export const PlatformSettingsQuery = graphql(`
  query PlatformSettings($platform: PlatformKey!) {
    platformSettings(platform: $platform) {
      platform oneOffSync summarizeData nightlySyncTime
      effective { oneOffSync { value source } summarizeData { value source } }
    }
  }
`);

export const ConnectIntegrationMutation = graphql(`
  mutation ConnectIntegration($input: ConnectIntegrationInput!) {
    connectIntegration(input: $input) {
      __typename
      ... on IntegrationPayload {
        integration { ...IntegrationFields }
        syncRun { id kind trigger lane status }
      }
      ...ErrorFields
    }
  }
`);

export const ReconnectIntegrationMutation = graphql(`
  mutation ReconnectIntegration($input: ReconnectIntegrationInput!) {
    reconnectIntegration(input: $input) {
      __typename
      ... on IntegrationPayload { integration { ...IntegrationFields } syncRun { id kind status } }
      ...ErrorFields
    }
  }
`);

export const DisconnectIntegrationMutation = graphql(`
  mutation DisconnectIntegration($id: ID!) {
    disconnectIntegration(id: $id) {
      __typename
      ... on IntegrationPayload { integration { ...IntegrationFields } }
      ...ErrorFields
    }
  }
`);

export const PauseIntegrationMutation = graphql(`
  mutation PauseIntegration($id: ID!) {
    pauseIntegration(id: $id) {
      __typename
      ... on IntegrationPayload { integration { ...IntegrationFields } }
      ...ErrorFields
    }
  }
`);

export const ResumeIntegrationMutation = graphql(`
  mutation ResumeIntegration($id: ID!) {
    resumeIntegration(id: $id) {
      __typename
      ... on IntegrationPayload { integration { ...IntegrationFields } }
      ...ErrorFields
    }
  }
`);

export const UpdateTenantSettingsMutation = graphql(`
  mutation UpdateTenantSettings($input: UpdateTenantSettingsInput!) {
    updateTenantSettings(input: $input) {
      __typename
      ... on TenantSettingsPayload { tenantSettings { oneOffSync summarizeData nightlySyncTime timeZone } }
      ...ErrorFields
    }
  }
`);

export const UpdatePlatformSettingsMutation = graphql(`
  mutation UpdatePlatformSettings($input: UpdatePlatformSettingsInput!) {
    updatePlatformSettings(input: $input) {
      __typename
      ... on PlatformSettingsPayload {
        platformSettings { platform oneOffSync summarizeData nightlySyncTime }
      }
      ...ErrorFields
    }
  }
`);

export const UpdateIntegrationSettingsMutation = graphql(`
  mutation UpdateIntegrationSettings($input: UpdateIntegrationSettingsInput!) {
    updateIntegrationSettings(input: $input) {
      __typename
      ... on IntegrationSettingsPayload {
        integration {
          id
          settings {
            summarizeData { value source }
            exportReserveMode { value source }
            entities { entity enabled { value source } customFields { value source } frequencyMinutes { value source } }
          }
        }
      }
      ...ErrorFields
    }
  }
`);

export const UpsertMappingRuleMutation = graphql(`
  mutation UpsertMappingRule($input: UpsertMappingRuleInput!) {
    upsertMappingRule(input: $input) {
      __typename
      ... on MappingRulePayload { mappingRule { id sourceType sourceValue isDefault targetType targetValue } }
      ...ErrorFields
    }
  }
`);

export const DeleteMappingRuleMutation = graphql(`
  mutation DeleteMappingRule($id: ID!) {
    deleteMappingRule(id: $id) {
      __typename
      ... on DeleteMappingRulePayload { deletedId }
      ...ErrorFields
    }
  }
`);

export const IntegrationStatusChangedSubscription = graphql(`
  subscription IntegrationStatusChanged($integrationId: ID) {
    integrationStatusChanged(integrationId: $integrationId) { id name status }
  }
`);

export const EnqueueExportsMutation = graphql(`
  mutation EnqueueExports($input: EnqueueExportsInput!) {
    enqueueExports(input: $input) {
      __typename
      ... on EnqueueExportsPayload {
        added
        coalesced
        superseded
        exportQueue { pending inFlight sent failed estimatedDrainSeconds lanes { lane depth } }
      }
      ...ErrorFields
    }
  }
`);

export const ExportQueueQuery = graphql(`
  query ExportQueue($id: ID!) {
    integration(id: $id) {
      __typename
      ... on Integration {
        exportQueue {
          pending inFlight inDoubt conflicts sent skipped failed estimatedDrainSeconds estimatedDrainAt
          lanes { lane depth }
        }
        rateBudget {
          concurrent { limit inFlight }
          minute { limit used remaining resetsAt }
          day { limit used remaining resetsAt }
          exportMinute { limit used remaining resetsAt }
          exportDay { limit used remaining resetsAt }
          blockedUntil
          platform { minute { remaining seenAt } day { remaining seenAt } }
        }
      }
      ...ErrorFields
    }
  }
`);

export const AppBudgetQuery = graphql(`
  query AppBudget($id: ID!) {
    integration(id: $id) {
      __typename
      ... on Integration {
        rateBudget {
          minute { used }
          app {
            app
            minute { limit used remaining resetsAt }
            activeIntegrations waitingIntegrations starvingIntegrations
            blockedUntil
          }
        }
      }
      ...ErrorFields
    }
  }
`);

export const ExportConflictsQuery = graphql(`
  query ExportConflicts($id: ID!) {
    integration(id: $id) {
      __typename
      ... on Integration {
        conflictPolicy
        exportConflicts(first: 50) {
          totalCount
          edges { node { id entity remoteId field value baseValue remoteValue status conflictAt } }
        }
      }
      ...ErrorFields
    }
  }
`);

export const ResolveExportConflictMutation = graphql(`
  mutation ResolveExportConflict($input: ResolveExportConflictInput!) {
    resolveExportConflict(input: $input) {
      __typename
      ... on ResolveExportConflictPayload { exportItem { id status } }
      ...ErrorFields
    }
  }
`);

export const SetExportConflictPolicyMutation = graphql(`
  mutation SetExportConflictPolicy($input: SetExportConflictPolicyInput!) {
    setExportConflictPolicy(input: $input) {
      __typename
      ... on SetExportConflictPolicyPayload { integration { id conflictPolicy } }
      ...ErrorFields
    }
  }
`);

export const QueueProgressSubscription = graphql(`
  subscription QueueProgress($integrationId: ID!) {
    queueProgress(integrationId: $integrationId) {
      integrationId
      at
      exportQueue { pending sent }
      rateBudget { exportMinute { used remaining } }
    }
  }
`);

export const SyncRunUpdatedSubscription = graphql(`
  subscription SyncRunUpdated($id: ID!) {
    syncRunUpdated(id: $id) { id status fetchedCount createdCount updatedCount skippedCount deletedCount }
  }
`);

export const TriggerSyncMutation = graphql(`
  mutation TriggerSync($input: TriggerSyncInput!) {
    triggerSync(input: $input) {
      __typename
      ... on TriggerSyncPayload { alreadyQueued syncRun { id kind lane trigger status requestedBy { name } } }
      ...ErrorFields
    }
  }
`);

export const CancelSyncRunMutation = graphql(`
  mutation CancelSyncRun($id: ID!) {
    cancelSyncRun(id: $id) {
      __typename
      ... on CancelSyncRunPayload { syncRun { id status } }
      ...ErrorFields
    }
  }
`);

export const IntegrationSyncRunsSubscription = graphql(`
  subscription IntegrationSyncRuns($integrationId: ID!) {
    integrationSyncRuns(integrationId: $integrationId) {
      id kind status fetchedCount
      entities { entity state fetched }
      logs(first: 50) { edges { node { message } } }
    }
  }
`);

export const TicketsQuery = graphql(`
  query Tickets($id: ID!, $filter: TicketFilter, $first: Int, $after: String) {
    integration(id: $id) {
      __typename
      ... on Integration {
        tickets(filter: $filter, first: $first, after: $after) {
          __typename
          ... on TicketConnection {
            edges {
              cursor
              node { remoteId summary boardName statusName priorityName companyName closed updatedAt }
            }
            pageInfo { hasNextPage endCursor }
          }
          ...ErrorFields
        }
      }
    }
  }
`);

export const IngestOrdersMutation = graphql(`
  mutation IngestOrders($input: IngestOrdersInput!) {
    ingestOrders(input: $input) {
      __typename
      ... on IngestOrdersPayload { created modified unchanged rejected { index externalId issues { path message } } }
      ...ErrorFields
    }
  }
`);

export const StartAccountingSyncMutation = graphql(`
  mutation StartAccountingSync($integrationId: ID!) {
    startAccountingSync(integrationId: $integrationId) {
      __typename
      ... on StartAccountingSyncPayload { alreadyQueued syncRun { id kind lane status } }
      ...ErrorFields
    }
  }
`);

export const RetryFailedPacketsMutation = graphql(`
  mutation RetryFailedPackets($runId: ID!) {
    retryFailedPackets(runId: $runId) {
      __typename
      ... on RetryFailedPacketsPayload { retried syncRun { id status } }
      ...ErrorFields
    }
  }
`);

export const PushRunQuery = graphql(`
  query PushRun($id: ID!) {
    syncRun(id: $id) {
      __typename
      ... on SyncRun {
        id status sentCount failedCount skippedCount
        packets(first: 100) {
          edges { node { id sequence state attempts label totalAmount remoteId errorCode errorMessage } }
        }
      }
      ...ErrorFields
    }
  }
`);

export const PacketStateChangedSubscription = graphql(`
  subscription PacketStateChanged($runId: ID!) {
    packetStateChanged(runId: $runId) { packetId sequence label from to attempts remoteId errorCode }
  }
`);

export const StartConnectionMutation = graphql(`
  mutation StartConnection($input: StartConnectionInput!) {
    startConnection(input: $input) {
      __typename
      ... on StartConnectionPayload { authorizationUrl expiresAt connection { id status platform } }
      ...ErrorFields
    }
  }
`);

export const ChooseOrganisationMutation = graphql(`
  mutation ChooseOrganisation($input: ChooseOrganisationInput!) {
    chooseOrganisation(input: $input) {
      __typename
      ... on IntegrationPayload { integration { ...IntegrationFields } syncRun { id kind status } }
      ...ErrorFields
    }
  }
`);

export const ConnectionFlowQuery = graphql(`
  query ConnectionFlow($id: ID!) {
    connectionFlow(id: $id) {
      __typename
      ... on ConnectionFlow {
        id status platform name error expiresAt
        organisations { remoteTenantId name }
        integration { id status }
      }
      ...ErrorFields
    }
  }
`);

export const IntegrationAuthorizationQuery = graphql(`
  query IntegrationAuthorization($id: ID!) {
    integration(id: $id) {
      __typename
      ... on Integration {
        ...IntegrationFields
        lastError
        authorization { method problem accessTokenExpiresAt refreshCount lastRefreshedAt }
      }
    }
  }
`);

// --- Live subscriptions under load (issue 16) ------------------------------------------------------

export const QueueDrainSubscription = graphql(`
  subscription QueueDrain($integrationId: ID!) {
    queueProgress(integrationId: $integrationId) {
      at
      exportQueue { pending inFlight sent failed }
    }
  }
`);

export const PacketLogSubscription = graphql(`
  subscription PacketLog($runId: ID!, $afterSequence: Int) {
    packetStateChanged(runId: $runId, afterSequence: $afterSequence) {
      eventSequence packetId sequence from to at
    }
  }
`);

export const RunStatusLogSubscription = graphql(`
  subscription RunStatusLog($integrationId: ID!, $afterSequence: Int) {
    syncRunStatusChanged(integrationId: $integrationId, afterSequence: $afterSequence) {
      eventSequence runId kind from to error at
    }
  }
`);
