-- AlterTable
ALTER TABLE "label_task" ADD COLUMN     "finished_by_activity" TEXT;
