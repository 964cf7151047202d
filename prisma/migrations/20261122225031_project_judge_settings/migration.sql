-- AlterTable
ALTER TABLE "project" ADD COLUMN     "judge_settings" JSONB NOT NULL DEFAULT '{}';
