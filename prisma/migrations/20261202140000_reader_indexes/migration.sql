-- Indexes for the reads of reviewers and auditors at scale (issue 13): the
-- review queue and history (lib/requests/list-requests.ts,
-- list-requests-by-risk.ts) and the audit event list
-- (lib/audit/query-events.ts), each keyset-paginated newest first. Measured
-- with EXPLAIN (ANALYZE, BUFFERS) on 1,000,000 requests and events
-- (bench/reads.ts).

-- The queue (pending) and the history by one status, newest first.
CREATE INDEX "action_requests_status_id_idx" ON "action_requests"("status", "id");

-- The queue or a status, filtered by action, newest first.
CREATE INDEX "action_requests_status_action_id_idx" ON "action_requests"("status", "action", "id");

-- The history filtered by action (any status, or `decided`), newest first.
CREATE INDEX "action_requests_action_id_idx" ON "action_requests"("action", "id");

-- The queue by risk (`sort=risk`): highest score first, newest first among
-- equals, per status. The expression is spelled exactly as
-- list-requests-by-risk.ts orders by it. Not expressible in schema.prisma.
CREATE INDEX "action_requests_status_risk_score_idx" ON "action_requests"("status", (COALESCE((risk ->> 'score')::int, 0)), "id");

-- Audit events by request and by agent, newest first: replace the
-- single-column indexes (the composite serves every lookup they served).
-- The list filters read chained events only: their indexes hold only those (WHERE seq IS NOT NULL),
-- so an insert does not touch them and the sealer adds each event to them once.
DROP INDEX "audit_events_request_id_idx";
CREATE INDEX "audit_events_request_id_seq_idx" ON "audit_events"("request_id", "seq");
DROP INDEX "audit_events_agent_id_idx";
CREATE INDEX "audit_events_agent_id_seq_idx" ON "audit_events"("agent_id", "seq");

-- By exact type and by exact actor, newest first.
CREATE INDEX "audit_events_type_seq_idx" ON "audit_events"("type", "seq") WHERE "seq" IS NOT NULL;
CREATE INDEX "audit_events_actor_seq_idx" ON "audit_events"("actor", "seq") WHERE "seq" IS NOT NULL;

-- By actor kind (`actor=system`, `actor=agent`: the part before the first
-- colon), newest first, spelled as query-events.ts filters. Not expressible
-- in schema.prisma.
CREATE INDEX "audit_events_actor_kind_seq_idx" ON "audit_events"((split_part(actor, ':', 1)), "seq") WHERE "seq" IS NOT NULL;
