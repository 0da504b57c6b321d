-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('OWNER', 'ADMIN', 'VIEWER');

-- CreateEnum
CREATE TYPE "PlatformKey" AS ENUM ('XPM', 'XERO_ACCOUNTING', 'PSA');

-- CreateEnum
CREATE TYPE "IntegrationStatus" AS ENUM ('PENDING', 'CONNECTED', 'SYNCING', 'PAUSED', 'DISCONNECTED', 'ERROR');

-- CreateEnum
CREATE TYPE "SyncMode" AS ENUM ('ONE_OFF', 'CONTINUOUS');

-- CreateEnum
CREATE TYPE "SyncKind" AS ENUM ('INITIAL', 'DAILY', 'FREQUENT', 'NIGHTLY', 'FORCE', 'EXPORT', 'PUSH');

-- CreateEnum
CREATE TYPE "SyncTrigger" AS ENUM ('CONNECT', 'SCHEDULE', 'USER');

-- CreateEnum
CREATE TYPE "SyncRunStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED', 'CANCELLED', 'DEFERRED');

-- CreateEnum
CREATE TYPE "Lane" AS ENUM ('INTERACTIVE', 'INITIAL', 'DAILY', 'FREQUENT', 'EXPORT');

-- CreateEnum
CREATE TYPE "PacketState" AS ENUM ('PENDING', 'MAPPED', 'SENDING', 'SENT', 'FAILED', 'SKIPPED');

-- CreateEnum
CREATE TYPE "LogLevel" AS ENUM ('INFO', 'WARN', 'ERROR');

-- CreateEnum
CREATE TYPE "ExportItemStatus" AS ENUM ('PENDING', 'SENDING', 'SENT', 'FAILED');

-- CreateEnum
CREATE TYPE "MappingSourceType" AS ENUM ('REVENUE_CATEGORY', 'PAYMENT_METHOD', 'TAX_RATE', 'ENTITY_FIELD');

-- CreateEnum
CREATE TYPE "MappingTargetType" AS ENUM ('ACCOUNT_CODE', 'TAX_TYPE', 'ITEM_CODE', 'FIELD');

-- CreateTable
CREATE TABLE "Tenant" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Tenant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Member" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT,
    "role" "Role" NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Member_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "label" TEXT NOT NULL DEFAULT 'default',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Integration" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "platform" "PlatformKey" NOT NULL,
    "name" TEXT NOT NULL,
    "remoteTenantId" TEXT NOT NULL,
    "status" "IntegrationStatus" NOT NULL DEFAULT 'PENDING',
    "syncMode" "SyncMode" NOT NULL,
    "credentialsEncrypted" TEXT NOT NULL,
    "summarizeData" BOOLEAN,
    "rateLimitOverride" JSONB,
    "connectedAt" TIMESTAMP(3),
    "disconnectedAt" TIMESTAMP(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Integration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TenantSettings" (
    "tenantId" UUID NOT NULL,
    "oneOffSync" BOOLEAN NOT NULL DEFAULT false,
    "summarizeData" BOOLEAN NOT NULL DEFAULT false,
    "nightlySyncTime" TEXT NOT NULL DEFAULT '02:00',
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TenantSettings_pkey" PRIMARY KEY ("tenantId")
);

