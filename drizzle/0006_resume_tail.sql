-- Hand-written: a function drizzle-kit cannot express. Resume in ONE round trip: set the tenant
-- for this statement's transaction (RLS still applies: the function runs as the caller), find the
-- newest checkpoint that carries a replacement history, and return the thread's lines from the
-- start of that checkpoint's turn (all lines when there is no checkpoint), with the number of
-- compactions before them. Forks, and rollbacks or settings that reach further back, are left to
-- the general path in src/store/postgres/reconstructHistory.ts, which this only short-cuts.
CREATE OR REPLACE FUNCTION "thread_store"."resume_tail"(p_tenant uuid, p_thread uuid)
RETURNS TABLE (
  state text,
  archived boolean,
  checkpoint_seq bigint,
  start_seq bigint,
  compacted_before bigint,
  seq bigint,
  turn_id text,
  ts text,
  type text,
  payload jsonb,
  extra jsonb,
  raw_line text
)
LANGUAGE plpgsql
AS $$
DECLARE
  t record;
  cp bigint;
  st bigint;
  n bigint;
BEGIN
  PERFORM set_config('thread_store.tenant_id', p_tenant::text, true);
  SELECT th.history_base_thread_id IS NOT NULL AS fork, th.archived_at IS NOT NULL AS arch INTO t
    FROM "thread_store"."threads" th WHERE th.tenant_id = p_tenant AND th.id = p_thread;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'missing'::text, false, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::jsonb, NULL::jsonb, NULL::text;
    RETURN;
  END IF;
  IF t.fork THEN
    RETURN QUERY SELECT 'fork'::text, t.arch, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::jsonb, NULL::jsonb, NULL::text;
    RETURN;
  END IF;
  SELECT max(c.seq) INTO cp FROM "thread_store"."thread_checkpoints" c
   WHERE c.tenant_id = p_tenant AND c.thread_id = p_thread AND c.replacement_history_size IS NOT NULL;
  st := coalesce(cp, 0);
  IF cp IS NOT NULL THEN
    SELECT min(i.seq) INTO st FROM "thread_store"."thread_items" i
     WHERE i.tenant_id = p_tenant AND i.thread_id = p_thread
       AND i.turn_id = (SELECT k.turn_id FROM "thread_store"."thread_items" k WHERE k.tenant_id = p_tenant AND k.thread_id = p_thread AND k.seq = cp);
    st := least(coalesce(st, cp), cp);
  END IF;
  SELECT count(*) INTO n FROM "thread_store"."thread_checkpoints" c
   WHERE c.tenant_id = p_tenant AND c.thread_id = p_thread AND c.seq < st;
  RETURN QUERY
    SELECT 'ok'::text, t.arch, cp, st, n, i.seq, i.turn_id, i.ts, i.type, i.payload, i.extra, i.raw_line
      FROM "thread_store"."thread_items" i
     WHERE i.tenant_id = p_tenant AND i.thread_id = p_thread AND i.seq >= st
     ORDER BY i.seq;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'thread_store_app') THEN
    GRANT EXECUTE ON FUNCTION "thread_store"."resume_tail"(uuid, uuid) TO thread_store_app;
  END IF;
END $$;
