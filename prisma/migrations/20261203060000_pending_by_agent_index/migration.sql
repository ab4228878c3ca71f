-- The counts on the create path keep using the agent's index as tables grow.
--
-- What went wrong: the app's connections live long, and a SQL function's plan
-- is cached in its session. A generic plan of countersign_pending_count made
-- in a new installation's first minutes (few rows, no ANALYZE yet) read the
-- status-led reader index and filtered by agent: it visited every agent's
-- pending requests, and kept doing so. PostgreSQL's time per create grew from
-- 4 to 25 ms in three minutes of load (test/database/query-plans.test.ts
-- reproduces the plan).
--
-- The fix, in two parts:
-- 1. An agent's pending requests get an index of their own, (agent_id,
--    expires_at) over pending rows only, in place of (agent_id, status,
--    expires_at) over every request: the only index that matches every
--    condition of the count, and small. The cancellations of a suspension
--    read it too.
-- 2. The counting functions are planned on each call, with the agent's id,
--    never from a plan cached while the tables looked different. Planning
--    costs a fraction of a millisecond.
CREATE INDEX "action_requests_pending_by_agent_idx" ON "action_requests"("agent_id", "expires_at") WHERE "status" = 'pending';

DROP INDEX "action_requests_agent_id_status_expires_at_idx";

ALTER FUNCTION "countersign_pending_count"(TEXT, INTEGER) SET plan_cache_mode = force_custom_plan;

ALTER FUNCTION "countersign_history_approvals"(TEXT, TIMESTAMPTZ, BOOLEAN) SET plan_cache_mode = force_custom_plan
