-- CreateEnum
CREATE TYPE "EvalSetKind" AS ENUM ('production', 'regression', 'custom');

-- CreateTable
CREATE TABLE "eval_set" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "EvalSetKind" NOT NULL,
    "description" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "eval_set_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "eval_case" (
    "id" UUID NOT NULL,
    "eval_set_id" UUID NOT NULL,
    "case_key" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "input" TEXT NOT NULL,
    "session_context" JSONB NOT NULL,
    "retrieved_context" JSONB NOT NULL,
    "output" TEXT,
    "expected" TEXT,
    "labels" JSONB NOT NULL,
    "verdict" TEXT,
    "failure_category" TEXT,
    "slice" JSONB NOT NULL,
    "needs_adjudication" BOOLEAN NOT NULL DEFAULT false,
    "source_trace_id" UUID,
    "source_run_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retired_at" TIMESTAMP(3),
    "retired_reason" TEXT,

    CONSTRAINT "eval_case_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "eval_set_version" (
    "id" UUID NOT NULL,
    "eval_set_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "parent_id" UUID,
    "content_hash" TEXT NOT NULL,
    "case_count" INTEGER NOT NULL,
    "counts" JSONB NOT NULL,
    "changelog" JSONB NOT NULL,
    "run_id" UUID,
    "origin" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "eval_set_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "eval_set_version_case" (
    "version_id" UUID NOT NULL,
    "case_id" UUID NOT NULL,

    CONSTRAINT "eval_set_version_case_pkey" PRIMARY KEY ("version_id","case_id")
);

-- CreateIndex
CREATE INDEX "eval_set_project_id_kind_idx" ON "eval_set"("project_id", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "eval_set_project_id_name_key" ON "eval_set"("project_id", "name");

-- CreateIndex
CREATE INDEX "eval_case_eval_set_id_case_key_idx" ON "eval_case"("eval_set_id", "case_key");

-- CreateIndex
CREATE INDEX "eval_case_source_trace_id_idx" ON "eval_case"("source_trace_id");

-- CreateIndex
CREATE UNIQUE INDEX "eval_case_eval_set_id_case_key_content_hash_key" ON "eval_case"("eval_set_id", "case_key", "content_hash");

-- CreateIndex
CREATE UNIQUE INDEX "eval_set_version_eval_set_id_version_key" ON "eval_set_version"("eval_set_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "eval_set_version_eval_set_id_run_id_key" ON "eval_set_version"("eval_set_id", "run_id");

-- CreateIndex
CREATE INDEX "eval_set_version_case_case_id_idx" ON "eval_set_version_case"("case_id");

-- AddForeignKey
ALTER TABLE "eval_set" ADD CONSTRAINT "eval_set_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "eval_case" ADD CONSTRAINT "eval_case_eval_set_id_fkey" FOREIGN KEY ("eval_set_id") REFERENCES "eval_set"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "eval_set_version" ADD CONSTRAINT "eval_set_version_eval_set_id_fkey" FOREIGN KEY ("eval_set_id") REFERENCES "eval_set"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "eval_set_version" ADD CONSTRAINT "eval_set_version_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "eval_set_version"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "eval_set_version" ADD CONSTRAINT "eval_set_version_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "flywheel_run"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "eval_set_version_case" ADD CONSTRAINT "eval_set_version_case_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "eval_set_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "eval_set_version_case" ADD CONSTRAINT "eval_set_version_case_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "eval_case"("id") ON DELETE CASCADE ON UPDATE CASCADE;
