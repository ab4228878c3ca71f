-- Repeats of one refusal (a replayed grant, a wrong password from one
-- address) within a window: the first refusal is an audit event at once, the
-- repeats are counted here and become one summary event when the window
-- closes, so a flood of replays writes a bounded number of audit rows while
-- the log still says how many there were.
CREATE TABLE "audit_refusal_counts" (
    "key" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "request_id" TEXT,
    "agent_id" TEXT,
    "data" JSONB NOT NULL,
    "repeated" INTEGER NOT NULL DEFAULT 0,
    "first_at" TIMESTAMPTZ(3) NOT NULL,
    "last_at" TIMESTAMPTZ(3) NOT NULL,
    "window_ends_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "audit_refusal_counts_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "audit_refusal_counts_window_ends_at_idx" ON "audit_refusal_counts"("window_ends_at");
