-- AlterTable
ALTER TABLE "action_requests" ADD COLUMN     "condition_errors" JSONB;
