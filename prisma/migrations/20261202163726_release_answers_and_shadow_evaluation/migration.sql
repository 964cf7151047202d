-- CreateEnum
CREATE TYPE "EvaluationStatus" AS ENUM ('running', 'completed', 'failed');

-- CreateTable
CREATE TABLE "release_case_answer" (
    "id" UUID NOT NULL,
    "release_id" UUID NOT NULL,
    "eval_case_id" UUID NOT NULL,
    "output" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "release_case_answer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "release_evaluation" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "release_id" UUID NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "status" "EvaluationStatus" NOT NULL DEFAULT 'running',
    "judge_version_id" UUID,
    "production_version_id" UUID,
    "regression_version_id" UUID,
    "slice_dimension" TEXT,
    "report" JSONB,
    "failure_cause" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "release_evaluation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "release_evaluation_item" (
    "evaluation_id" UUID NOT NULL,
    "eval_case_id" UUID NOT NULL,
    "set_kind" "EvalSetKind" NOT NULL,
    "answer_source" TEXT NOT NULL,
    "subject_key" TEXT,
    "slice_value" TEXT,

    CONSTRAINT "release_evaluation_item_pkey" PRIMARY KEY ("evaluation_id","eval_case_id")
);

-- CreateTable
CREATE TABLE "shadow_answer" (
    "id" UUID NOT NULL,
    "release_id" UUID NOT NULL,
    "trace_id" UUID NOT NULL,
    "output" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shadow_answer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shadow_evaluation" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "release_id" UUID NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "status" "EvaluationStatus" NOT NULL DEFAULT 'running',
    "judge_version_id" UUID,
    "slice_dimension" TEXT,
    "pair_count" INTEGER,
    "report" JSONB,
    "failure_cause" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "shadow_evaluation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shadow_comparison" (
    "id" UUID NOT NULL,
    "evaluation_id" UUID NOT NULL,
    "trace_id" UUID NOT NULL,
    "candidate_position" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "candidate_hash" TEXT NOT NULL,
    "production_hash" TEXT NOT NULL,
    "winner" TEXT,
    "rationale" TEXT,
    "failure_reason" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "latency_ms" INTEGER,
    "input_tokens" INTEGER,
    "output_tokens" INTEGER,
    "cost_usd" DOUBLE PRECISION,
    "judged_at" TIMESTAMP(3),

    CONSTRAINT "shadow_comparison_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "release_case_answer_eval_case_id_idx" ON "release_case_answer"("eval_case_id");

-- CreateIndex
CREATE UNIQUE INDEX "release_case_answer_release_id_eval_case_id_key" ON "release_case_answer"("release_id", "eval_case_id");

-- CreateIndex
CREATE UNIQUE INDEX "release_evaluation_workflow_id_key" ON "release_evaluation"("workflow_id");

-- CreateIndex
CREATE INDEX "release_evaluation_release_id_created_at_idx" ON "release_evaluation"("release_id", "created_at");

-- CreateIndex
CREATE INDEX "release_evaluation_project_id_created_at_idx" ON "release_evaluation"("project_id", "created_at");

-- CreateIndex
CREATE INDEX "release_evaluation_item_eval_case_id_idx" ON "release_evaluation_item"("eval_case_id");

-- CreateIndex
CREATE INDEX "shadow_answer_trace_id_idx" ON "shadow_answer"("trace_id");

-- CreateIndex
CREATE UNIQUE INDEX "shadow_answer_release_id_trace_id_key" ON "shadow_answer"("release_id", "trace_id");

-- CreateIndex
CREATE UNIQUE INDEX "shadow_evaluation_workflow_id_key" ON "shadow_evaluation"("workflow_id");

-- CreateIndex
CREATE INDEX "shadow_evaluation_release_id_created_at_idx" ON "shadow_evaluation"("release_id", "created_at");

-- CreateIndex
CREATE INDEX "shadow_evaluation_project_id_created_at_idx" ON "shadow_evaluation"("project_id", "created_at");

-- CreateIndex
CREATE INDEX "shadow_comparison_evaluation_id_status_idx" ON "shadow_comparison"("evaluation_id", "status");

-- CreateIndex
CREATE INDEX "shadow_comparison_trace_id_idx" ON "shadow_comparison"("trace_id");

-- CreateIndex
CREATE UNIQUE INDEX "shadow_comparison_evaluation_id_trace_id_candidate_position_key" ON "shadow_comparison"("evaluation_id", "trace_id", "candidate_position");

-- AddForeignKey
ALTER TABLE "release_case_answer" ADD CONSTRAINT "release_case_answer_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "release"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release_case_answer" ADD CONSTRAINT "release_case_answer_eval_case_id_fkey" FOREIGN KEY ("eval_case_id") REFERENCES "eval_case"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release_evaluation" ADD CONSTRAINT "release_evaluation_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "release"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release_evaluation_item" ADD CONSTRAINT "release_evaluation_item_evaluation_id_fkey" FOREIGN KEY ("evaluation_id") REFERENCES "release_evaluation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release_evaluation_item" ADD CONSTRAINT "release_evaluation_item_eval_case_id_fkey" FOREIGN KEY ("eval_case_id") REFERENCES "eval_case"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadow_answer" ADD CONSTRAINT "shadow_answer_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "release"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadow_answer" ADD CONSTRAINT "shadow_answer_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadow_evaluation" ADD CONSTRAINT "shadow_evaluation_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "release"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadow_comparison" ADD CONSTRAINT "shadow_comparison_evaluation_id_fkey" FOREIGN KEY ("evaluation_id") REFERENCES "shadow_evaluation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadow_comparison" ADD CONSTRAINT "shadow_comparison_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