-- CreateTable
CREATE TABLE "PlatformSettings" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "platform" "PlatformKey" NOT NULL,
    "oneOffSync" BOOLEAN,
    "summarizeData" BOOLEAN,
    "nightlySyncTime" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PlatformSettings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IntegrationEntitySettings" (
    "id" UUID NOT NULL,
    "integrationId" UUID NOT NULL,
    "entity" TEXT NOT NULL,
    "enabled" BOOLEAN,
    "fetchOnFirstLink" BOOLEAN,
    "customFields" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "frequencyMinutes" INTEGER,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "IntegrationEntitySettings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MappingRule" (
    "id" UUID NOT NULL,
    "integrationId" UUID NOT NULL,
    "sourceType" "MappingSourceType" NOT NULL,
    "sourceValue" TEXT NOT NULL,
    "targetType" "MappingTargetType" NOT NULL,
    "targetValue" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MappingRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncRun" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "integrationId" UUID NOT NULL,
    "kind" "SyncKind" NOT NULL,
    "trigger" "SyncTrigger" NOT NULL,
    "lane" "Lane" NOT NULL,
    "requestedById" UUID,
    "status" "SyncRunStatus" NOT NULL DEFAULT 'QUEUED',
    "fetchedCount" INTEGER NOT NULL DEFAULT 0,
    "createdCount" INTEGER NOT NULL DEFAULT 0,
    "updatedCount" INTEGER NOT NULL DEFAULT 0,
    "deletedCount" INTEGER NOT NULL DEFAULT 0,
    "skippedCount" INTEGER NOT NULL DEFAULT 0,
    "sentCount" INTEGER NOT NULL DEFAULT 0,
    "failedCount" INTEGER NOT NULL DEFAULT 0,
    "windowFrom" TIMESTAMP(3),
    "windowTo" TIMESTAMP(3),
    "queuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "deferredUntil" TIMESTAMP(3),
    "error" TEXT,
    "cursor" JSONB,

    CONSTRAINT "SyncRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncPacket" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "integrationId" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "state" "PacketState" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "idempotencyKey" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "totalAmount" DECIMAL(18,2) NOT NULL DEFAULT 0,
    "payload" JSONB,
    "remoteId" TEXT,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SyncPacket_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncLog" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "level" "LogLevel" NOT NULL DEFAULT 'INFO',
    "entity" TEXT,
    "message" TEXT NOT NULL,
    "data" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SyncLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExportItem" (
    "id" UUID NOT NULL,
    "sequence" BIGSERIAL NOT NULL,
    "integrationId" UUID NOT NULL,
    "entity" TEXT NOT NULL,
    "remoteId" TEXT NOT NULL,
    "field" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "status" "ExportItemStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "idempotencyKey" TEXT NOT NULL,
    "enqueuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "notBefore" TIMESTAMP(3),
    "sentAt" TIMESTAMP(3),
    "error" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ExportItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Watermark" (
    "id" UUID NOT NULL,
    "integrationId" UUID NOT NULL,
    "entity" TEXT NOT NULL,
    "cursor" TIMESTAMP(3),
    "lastRunId" UUID,
    "reconciledAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Watermark_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncedRecord" (
    "id" UUID NOT NULL,
    "integrationId" UUID NOT NULL,
    "entity" TEXT NOT NULL,
    "remoteId" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "remoteUpdatedAt" TIMESTAMP(3),
    "contentHash" TEXT NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "lastRunId" UUID,

    CONSTRAINT "SyncedRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Order" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "integrationId" UUID,
    "externalId" TEXT NOT NULL,
    "orderedAt" TIMESTAMP(3) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "totalAmount" DECIMAL(18,2) NOT NULL,
    "contentHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrderItem" (
    "id" UUID NOT NULL,
    "orderId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "revenueCategory" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "quantity" DECIMAL(18,4) NOT NULL,
    "netAmount" DECIMAL(18,2) NOT NULL,
    "taxRate" TEXT NOT NULL,
    "taxAmount" DECIMAL(18,2) NOT NULL,

    CONSTRAINT "OrderItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrderPayment" (
    "id" UUID NOT NULL,
    "orderId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "method" TEXT NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,

    CONSTRAINT "OrderPayment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Member_tenantId_idx" ON "Member"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "Member_tenantId_email_key" ON "Member"("tenantId", "email");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "Integration_tenantId_platform_status_idx" ON "Integration"("tenantId", "platform", "status");

-- CreateIndex
CREATE UNIQUE INDEX "Integration_tenantId_platform_remoteTenantId_key" ON "Integration"("tenantId", "platform", "remoteTenantId");

-- CreateIndex
CREATE UNIQUE INDEX "PlatformSettings_tenantId_platform_key" ON "PlatformSettings"("tenantId", "platform");

-- CreateIndex
CREATE UNIQUE INDEX "IntegrationEntitySettings_integrationId_entity_key" ON "IntegrationEntitySettings"("integrationId", "entity");

-- CreateIndex
CREATE UNIQUE INDEX "MappingRule_integrationId_sourceType_sourceValue_key" ON "MappingRule"("integrationId", "sourceType", "sourceValue");

-- CreateIndex
CREATE INDEX "SyncRun_integrationId_status_idx" ON "SyncRun"("integrationId", "status");

-- CreateIndex
CREATE INDEX "SyncRun_tenantId_queuedAt_idx" ON "SyncRun"("tenantId", "queuedAt");

-- CreateIndex
CREATE INDEX "SyncPacket_integrationId_state_idx" ON "SyncPacket"("integrationId", "state");

-- CreateIndex
CREATE INDEX "SyncPacket_idempotencyKey_idx" ON "SyncPacket"("idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "SyncPacket_runId_sequence_key" ON "SyncPacket"("runId", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "SyncLog_runId_sequence_key" ON "SyncLog"("runId", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "ExportItem_sequence_key" ON "ExportItem"("sequence");

-- CreateIndex
CREATE UNIQUE INDEX "ExportItem_idempotencyKey_key" ON "ExportItem"("idempotencyKey");

-- CreateIndex
CREATE INDEX "ExportItem_integrationId_status_sequence_idx" ON "ExportItem"("integrationId", "status", "sequence");

-- CreateIndex
CREATE INDEX "ExportItem_integrationId_remoteId_status_idx" ON "ExportItem"("integrationId", "remoteId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "Watermark_integrationId_entity_key" ON "Watermark"("integrationId", "entity");

-- CreateIndex
CREATE UNIQUE INDEX "SyncedRecord_integrationId_entity_remoteId_key" ON "SyncedRecord"("integrationId", "entity", "remoteId");

-- CreateIndex
CREATE INDEX "Order_tenantId_updatedAt_idx" ON "Order"("tenantId", "updatedAt");

-- CreateIndex
CREATE UNIQUE INDEX "Order_tenantId_externalId_key" ON "Order"("tenantId", "externalId");

-- CreateIndex
CREATE UNIQUE INDEX "OrderItem_orderId_position_key" ON "OrderItem"("orderId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "OrderPayment_orderId_position_key" ON "OrderPayment"("orderId", "position");

-- AddForeignKey
ALTER TABLE "Member" ADD CONSTRAINT "Member_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Integration" ADD CONSTRAINT "Integration_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TenantSettings" ADD CONSTRAINT "TenantSettings_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PlatformSettings" ADD CONSTRAINT "PlatformSettings_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IntegrationEntitySettings" ADD CONSTRAINT "IntegrationEntitySettings_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MappingRule" ADD CONSTRAINT "MappingRule_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncRun" ADD CONSTRAINT "SyncRun_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncRun" ADD CONSTRAINT "SyncRun_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncRun" ADD CONSTRAINT "SyncRun_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "Member"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncPacket" ADD CONSTRAINT "SyncPacket_runId_fkey" FOREIGN KEY ("runId") REFERENCES "SyncRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncPacket" ADD CONSTRAINT "SyncPacket_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncLog" ADD CONSTRAINT "SyncLog_runId_fkey" FOREIGN KEY ("runId") REFERENCES "SyncRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExportItem" ADD CONSTRAINT "ExportItem_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Watermark" ADD CONSTRAINT "Watermark_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncedRecord" ADD CONSTRAINT "SyncedRecord_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Order" ADD CONSTRAINT "Order_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Order" ADD CONSTRAINT "Order_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrderItem" ADD CONSTRAINT "OrderItem_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrderPayment" ADD CONSTRAINT "OrderPayment_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE CASCADE ON UPDATE CASCADE;

