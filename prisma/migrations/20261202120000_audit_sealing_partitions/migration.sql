-- The audit log leaves the critical path of requests (issue 13).
--
-- Before: every write chained its event by updating the single audit_head row,
-- holding the lock of that row until commit, across all app instances. Now a
-- transaction of a request only INSERTs its events (seq, prev_hash and hash
-- null), and one sealer (lib/audit/sealer.ts) chains committed events in batches,
-- in the order of the transactions that wrote them (tx_id), taking only
-- events of transactions older than every running one, so that no late commit
-- can fall behind the sealed chain.
--
-- The table is partitioned by month of occurred_at (UTC), so that retention
-- drops whole partitions instead of deleting rows under a lock. The app
-- creates the monthly partitions ahead of time (lib/audit/partitions.ts).

ALTER TABLE "audit_events" RENAME TO "audit_events_unpartitioned";
ALTER TABLE "audit_events_unpartitioned" RENAME CONSTRAINT "audit_events_pkey" TO "audit_events_unpartitioned_pkey";
ALTER INDEX "audit_events_request_id_idx" RENAME TO "audit_events_unpartitioned_request_id_idx";
ALTER INDEX "audit_events_agent_id_idx" RENAME TO "audit_events_unpartitioned_agent_id_idx";
ALTER INDEX "audit_events_occurred_at_idx" RENAME TO "audit_events_unpartitioned_occurred_at_idx";

CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "tx_id" xid8 NOT NULL DEFAULT pg_current_xact_id(),
    "seq" BIGINT,
    "type" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "request_id" TEXT,
    "agent_id" TEXT,
    "data" JSONB NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "prev_hash" TEXT,
    "hash" TEXT,
    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id", "occurred_at")
) PARTITION BY RANGE ("occurred_at");

-- Everything lands in a default partition first. Right after the migrations,
-- lib/audit/partitions.ts moves the events into monthly partitions and drops
-- it (a default partition would forbid detaching partitions concurrently).
CREATE TABLE "audit_events_default" PARTITION OF "audit_events" DEFAULT;

INSERT INTO "audit_events" ("seq", "type", "actor", "request_id", "agent_id", "data", "occurred_at", "prev_hash", "hash")
SELECT "seq", "type", "actor", "request_id", "agent_id", "data", "occurred_at", "prev_hash", "hash"
  FROM "audit_events_unpartitioned" ORDER BY "seq";

DROP TABLE "audit_events_unpartitioned";

CREATE INDEX "audit_events_seq_idx" ON "audit_events"("seq") WHERE "seq" IS NOT NULL;
CREATE INDEX "audit_events_request_id_idx" ON "audit_events"("request_id");
CREATE INDEX "audit_events_agent_id_idx" ON "audit_events"("agent_id");
CREATE INDEX "audit_events_occurred_at_idx" ON "audit_events"("occurred_at");
-- What the sealer reads: events not yet chained, in transaction order.
CREATE INDEX "audit_events_unsealed_idx" ON "audit_events"("tx_id", "id") WHERE "seq" IS NULL;
