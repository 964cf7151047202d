-- CreateEnum
CREATE TYPE "Thumb" AS ENUM ('up', 'down');

-- AlterTable
ALTER TABLE "project" ADD COLUMN     "signal_settings" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "trace" ADD COLUMN     "abandoned" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "copied" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "escalated" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "feedback_at" TIMESTAMP(3),
ADD COLUMN     "feedback_comment" TEXT,
ADD COLUMN     "negative_signals" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "rating" INTEGER,
ADD COLUMN     "regenerated" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "thumb" "Thumb";

-- CreateTable
CREATE TABLE "trace_signal" (
    "trace_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "value" DOUBLE PRECISION,
    "derivation" TEXT NOT NULL,
    "derived_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "trace_signal_pkey" PRIMARY KEY ("trace_id","kind")
);

-- CreateIndex
CREATE INDEX "trace_signal_kind_idx" ON "trace_signal"("kind");

-- CreateIndex
CREATE INDEX "trace_negative_signals_idx" ON "trace" USING GIN ("negative_signals");

-- AddForeignKey
ALTER TABLE "trace_signal" ADD CONSTRAINT "trace_signal_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
