import { graphql } from "./generated/gql.ts";

/** The operations the tests of the host's side of the data run: records by cursor, webhooks. Codegen types each one. */

export const RecordsQuery = graphql(`
  query Records($id: ID!, $entity: String!, $after: String, $first: Int, $filter: RecordFilter) {
    integration(id: $id) {
      __typename
      ... on Integration {
        records(entity: $entity, after: $after, first: $first, filter: $filter) {
          __typename
          ... on RecordConnection {
            cursor
            pageInfo { hasNextPage }
            edges { cursor node { __typename entity remoteId data deleted deletedAt remoteUpdatedAt changedAt cursor } }
          }
          ...ErrorFields
        }
      }
      ...ErrorFields
    }
  }
`);

export const TypedRecordsQuery = graphql(`
  query TypedRecords($id: ID!, $entity: String!, $first: Int) {
    integration(id: $id) {
      __typename
      ... on Integration {
        records(entity: $entity, first: $first) {
          __typename
          ... on RecordConnection {
            edges {
              node {
                __typename
                remoteId
                ... on XpmClient { uuid name email clientCode isArchived accountManager { id name } }
                ... on XpmJob { jobNumber uuid name budget state startDate dueDate client { id name } manager { id name } }
                ... on XpmStaff { uuid name email payrollCode }
                ... on XpmTimeEntry { uuid minutes date billable note job { id name } task { id name } staff { id name } }
                ... on XeroAccount { accountId code name type status taxType updatedAt }
                ... on XeroTaxRate { taxType name status displayTaxRate }
                ... on PsaConfiguration { configurationId name serialNumber osType customFields purchaseDate lastUpdated company { id name } configurationType { id name } }
                ... on PsaContact { contactId firstName lastName email phone title customFields company { id name } types { id name } }
                ... on PsaCompany { companyId identifier name website companyStatus { id name } lastUpdated }
              }
            }
          }
          ...ErrorFields
        }
      }
    }
  }
`);

export const RecordsChangedSubscription = graphql(`
  subscription RecordsChanged($integrationId: ID!) {
    recordsChanged(integrationId: $integrationId) { integrationId syncRunId entity created updated deleted cursor at }
  }
`);

export const CreateWebhookEndpointMutation = graphql(`
  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on WebhookSecretPayload { secret endpoint { id url events status description } }
      ...ErrorFields
    }
  }
`);

export const UpdateWebhookEndpointMutation = graphql(`
  mutation UpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) {
      __typename
      ... on WebhookEndpointPayload { endpoint { id url events description } }
      ...ErrorFields
    }
  }
`);

export const EnableWebhookEndpointMutation = graphql(`
  mutation EnableWebhookEndpoint($id: ID!) {
    enableWebhookEndpoint(id: $id) {
      __typename
      ... on WebhookEndpointPayload { endpoint { id status disabledReason } }
      ...ErrorFields
    }
  }
`);

export const ReplayWebhookDeliveryMutation = graphql(`
  mutation ReplayWebhookDelivery($id: ID!) {
    replayWebhookDelivery(id: $id) {
      __typename
      ... on ReplayWebhookDeliveryPayload { delivery { id eventId status replayOfId } }
      ...ErrorFields
    }
  }
`);

export const WebhookEndpointsQuery = graphql(`
  query WebhookEndpoints($status: WebhookDeliveryStatus) {
    webhookEndpoints(first: 10) {
      totalCount
      edges {
        node {
          id url events status disabledReason disabledAt
          deliveries(first: 100, status: $status) {
            totalCount
            edges {
              node {
                id eventId eventName eventType status attemptCount deliveredAt replayOfId payload
                attempts(first: 20) { totalCount edges { node { attemptedAt responseStatus responseTimeMs error } } }
              }
            }
          }
        }
      }
    }
  }
`);

export const WebhookDeliveryQuery = graphql(`
  query WebhookDelivery($id: ID!) {
    webhookDelivery(id: $id) {
      __typename
      ... on WebhookDelivery { id eventId status attemptCount }
      ...ErrorFields
    }
  }
`);

export const WebhookEndpointChangedSubscription = graphql(`
  subscription WebhookEndpointChanged {
    webhookEndpointChanged { id status disabledReason }
  }
`);
