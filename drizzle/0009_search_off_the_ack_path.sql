CREATE TABLE "thread_store"."thread_search" (
	"tenant_id" uuid NOT NULL,
	"thread_id" uuid NOT NULL,
	"first_seq" bigint NOT NULL,
	"last_seq" bigint NOT NULL,
	"body" text NOT NULL,
	"words" text NOT NULL,
	CONSTRAINT "thread_search_pkey" PRIMARY KEY("tenant_id","thread_id","first_seq")
);
--> statement-breakpoint
CREATE TABLE "thread_store"."writer_processes" (
	"owner" text PRIMARY KEY NOT NULL,
	"heartbeat_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "thread_store"."threads" ADD COLUMN "writer_epoch" bigint;--> statement-breakpoint
ALTER TABLE "thread_store"."threads" ADD COLUMN "search_seq" bigint;--> statement-breakpoint
-- Hand-written from here (issue #13): what drizzle-kit cannot express.
--
-- 1. The tenant scope of a transaction may name several tenants. thread_store.tenant_id holds one
--    tenant id, or tenant ids joined by commas — the latter only for the group-commit writer, whose
--    one statement writes the rows of every tenant in its batch (src/store/postgres/appendBatch.ts).
--    Every policy compares tenant_id with the scope's set, read ONCE per statement: the sub-select
--    makes it an InitPlan, so a row costs one comparison against a handful of ids (a plain function
--    call would re-parse the list for every row), and `tenant_id = ANY ($initplan)` is still an
--    index condition, so views and queries that rely on the policy to pick the tenant keep their
--    index scans. No scope, an empty one or a malformed one → NULL or an error: fail closed.
CREATE OR REPLACE FUNCTION "thread_store"."current_tenant_ids"() RETURNS uuid[]
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT string_to_array(nullif(current_setting('thread_store.tenant_id', true), ''), ',')::uuid[] $$;
--> statement-breakpoint
-- The single tenant of a single-tenant scope; NULL for a set (so what compares with it — the
-- tenants row a tenant registers — stays single-tenant).
CREATE OR REPLACE FUNCTION "thread_store"."current_tenant_id"() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN strpos(current_setting('thread_store.tenant_id', true), ',') = 0
                    THEN nullif(current_setting('thread_store.tenant_id', true), '')::uuid END $$;
--> statement-breakpoint
-- 2. Content search off the acknowledgement path: no trigram entry per line any more (it made a
--    stored line ~7x the cost of a bare-table row). Search text is folded behind the ack into
--    thread_search documents (one per fold per thread); lines not folded yet are searched
--    directly, so search never misses a committed line. The trigram index covers a document's word
--    summary — its distinct words (searchWords, src/store/shared/search.ts) — not its text: pg_trgm
--    spends ~100 ns per character it reads, and trigrams are taken word by word, so the summary has
--    every trigram of the text at a fraction of the characters. Searches check the summary through
--    the index (wordPatterns), then the text.
DROP INDEX IF EXISTS "thread_store"."thread_items_search_trgm_idx";
--> statement-breakpoint
ALTER TABLE "thread_store"."thread_items" DROP COLUMN IF EXISTS "search_text";
--> statement-breakpoint
CREATE INDEX "thread_search_words_trgm_idx" ON "thread_store"."thread_search" USING gin ("words" gin_trgm_ops);
--> statement-breakpoint
-- The word summary in SQL, for documents the database folds itself (recovery, import, backfill):
-- the same separators as searchWords (every ASCII character but letters and digits).
CREATE OR REPLACE FUNCTION "thread_store"."search_words"(p_text text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT CASE WHEN count(w) = 0 THEN ' ' ELSE ' ' || string_agg(DISTINCT w, ' ') || ' ' END
      FROM regexp_split_to_table(p_text, '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+') AS w
     WHERE w <> ''
  $$;
--> statement-breakpoint
-- The searchable text of one stored line: the rule of searchTextOf (src/store/shared/preparedItem.ts)
-- in SQL, so the database can fold and search committed lines itself. Visible user/assistant text of
-- `response_item` messages (input_text / output_text parts, contextual fragments excluded), parts
-- joined by a newline; U+0000, U+001E (the record separator of a document) and lone surrogates
-- become U+FFFD. A line kept as raw JSON text (JSONB could not hold it) is read from that text with
-- its \u0000 and lone-surrogate escapes turned into \ufffd first. test/store/searchText.test.ts
-- checks that both spellings of the rule agree.
CREATE OR REPLACE FUNCTION "thread_store"."jsonb_of_raw_line"(p_raw text) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT regexp_replace(p_raw, '(?<!\\)((?:\\\\)*)\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})', '\1\\ufffd', 'g')::jsonb $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "thread_store"."search_text"(p_type text, p_payload jsonb, p_raw_line text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT nullif(replace(string_agg(e.value ->> 'text', E'\n' ORDER BY e.ordinality), E'\x1e', E'\ufffd'), '')
      FROM (SELECT CASE WHEN p_raw_line IS NULL THEN p_payload ELSE "thread_store"."jsonb_of_raw_line"(p_raw_line) -> 'payload' END AS payload) l
     CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(l.payload -> 'content') = 'array' THEN l.payload -> 'content' ELSE '[]'::jsonb END)
           WITH ORDINALITY AS e(value, ordinality)
     WHERE p_type = 'response_item'
       AND jsonb_typeof(l.payload) = 'object' AND l.payload ->> 'type' = 'message' AND l.payload ->> 'role' IN ('user', 'assistant')
       AND jsonb_typeof(e.value) = 'object' AND jsonb_typeof(e.value -> 'text') = 'string'
       AND e.value ->> 'type' IN ('input_text', 'output_text')
       AND (e.value ->> 'text') !~ '^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*<(environment_context|user_instructions|user_shell_command|turn_aborted|token_budget|context_window|permissions instructions|skills_instructions|subagent_notification)\y'
  $$;
--> statement-breakpoint
-- 3. Writer fencing on the row every batch updates anyway (threads.writer_epoch), and a refusal the
--    writer can read: SQLSTATE TS409 with the thread ids in DETAIL (src/store/postgres/appendBatch.ts).
CREATE OR REPLACE FUNCTION "thread_store"."assert_fenced"(p_expected uuid[], p_fenced uuid[]) RETURNS boolean
  LANGUAGE plpgsql
  AS $$
DECLARE
  stale uuid[];
BEGIN
  SELECT array_agg(e) INTO stale FROM unnest(p_expected) AS e WHERE e <> ALL (coalesce(p_fenced, '{}'));
  IF stale IS NOT NULL THEN
    RAISE EXCEPTION 'stale writer for % thread(s)', cardinality(stale)
      USING ERRCODE = 'TS409', DETAIL = array_to_string(stale, ',');
  END IF;
  RETURN true;
END
$$;
--> statement-breakpoint
-- 4. Tenant quotas (src/tenancy/quota.ts), checked by the database inside the writing transaction:
--    tenants without quotas cost one probe of a partial index that holds only quota'd tenants;
--    a quota'd tenant's row is locked (checks of one tenant serialize across processes) and its
--    usage counted. p_already_written: the rows are in (uncommitted) and counted once already.
CREATE INDEX IF NOT EXISTS "tenants_quota_idx" ON "thread_store"."tenants" ("id")
  WHERE "max_threads" IS NOT NULL OR "max_item_bytes" IS NOT NULL;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "thread_store"."enforce_quotas"(p_tenants uuid[], p_threads bigint[], p_bytes bigint[], p_already_written boolean)
  RETURNS boolean
  LANGUAGE plpgsql
  AS $$
DECLARE
  d record;
  q record;
  used_threads bigint;
  used_bytes bigint;
BEGIN
  FOR d IN SELECT x.tenant_id, sum(x.threads) AS threads, sum(x.bytes) AS bytes
             FROM unnest(p_tenants, p_threads, p_bytes) AS x(tenant_id, threads, bytes)
             JOIN "thread_store"."tenants" t ON t.id = x.tenant_id
            WHERE (t.max_threads IS NOT NULL OR t.max_item_bytes IS NOT NULL)
            GROUP BY x.tenant_id ORDER BY x.tenant_id
  LOOP
    SELECT max_threads, max_item_bytes INTO q FROM "thread_store"."tenants" WHERE id = d.tenant_id FOR UPDATE;
    IF NOT ((d.threads > 0 AND q.max_threads IS NOT NULL) OR (d.bytes > 0 AND q.max_item_bytes IS NOT NULL)) THEN
      CONTINUE;
    END IF;
    SELECT count(*), coalesce(sum(byte_size), 0) INTO used_threads, used_bytes
      FROM "thread_store"."threads" WHERE tenant_id = d.tenant_id;
    IF p_already_written THEN
      used_threads := used_threads - d.threads;
      used_bytes := used_bytes - d.bytes;
    END IF;
    IF d.threads > 0 AND q.max_threads IS NOT NULL AND used_threads + d.threads > q.max_threads THEN
      RAISE EXCEPTION 'tenant % has % of its % allowed threads; % more would exceed the quota', d.tenant_id, used_threads, q.max_threads, d.threads
        USING ERRCODE = '53400', DETAIL = 'tenant.maxThreads';
    END IF;
    IF d.bytes > 0 AND q.max_item_bytes IS NOT NULL AND used_bytes + d.bytes > q.max_item_bytes THEN
      RAISE EXCEPTION 'tenant % stores % of its % allowed item bytes; % more would exceed the quota', d.tenant_id, used_bytes, q.max_item_bytes, d.bytes
        USING ERRCODE = '53400', DETAIL = 'tenant.maxItemBytes';
    END IF;
  END LOOP;
  RETURN true;
END
$$;
--> statement-breakpoint
-- 5. One append path (the TypeScript batch of src/store/postgres/appendBatch.ts); 0007's plpgsql twin goes.
DROP FUNCTION IF EXISTS "thread_store"."append_batch"(uuid, uuid[], bigint[], uuid[], bigint[], text[], text[], text[], text[], text[], text[], text[], int[], text[]);
--> statement-breakpoint
-- 6. Policies: every tenant table, every partition of thread_items and the new thread_search compare
--    with the scope's set (see 1). tenants keeps its owner clause (0005) and writes stay single-tenant.
--    FORCE RLS is lifted below for the backfill of this transaction only (as in 0008).
DO $$
DECLARE
  t text;
BEGIN
  ALTER TABLE "thread_store"."thread_search" ENABLE ROW LEVEL SECURITY;
  ALTER TABLE "thread_store"."thread_search" FORCE ROW LEVEL SECURITY;
  FOR t IN SELECT unnest(ARRAY['threads', 'thread_items', 'thread_checkpoints', 'thread_spawn_edges', 'thread_writers', 'tenant_clocks', 'thread_search'])
           UNION ALL
           SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = '"thread_store"."thread_items"'::regclass LOOP
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON "thread_store".%I', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON "thread_store".%I FOR ALL USING (tenant_id = ANY ((SELECT "thread_store"."current_tenant_ids"())::uuid[])) WITH CHECK (tenant_id = ANY ((SELECT "thread_store"."current_tenant_ids"())::uuid[]))',
      t);
  END LOOP;
  DROP POLICY tenant_isolation ON "thread_store"."tenants";
  CREATE POLICY tenant_isolation ON "thread_store"."tenants" FOR ALL
    USING (id = ANY ((SELECT "thread_store"."current_tenant_ids"())::uuid[])
           OR pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = '"thread_store"."tenants"'::regclass), 'MEMBER'))
    WITH CHECK (id = "thread_store"."current_tenant_id"());
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'thread_store_app') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON "thread_store"."thread_search", "thread_store"."writer_processes" TO thread_store_app;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "thread_store" TO thread_store_app;
  END IF;
