-- CreateEnum
CREATE TYPE "LabelTaskStatus" AS ENUM ('open', 'claimed', 'done', 'skipped', 'expired');

-- CreateEnum
CREATE TYPE "Verdict" AS ENUM ('pass', 'fail');

-- AlterTable
ALTER TABLE "flywheel_run" ADD COLUMN     "labeling_report" JSONB,
ADD COLUMN     "sample_report" JSONB,
ADD COLUMN     "settings" JSONB;

-- AlterTable
ALTER TABLE "project" ADD COLUMN     "failure_taxonomy" TEXT[] DEFAULT ARRAY['hallucination', 'ignored_context', 'out_of_scope', 'wrong_tool_call', 'refusal', 'formatting', 'verbosity']::TEXT[],
ADD COLUMN     "labeling_settings" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "sampling_policy" JSONB NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "sample_item" (
    "id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "trace_id" UUID NOT NULL,
    "stratum" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "slice_value" TEXT NOT NULL,
    "rank" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sample_item_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "label_task" (
    "id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "sample_item_id" UUID NOT NULL,
    "trace_id" UUID NOT NULL,
    "slot" INTEGER NOT NULL,
    "status" "LabelTaskStatus" NOT NULL DEFAULT 'open',
    "reviewer_id" UUID,
    "claimed_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),
    "skip_reason" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "label_task_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "label" (
    "id" UUID NOT NULL,
    "task_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "trace_id" UUID NOT NULL,
    "reviewer_id" UUID NOT NULL,
    "correctness" INTEGER NOT NULL,
    "relevance" INTEGER NOT NULL,
    "clarity" INTEGER NOT NULL,
    "calibration" INTEGER NOT NULL,
    "length" INTEGER NOT NULL,
    "verdict" "Verdict" NOT NULL,
    "failure_category" TEXT,
    "expected" TEXT,
    "notes" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "label_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sample_item_trace_id_idx" ON "sample_item"("trace_id");

-- CreateIndex
CREATE UNIQUE INDEX "sample_item_run_id_trace_id_key" ON "sample_item"("run_id", "trace_id");

-- CreateIndex
CREATE INDEX "label_task_project_id_status_created_at_idx" ON "label_task"("project_id", "status", "created_at");

-- CreateIndex
CREATE INDEX "label_task_run_id_status_idx" ON "label_task"("run_id", "status");

-- CreateIndex
CREATE INDEX "label_task_reviewer_id_status_idx" ON "label_task"("reviewer_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "label_task_sample_item_id_slot_key" ON "label_task"("sample_item_id", "slot");

-- CreateIndex
CREATE UNIQUE INDEX "label_task_id_key" ON "label"("task_id");

-- CreateIndex
CREATE INDEX "label_run_id_idx" ON "label"("run_id");

-- CreateIndex
CREATE INDEX "label_trace_id_idx" ON "label"("trace_id");

-- AddForeignKey
ALTER TABLE "sample_item" ADD CONSTRAINT "sample_item_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "flywheel_run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sample_item" ADD CONSTRAINT "sample_item_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "label_task" ADD CONSTRAINT "label_task_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "flywheel_run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "label_task" ADD CONSTRAINT "label_task_sample_item_id_fkey" FOREIGN KEY ("sample_item_id") REFERENCES "sample_item"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "label" ADD CONSTRAINT "label_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "label_task"("id") ON DELETE CASCADE ON UPDATE CASCADE;
