-- One-time passwords (invite, reset, first admin) must be changed at first
-- sign-in (issue 14). Existing accounts keep theirs.
ALTER TABLE "users" ADD COLUMN "must_change_password" BOOLEAN NOT NULL DEFAULT false;
