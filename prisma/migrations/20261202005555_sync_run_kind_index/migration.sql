-- CreateIndex
CREATE INDEX "SyncRun_integrationId_kind_queuedAt_idx" ON "SyncRun"("integrationId", "kind", "queuedAt");
