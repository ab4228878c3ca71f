-- Deciding away from the dashboard (issue 14): Slack messages to update,
-- Slack signatures seen (replays are refused), one-time email decision links.

-- CreateTable
CREATE TABLE "slack_messages" (
    "request_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "ts" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slack_messages_pkey" PRIMARY KEY ("request_id","channel")
);

-- CreateTable
CREATE TABLE "slack_seen_signatures" (
    "signature" TEXT NOT NULL,
    "seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slack_seen_signatures_pkey" PRIMARY KEY ("signature")
);

-- CreateTable
CREATE TABLE "decision_links" (
    "id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "decision" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "decision_links_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "slack_seen_signatures_seen_at_idx" ON "slack_seen_signatures"("seen_at");

-- CreateIndex
CREATE UNIQUE INDEX "decision_links_token_hash_key" ON "decision_links"("token_hash");

-- CreateIndex
CREATE INDEX "decision_links_request_id_idx" ON "decision_links"("request_id");
