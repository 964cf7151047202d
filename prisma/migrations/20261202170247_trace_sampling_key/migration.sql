-- CreateTable
CREATE TABLE "trace_sampling_key" (
    "trace_id" UUID NOT NULL,
    "project_id" UUID NOT NULL,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "slice_id" INTEGER NOT NULL,
    "negative_mask" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "trace_sampling_key_pkey" PRIMARY KEY ("trace_id")
);

-- CreateTable
CREATE TABLE "trace_slice" (
    "id" SERIAL NOT NULL,
    "project_id" UUID NOT NULL,
    "slice_hash" UUID NOT NULL,
    "slice" JSONB NOT NULL,

    CONSTRAINT "trace_slice_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "trace_sampling_key_project_id_timestamp_idx" ON "trace_sampling_key"("project_id", "timestamp");

-- CreateIndex
CREATE UNIQUE INDEX "trace_slice_project_id_slice_hash_key" ON "trace_slice"("project_id", "slice_hash");

-- AddForeignKey
ALTER TABLE "trace_slice" ADD CONSTRAINT "trace_slice_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- trace_sampling_key and trace_slice are kept in step with trace by statement-level
-- triggers (one set-based write per statement, not a PL/pgSQL call per row). Prisma's
-- schema cannot describe triggers or functions and its diff does not look at them, so
-- they live here only.

-- Bit i of negative_mask is NEGATIVE_SIGNAL_KINDS[i] (core/signals/derive-signals.ts);
-- kinds may only be appended, by a migration that replaces this function. A single
-- expression, so that it is inlined (a function with its own FROM clause costs ~6 us a row).
CREATE FUNCTION "trace_negative_mask"(signals TEXT[]) RETURNS INTEGER
LANGUAGE SQL IMMUTABLE PARALLEL SAFE AS $$
  SELECT (CASE WHEN 'thumbs_down' = ANY(signals) THEN 1 ELSE 0 END)
       | (CASE WHEN 'low_rating' = ANY(signals) THEN 2 ELSE 0 END)
       | (CASE WHEN 'rephrase' = ANY(signals) THEN 4 ELSE 0 END)
       | (CASE WHEN 'abandoned' = ANY(signals) THEN 8 ELSE 0 END)
       | (CASE WHEN 'escalated' = ANY(signals) THEN 16 ELSE 0 END)
       | (CASE WHEN 'regenerated' = ANY(signals) THEN 32 ELSE 0 END)
       | (CASE WHEN 'long_session' = ANY(signals) THEN 64 ELSE 0 END)
       | (CASE WHEN 'high_latency' = ANY(signals) THEN 128 ELSE 0 END)
       | (CASE WHEN 'guardrail_flagged' = ANY(signals) THEN 256 ELSE 0 END)
$$;

-- The dictionary's unique key (a btree cannot hold slices of any size). Computed only for
-- slices not yet in it: traces find their entry by jsonb equality (hashed, exact).
CREATE FUNCTION "trace_slice_hash"(slice JSONB) RETURNS UUID
LANGUAGE SQL IMMUTABLE PARALLEL SAFE AS $$ SELECT md5(slice::TEXT)::UUID $$;

-- The statements below run through EXECUTE, i.e. are planned on every call: PL/pgSQL would
-- otherwise plan them once per connection, with the transition tables and keys as small as
-- they were then, and keep a plan that scans every key for each changed trace. Slices are
-- added in a statement of their own, so that the next one sees those a concurrent upload
-- has just committed.
CREATE FUNCTION "trace_sampling_key_insert"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  written BIGINT;
  expected BIGINT;
BEGIN
  EXECUTE 'INSERT INTO "trace_slice" ("project_id", "slice_hash", "slice")
           SELECT n."project_id", "trace_slice_hash"(n."slice"), n."slice"
             FROM (SELECT DISTINCT "project_id", "slice" FROM new_rows) n
            WHERE NOT EXISTS (SELECT 1 FROM "trace_slice" s WHERE s."project_id" = n."project_id" AND s."slice" = n."slice")
           ON CONFLICT ("project_id", "slice_hash") DO NOTHING';
  EXECUTE 'INSERT INTO "trace_sampling_key" ("trace_id", "project_id", "timestamp", "slice_id", "negative_mask")
           SELECT n."id", n."project_id", n."timestamp", s."id", "trace_negative_mask"(n."negative_signals")
             FROM new_rows n JOIN "trace_slice" s ON s."project_id" = n."project_id" AND s."slice" = n."slice"';
  -- A trace without its key would silently never be sampled: refuse the write instead.
  GET DIAGNOSTICS written = ROW_COUNT;
  EXECUTE 'SELECT count(*) FROM new_rows' INTO expected;
  IF written <> expected THEN
    RAISE EXCEPTION 'trace_sampling_key: % keys written for % new traces', written, expected;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION "trace_sampling_key_update"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  changed BIGINT;
  written BIGINT;
BEGIN
  -- Only rows whose sampling fields changed (most updates touch other columns).
  EXECUTE 'SELECT count(*) FROM new_rows n JOIN old_rows o ON o."id" = n."id"
            WHERE (o."project_id", o."timestamp", o."slice", o."negative_signals") IS DISTINCT FROM (n."project_id", n."timestamp", n."slice", n."negative_signals")'
    INTO changed;
  IF changed = 0 THEN
    RETURN NULL;
  END IF;
  EXECUTE 'INSERT INTO "trace_slice" ("project_id", "slice_hash", "slice")
           SELECT n."project_id", "trace_slice_hash"(n."slice"), n."slice"
             FROM (SELECT DISTINCT n."project_id", n."slice" FROM new_rows n JOIN old_rows o ON o."id" = n."id"
                    WHERE (o."project_id", o."slice") IS DISTINCT FROM (n."project_id", n."slice")) n
            WHERE NOT EXISTS (SELECT 1 FROM "trace_slice" s WHERE s."project_id" = n."project_id" AND s."slice" = n."slice")
           ON CONFLICT ("project_id", "slice_hash") DO NOTHING';
  EXECUTE 'WITH c AS (
             SELECT n.* FROM new_rows n JOIN old_rows o ON o."id" = n."id"
              WHERE (o."project_id", o."timestamp", o."slice", o."negative_signals") IS DISTINCT FROM (n."project_id", n."timestamp", n."slice", n."negative_signals"))
           UPDATE "trace_sampling_key" k
              SET "project_id" = c."project_id", "timestamp" = c."timestamp", "slice_id" = s."id",
                  "negative_mask" = "trace_negative_mask"(c."negative_signals")
             FROM c JOIN "trace_slice" s ON s."project_id" = c."project_id" AND s."slice" = c."slice"
            WHERE k."trace_id" = c."id"';
  GET DIAGNOSTICS written = ROW_COUNT;
  IF written <> changed THEN
    RAISE EXCEPTION 'trace_sampling_key: % keys updated for % changed traces', written, changed;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION "trace_sampling_key_delete"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'DELETE FROM "trace_sampling_key" k USING old_rows o WHERE k."trace_id" = o."id"';
  RETURN NULL;
