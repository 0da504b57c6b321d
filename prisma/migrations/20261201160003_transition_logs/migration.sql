-- AlterTable
ALTER TABLE "Integration" ADD COLUMN     "runTransitionCount" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "SyncRun" ADD COLUMN     "packetTransitionCount" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "PacketTransition" (
    "runId" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "packetId" UUID NOT NULL,
    "packetSequence" INTEGER NOT NULL,
    "label" TEXT NOT NULL,
    "from" "PacketState",
    "to" "PacketState" NOT NULL,
    "attempts" INTEGER NOT NULL,
    "remoteId" TEXT,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PacketTransition_pkey" PRIMARY KEY ("runId","sequence")
);

-- CreateTable
CREATE TABLE "RunTransition" (
    "integrationId" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "runId" UUID NOT NULL,
    "kind" "SyncKind" NOT NULL,
    "from" "SyncRunStatus",
    "to" "SyncRunStatus" NOT NULL,
    "error" TEXT,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RunTransition_pkey" PRIMARY KEY ("integrationId","sequence")
);

-- CreateIndex
CREATE INDEX "RunTransition_runId_idx" ON "RunTransition"("runId");

-- AddForeignKey
ALTER TABLE "PacketTransition" ADD CONSTRAINT "PacketTransition_runId_fkey" FOREIGN KEY ("runId") REFERENCES "SyncRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RunTransition" ADD CONSTRAINT "RunTransition_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RunTransition" ADD CONSTRAINT "RunTransition_runId_fkey" FOREIGN KEY ("runId") REFERENCES "SyncRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;
