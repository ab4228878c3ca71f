-- Server-side sessions (issue 11, finding 6). The session cookie names a row
-- here, and deleting the row signs that session out at once. This replaces
-- the per-user session version: every existing session ends with this migration.
ALTER TABLE "users" DROP COLUMN "session_version";

CREATE TABLE "user_sessions" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "user_sessions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "user_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX "user_sessions_user_id_idx" ON "user_sessions"("user_id");