END $$;
--> statement-breakpoint
-- 7. Backfill: fence epochs of claims held across the upgrade, and search documents for every stored
--    line (500 lines a document), as the fold of src/store/postgres/searchIndex.ts would write them.
ALTER TABLE "thread_store"."threads" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "thread_store"."thread_items" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "thread_store"."thread_writers" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "thread_store"."thread_search" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
UPDATE "thread_store"."threads" t SET writer_epoch = w.epoch
  FROM "thread_store"."thread_writers" w WHERE w.tenant_id = t.tenant_id AND w.thread_id = t.id;--> statement-breakpoint
INSERT INTO "thread_store"."thread_search" (tenant_id, thread_id, first_seq, last_seq, body, words)
SELECT tenant_id, thread_id, min(seq), max(seq), string_agg(body, E'\x1e' ORDER BY seq),
       "thread_store"."search_words"(string_agg(body, E'\x1e' ORDER BY seq))
  FROM (SELECT tenant_id, thread_id, seq, body,
               (row_number() OVER (PARTITION BY tenant_id, thread_id ORDER BY seq) - 1) / 500 AS chunk
          FROM (SELECT tenant_id, thread_id, seq, "thread_store"."search_text"(type, payload, raw_line) AS body
                  FROM "thread_store"."thread_items" WHERE type = 'response_item' AND seq >= 0) x
         WHERE body IS NOT NULL) s
 GROUP BY tenant_id, thread_id, chunk;--> statement-breakpoint
UPDATE "thread_store"."threads" t SET search_seq = m.last_seq
  FROM (SELECT tenant_id, thread_id, max(seq) AS last_seq FROM "thread_store"."thread_items" GROUP BY tenant_id, thread_id) m
 WHERE m.tenant_id = t.tenant_id AND m.thread_id = t.id;--> statement-breakpoint
ALTER TABLE "thread_store"."threads" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "thread_store"."thread_items" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "thread_store"."thread_writers" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "thread_store"."thread_search" FORCE ROW LEVEL SECURITY;
