-- CreateEnum
CREATE TYPE "JudgeVersionStatus" AS ENUM ('candidate', 'active', 'retired');

-- AlterTable
ALTER TABLE "flywheel_run" ADD COLUMN     "needs_attention" TEXT;

-- CreateTable
CREATE TABLE "judge_prompt_version" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "rubric" TEXT NOT NULL,
    "few_shot" JSONB NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "base_url" TEXT,
    "temperature" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "parent_id" UUID,
    "reason" TEXT NOT NULL,
    "status" "JudgeVersionStatus" NOT NULL DEFAULT 'candidate',
    "created_by_run_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activated_at" TIMESTAMP(3),

    CONSTRAINT "judge_prompt_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "judge_score" (
    "id" UUID NOT NULL,
    "judge_version_id" UUID NOT NULL,
    "subject_key" TEXT NOT NULL,
    "eval_case_id" UUID,
    "status" TEXT NOT NULL,
    "correctness" INTEGER,
    "relevance" INTEGER,
    "clarity" INTEGER,
    "calibration" INTEGER,
    "length" INTEGER,
    "verdict" TEXT,
    "rationale" TEXT,
    "failure_reason" TEXT,
    "attempts" INTEGER NOT NULL,
    "latency_ms" INTEGER NOT NULL,
    "input_tokens" INTEGER,
    "output_tokens" INTEGER,
    "cost_usd" DOUBLE PRECISION,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "judge_score_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agreement_report" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "run_id" UUID,
    "judge_version_id" UUID NOT NULL,
    "scope" TEXT NOT NULL,
    "primary_metric" TEXT NOT NULL,
    "primary_value" DOUBLE PRECISION,
    "threshold" DOUBLE PRECISION NOT NULL,
    "below_threshold" BOOLEAN NOT NULL,
    "report" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agreement_report_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "recalibration" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "active_version_id" UUID NOT NULL,
    "promoted_version_id" UUID,
    "decision" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "candidates" JSONB NOT NULL,
    "split" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "recalibration_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "judge_prompt_version_project_id_status_idx" ON "judge_prompt_version"("project_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "judge_prompt_version_project_id_version_key" ON "judge_prompt_version"("project_id", "version");

-- CreateIndex
CREATE INDEX "judge_score_eval_case_id_idx" ON "judge_score"("eval_case_id");

-- CreateIndex
CREATE UNIQUE INDEX "judge_score_judge_version_id_subject_key_key" ON "judge_score"("judge_version_id", "subject_key");

-- CreateIndex
CREATE INDEX "agreement_report_project_id_created_at_idx" ON "agreement_report"("project_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "agreement_report_run_id_judge_version_id_scope_key" ON "agreement_report"("run_id", "judge_version_id", "scope");

-- CreateIndex
CREATE UNIQUE INDEX "recalibration_run_id_key" ON "recalibration"("run_id");

-- CreateIndex
CREATE INDEX "recalibration_project_id_created_at_idx" ON "recalibration"("project_id", "created_at");

-- AddForeignKey
ALTER TABLE "judge_prompt_version" ADD CONSTRAINT "judge_prompt_version_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "judge_prompt_version" ADD CONSTRAINT "judge_prompt_version_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "judge_prompt_version"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "judge_score" ADD CONSTRAINT "judge_score_judge_version_id_fkey" FOREIGN KEY ("judge_version_id") REFERENCES "judge_prompt_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;
