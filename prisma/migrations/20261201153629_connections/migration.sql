-- CreateEnum
CREATE TYPE "AuthorizationProblem" AS ENUM ('REFRESH_REFUSED', 'CREDENTIALS_REFUSED', 'CONNECTION_REMOVED');

-- CreateEnum
CREATE TYPE "ConnectionFlowStatus" AS ENUM ('AUTHORIZING', 'CHOOSING_ORGANISATION', 'COMPLETED', 'FAILED');

-- AlterEnum
ALTER TYPE "IntegrationStatus" ADD VALUE 'NEEDS_AUTHORIZATION';

-- AlterTable
ALTER TABLE "Integration" ADD COLUMN     "accessTokenExpiresAt" TIMESTAMP(3),
ADD COLUMN     "authorizationProblem" "AuthorizationProblem",
ADD COLUMN     "credentialsVersion" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "tokenRefreshCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "tokenRefreshedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "ConnectionFlow" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "startedById" UUID,
    "platform" "PlatformKey" NOT NULL,
    "name" TEXT NOT NULL,
    "integrationId" UUID,
    "stateHash" TEXT NOT NULL,
    "codeVerifierEncrypted" TEXT NOT NULL,
    "returnUrl" TEXT,
    "status" "ConnectionFlowStatus" NOT NULL DEFAULT 'AUTHORIZING',
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "consumedAt" TIMESTAMP(3),
    "organisations" JSONB,
    "tokenSetEncrypted" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ConnectionFlow_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ConnectionFlow_stateHash_key" ON "ConnectionFlow"("stateHash");

-- CreateIndex
CREATE INDEX "ConnectionFlow_tenantId_createdAt_idx" ON "ConnectionFlow"("tenantId", "createdAt");

-- CreateIndex
CREATE INDEX "ConnectionFlow_status_expiresAt_idx" ON "ConnectionFlow"("status", "expiresAt");

-- AddForeignKey
ALTER TABLE "ConnectionFlow" ADD CONSTRAINT "ConnectionFlow_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConnectionFlow" ADD CONSTRAINT "ConnectionFlow_startedById_fkey" FOREIGN KEY ("startedById") REFERENCES "Member"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConnectionFlow" ADD CONSTRAINT "ConnectionFlow_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE SET NULL ON UPDATE CASCADE;
