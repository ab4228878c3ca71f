-- Scoped admin API tokens (issue 15): what each token may reach. Tokens made
-- before scopes existed keep reaching everything (`admin`).
ALTER TABLE "admin_tokens" ADD COLUMN "scopes" TEXT[] NOT NULL DEFAULT ARRAY['admin']::TEXT[];
