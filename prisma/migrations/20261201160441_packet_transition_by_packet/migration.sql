-- CreateIndex
CREATE INDEX "PacketTransition_packetId_sequence_idx" ON "PacketTransition"("packetId", "sequence");