END $$;

-- TRUNCATE has no transition table: emptying trace empties the keys too.
CREATE FUNCTION "trace_sampling_key_truncate"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE "trace_sampling_key";
  RETURN NULL;
END $$;

CREATE TRIGGER "trace_sampling_key_insert" AFTER INSERT ON "trace"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "trace_sampling_key_insert"();
CREATE TRIGGER "trace_sampling_key_update" AFTER UPDATE ON "trace"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "trace_sampling_key_update"();
CREATE TRIGGER "trace_sampling_key_delete" AFTER DELETE ON "trace"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "trace_sampling_key_delete"();
CREATE TRIGGER "trace_sampling_key_truncate" AFTER TRUNCATE ON "trace"
  FOR EACH STATEMENT EXECUTE FUNCTION "trace_sampling_key_truncate"();

-- Traces stored before this migration.
INSERT INTO "trace_slice" ("project_id", "slice_hash", "slice")
SELECT "project_id", "trace_slice_hash"("slice"), "slice" FROM (SELECT DISTINCT "project_id", "slice" FROM "trace") d;
INSERT INTO "trace_sampling_key" ("trace_id", "project_id", "timestamp", "slice_id", "negative_mask")
SELECT t."id", t."project_id", t."timestamp", s."id", "trace_negative_mask"(t."negative_signals")
  FROM "trace" t JOIN "trace_slice" s ON s."project_id" = t."project_id" AND s."slice" = t."slice";
-- Statistics now, so the first sampling run after the migration gets a parallel scan.
ANALYZE "trace_slice";
ANALYZE "trace_sampling_key";
