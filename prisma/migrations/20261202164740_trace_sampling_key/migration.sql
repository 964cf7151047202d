-- CreateTable
CREATE TABLE "trace_sampling_key" (
    "trace_id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "slice" JSONB NOT NULL DEFAULT '{}',
    "negative_mask" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "trace_sampling_key_pkey" PRIMARY KEY ("trace_id")
);

-- CreateIndex
CREATE INDEX "trace_sampling_key_project_id_timestamp_idx" ON "trace_sampling_key"("project_id", "timestamp");

-- Kept in step with trace by statement-level triggers (one set-based write per statement,
-- not a PL/pgSQL call per row). Prisma's schema cannot describe triggers or functions and
-- its diff does not look at them, so they live here only.
-- Bit i of negative_mask is NEGATIVE_SIGNAL_KINDS[i] (core/signals/derive-signals.ts);
-- kinds may only be appended, by a migration that replaces this function.
CREATE FUNCTION "trace_negative_mask"(signals TEXT[]) RETURNS INTEGER
LANGUAGE SQL IMMUTABLE PARALLEL SAFE AS $$
  SELECT COALESCE(bit_or(1 << (k.i::INTEGER - 1)), 0)
    FROM unnest(signals) AS s(kind)
    JOIN unnest(ARRAY['thumbs_down', 'low_rating', 'rephrase', 'abandoned', 'escalated', 'regenerated',
                      'long_session', 'high_latency', 'guardrail_flagged']) WITH ORDINALITY AS k(kind, i) ON k.kind = s.kind
$$;

CREATE FUNCTION "trace_sampling_key_insert"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "trace_sampling_key" ("trace_id", "project_id", "timestamp", "slice", "negative_mask")
  SELECT n."id", n."project_id", n."timestamp", n."slice", "trace_negative_mask"(n."negative_signals") FROM new_rows n;
  RETURN NULL;
END $$;

CREATE FUNCTION "trace_sampling_key_update"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  -- Only rows whose sampling fields changed (most updates touch other columns).
  UPDATE "trace_sampling_key" k
     SET "project_id" = n."project_id", "timestamp" = n."timestamp", "slice" = n."slice",
         "negative_mask" = "trace_negative_mask"(n."negative_signals")
    FROM new_rows n JOIN old_rows o ON o."id" = n."id"
   WHERE k."trace_id" = n."id"
     AND (o."project_id", o."timestamp", o."slice", o."negative_signals") IS DISTINCT FROM (n."project_id", n."timestamp", n."slice", n."negative_signals");
  RETURN NULL;
END $$;

CREATE FUNCTION "trace_sampling_key_delete"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "trace_sampling_key" k USING old_rows o WHERE k."trace_id" = o."id";
  RETURN NULL;
END $$;

CREATE TRIGGER "trace_sampling_key_insert" AFTER INSERT ON "trace"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "trace_sampling_key_insert"();
CREATE TRIGGER "trace_sampling_key_update" AFTER UPDATE ON "trace"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "trace_sampling_key_update"();
CREATE TRIGGER "trace_sampling_key_delete" AFTER DELETE ON "trace"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "trace_sampling_key_delete"();
-- TRUNCATE has no transition table; emptying trace empties this table too.
CREATE FUNCTION "trace_sampling_key_truncate"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE "trace_sampling_key";
  RETURN NULL;
END $$;
CREATE TRIGGER "trace_sampling_key_truncate" AFTER TRUNCATE ON "trace"
  FOR EACH STATEMENT EXECUTE FUNCTION "trace_sampling_key_truncate"();

-- Traces stored before this migration.
INSERT INTO "trace_sampling_key" ("trace_id", "project_id", "timestamp", "slice", "negative_mask")
SELECT "id", "project_id", "timestamp", "slice", "trace_negative_mask"("negative_signals") FROM "trace";
-- Statistics now, so the first sampling run after the migration gets a parallel scan.
ANALYZE "trace_sampling_key";
