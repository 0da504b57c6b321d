-- CreateTable
CREATE TABLE "ExportBudgetNotice" (
    "integrationId" UUID NOT NULL,
    "dayEndsAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ExportBudgetNotice_pkey" PRIMARY KEY ("integrationId")
);

-- CreateTable
CREATE TABLE "RecordPruneMark" (
    "integrationId" UUID NOT NULL,
    "entity" TEXT NOT NULL,
    "walkedXid" BIGINT NOT NULL,
    "walkedSeq" BIGINT NOT NULL,
    "prunedXid" BIGINT NOT NULL,
    "prunedSeq" BIGINT NOT NULL,
    "prunedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RecordPruneMark_pkey" PRIMARY KEY ("integrationId","entity")
);

-- AddForeignKey
ALTER TABLE "ExportBudgetNotice" ADD CONSTRAINT "ExportBudgetNotice_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RecordPruneMark" ADD CONSTRAINT "RecordPruneMark_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;
