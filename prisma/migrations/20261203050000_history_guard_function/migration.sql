-- The agent's approvals (of any action) since a time, for the guard of a
-- create whose rule conditions read history (history.count, history.sum).
-- The guard passes it the agent's history lock as its third argument, so it
-- runs once that lock is granted, and VOLATILE gives its query a fresh
-- snapshot then (see countersign_pending_count): it sees every approval
-- committed before. lib/history/approval-history.ts, historyUnchanged.
CREATE FUNCTION "countersign_history_approvals"("agent" TEXT, "since" TIMESTAMPTZ, "locked" BOOLEAN) RETURNS BIGINT
  LANGUAGE sql VOLATILE
  AS $$ SELECT coalesce(sum(approvals), 0) FROM approval_history WHERE agent_id = agent AND length(name) = 0 AND bucket >= since AND locked $$
