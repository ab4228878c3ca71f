-- AlterTable
ALTER TABLE "action_requests" ADD COLUMN     "amended_by" TEXT,
ADD COLUMN     "original_params" JSONB,
ADD COLUMN     "original_params_sha256" TEXT,
ADD COLUMN     "reviewers_may_edit" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "votes" ADD COLUMN     "params_sha256" TEXT;
