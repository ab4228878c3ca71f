-- Signed checkpoints of the audit chain (issue 6, audit log as evidence).
-- One row per chain position: the primary key on seq means several app
-- instances checkpointing at once record it once.
CREATE TABLE "audit_checkpoints" (
    "seq" BIGINT NOT NULL,
    "head_hash" TEXT NOT NULL,
    "event_count" BIGINT NOT NULL,
    "kid" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_checkpoints_pkey" PRIMARY KEY ("seq")
);

CREATE INDEX "audit_checkpoints_created_at_idx" ON "audit_checkpoints"("created_at");
