-- Event delivery: webhook endpoints, agent callback secrets, the delivery
-- outbox and the persisted cursors that turn audit events into deliveries.
-- The audit log is the transactional outbox (every state change appends its
-- events in its own transaction, in commit order), so nothing here touches
-- the hot create, decide and redeem statements.

-- Admin-configured webhook endpoints (Standard Webhooks). The secret is
-- sealed with AES-256-GCM under COUNTERSIGN_KEY_SECRET, since it must be
-- usable to sign. start_seq is the audit position at creation: an endpoint
-- receives only events that committed after it was created.
CREATE TABLE "webhook_endpoints" (
    "id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "event_types" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "secret_sealed" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT TRUE,
    "start_seq" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id")
);

-- The per-agent secret that signs callbacks to a request's callback_url.
CREATE TABLE "agent_callback_secrets" (
    "agent_id" TEXT NOT NULL,
    "secret_sealed" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_callback_secrets_pkey" PRIMARY KEY ("agent_id"),
    CONSTRAINT "agent_callback_secrets_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- The outbox: one row per message to send. Its id is the webhook-id header
-- (stable across retries, so receivers deduplicate by it). status is
-- pending (never tried), failed (will be retried at next_attempt_at),
-- delivered, or dead (gave up after the maximum attempts).
CREATE TABLE "deliveries" (
    "id" TEXT NOT NULL,
    "endpoint_id" TEXT,
    "agent_id" TEXT,
    "url" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "event_seq" BIGINT,
    "request_id" TEXT,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "response_status" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "deliveries_status_check" CHECK ("status" IN ('pending', 'failed', 'delivered', 'dead')),
    CONSTRAINT "deliveries_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "deliveries_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- The worker's claim query: due rows that still need sending.
CREATE INDEX "deliveries_due_idx" ON "deliveries"("next_attempt_at") WHERE "status" IN ('pending', 'failed');
-- Delivery history, newest first, overall and per endpoint.
CREATE INDEX "deliveries_created_at_idx" ON "deliveries"("created_at" DESC, "id" DESC);
CREATE INDEX "deliveries_endpoint_id_created_at_idx" ON "deliveries"("endpoint_id", "created_at" DESC);

-- A persisted position in the audit log per sink: "webhooks" (endpoints and
-- callbacks) and one per SIEM sink. Advanced in the same transaction that
-- records what was read, with the row locked, so one instance advances it.
CREATE TABLE "delivery_cursors" (
    "id" TEXT NOT NULL,
    "position" BIGINT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "delivery_cursors_pkey" PRIMARY KEY ("id")
);
