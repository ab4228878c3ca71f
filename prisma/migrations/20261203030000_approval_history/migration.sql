-- Approved requests per agent, action and 5-minute bucket, for history.count and
-- history.sum in rule conditions (issue 15). The empty name counts approvals, and
-- any other name sums that top-level numeric parameter.
CREATE TABLE "approval_history" (
    "agent_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "approvals" INTEGER NOT NULL,
    "total" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "approval_history_pkey" PRIMARY KEY ("agent_id","name","action","bucket")
);

CREATE INDEX "approval_history_bucket_idx" ON "approval_history"("bucket");
