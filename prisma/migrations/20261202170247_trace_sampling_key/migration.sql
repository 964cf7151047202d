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
-- kinds may only be appended, by a migration that replaces this function.
CREATE FUNCTION "trace_negative_mask"(signals TEXT[]) RETURNS INTEGER
LANGUAGE SQL IMMUTABLE PARALLEL SAFE AS $$
  SELECT COALESCE(bit_or(1 << (k.i::INTEGER - 1)), 0)
    FROM unnest(signals) AS s(kind)
    JOIN unnest(ARRAY['thumbs_down', 'low_rating', 'rephrase', 'abandoned', 'escalated', 'regenerated',
                      'long_session', 'high_latency', 'guardrail_flagged']) WITH ORDINALITY AS k(kind, i) ON k.kind = s.kind
$$;

-- The dictionary key of a slice: equal jsonb values print the same text.
CREATE FUNCTION "trace_slice_hash"(slice JSONB) RETURNS UUID
LANGUAGE SQL IMMUTABLE PARALLEL SAFE AS $$ SELECT md5(slice::TEXT)::UUID $$;

CREATE FUNCTION "trace_sampling_key_insert"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  written BIGINT;
BEGIN
  INSERT INTO "trace_slice" ("project_id", "slice_hash", "slice")
  SELECT DISTINCT ON (n."project_id", "trace_slice_hash"(n."slice")) n."project_id", "trace_slice_hash"(n."slice"), n."slice" FROM new_rows n
  ON CONFLICT ("project_id", "slice_hash") DO NOTHING;
  INSERT INTO "trace_sampling_key" ("trace_id", "project_id", "timestamp", "slice_id", "negative_mask")
  SELECT n."id", n."project_id", n."timestamp", s."id", "trace_negative_mask"(n."negative_signals")
    FROM new_rows n JOIN "trace_slice" s ON s."project_id" = n."project_id" AND s."slice_hash" = "trace_slice_hash"(n."slice");
  -- A trace without its key would silently never be sampled: refuse the write instead.
  GET DIAGNOSTICS written = ROW_COUNT;
  IF written <> (SELECT count(*) FROM new_rows) THEN
    RAISE EXCEPTION 'trace_sampling_key: % keys written for % new traces', written, (SELECT count(*) FROM new_rows);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION "trace_sampling_key_update"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  changed BIGINT;
  written BIGINT;
BEGIN
  -- Only rows whose sampling fields changed (most updates touch other columns). Two
  -- statements: the second must see slices a concurrent upload has just added.
  INSERT INTO "trace_slice" ("project_id", "slice_hash", "slice")
  SELECT DISTINCT ON (n."project_id", "trace_slice_hash"(n."slice")) n."project_id", "trace_slice_hash"(n."slice"), n."slice"
    FROM new_rows n JOIN old_rows o ON o."id" = n."id"
   WHERE (o."project_id", o."slice") IS DISTINCT FROM (n."project_id", n."slice")
  ON CONFLICT ("project_id", "slice_hash") DO NOTHING;
  WITH c AS (
    SELECT n.* FROM new_rows n JOIN old_rows o ON o."id" = n."id"
     WHERE (o."project_id", o."timestamp", o."slice", o."negative_signals") IS DISTINCT FROM (n."project_id", n."timestamp", n."slice", n."negative_signals"))
  UPDATE "trace_sampling_key" k
     SET "project_id" = c."project_id", "timestamp" = c."timestamp", "slice_id" = s."id",
         "negative_mask" = "trace_negative_mask"(c."negative_signals")
    FROM c JOIN "trace_slice" s ON s."project_id" = c."project_id" AND s."slice_hash" = "trace_slice_hash"(c."slice")
   WHERE k."trace_id" = c."id";
  GET DIAGNOSTICS written = ROW_COUNT;
  SELECT count(*) INTO changed FROM new_rows n JOIN old_rows o ON o."id" = n."id"
   WHERE (o."project_id", o."timestamp", o."slice", o."negative_signals") IS DISTINCT FROM (n."project_id", n."timestamp", n."slice", n."negative_signals");
  IF written <> changed THEN
    RAISE EXCEPTION 'trace_sampling_key: % keys updated for % changed traces', written, changed;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION "trace_sampling_key_delete"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "trace_sampling_key" k USING old_rows o WHERE k."trace_id" = o."id";
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
SELECT DISTINCT ON ("project_id", "trace_slice_hash"("slice")) "project_id", "trace_slice_hash"("slice"), "slice" FROM "trace";
INSERT INTO "trace_sampling_key" ("trace_id", "project_id", "timestamp", "slice_id", "negative_mask")
SELECT t."id", t."project_id", t."timestamp", s."id", "trace_negative_mask"(t."negative_signals")
  FROM "trace" t JOIN "trace_slice" s ON s."project_id" = t."project_id" AND s."slice_hash" = "trace_slice_hash"(t."slice");
-- Statistics now, so the first sampling run after the migration gets a parallel scan.
ANALYZE "trace_slice";
ANALYZE "trace_sampling_key";
