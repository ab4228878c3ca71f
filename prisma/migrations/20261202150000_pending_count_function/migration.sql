-- How many requests of an agent still wait for a decision, counting up to
-- up_to. VOLATILE on purpose: in READ COMMITTED each call takes a fresh
-- snapshot, so a create that waited for its agent row lock (FOR NO KEY
-- UPDATE, taken first in the same statement) counts every request committed
-- before the lock was granted. That makes the pending cap exact in a single
-- statement (lib/requests/create-request.ts).
CREATE FUNCTION "countersign_pending_count"("agent" TEXT, "up_to" INTEGER) RETURNS BIGINT
  LANGUAGE sql VOLATILE
  AS $$ SELECT count(*) FROM (SELECT 1 FROM action_requests WHERE agent_id = agent AND status = 'pending' AND expires_at > now() LIMIT up_to) AS waiting $$
