-- Deliveries and the hourly risk history are partitioned by month (issue 13),
-- like audit_events, so that old months are dropped whole (detached
-- concurrently, then dropped) instead of deleted row by row under locks:
--   - deliveries by month of created_at, dropped once every delivery of the
--     month is finished and the month ended more than
--     COUNTERSIGN_DELIVERY_RETENTION_DAYS ago (lib/delivery/retention.ts).
--     Its primary key includes the partition column, as PostgreSQL requires
--     (lookups by id alone still use its index, id first).
--   - risk_agent_hourly by month of hour, dropped once older than the
--     longest window the risk code reads (lib/risk/history-retention.ts).
-- Rows land in a default partition first. Right after the migrations,
-- lib/partitions.ts moves them into monthly partitions and drops it (a
-- default partition would forbid detaching partitions concurrently).

ALTER TABLE "deliveries" RENAME TO "deliveries_unpartitioned";
ALTER TABLE "deliveries_unpartitioned" RENAME CONSTRAINT "deliveries_pkey" TO "deliveries_unpartitioned_pkey";
ALTER INDEX "deliveries_due_idx" RENAME TO "deliveries_unpartitioned_due_idx";
ALTER INDEX "deliveries_created_at_idx" RENAME TO "deliveries_unpartitioned_created_at_idx";
ALTER INDEX "deliveries_endpoint_id_created_at_idx" RENAME TO "deliveries_unpartitioned_endpoint_id_created_at_idx";

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

    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("id", "created_at"),
    CONSTRAINT "deliveries_status_check" CHECK ("status" IN ('pending', 'failed', 'delivered', 'dead')),
    CONSTRAINT "deliveries_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "deliveries_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE
) PARTITION BY RANGE ("created_at");

CREATE TABLE "deliveries_default" PARTITION OF "deliveries" DEFAULT;

INSERT INTO "deliveries" SELECT * FROM "deliveries_unpartitioned";

DROP TABLE "deliveries_unpartitioned";

-- The worker claim query: due rows that still need sending.
CREATE INDEX "deliveries_due_idx" ON "deliveries"("next_attempt_at") WHERE "status" IN ('pending', 'failed');
-- Delivery history, newest first, overall and per endpoint.
CREATE INDEX "deliveries_created_at_idx" ON "deliveries"("created_at" DESC, "id" DESC);
CREATE INDEX "deliveries_endpoint_id_created_at_idx" ON "deliveries"("endpoint_id", "created_at" DESC);

ALTER TABLE "risk_agent_hourly" RENAME TO "risk_agent_hourly_unpartitioned";
ALTER TABLE "risk_agent_hourly_unpartitioned" RENAME CONSTRAINT "risk_agent_hourly_pkey" TO "risk_agent_hourly_unpartitioned_pkey";

CREATE TABLE "risk_agent_hourly" (
    "agent_id" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "requests" INTEGER NOT NULL,

    CONSTRAINT "risk_agent_hourly_pkey" PRIMARY KEY ("agent_id", "hour")
) PARTITION BY RANGE ("hour");

CREATE TABLE "risk_agent_hourly_default" PARTITION OF "risk_agent_hourly" DEFAULT;

INSERT INTO "risk_agent_hourly" SELECT * FROM "risk_agent_hourly_unpartitioned";

DROP TABLE "risk_agent_hourly_unpartitioned";
