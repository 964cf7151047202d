-- CreateTable
CREATE TABLE "imported_judgment" (
    "id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "dataset" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "item_id" TEXT NOT NULL,
    "answer_a" TEXT NOT NULL DEFAULT '',
    "answer_b" TEXT NOT NULL DEFAULT '',
    "rater_id" TEXT NOT NULL,
    "rater_kind" TEXT NOT NULL,
    "winner" TEXT,
    "inconsistent" BOOLEAN NOT NULL DEFAULT false,
    "correctness" INTEGER,
    "relevance" INTEGER,
    "clarity" INTEGER,
    "calibration" INTEGER,
    "length" INTEGER,
    "verdict" TEXT,
    "group_key" TEXT,
    "content_hash" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "imported_judgment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "imported_judgment_project_id_dataset_kind_idx" ON "imported_judgment"("project_id", "dataset", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "imported_judgment_project_id_dataset_kind_item_id_answer_a__key" ON "imported_judgment"("project_id", "dataset", "kind", "item_id", "answer_a", "answer_b", "rater_id");
