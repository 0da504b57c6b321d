-- AlterTable
ALTER TABLE "ExportItem" ADD COLUMN     "sendAlone" BOOLEAN NOT NULL DEFAULT false;
