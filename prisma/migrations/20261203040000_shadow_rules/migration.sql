-- Shadow rules (issue 15): the shadow rules that matched each request, and
-- one insert-only row per match for the console's hit counts.

-- AlterTable
ALTER TABLE "action_requests" ADD COLUMN "shadow_matches" JSONB;

-- CreateTable
CREATE TABLE "policy_shadow_hits" (
    "rule_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "request_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "policy_shadow_hits_pkey" PRIMARY KEY ("rule_id","version","request_id")
);

-- CreateIndex
CREATE INDEX "policy_shadow_hits_rule_id_version_created_at_idx" ON "policy_shadow_hits"("rule_id", "version", "created_at");
