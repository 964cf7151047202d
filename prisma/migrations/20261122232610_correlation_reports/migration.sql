-- CreateTable
CREATE TABLE "correlation_report" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "judge_version_id" UUID,
    "headline_value" DOUBLE PRECISION,
    "drift_warning" BOOLEAN NOT NULL DEFAULT false,
    "report" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "correlation_report_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "correlation_report_run_id_key" ON "correlation_report"("run_id");

-- CreateIndex
CREATE INDEX "correlation_report_project_id_created_at_idx" ON "correlation_report"("project_id", "created_at");
