/* eslint-disable */
import * as types from './graphql.js';



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
    "\n  fragment IntegrationCardFields on Integration {\n    id\n    name\n    platformKey\n    remoteTenantId\n    status\n    syncMode\n    lastError\n    lastSyncRun { id kind status finishedAt }\n    nextSyncs { kind dueAt }\n  }\n": typeof types.IntegrationCardFieldsFragmentDoc,
    "\n  fragment QueueFields on ExportQueue {\n    pending\n    inFlight\n    sent\n    failed\n    estimatedDrainSeconds\n    estimatedDrainAt\n    lanes { lane depth }\n  }\n": typeof types.QueueFieldsFragmentDoc,
    "\n  fragment WindowFields on BudgetWindow { limit used remaining resetsAt }\n": typeof types.WindowFieldsFragmentDoc,
    "\n  fragment BudgetFields on RateBudget {\n    blockedUntil\n    concurrent { limit inFlight }\n    minute { ...WindowFields }\n    day { ...WindowFields }\n    exportMinute { ...WindowFields }\n    exportDay { ...WindowFields }\n  }\n": typeof types.BudgetFieldsFragmentDoc,
    "\n  fragment RunFields on SyncRun {\n    id\n    kind\n    status\n    trigger\n    lane\n    queuedAt\n    startedAt\n    finishedAt\n    deferredUntil\n    error\n    fetchedCount\n    createdCount\n    updatedCount\n    deletedCount\n    skippedCount\n    sentCount\n    failedCount\n    entities { entity state fetched created updated unchanged deleted }\n  }\n": typeof types.RunFieldsFragmentDoc,
    "\n  fragment LogFields on SyncLog { id sequence level message entity createdAt }\n": typeof types.LogFieldsFragmentDoc,
    "\n  fragment PacketFields on SyncPacket {\n    id\n    sequence\n    label\n    state\n    attempts\n    errorCode\n    errorMessage\n    remoteId\n    totalAmount\n    updatedAt\n  }\n": typeof types.PacketFieldsFragmentDoc,
    "\n  query MonitorViewer {\n    viewer { id name role tenant { id name } }\n  }\n": typeof types.MonitorViewerDocument,
    "\n  query MonitorIntegrations {\n    integrations(first: 100) {\n      totalCount\n      edges { node { ...IntegrationCardFields exportQueue { ...QueueFields } rateBudget { ...BudgetFields } } }\n    }\n  }\n": typeof types.MonitorIntegrationsDocument,
    "\n  query MonitorRunList($id: ID!) {\n    integration(id: $id) {\n      __typename\n      ... on Integration { id syncRuns(first: 25) { edges { node { ...RunFields } } } }\n      ... on Error { message }\n    }\n  }\n": typeof types.MonitorRunListDocument,
    "\n  query MonitorRun($id: ID!) {\n    syncRun(id: $id) {\n      __typename\n      ... on SyncRun {\n        ...RunFields\n        packets(first: 500) { totalCount edges { node { ...PacketFields } } }\n        logs(last: 200) { edges { node { ...LogFields } } }\n      }\n      ... on Error { message }\n    }\n  }\n": typeof types.MonitorRunDocument,
    "\n  subscription MonitorStatusChanged {\n    integrationStatusChanged { ...IntegrationCardFields }\n  }\n": typeof types.MonitorStatusChangedDocument,
    "\n  subscription MonitorQueueProgress($integrationId: ID!) {\n    queueProgress(integrationId: $integrationId) {\n      at\n      integrationId\n      exportQueue { ...QueueFields }\n      rateBudget { ...BudgetFields }\n    }\n  }\n": typeof types.MonitorQueueProgressDocument,
    "\n  subscription MonitorIntegrationRuns($integrationId: ID!) {\n    integrationSyncRuns(integrationId: $integrationId) { ...RunFields integration { id } }\n  }\n": typeof types.MonitorIntegrationRunsDocument,
    "\n  subscription MonitorRunUpdated($id: ID!) {\n    syncRunUpdated(id: $id) {\n      ...RunFields\n      logs(last: 200) { edges { node { ...LogFields } } }\n    }\n  }\n": typeof types.MonitorRunUpdatedDocument,
    "\n  subscription MonitorPacketState($runId: ID!) {\n    packetStateChanged(runId: $runId) {\n      packetId\n      sequence\n      label\n      from\n      to\n      attempts\n      errorCode\n      errorMessage\n      remoteId\n      at\n    }\n  }\n": typeof types.MonitorPacketStateDocument,
    "\n  mutation MonitorTriggerSync($integrationId: ID!) {\n    triggerSync(input: { integrationId: $integrationId, kind: FORCE }) {\n      __typename\n      ... on TriggerSyncPayload { syncRun { id } }\n      ... on Error { message }\n    }\n  }\n": typeof types.MonitorTriggerSyncDocument,
    "\n  mutation MonitorCancelRun($id: ID!) {\n    cancelSyncRun(id: $id) {\n      __typename\n      ... on Error { message }\n    }\n  }\n": typeof types.MonitorCancelRunDocument,
    "\n  mutation MonitorRetryPackets($runId: ID!) {\n    retryFailedPackets(runId: $runId) {\n      __typename\n      ... on Error { message }\n    }\n  }\n": typeof types.MonitorRetryPacketsDocument,
    "\n  mutation MonitorPause($id: ID!) {\n    pauseIntegration(id: $id) {\n      __typename\n      ... on Error { message }\n    }\n  }\n": typeof types.MonitorPauseDocument,
    "\n  mutation MonitorResume($id: ID!) {\n    resumeIntegration(id: $id) {\n      __typename\n      ... on Error { message }\n    }\n  }\n": typeof types.MonitorResumeDocument,
};
const documents: Documents = {
    "\n  fragment IntegrationCardFields on Integration {\n    id\n    name\n    platformKey\n    remoteTenantId\n    status\n    syncMode\n    lastError\n    lastSyncRun { id kind status finishedAt }\n    nextSyncs { kind dueAt }\n  }\n": types.IntegrationCardFieldsFragmentDoc,
    "\n  fragment QueueFields on ExportQueue {\n    pending\n    inFlight\n    sent\n    failed\n    estimatedDrainSeconds\n    estimatedDrainAt\n    lanes { lane depth }\n  }\n": types.QueueFieldsFragmentDoc,
    "\n  fragment WindowFields on BudgetWindow { limit used remaining resetsAt }\n": types.WindowFieldsFragmentDoc,
    "\n  fragment BudgetFields on RateBudget {\n    blockedUntil\n    concurrent { limit inFlight }\n    minute { ...WindowFields }\n    day { ...WindowFields }\n    exportMinute { ...WindowFields }\n    exportDay { ...WindowFields }\n  }\n": types.BudgetFieldsFragmentDoc,
    "\n  fragment RunFields on SyncRun {\n    id\n    kind\n    status\n    trigger\n    lane\n    queuedAt\n    startedAt\n    finishedAt\n    deferredUntil\n    error\n    fetchedCount\n    createdCount\n    updatedCount\n    deletedCount\n    skippedCount\n    sentCount\n    failedCount\n    entities { entity state fetched created updated unchanged deleted }\n  }\n": types.RunFieldsFragmentDoc,
    "\n  fragment LogFields on SyncLog { id sequence level message entity createdAt }\n": types.LogFieldsFragmentDoc,
    "\n  fragment PacketFields on SyncPacket {\n    id\n    sequence\n    label\n    state\n    attempts\n    errorCode\n    errorMessage\n    remoteId\n    totalAmount\n    updatedAt\n  }\n": types.PacketFieldsFragmentDoc,
    "\n  query MonitorViewer {\n    viewer { id name role tenant { id name } }\n  }\n": types.MonitorViewerDocument,
    "\n  query MonitorIntegrations {\n    integrations(first: 100) {\n      totalCount\n      edges { node { ...IntegrationCardFields exportQueue { ...QueueFields } rateBudget { ...BudgetFields } } }\n    }\n  }\n": types.MonitorIntegrationsDocument,
    "\n  query MonitorRunList($id: ID!) {\n    integration(id: $id) {\n      __typename\n      ... on Integration { id syncRuns(first: 25) { edges { node { ...RunFields } } } }\n      ... on Error { message }\n    }\n  }\n": types.MonitorRunListDocument,
    "\n  query MonitorRun($id: ID!) {\n    syncRun(id: $id) {\n      __typename\n      ... on SyncRun {\n        ...RunFields\n        packets(first: 500) { totalCount edges { node { ...PacketFields } } }\n        logs(last: 200) { edges { node { ...LogFields } } }\n      }\n      ... on Error { message }\n    }\n  }\n": types.MonitorRunDocument,
    "\n  subscription MonitorStatusChanged {\n    integrationStatusChanged { ...IntegrationCardFields }\n  }\n": types.MonitorStatusChangedDocument,
    "\n  subscription MonitorQueueProgress($integrationId: ID!) {\n    queueProgress(integrationId: $integrationId) {\n      at\n      integrationId\n      exportQueue { ...QueueFields }\n      rateBudget { ...BudgetFields }\n    }\n  }\n": types.MonitorQueueProgressDocument,
    "\n  subscription MonitorIntegrationRuns($integrationId: ID!) {\n    integrationSyncRuns(integrationId: $integrationId) { ...RunFields integration { id } }\n  }\n": types.MonitorIntegrationRunsDocument,
    "\n  subscription MonitorRunUpdated($id: ID!) {\n    syncRunUpdated(id: $id) {\n      ...RunFields\n      logs(last: 200) { edges { node { ...LogFields } } }\n    }\n  }\n": types.MonitorRunUpdatedDocument,
    "\n  subscription MonitorPacketState($runId: ID!) {\n    packetStateChanged(runId: $runId) {\n      packetId\n      sequence\n      label\n      from\n      to\n      attempts\n      errorCode\n      errorMessage\n      remoteId\n      at\n    }\n  }\n": types.MonitorPacketStateDocument,
    "\n  mutation MonitorTriggerSync($integrationId: ID!) {\n    triggerSync(input: { integrationId: $integrationId, kind: FORCE }) {\n      __typename\n      ... on TriggerSyncPayload { syncRun { id } }\n      ... on Error { message }\n    }\n  }\n": types.MonitorTriggerSyncDocument,
    "\n  mutation MonitorCancelRun($id: ID!) {\n    cancelSyncRun(id: $id) {\n      __typename\n      ... on Error { message }\n    }\n  }\n": types.MonitorCancelRunDocument,
    "\n  mutation MonitorRetryPackets($runId: ID!) {\n    retryFailedPackets(runId: $runId) {\n      __typename\n      ... on Error { message }\n    }\n  }\n": types.MonitorRetryPacketsDocument,
    "\n  mutation MonitorPause($id: ID!) {\n    pauseIntegration(id: $id) {\n      __typename\n      ... on Error { message }\n    }\n  }\n": types.MonitorPauseDocument,
    "\n  mutation MonitorResume($id: ID!) {\n    resumeIntegration(id: $id) {\n      __typename\n      ... on Error { message }\n    }\n  }\n": types.MonitorResumeDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment IntegrationCardFields on Integration {\n    id\n    name\n    platformKey\n    remoteTenantId\n    status\n    syncMode\n    lastError\n    lastSyncRun { id kind status finishedAt }\n    nextSyncs { kind dueAt }\n  }\n"): typeof import('./graphql.js').IntegrationCardFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment QueueFields on ExportQueue {\n    pending\n    inFlight\n    sent\n    failed\n    estimatedDrainSeconds\n    estimatedDrainAt\n    lanes { lane depth }\n  }\n"): typeof import('./graphql.js').QueueFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WindowFields on BudgetWindow { limit used remaining resetsAt }\n"): typeof import('./graphql.js').WindowFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment BudgetFields on RateBudget {\n    blockedUntil\n    concurrent { limit inFlight }\n    minute { ...WindowFields }\n    day { ...WindowFields }\n    exportMinute { ...WindowFields }\n    exportDay { ...WindowFields }\n  }\n"): typeof import('./graphql.js').BudgetFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RunFields on SyncRun {\n    id\n    kind\n    status\n    trigger\n    lane\n    queuedAt\n    startedAt\n    finishedAt\n    deferredUntil\n    error\n    fetchedCount\n    createdCount\n    updatedCount\n    deletedCount\n    skippedCount\n    sentCount\n    failedCount\n    entities { entity state fetched created updated unchanged deleted }\n  }\n"): typeof import('./graphql.js').RunFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment LogFields on SyncLog { id sequence level message entity createdAt }\n"): typeof import('./graphql.js').LogFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PacketFields on SyncPacket {\n    id\n    sequence\n    label\n    state\n    attempts\n    errorCode\n    errorMessage\n    remoteId\n    totalAmount\n    updatedAt\n  }\n"): typeof import('./graphql.js').PacketFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MonitorViewer {\n    viewer { id name role tenant { id name } }\n  }\n"): typeof import('./graphql.js').MonitorViewerDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MonitorIntegrations {\n    integrations(first: 100) {\n      totalCount\n      edges { node { ...IntegrationCardFields exportQueue { ...QueueFields } rateBudget { ...BudgetFields } } }\n    }\n  }\n"): typeof import('./graphql.js').MonitorIntegrationsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MonitorRunList($id: ID!) {\n    integration(id: $id) {\n      __typename\n      ... on Integration { id syncRuns(first: 25) { edges { node { ...RunFields } } } }\n      ... on Error { message }\n    }\n  }\n"): typeof import('./graphql.js').MonitorRunListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MonitorRun($id: ID!) {\n    syncRun(id: $id) {\n      __typename\n      ... on SyncRun {\n        ...RunFields\n        packets(first: 500) { totalCount edges { node { ...PacketFields } } }\n        logs(last: 200) { edges { node { ...LogFields } } }\n      }\n      ... on Error { message }\n    }\n  }\n"): typeof import('./graphql.js').MonitorRunDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MonitorStatusChanged {\n    integrationStatusChanged { ...IntegrationCardFields }\n  }\n"): typeof import('./graphql.js').MonitorStatusChangedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MonitorQueueProgress($integrationId: ID!) {\n    queueProgress(integrationId: $integrationId) {\n      at\n      integrationId\n      exportQueue { ...QueueFields }\n      rateBudget { ...BudgetFields }\n    }\n  }\n"): typeof import('./graphql.js').MonitorQueueProgressDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MonitorIntegrationRuns($integrationId: ID!) {\n    integrationSyncRuns(integrationId: $integrationId) { ...RunFields integration { id } }\n  }\n"): typeof import('./graphql.js').MonitorIntegrationRunsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MonitorRunUpdated($id: ID!) {\n    syncRunUpdated(id: $id) {\n      ...RunFields\n      logs(last: 200) { edges { node { ...LogFields } } }\n    }\n  }\n"): typeof import('./graphql.js').MonitorRunUpdatedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MonitorPacketState($runId: ID!) {\n    packetStateChanged(runId: $runId) {\n      packetId\n      sequence\n      label\n      from\n      to\n      attempts\n      errorCode\n      errorMessage\n      remoteId\n      at\n    }\n  }\n"): typeof import('./graphql.js').MonitorPacketStateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MonitorTriggerSync($integrationId: ID!) {\n    triggerSync(input: { integrationId: $integrationId, kind: FORCE }) {\n      __typename\n      ... on TriggerSyncPayload { syncRun { id } }\n      ... on Error { message }\n    }\n  }\n"): typeof import('./graphql.js').MonitorTriggerSyncDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MonitorCancelRun($id: ID!) {\n    cancelSyncRun(id: $id) {\n      __typename\n      ... on Error { message }\n    }\n  }\n"): typeof import('./graphql.js').MonitorCancelRunDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MonitorRetryPackets($runId: ID!) {\n    retryFailedPackets(runId: $runId) {\n      __typename\n      ... on Error { message }\n    }\n  }\n"): typeof import('./graphql.js').MonitorRetryPacketsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MonitorPause($id: ID!) {\n    pauseIntegration(id: $id) {\n      __typename\n      ... on Error { message }\n    }\n  }\n"): typeof import('./graphql.js').MonitorPauseDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MonitorResume($id: ID!) {\n    resumeIntegration(id: $id) {\n      __typename\n      ... on Error { message }\n    }\n  }\n"): typeof import('./graphql.js').MonitorResumeDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
