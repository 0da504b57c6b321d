-- CreateEnum
CREATE TYPE "ExportReserveMode" AS ENUM ('STRICT', 'ADAPTIVE');

-- AlterTable
ALTER TABLE "Integration" ADD COLUMN     "exportReserveMode" "ExportReserveMode";

-- AlterTable
ALTER TABLE "PlatformSettings" ADD COLUMN     "exportReserveMode" "ExportReserveMode";
