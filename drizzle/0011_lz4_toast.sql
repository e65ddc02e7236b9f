-- Hand-written (drizzle-kit does not model column compression): the large values of the two
-- tables that take every appended line — a line's JSON (thread_items.payload / raw_line) and the
-- folded search documents (thread_search.body / words) — are compressed with lz4 instead of pglz
-- when PostgreSQL must compress them (values past ~2 KB, e.g. tool outputs). Measured on this
-- project's machine (PostgreSQL 15): inserting 2,000 17 KB JSON outputs 194 ms with pglz, 38 ms
-- with lz4 (7% larger); a search fold of 10,000 1 KB messages 500 ms → 355 ms. Values already
-- stored keep their compression; reads decompress either.
-- Where it cannot apply it changes nothing: a build without lz4 (e.g. the embedded PGlite) keeps
-- pglz; on a Citus-distributed database (this migration applied after `thread-store distribute`)
-- the tables are left as they are: the change would have to reach every shard, which was not
-- verified with Citus. A database migrated before it is distributed gets lz4 on the coordinator.
DO $$
DECLARE
  distributed boolean := false;
  part regclass;
BEGIN
  IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
    -- Dynamic: the catalog exists only where Citus is installed.
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = to_regclass(''thread_store.thread_items''))' INTO distributed;
  END IF;
  IF distributed THEN
    RAISE NOTICE 'thread_store: distributed tables keep their TOAST compression';
    RETURN;
  END IF;
  -- The partitioned parent (for partitions created later) and each partition: SET COMPRESSION on a
  -- partitioned table does not reach its existing partitions.
  ALTER TABLE "thread_store"."thread_items" ALTER COLUMN "payload" SET COMPRESSION lz4, ALTER COLUMN "raw_line" SET COMPRESSION lz4;
  FOR part IN SELECT inhrelid::regclass FROM pg_catalog.pg_inherits WHERE inhparent = 'thread_store.thread_items'::regclass LOOP
    EXECUTE format('ALTER TABLE %s ALTER COLUMN payload SET COMPRESSION lz4, ALTER COLUMN raw_line SET COMPRESSION lz4', part);
  END LOOP;
  ALTER TABLE "thread_store"."thread_search" ALTER COLUMN "body" SET COMPRESSION lz4, ALTER COLUMN "words" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'thread_store: this PostgreSQL has no lz4: TOAST compression stays pglz (%)', SQLERRM;
END $$;
