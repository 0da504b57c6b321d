-- CreateEnum
CREATE TYPE "ConflictPolicy" AS ENUM ('LOCAL_WINS', 'REMOTE_WINS', 'ASK');

-- AlterEnum
ALTER TYPE "PacketState" ADD VALUE 'IN_DOUBT';

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "ExportItemStatus" ADD VALUE 'IN_DOUBT';
ALTER TYPE "ExportItemStatus" ADD VALUE 'VERIFYING';
ALTER TYPE "ExportItemStatus" ADD VALUE 'CONFLICT';
ALTER TYPE "ExportItemStatus" ADD VALUE 'SKIPPED';

-- AlterTable
ALTER TABLE "Integration" ADD COLUMN     "conflictPolicy" "ConflictPolicy" NOT NULL DEFAULT 'ASK';

-- AlterTable
ALTER TABLE "SyncPacket" ADD COLUMN     "fence" BIGINT;

-- AlterTable
ALTER TABLE "ExportItem" ADD COLUMN     "baseValue" JSONB,
ADD COLUMN     "conflictAt" TIMESTAMP(3),
ADD COLUMN     "fence" BIGINT,
ADD COLUMN     "remoteValue" JSONB;

-- CreateTable
CREATE TABLE "ActivationFence" (
    "integrationId" UUID NOT NULL,
    "fence" BIGINT NOT NULL DEFAULT 0,
    "takenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ActivationFence_pkey" PRIMARY KEY ("integrationId")
);

-- CreateTable
CREATE TABLE "CallLedger" (
    "id" UUID NOT NULL,
    "integrationId" UUID NOT NULL,
    "lane" "Lane" NOT NULL,
    "export" BOOLEAN NOT NULL,
    "startedAt" BIGINT NOT NULL,
    "endedAt" BIGINT,

    CONSTRAINT "CallLedger_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CallLedger_integrationId_startedAt_idx" ON "CallLedger"("integrationId", "startedAt");

-- CreateIndex
CREATE INDEX "CallLedger_startedAt_idx" ON "CallLedger"("startedAt");
