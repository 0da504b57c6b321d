-- AlterTable
ALTER TABLE "SyncPacket" ADD COLUMN     "nextAttemptAt" TIMESTAMP(3);
