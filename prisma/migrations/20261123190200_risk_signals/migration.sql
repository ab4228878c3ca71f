-- Risk signals (issue 6, part 3): what was computed for each request, and
-- the per-agent history it is computed from. The history tables are
-- maintained right after requests are created and approved, so a new
-- request reads a few index entries instead of scanning the agent's past.

-- The assessment, as computed when the request was created: score and flags.
ALTER TABLE "action_requests" ADD COLUMN "risk" JSONB;

-- Requests per agent: the current 10-minute window and the one before (the
-- recent rate), and the current hour. One row per agent, updated by every
-- request creation: a low fill factor leaves room on each page for those
-- updates to stay heap-only (no index writes, pruned in place).
CREATE TABLE "risk_agent_rate" (
    "agent_id" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "current" INTEGER NOT NULL,
    "previous" INTEGER NOT NULL,
    "hour_start" TIMESTAMPTZ(3) NOT NULL,
    "hour_count" INTEGER NOT NULL,

    CONSTRAINT "risk_agent_rate_pkey" PRIMARY KEY ("agent_id")
) WITH (fillfactor = 20);

-- Requests per agent and past hour (the rate baseline), written once when
-- the agent's hour in risk_agent_rate rolls over.
CREATE TABLE "risk_agent_hourly" (
    "agent_id" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "requests" INTEGER NOT NULL,

    CONSTRAINT "risk_agent_hourly_pkey" PRIMARY KEY ("agent_id", "hour")
);

-- Actions an agent asked for (a row from its first request), and how many
-- of those requests were approved.
CREATE TABLE "risk_action_stats" (
    "agent_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "approved" INTEGER NOT NULL DEFAULT 0,
    "last_approved_at" TIMESTAMPTZ(3),

    CONSTRAINT "risk_action_stats_pkey" PRIMARY KEY ("agent_id", "action")
);

-- Running statistics (Welford) of each numeric parameter over the approved
-- requests of an agent and action: count, min, max, mean and M2.
CREATE TABLE "risk_param_stats" (
    "agent_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "n" INTEGER NOT NULL,
    "min" DOUBLE PRECISION NOT NULL,
    "max" DOUBLE PRECISION NOT NULL,
    "mean" DOUBLE PRECISION NOT NULL,
    "m2" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "risk_param_stats_pkey" PRIMARY KEY ("agent_id", "action", "path")
);

-- Values seen in an agent's approved requests: on_behalf_of,
-- environment.name and environment.runtime.
CREATE TABLE "risk_known_values" (
    "agent_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "approved" INTEGER NOT NULL,
    "last_approved_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "risk_known_values_pkey" PRIMARY KEY ("agent_id", "kind", "value")
);
