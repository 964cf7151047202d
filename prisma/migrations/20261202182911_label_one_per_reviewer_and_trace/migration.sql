-- DropIndex
DROP INDEX "label_run_id_idx";

-- CreateIndex
CREATE UNIQUE INDEX "label_run_id_trace_id_reviewer_id_key" ON "label"("run_id", "trace_id", "reviewer_id");
