-- AlterTable
ALTER TABLE "project" ADD COLUMN     "ingest_settings" JSONB NOT NULL DEFAULT '{}';
