-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('admin', 'reviewer', 'auditor');

-- CreateEnum
CREATE TYPE "AgentStatus" AS ENUM ('active', 'suspended', 'retired');

-- CreateEnum
CREATE TYPE "RequestStatus" AS ENUM ('pending', 'approved', 'denied', 'expired', 'cancelled');

-- CreateEnum
CREATE TYPE "VoteDecision" AS ENUM ('approve', 'deny');

-- CreateEnum
CREATE TYPE "OutcomeStatus" AS ENUM ('succeeded', 'failed');

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "role" "Role" NOT NULL DEFAULT 'reviewer',
    "password_hash" TEXT,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "session_version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_sign_in_at" TIMESTAMPTZ(3),

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agents" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "owner_email" TEXT,
    "trust_level" TEXT NOT NULL DEFAULT 'standard',
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "status" "AgentStatus" NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3),

    CONSTRAINT "agents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_keys" (
    "id" TEXT NOT NULL,
    "agent_id" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "agent_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "action_requests" (
    "id" TEXT NOT NULL,
    "agent_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "resource" TEXT,
    "params" JSONB NOT NULL,
    "params_sha256" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "justification" TEXT,
    "context" JSONB NOT NULL,
    "status" "RequestStatus" NOT NULL,
    "policy_id" TEXT NOT NULL,
    "policy_name" TEXT NOT NULL,
    "policy_version" INTEGER NOT NULL,
    "policy_effect" TEXT NOT NULL,
    "approvals_required" INTEGER NOT NULL,
    "grant_ttl_seconds" INTEGER NOT NULL,
    "grant_audience" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "decided_at" TIMESTAMPTZ(3),
    "decision_by" TEXT,
    "decision_reason" TEXT,
    "idempotency_key" TEXT,
    "body_sha256" TEXT NOT NULL,
    "callback_url" TEXT,
    "outcome_status" "OutcomeStatus",
    "outcome_detail" TEXT,
    "outcome_at" TIMESTAMPTZ(3),

    CONSTRAINT "action_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "votes" (
    "id" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "reviewer_email" TEXT NOT NULL,
    "decision" "VoteDecision" NOT NULL,
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "votes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "grants" (
    "id" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "agent_id" TEXT NOT NULL,
    "kid" TEXT NOT NULL,
    "audience" TEXT NOT NULL,
    "approved_by" TEXT[],
    "issued_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "redeemed_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "grants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "signing_keys" (
    "kid" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "private_key_enc" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retired_at" TIMESTAMPTZ(3),

    CONSTRAINT "signing_keys_pkey" PRIMARY KEY ("kid")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "seq" BIGINT NOT NULL,
    "type" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "request_id" TEXT,
    "agent_id" TEXT,
    "data" JSONB NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "audit_head" (
    "id" INTEGER NOT NULL,
    "seq" BIGINT NOT NULL,
    "prev" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_head_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "settings" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "settings_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "agents_name_key" ON "agents"("name");

-- CreateIndex
CREATE INDEX "agent_keys_agent_id_idx" ON "agent_keys"("agent_id");

-- CreateIndex
CREATE INDEX "action_requests_agent_id_id_idx" ON "action_requests"("agent_id", "id");

-- CreateIndex
CREATE INDEX "action_requests_agent_id_status_expires_at_idx" ON "action_requests"("agent_id", "status", "expires_at");

-- CreateIndex
CREATE INDEX "action_requests_status_expires_at_idx" ON "action_requests"("status", "expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "action_requests_agent_id_idempotency_key_key" ON "action_requests"("agent_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "votes_request_id_user_id_key" ON "votes"("request_id", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "grants_request_id_key" ON "grants"("request_id");

-- CreateIndex
CREATE INDEX "grants_agent_id_idx" ON "grants"("agent_id");

-- CreateIndex
CREATE INDEX "audit_events_request_id_idx" ON "audit_events"("request_id");

-- CreateIndex
CREATE INDEX "audit_events_agent_id_idx" ON "audit_events"("agent_id");

-- CreateIndex
CREATE INDEX "audit_events_occurred_at_idx" ON "audit_events"("occurred_at");

-- AddForeignKey
ALTER TABLE "agent_keys" ADD CONSTRAINT "agent_keys_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "action_requests" ADD CONSTRAINT "action_requests_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "votes" ADD CONSTRAINT "votes_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "action_requests"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "votes" ADD CONSTRAINT "votes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "grants" ADD CONSTRAINT "grants_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "action_requests"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- The audit chain starts from a fixed genesis hash, and every append updates this row.
INSERT INTO "audit_head" ("id", "seq", "prev", "hash") VALUES (1, 0, '', '0000000000000000000000000000000000000000000000000000000000000000');
