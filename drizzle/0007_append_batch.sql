-- Hand-written: a function drizzle-kit cannot express (issue #5). The common group-commit batch of
-- one tenant — items of already materialized threads, no compaction checkpoints, no metadata
-- patches — in ONE round trip instead of three: set the tenant for the calling transaction (RLS
-- still applies: the function runs as the caller), return the transaction id (so the writer can
-- ask pg_xact_status about an unknown COMMIT outcome), fence stale writers (thread_writers epoch +
-- heartbeat), insert every item row with one unnest insert and bump each thread's bookkeeping.
-- It never commits nor raises for a stale writer: it reports, and the caller rolls back.
--   quota = true  — the tenant has an item-bytes quota: nothing was written (not even the fence);
--                   the caller continues in the same transaction with the general path, which
--                   checks the quota under the tenants row lock (src/tenancy/quota.ts).
--   stale         — the threads whose claim is gone: nothing was inserted; the caller rolls back.
-- The general path (src/store/postgres/appendBatch.ts) stays the reference for every other batch.
CREATE OR REPLACE FUNCTION "thread_store"."append_batch"(
  p_tenant uuid,
  p_threads uuid[],
  p_epochs bigint[],
  p_item_threads uuid[],
  p_seqs bigint[],
  p_types text[],
  p_subtypes text[],
  p_turn_ids text[],
  p_tss text[],
  p_payloads text[],
  p_extras text[],
  p_raws text[],
  p_sizes int[],
  p_searches text[],
  OUT txid text,
  OUT quota boolean,
  OUT stale uuid[]
)
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM set_config('thread_store.tenant_id', p_tenant::text, true);
  txid := pg_current_xact_id()::text;
  quota := false;
  -- Same question as enforceTenantQuota's first (unlocked) read: no new threads here, so only an
  -- item-bytes quota matters, and only when the batch has items.
  IF cardinality(p_item_threads) > 0 AND EXISTS (
       SELECT 1 FROM "thread_store"."tenants" q WHERE q.id = p_tenant AND q.max_item_bytes IS NOT NULL) THEN
    quota := true;
    RETURN;
  END IF;
  WITH fence AS (
    UPDATE "thread_store"."thread_writers" w SET heartbeat_at = now()
      FROM unnest(p_threads, p_epochs) AS c(thread_id, epoch)
     WHERE w.tenant_id = p_tenant AND w.thread_id = c.thread_id AND w.epoch = c.epoch
    RETURNING w.thread_id
  )
  SELECT array_agg(c.thread_id) INTO stale
    FROM unnest(p_threads) AS c(thread_id)
   WHERE c.thread_id NOT IN (SELECT f.thread_id FROM fence f);
  IF stale IS NOT NULL THEN
    RETURN;
  END IF;
  WITH ins AS (
    INSERT INTO "thread_store"."thread_items"
      (tenant_id, thread_id, seq, type, subtype, turn_id, ts, payload, extra, raw_line, byte_size, search_text)
    SELECT p_tenant, r.thread_id, r.seq, r.type, r.subtype, r.turn_id, r.ts, r.payload::jsonb, r.extra::jsonb, r.raw_line, r.byte_size, r.search_text
      FROM unnest(p_item_threads, p_seqs, p_types, p_subtypes, p_turn_ids, p_tss, p_payloads, p_extras, p_raws, p_sizes, p_searches)
        AS r(thread_id, seq, type, subtype, turn_id, ts, payload, extra, raw_line, byte_size, search_text)
    RETURNING thread_id, seq, byte_size
  ), agg AS (
    SELECT i.thread_id, max(i.seq) AS last_seq, count(*) AS n, sum(i.byte_size) AS bytes FROM ins i GROUP BY i.thread_id
  )
  UPDATE "thread_store"."threads" t
     SET last_seq = agg.last_seq, item_count = t.item_count + agg.n, byte_size = t.byte_size + agg.bytes
    FROM agg WHERE t.tenant_id = p_tenant AND t.id = agg.thread_id;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'thread_store_app') THEN
    GRANT EXECUTE ON FUNCTION "thread_store"."append_batch"(uuid, uuid[], bigint[], uuid[], bigint[], text[], text[], text[], text[], text[], text[], text[], int[], text[]) TO thread_store_app;
  END IF;
END $$;
