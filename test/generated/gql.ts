/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment ErrorFields on Error {\n    __typename\n    message\n    ... on ValidationError { issues { path message } }\n    ... on NotFoundError { resourceType resourceId }\n    ... on ForbiddenError { requiredRoles }\n    ... on InvalidStateError { currentState }\n    ... on ContinuousConnectionLimitError { platformKey limit current }\n    ... on RateLimitedError { retryAfterSeconds }\n    ... on PlatformError { httpStatus }\n  }\n": typeof types.ErrorFieldsFragmentDoc,
    "\n  fragment IntegrationFields on Integration {\n    id\n    name\n    platformKey\n    remoteTenantId\n    status\n    syncMode\n    hasCredentials\n    connectedAt\n    disconnectedAt\n  }\n": typeof types.IntegrationFieldsFragmentDoc,
    "\n  query Viewer {\n    viewer { id name role tenant { id name timeZone } }\n  }\n": typeof types.ViewerDocument,
    "\n  query Platforms {\n    platforms {\n      key name kind continuousConnectionLimit syncKinds\n      caps { concurrent perMinute perDay dayResets }\n      exportReserve { perMinute perDay }\n      entities { key name syncKinds fetchOnFirstLink supportsCustomFields liveOnly }\n    }\n  }\n": typeof types.PlatformsDocument,
    "\n  query Node($id: ID!) {\n    node(id: $id) { __typename id ... on Integration { name } }\n  }\n": typeof types.NodeDocument,
    "\n  query Integrations($platform: PlatformKey, $status: IntegrationStatus, $first: Int, $after: String) {\n    integrations(platform: $platform, status: $status, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { cursor node { ...IntegrationFields } }\n    }\n  }\n": typeof types.IntegrationsDocument,
    "\n  query Integration($id: ID!) {\n    integration(id: $id) {\n      __typename\n      ... on Integration {\n        ...IntegrationFields\n        platform { key continuousConnectionLimit }\n        settings {\n          oneOffSync { value source }\n          summarizeData { value source }\n          nightlySyncTime { value source }\n          entities {\n            entity name\n            enabled { value source }\n            fetchOnFirstLink { value source }\n            customFields { value source }\n            frequencyMinutes { value source }\n          }\n        }\n        mappingRules { id sourceType sourceValue isDefault targetType targetValue }\n        syncRuns(first: 10) { totalCount edges { node { id kind trigger lane status } } }\n      }\n      ...ErrorFields\n    }\n  }\n": typeof types.IntegrationDocument,
    "\n  query SyncRun($id: ID!) {\n    syncRun(id: $id) {\n      __typename\n      ... on SyncRun {\n        id kind trigger lane status queuedAt\n        integration { id }\n        requestedBy { id name }\n        packets(first: 10) { totalCount edges { node { id state } } }\n        logs(first: 50) { totalCount edges { node { id message level } } }\n      }\n      ...ErrorFields\n    }\n  }\n": typeof types.SyncRunDocument,
    "\n  query TenantSettings {\n    tenantSettings { oneOffSync summarizeData nightlySyncTime timeZone }\n  }\n": typeof types.TenantSettingsDocument,
    "\n  query PlatformSettings($platform: PlatformKey!) {\n    platformSettings(platform: $platform) {\n      platform oneOffSync summarizeData nightlySyncTime\n      effective { oneOffSync { value source } summarizeData { value source } }\n    }\n  }\n": typeof types.PlatformSettingsDocument,
    "\n  mutation ConnectIntegration($input: ConnectIntegrationInput!) {\n    connectIntegration(input: $input) {\n      __typename\n      ... on IntegrationPayload {\n        integration { ...IntegrationFields }\n        syncRun { id kind trigger lane status }\n      }\n      ...ErrorFields\n    }\n  }\n": typeof types.ConnectIntegrationDocument,
    "\n  mutation ReconnectIntegration($input: ReconnectIntegrationInput!) {\n    reconnectIntegration(input: $input) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } syncRun { id kind status } }\n      ...ErrorFields\n    }\n  }\n": typeof types.ReconnectIntegrationDocument,
    "\n  mutation DisconnectIntegration($id: ID!) {\n    disconnectIntegration(id: $id) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } }\n      ...ErrorFields\n    }\n  }\n": typeof types.DisconnectIntegrationDocument,
    "\n  mutation PauseIntegration($id: ID!) {\n    pauseIntegration(id: $id) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } }\n      ...ErrorFields\n    }\n  }\n": typeof types.PauseIntegrationDocument,
    "\n  mutation ResumeIntegration($id: ID!) {\n    resumeIntegration(id: $id) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } }\n      ...ErrorFields\n    }\n  }\n": typeof types.ResumeIntegrationDocument,
    "\n  mutation UpdateTenantSettings($input: UpdateTenantSettingsInput!) {\n    updateTenantSettings(input: $input) {\n      __typename\n      ... on TenantSettingsPayload { tenantSettings { oneOffSync summarizeData nightlySyncTime timeZone } }\n      ...ErrorFields\n    }\n  }\n": typeof types.UpdateTenantSettingsDocument,
    "\n  mutation UpdatePlatformSettings($input: UpdatePlatformSettingsInput!) {\n    updatePlatformSettings(input: $input) {\n      __typename\n      ... on PlatformSettingsPayload {\n        platformSettings { platform oneOffSync summarizeData nightlySyncTime }\n      }\n      ...ErrorFields\n    }\n  }\n": typeof types.UpdatePlatformSettingsDocument,
    "\n  mutation UpdateIntegrationSettings($input: UpdateIntegrationSettingsInput!) {\n    updateIntegrationSettings(input: $input) {\n      __typename\n      ... on IntegrationSettingsPayload {\n        integration {\n          id\n          settings {\n            summarizeData { value source }\n            entities { entity enabled { value source } customFields { value source } frequencyMinutes { value source } }\n          }\n        }\n      }\n      ...ErrorFields\n    }\n  }\n": typeof types.UpdateIntegrationSettingsDocument,
    "\n  mutation UpsertMappingRule($input: UpsertMappingRuleInput!) {\n    upsertMappingRule(input: $input) {\n      __typename\n      ... on MappingRulePayload { mappingRule { id sourceType sourceValue isDefault targetType targetValue } }\n      ...ErrorFields\n    }\n  }\n": typeof types.UpsertMappingRuleDocument,
    "\n  mutation DeleteMappingRule($id: ID!) {\n    deleteMappingRule(id: $id) {\n      __typename\n      ... on DeleteMappingRulePayload { deletedId }\n      ...ErrorFields\n    }\n  }\n": typeof types.DeleteMappingRuleDocument,
    "\n  subscription IntegrationStatusChanged($integrationId: ID) {\n    integrationStatusChanged(integrationId: $integrationId) { id name status }\n  }\n": typeof types.IntegrationStatusChangedDocument,
    "\n  mutation EnqueueExports($input: EnqueueExportsInput!) {\n    enqueueExports(input: $input) {\n      __typename\n      ... on EnqueueExportsPayload {\n        added\n        coalesced\n        exportQueue { pending inFlight sent failed estimatedDrainSeconds lanes { lane depth } }\n      }\n      ...ErrorFields\n    }\n  }\n": typeof types.EnqueueExportsDocument,
    "\n  query ExportQueue($id: ID!) {\n    integration(id: $id) {\n      __typename\n      ... on Integration {\n        exportQueue { pending inFlight sent failed estimatedDrainSeconds estimatedDrainAt lanes { lane depth } }\n        rateBudget {\n          concurrent { limit inFlight }\n          minute { limit used remaining resetsAt }\n          day { limit used remaining resetsAt }\n          exportMinute { limit used remaining resetsAt }\n          exportDay { limit used remaining resetsAt }\n          blockedUntil\n        }\n      }\n      ...ErrorFields\n    }\n  }\n": typeof types.ExportQueueDocument,
    "\n  subscription QueueProgress($integrationId: ID!) {\n    queueProgress(integrationId: $integrationId) {\n      integrationId\n      at\n      exportQueue { pending sent }\n      rateBudget { exportMinute { used remaining } }\n    }\n  }\n": typeof types.QueueProgressDocument,
    "\n  subscription SyncRunUpdated($id: ID!) {\n    syncRunUpdated(id: $id) { id status fetchedCount createdCount updatedCount skippedCount deletedCount }\n  }\n": typeof types.SyncRunUpdatedDocument,
    "\n  mutation TriggerSync($input: TriggerSyncInput!) {\n    triggerSync(input: $input) {\n      __typename\n      ... on TriggerSyncPayload { alreadyQueued syncRun { id kind lane trigger status requestedBy { name } } }\n      ...ErrorFields\n    }\n  }\n": typeof types.TriggerSyncDocument,
    "\n  mutation CancelSyncRun($id: ID!) {\n    cancelSyncRun(id: $id) {\n      __typename\n      ... on CancelSyncRunPayload { syncRun { id status } }\n      ...ErrorFields\n    }\n  }\n": typeof types.CancelSyncRunDocument,
    "\n  subscription IntegrationSyncRuns($integrationId: ID!) {\n    integrationSyncRuns(integrationId: $integrationId) {\n      id kind status fetchedCount\n      logs(first: 50) { edges { node { message } } }\n    }\n  }\n": typeof types.IntegrationSyncRunsDocument,
    "\n  query Tickets($id: ID!, $filter: TicketFilter, $first: Int, $after: String) {\n    integration(id: $id) {\n      __typename\n      ... on Integration {\n        tickets(filter: $filter, first: $first, after: $after) {\n          __typename\n          ... on TicketConnection {\n            edges {\n              cursor\n              node { remoteId summary boardName statusName priorityName companyName closed updatedAt }\n            }\n            pageInfo { hasNextPage endCursor }\n          }\n          ...ErrorFields\n        }\n      }\n    }\n  }\n": typeof types.TicketsDocument,
};
const documents: Documents = {
    "\n  fragment ErrorFields on Error {\n    __typename\n    message\n    ... on ValidationError { issues { path message } }\n    ... on NotFoundError { resourceType resourceId }\n    ... on ForbiddenError { requiredRoles }\n    ... on InvalidStateError { currentState }\n    ... on ContinuousConnectionLimitError { platformKey limit current }\n    ... on RateLimitedError { retryAfterSeconds }\n    ... on PlatformError { httpStatus }\n  }\n": types.ErrorFieldsFragmentDoc,
    "\n  fragment IntegrationFields on Integration {\n    id\n    name\n    platformKey\n    remoteTenantId\n    status\n    syncMode\n    hasCredentials\n    connectedAt\n    disconnectedAt\n  }\n": types.IntegrationFieldsFragmentDoc,
    "\n  query Viewer {\n    viewer { id name role tenant { id name timeZone } }\n  }\n": types.ViewerDocument,
    "\n  query Platforms {\n    platforms {\n      key name kind continuousConnectionLimit syncKinds\n      caps { concurrent perMinute perDay dayResets }\n      exportReserve { perMinute perDay }\n      entities { key name syncKinds fetchOnFirstLink supportsCustomFields liveOnly }\n    }\n  }\n": types.PlatformsDocument,
    "\n  query Node($id: ID!) {\n    node(id: $id) { __typename id ... on Integration { name } }\n  }\n": types.NodeDocument,
    "\n  query Integrations($platform: PlatformKey, $status: IntegrationStatus, $first: Int, $after: String) {\n    integrations(platform: $platform, status: $status, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { cursor node { ...IntegrationFields } }\n    }\n  }\n": types.IntegrationsDocument,
    "\n  query Integration($id: ID!) {\n    integration(id: $id) {\n      __typename\n      ... on Integration {\n        ...IntegrationFields\n        platform { key continuousConnectionLimit }\n        settings {\n          oneOffSync { value source }\n          summarizeData { value source }\n          nightlySyncTime { value source }\n          entities {\n            entity name\n            enabled { value source }\n            fetchOnFirstLink { value source }\n            customFields { value source }\n            frequencyMinutes { value source }\n          }\n        }\n        mappingRules { id sourceType sourceValue isDefault targetType targetValue }\n        syncRuns(first: 10) { totalCount edges { node { id kind trigger lane status } } }\n      }\n      ...ErrorFields\n    }\n  }\n": types.IntegrationDocument,
    "\n  query SyncRun($id: ID!) {\n    syncRun(id: $id) {\n      __typename\n      ... on SyncRun {\n        id kind trigger lane status queuedAt\n        integration { id }\n        requestedBy { id name }\n        packets(first: 10) { totalCount edges { node { id state } } }\n        logs(first: 50) { totalCount edges { node { id message level } } }\n      }\n      ...ErrorFields\n    }\n  }\n": types.SyncRunDocument,
    "\n  query TenantSettings {\n    tenantSettings { oneOffSync summarizeData nightlySyncTime timeZone }\n  }\n": types.TenantSettingsDocument,
    "\n  query PlatformSettings($platform: PlatformKey!) {\n    platformSettings(platform: $platform) {\n      platform oneOffSync summarizeData nightlySyncTime\n      effective { oneOffSync { value source } summarizeData { value source } }\n    }\n  }\n": types.PlatformSettingsDocument,
    "\n  mutation ConnectIntegration($input: ConnectIntegrationInput!) {\n    connectIntegration(input: $input) {\n      __typename\n      ... on IntegrationPayload {\n        integration { ...IntegrationFields }\n        syncRun { id kind trigger lane status }\n      }\n      ...ErrorFields\n    }\n  }\n": types.ConnectIntegrationDocument,
    "\n  mutation ReconnectIntegration($input: ReconnectIntegrationInput!) {\n    reconnectIntegration(input: $input) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } syncRun { id kind status } }\n      ...ErrorFields\n    }\n  }\n": types.ReconnectIntegrationDocument,
    "\n  mutation DisconnectIntegration($id: ID!) {\n    disconnectIntegration(id: $id) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } }\n      ...ErrorFields\n    }\n  }\n": types.DisconnectIntegrationDocument,
    "\n  mutation PauseIntegration($id: ID!) {\n    pauseIntegration(id: $id) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } }\n      ...ErrorFields\n    }\n  }\n": types.PauseIntegrationDocument,
    "\n  mutation ResumeIntegration($id: ID!) {\n    resumeIntegration(id: $id) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } }\n      ...ErrorFields\n    }\n  }\n": types.ResumeIntegrationDocument,
    "\n  mutation UpdateTenantSettings($input: UpdateTenantSettingsInput!) {\n    updateTenantSettings(input: $input) {\n      __typename\n      ... on TenantSettingsPayload { tenantSettings { oneOffSync summarizeData nightlySyncTime timeZone } }\n      ...ErrorFields\n    }\n  }\n": types.UpdateTenantSettingsDocument,
    "\n  mutation UpdatePlatformSettings($input: UpdatePlatformSettingsInput!) {\n    updatePlatformSettings(input: $input) {\n      __typename\n      ... on PlatformSettingsPayload {\n        platformSettings { platform oneOffSync summarizeData nightlySyncTime }\n      }\n      ...ErrorFields\n    }\n  }\n": types.UpdatePlatformSettingsDocument,
    "\n  mutation UpdateIntegrationSettings($input: UpdateIntegrationSettingsInput!) {\n    updateIntegrationSettings(input: $input) {\n      __typename\n      ... on IntegrationSettingsPayload {\n        integration {\n          id\n          settings {\n            summarizeData { value source }\n            entities { entity enabled { value source } customFields { value source } frequencyMinutes { value source } }\n          }\n        }\n      }\n      ...ErrorFields\n    }\n  }\n": types.UpdateIntegrationSettingsDocument,
    "\n  mutation UpsertMappingRule($input: UpsertMappingRuleInput!) {\n    upsertMappingRule(input: $input) {\n      __typename\n      ... on MappingRulePayload { mappingRule { id sourceType sourceValue isDefault targetType targetValue } }\n      ...ErrorFields\n    }\n  }\n": types.UpsertMappingRuleDocument,
    "\n  mutation DeleteMappingRule($id: ID!) {\n    deleteMappingRule(id: $id) {\n      __typename\n      ... on DeleteMappingRulePayload { deletedId }\n      ...ErrorFields\n    }\n  }\n": types.DeleteMappingRuleDocument,
    "\n  subscription IntegrationStatusChanged($integrationId: ID) {\n    integrationStatusChanged(integrationId: $integrationId) { id name status }\n  }\n": types.IntegrationStatusChangedDocument,
    "\n  mutation EnqueueExports($input: EnqueueExportsInput!) {\n    enqueueExports(input: $input) {\n      __typename\n      ... on EnqueueExportsPayload {\n        added\n        coalesced\n        exportQueue { pending inFlight sent failed estimatedDrainSeconds lanes { lane depth } }\n      }\n      ...ErrorFields\n    }\n  }\n": types.EnqueueExportsDocument,
    "\n  query ExportQueue($id: ID!) {\n    integration(id: $id) {\n      __typename\n      ... on Integration {\n        exportQueue { pending inFlight sent failed estimatedDrainSeconds estimatedDrainAt lanes { lane depth } }\n        rateBudget {\n          concurrent { limit inFlight }\n          minute { limit used remaining resetsAt }\n          day { limit used remaining resetsAt }\n          exportMinute { limit used remaining resetsAt }\n          exportDay { limit used remaining resetsAt }\n          blockedUntil\n        }\n      }\n      ...ErrorFields\n    }\n  }\n": types.ExportQueueDocument,
    "\n  subscription QueueProgress($integrationId: ID!) {\n    queueProgress(integrationId: $integrationId) {\n      integrationId\n      at\n      exportQueue { pending sent }\n      rateBudget { exportMinute { used remaining } }\n    }\n  }\n": types.QueueProgressDocument,
    "\n  subscription SyncRunUpdated($id: ID!) {\n    syncRunUpdated(id: $id) { id status fetchedCount createdCount updatedCount skippedCount deletedCount }\n  }\n": types.SyncRunUpdatedDocument,
    "\n  mutation TriggerSync($input: TriggerSyncInput!) {\n    triggerSync(input: $input) {\n      __typename\n      ... on TriggerSyncPayload { alreadyQueued syncRun { id kind lane trigger status requestedBy { name } } }\n      ...ErrorFields\n    }\n  }\n": types.TriggerSyncDocument,
    "\n  mutation CancelSyncRun($id: ID!) {\n    cancelSyncRun(id: $id) {\n      __typename\n      ... on CancelSyncRunPayload { syncRun { id status } }\n      ...ErrorFields\n    }\n  }\n": types.CancelSyncRunDocument,
    "\n  subscription IntegrationSyncRuns($integrationId: ID!) {\n    integrationSyncRuns(integrationId: $integrationId) {\n      id kind status fetchedCount\n      logs(first: 50) { edges { node { message } } }\n    }\n  }\n": types.IntegrationSyncRunsDocument,
    "\n  query Tickets($id: ID!, $filter: TicketFilter, $first: Int, $after: String) {\n    integration(id: $id) {\n      __typename\n      ... on Integration {\n        tickets(filter: $filter, first: $first, after: $after) {\n          __typename\n          ... on TicketConnection {\n            edges {\n              cursor\n              node { remoteId summary boardName statusName priorityName companyName closed updatedAt }\n            }\n            pageInfo { hasNextPage endCursor }\n          }\n          ...ErrorFields\n        }\n      }\n    }\n  }\n": types.TicketsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ErrorFields on Error {\n    __typename\n    message\n    ... on ValidationError { issues { path message } }\n    ... on NotFoundError { resourceType resourceId }\n    ... on ForbiddenError { requiredRoles }\n    ... on InvalidStateError { currentState }\n    ... on ContinuousConnectionLimitError { platformKey limit current }\n    ... on RateLimitedError { retryAfterSeconds }\n    ... on PlatformError { httpStatus }\n  }\n"): (typeof documents)["\n  fragment ErrorFields on Error {\n    __typename\n    message\n    ... on ValidationError { issues { path message } }\n    ... on NotFoundError { resourceType resourceId }\n    ... on ForbiddenError { requiredRoles }\n    ... on InvalidStateError { currentState }\n    ... on ContinuousConnectionLimitError { platformKey limit current }\n    ... on RateLimitedError { retryAfterSeconds }\n    ... on PlatformError { httpStatus }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment IntegrationFields on Integration {\n    id\n    name\n    platformKey\n    remoteTenantId\n    status\n    syncMode\n    hasCredentials\n    connectedAt\n    disconnectedAt\n  }\n"): (typeof documents)["\n  fragment IntegrationFields on Integration {\n    id\n    name\n    platformKey\n    remoteTenantId\n    status\n    syncMode\n    hasCredentials\n    connectedAt\n    disconnectedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer { id name role tenant { id name timeZone } }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer { id name role tenant { id name timeZone } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Platforms {\n    platforms {\n      key name kind continuousConnectionLimit syncKinds\n      caps { concurrent perMinute perDay dayResets }\n      exportReserve { perMinute perDay }\n      entities { key name syncKinds fetchOnFirstLink supportsCustomFields liveOnly }\n    }\n  }\n"): (typeof documents)["\n  query Platforms {\n    platforms {\n      key name kind continuousConnectionLimit syncKinds\n      caps { concurrent perMinute perDay dayResets }\n      exportReserve { perMinute perDay }\n      entities { key name syncKinds fetchOnFirstLink supportsCustomFields liveOnly }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Node($id: ID!) {\n    node(id: $id) { __typename id ... on Integration { name } }\n  }\n"): (typeof documents)["\n  query Node($id: ID!) {\n    node(id: $id) { __typename id ... on Integration { name } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Integrations($platform: PlatformKey, $status: IntegrationStatus, $first: Int, $after: String) {\n    integrations(platform: $platform, status: $status, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { cursor node { ...IntegrationFields } }\n    }\n  }\n"): (typeof documents)["\n  query Integrations($platform: PlatformKey, $status: IntegrationStatus, $first: Int, $after: String) {\n    integrations(platform: $platform, status: $status, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { cursor node { ...IntegrationFields } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Integration($id: ID!) {\n    integration(id: $id) {\n      __typename\n      ... on Integration {\n        ...IntegrationFields\n        platform { key continuousConnectionLimit }\n        settings {\n          oneOffSync { value source }\n          summarizeData { value source }\n          nightlySyncTime { value source }\n          entities {\n            entity name\n            enabled { value source }\n            fetchOnFirstLink { value source }\n            customFields { value source }\n            frequencyMinutes { value source }\n          }\n        }\n        mappingRules { id sourceType sourceValue isDefault targetType targetValue }\n        syncRuns(first: 10) { totalCount edges { node { id kind trigger lane status } } }\n      }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  query Integration($id: ID!) {\n    integration(id: $id) {\n      __typename\n      ... on Integration {\n        ...IntegrationFields\n        platform { key continuousConnectionLimit }\n        settings {\n          oneOffSync { value source }\n          summarizeData { value source }\n          nightlySyncTime { value source }\n          entities {\n            entity name\n            enabled { value source }\n            fetchOnFirstLink { value source }\n            customFields { value source }\n            frequencyMinutes { value source }\n          }\n        }\n        mappingRules { id sourceType sourceValue isDefault targetType targetValue }\n        syncRuns(first: 10) { totalCount edges { node { id kind trigger lane status } } }\n      }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SyncRun($id: ID!) {\n    syncRun(id: $id) {\n      __typename\n      ... on SyncRun {\n        id kind trigger lane status queuedAt\n        integration { id }\n        requestedBy { id name }\n        packets(first: 10) { totalCount edges { node { id state } } }\n        logs(first: 50) { totalCount edges { node { id message level } } }\n      }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  query SyncRun($id: ID!) {\n    syncRun(id: $id) {\n      __typename\n      ... on SyncRun {\n        id kind trigger lane status queuedAt\n        integration { id }\n        requestedBy { id name }\n        packets(first: 10) { totalCount edges { node { id state } } }\n        logs(first: 50) { totalCount edges { node { id message level } } }\n      }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TenantSettings {\n    tenantSettings { oneOffSync summarizeData nightlySyncTime timeZone }\n  }\n"): (typeof documents)["\n  query TenantSettings {\n    tenantSettings { oneOffSync summarizeData nightlySyncTime timeZone }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PlatformSettings($platform: PlatformKey!) {\n    platformSettings(platform: $platform) {\n      platform oneOffSync summarizeData nightlySyncTime\n      effective { oneOffSync { value source } summarizeData { value source } }\n    }\n  }\n"): (typeof documents)["\n  query PlatformSettings($platform: PlatformKey!) {\n    platformSettings(platform: $platform) {\n      platform oneOffSync summarizeData nightlySyncTime\n      effective { oneOffSync { value source } summarizeData { value source } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConnectIntegration($input: ConnectIntegrationInput!) {\n    connectIntegration(input: $input) {\n      __typename\n      ... on IntegrationPayload {\n        integration { ...IntegrationFields }\n        syncRun { id kind trigger lane status }\n      }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation ConnectIntegration($input: ConnectIntegrationInput!) {\n    connectIntegration(input: $input) {\n      __typename\n      ... on IntegrationPayload {\n        integration { ...IntegrationFields }\n        syncRun { id kind trigger lane status }\n      }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReconnectIntegration($input: ReconnectIntegrationInput!) {\n    reconnectIntegration(input: $input) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } syncRun { id kind status } }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation ReconnectIntegration($input: ReconnectIntegrationInput!) {\n    reconnectIntegration(input: $input) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } syncRun { id kind status } }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DisconnectIntegration($id: ID!) {\n    disconnectIntegration(id: $id) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation DisconnectIntegration($id: ID!) {\n    disconnectIntegration(id: $id) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PauseIntegration($id: ID!) {\n    pauseIntegration(id: $id) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation PauseIntegration($id: ID!) {\n    pauseIntegration(id: $id) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResumeIntegration($id: ID!) {\n    resumeIntegration(id: $id) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation ResumeIntegration($id: ID!) {\n    resumeIntegration(id: $id) {\n      __typename\n      ... on IntegrationPayload { integration { ...IntegrationFields } }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateTenantSettings($input: UpdateTenantSettingsInput!) {\n    updateTenantSettings(input: $input) {\n      __typename\n      ... on TenantSettingsPayload { tenantSettings { oneOffSync summarizeData nightlySyncTime timeZone } }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateTenantSettings($input: UpdateTenantSettingsInput!) {\n    updateTenantSettings(input: $input) {\n      __typename\n      ... on TenantSettingsPayload { tenantSettings { oneOffSync summarizeData nightlySyncTime timeZone } }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdatePlatformSettings($input: UpdatePlatformSettingsInput!) {\n    updatePlatformSettings(input: $input) {\n      __typename\n      ... on PlatformSettingsPayload {\n        platformSettings { platform oneOffSync summarizeData nightlySyncTime }\n      }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdatePlatformSettings($input: UpdatePlatformSettingsInput!) {\n    updatePlatformSettings(input: $input) {\n      __typename\n      ... on PlatformSettingsPayload {\n        platformSettings { platform oneOffSync summarizeData nightlySyncTime }\n      }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateIntegrationSettings($input: UpdateIntegrationSettingsInput!) {\n    updateIntegrationSettings(input: $input) {\n      __typename\n      ... on IntegrationSettingsPayload {\n        integration {\n          id\n          settings {\n            summarizeData { value source }\n            entities { entity enabled { value source } customFields { value source } frequencyMinutes { value source } }\n          }\n        }\n      }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateIntegrationSettings($input: UpdateIntegrationSettingsInput!) {\n    updateIntegrationSettings(input: $input) {\n      __typename\n      ... on IntegrationSettingsPayload {\n        integration {\n          id\n          settings {\n            summarizeData { value source }\n            entities { entity enabled { value source } customFields { value source } frequencyMinutes { value source } }\n          }\n        }\n      }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpsertMappingRule($input: UpsertMappingRuleInput!) {\n    upsertMappingRule(input: $input) {\n      __typename\n      ... on MappingRulePayload { mappingRule { id sourceType sourceValue isDefault targetType targetValue } }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpsertMappingRule($input: UpsertMappingRuleInput!) {\n    upsertMappingRule(input: $input) {\n      __typename\n      ... on MappingRulePayload { mappingRule { id sourceType sourceValue isDefault targetType targetValue } }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteMappingRule($id: ID!) {\n    deleteMappingRule(id: $id) {\n      __typename\n      ... on DeleteMappingRulePayload { deletedId }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteMappingRule($id: ID!) {\n    deleteMappingRule(id: $id) {\n      __typename\n      ... on DeleteMappingRulePayload { deletedId }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription IntegrationStatusChanged($integrationId: ID) {\n    integrationStatusChanged(integrationId: $integrationId) { id name status }\n  }\n"): (typeof documents)["\n  subscription IntegrationStatusChanged($integrationId: ID) {\n    integrationStatusChanged(integrationId: $integrationId) { id name status }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EnqueueExports($input: EnqueueExportsInput!) {\n    enqueueExports(input: $input) {\n      __typename\n      ... on EnqueueExportsPayload {\n        added\n        coalesced\n        exportQueue { pending inFlight sent failed estimatedDrainSeconds lanes { lane depth } }\n      }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation EnqueueExports($input: EnqueueExportsInput!) {\n    enqueueExports(input: $input) {\n      __typename\n      ... on EnqueueExportsPayload {\n        added\n        coalesced\n        exportQueue { pending inFlight sent failed estimatedDrainSeconds lanes { lane depth } }\n      }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ExportQueue($id: ID!) {\n    integration(id: $id) {\n      __typename\n      ... on Integration {\n        exportQueue { pending inFlight sent failed estimatedDrainSeconds estimatedDrainAt lanes { lane depth } }\n        rateBudget {\n          concurrent { limit inFlight }\n          minute { limit used remaining resetsAt }\n          day { limit used remaining resetsAt }\n          exportMinute { limit used remaining resetsAt }\n          exportDay { limit used remaining resetsAt }\n          blockedUntil\n        }\n      }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  query ExportQueue($id: ID!) {\n    integration(id: $id) {\n      __typename\n      ... on Integration {\n        exportQueue { pending inFlight sent failed estimatedDrainSeconds estimatedDrainAt lanes { lane depth } }\n        rateBudget {\n          concurrent { limit inFlight }\n          minute { limit used remaining resetsAt }\n          day { limit used remaining resetsAt }\n          exportMinute { limit used remaining resetsAt }\n          exportDay { limit used remaining resetsAt }\n          blockedUntil\n        }\n      }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription QueueProgress($integrationId: ID!) {\n    queueProgress(integrationId: $integrationId) {\n      integrationId\n      at\n      exportQueue { pending sent }\n      rateBudget { exportMinute { used remaining } }\n    }\n  }\n"): (typeof documents)["\n  subscription QueueProgress($integrationId: ID!) {\n    queueProgress(integrationId: $integrationId) {\n      integrationId\n      at\n      exportQueue { pending sent }\n      rateBudget { exportMinute { used remaining } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SyncRunUpdated($id: ID!) {\n    syncRunUpdated(id: $id) { id status fetchedCount createdCount updatedCount skippedCount deletedCount }\n  }\n"): (typeof documents)["\n  subscription SyncRunUpdated($id: ID!) {\n    syncRunUpdated(id: $id) { id status fetchedCount createdCount updatedCount skippedCount deletedCount }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TriggerSync($input: TriggerSyncInput!) {\n    triggerSync(input: $input) {\n      __typename\n      ... on TriggerSyncPayload { alreadyQueued syncRun { id kind lane trigger status requestedBy { name } } }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation TriggerSync($input: TriggerSyncInput!) {\n    triggerSync(input: $input) {\n      __typename\n      ... on TriggerSyncPayload { alreadyQueued syncRun { id kind lane trigger status requestedBy { name } } }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelSyncRun($id: ID!) {\n    cancelSyncRun(id: $id) {\n      __typename\n      ... on CancelSyncRunPayload { syncRun { id status } }\n      ...ErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation CancelSyncRun($id: ID!) {\n    cancelSyncRun(id: $id) {\n      __typename\n      ... on CancelSyncRunPayload { syncRun { id status } }\n      ...ErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription IntegrationSyncRuns($integrationId: ID!) {\n    integrationSyncRuns(integrationId: $integrationId) {\n      id kind status fetchedCount\n      logs(first: 50) { edges { node { message } } }\n    }\n  }\n"): (typeof documents)["\n  subscription IntegrationSyncRuns($integrationId: ID!) {\n    integrationSyncRuns(integrationId: $integrationId) {\n      id kind status fetchedCount\n      logs(first: 50) { edges { node { message } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Tickets($id: ID!, $filter: TicketFilter, $first: Int, $after: String) {\n    integration(id: $id) {\n      __typename\n      ... on Integration {\n        tickets(filter: $filter, first: $first, after: $after) {\n          __typename\n          ... on TicketConnection {\n            edges {\n              cursor\n              node { remoteId summary boardName statusName priorityName companyName closed updatedAt }\n            }\n            pageInfo { hasNextPage endCursor }\n          }\n          ...ErrorFields\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Tickets($id: ID!, $filter: TicketFilter, $first: Int, $after: String) {\n    integration(id: $id) {\n      __typename\n      ... on Integration {\n        tickets(filter: $filter, first: $first, after: $after) {\n          __typename\n          ... on TicketConnection {\n            edges {\n              cursor\n              node { remoteId summary boardName statusName priorityName companyName closed updatedAt }\n            }\n            pageInfo { hasNextPage endCursor }\n          }\n          ...ErrorFields\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;