-- Hand-written (issue #9): analytics views and the indexes behind them. drizzle-kit cannot express
-- views WITH (security_invoker), partial/expression indexes on a partitioned table, or SQL
-- functions. Documented with example queries in docs/ANALYTICS.md; typed wrappers in src/analytics.
--
-- Every view is security_invoker (PostgreSQL >= 15): it runs with the privileges and row-level
-- security of the role that queries it, so the application role sees only the tenant named by
-- thread_store.tenant_id, and a superuser (or a BYPASSRLS analyst role) sees every tenant.
-- Days are UTC. "Activity" measures (turns, tokens) count every stored line, including lines a
-- revert cut off (the work happened); "inventory" measures (items, bytes) count only the current
-- history (seq >= 0), like `thread-store stats`.

-- The UTC day of a rollout line's timestamp text, or NULL when the text is not an RFC 3339 instant
-- with an explicit offset (a malformed timestamp must never make a whole report fail). IMMUTABLE
-- is true here: the result depends on the text alone (the offset is required, so neither TimeZone
-- nor DateStyle matters), which lets it appear in index expressions. Written as one expression so
-- the planner inlines it.
CREATE OR REPLACE FUNCTION "thread_store"."rollout_day"(ts text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN ts !~ '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$' THEN NULL
    WHEN substr(ts, 9, 2)::int > 28
     AND extract(month FROM make_date(substr(ts, 1, 4)::int, substr(ts, 6, 2)::int, 1) + (substr(ts, 9, 2)::int - 1)) <> substr(ts, 6, 2)::int THEN NULL
    WHEN right(ts, 1) IN ('Z', 'z') THEN make_date(substr(ts, 1, 4)::int, substr(ts, 6, 2)::int, substr(ts, 9, 2)::int)
    ELSE (make_timestamp(substr(ts, 1, 4)::int, substr(ts, 6, 2)::int, substr(ts, 9, 2)::int, substr(ts, 12, 2)::int, substr(ts, 15, 2)::int, 0)
          - (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END)
            * make_interval(hours => substr(ts, length(ts) - 4, 2)::int, mins => substr(ts, length(ts) - 1, 2)::int))::date
  END
$$;
--> statement-breakpoint
-- The kind of a stored session source: `threads.source` holds a plain source (`cli`, `vscode`,
-- `exec`, ...) as is and an object source as canonical JSON with sorted keys
-- (`{"subagent":{...}}`); the kind is the plain value or the object's first key.
CREATE OR REPLACE FUNCTION "thread_store"."source_kind"(source text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN left(source, 2) = '{"' THEN substring(source FROM '^\{"((?:[^"\\]|\\.)*)"') ELSE source END
$$;
--> statement-breakpoint
-- A JSON number as bigint (truncated), NULL for anything else (a report never fails on odd input).
CREATE OR REPLACE FUNCTION "thread_store"."jsonb_bigint"(value jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN jsonb_typeof(value) = 'number' AND abs(value::numeric) < 9e18 THEN trunc(value::numeric)::bigint END
$$;
--> statement-breakpoint
-- Indexes. Every view is read per tenant (RLS adds tenant_id = current tenant), so each index
-- leads with tenant_id. None contains a column that appends change (last_seq, item_count,
-- byte_size), so the per-batch bookkeeping update of threads stays a HOT update; the two
-- thread_items indexes are partial and cover only turn starts and token counts (a few lines per
-- turn), so appends of other lines do not touch them.
CREATE INDEX IF NOT EXISTS "threads_tenant_created_all_idx" ON "thread_store"."threads" ("tenant_id", "created_at");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "thread_items_turn_start_day_idx" ON "thread_store"."thread_items"
  ("tenant_id", "thread_store"."rollout_day"("ts"), "thread_id")
  WHERE "type" = 'event_msg' AND "subtype" IN ('task_started', 'turn_started');
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "thread_items_token_count_idx" ON "thread_store"."thread_items" ("tenant_id", "thread_id", "seq")
  WHERE "type" = 'event_msg' AND "subtype" = 'token_count';
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "thread_checkpoints_tenant_created_idx" ON "thread_store"."thread_checkpoints" ("tenant_id", "created_at");
--> statement-breakpoint
-- 1. One row per tenant: the numbers a dashboard's header shows.
CREATE OR REPLACE VIEW "thread_store"."analytics_tenant_overview" WITH (security_invoker = true) AS
SELECT t.tenant_id,
       t.threads,
       t.archived_threads,
       t.forks,
       t.subagents,
       t.items,
       t.bytes,
       t.tokens_used,
       coalesce(c.compactions, 0)::bigint AS compactions,
       t.first_created_at,
       t.last_updated_at
  FROM (SELECT tenant_id,
               count(*) AS threads,
               count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived_threads,
               count(*) FILTER (WHERE forked_from_id IS NOT NULL) AS forks,
               count(*) FILTER (WHERE parent_thread_id IS NOT NULL) AS subagents,
               sum(item_count)::bigint AS items,
               sum(byte_size)::bigint AS bytes,
               sum(tokens_used)::bigint AS tokens_used,
               min(created_at) AS first_created_at,
               max(updated_at) AS last_updated_at
          FROM "thread_store"."threads"
         GROUP BY tenant_id) t
  LEFT JOIN (SELECT tenant_id, count(*) AS compactions FROM "thread_store"."thread_checkpoints" GROUP BY tenant_id) c
    ON c.tenant_id = t.tenant_id;
--> statement-breakpoint
-- 2. Threads created per tenant per UTC day, with forks, sub-agents and archived among them.
-- tokens_used is Codex's per-thread figure (a fork's includes its inherited history's tokens).
CREATE OR REPLACE VIEW "thread_store"."analytics_daily_threads" WITH (security_invoker = true) AS
SELECT tenant_id,
       (created_at AT TIME ZONE 'UTC')::date AS day,
       count(*) AS threads,
       count(*) FILTER (WHERE forked_from_id IS NULL AND parent_thread_id IS NULL) AS root_threads,
       count(*) FILTER (WHERE forked_from_id IS NOT NULL) AS forks,
       count(*) FILTER (WHERE parent_thread_id IS NOT NULL) AS subagents,
       count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived,
       sum(tokens_used)::bigint AS tokens_used
  FROM "thread_store"."threads"
 GROUP BY tenant_id, (created_at AT TIME ZONE 'UTC')::date;
--> statement-breakpoint
-- 3. Active threads per tenant per UTC day: threads that started at least one turn that day
-- (task_started / turn_started), and the number of turns started. Served by
-- thread_items_turn_start_day_idx.
CREATE OR REPLACE VIEW "thread_store"."analytics_daily_active_threads" WITH (security_invoker = true) AS
SELECT tenant_id,
       "thread_store"."rollout_day"(ts) AS day,
       count(DISTINCT thread_id) AS active_threads,
       count(*) AS turns_started
  FROM "thread_store"."thread_items"
 WHERE type = 'event_msg' AND subtype IN ('task_started', 'turn_started')
 GROUP BY tenant_id, "thread_store"."rollout_day"(ts);
--> statement-breakpoint
-- 4. Items written per tenant per UTC day (current history only): lines, bytes, threads written
-- to, messages (response_item/message) and tool calls. Reads every item row of the tenant.
CREATE OR REPLACE VIEW "thread_store"."analytics_daily_items" WITH (security_invoker = true) AS
SELECT tenant_id,
       "thread_store"."rollout_day"(ts) AS day,
       count(*) AS items,
       sum(byte_size)::bigint AS bytes,
       count(DISTINCT thread_id) AS threads,
       count(*) FILTER (WHERE type = 'response_item' AND subtype = 'message') AS messages,
       count(*) FILTER (WHERE type = 'response_item' AND subtype IN ('function_call', 'custom_tool_call', 'local_shell_call', 'web_search_call', 'tool_search_call')) AS tool_calls
  FROM "thread_store"."thread_items"
 WHERE seq >= 0
 GROUP BY tenant_id, "thread_store"."rollout_day"(ts);
--> statement-breakpoint
-- 5. Tokens per tenant per UTC day, from event_msg/token_count lines. Codex repeats a token_count
-- when only rate limits change and reports cumulative totals, so a line counts the increase of
-- the cumulative total over the thread's previous line; the first line of a thread (and a line
-- whose total went down) counts its last_token_usage. A fork's tokens are its own, not those of
-- the history it inherits. Served by thread_items_token_count_idx.
CREATE OR REPLACE VIEW "thread_store"."analytics_daily_tokens" WITH (security_invoker = true) AS
WITH usage AS (
  SELECT tenant_id, thread_id, seq, ts,
         "thread_store"."jsonb_bigint"(payload #> '{info,total_token_usage,input_tokens}') AS total_input,
         "thread_store"."jsonb_bigint"(payload #> '{info,total_token_usage,cached_input_tokens}') AS total_cached,
         "thread_store"."jsonb_bigint"(payload #> '{info,total_token_usage,output_tokens}') AS total_output,
         "thread_store"."jsonb_bigint"(payload #> '{info,total_token_usage,reasoning_output_tokens}') AS total_reasoning,
         "thread_store"."jsonb_bigint"(payload #> '{info,total_token_usage,total_tokens}') AS total_total,
         "thread_store"."jsonb_bigint"(payload #> '{info,last_token_usage,input_tokens}') AS last_input,
         "thread_store"."jsonb_bigint"(payload #> '{info,last_token_usage,cached_input_tokens}') AS last_cached,
         "thread_store"."jsonb_bigint"(payload #> '{info,last_token_usage,output_tokens}') AS last_output,
         "thread_store"."jsonb_bigint"(payload #> '{info,last_token_usage,reasoning_output_tokens}') AS last_reasoning,
         "thread_store"."jsonb_bigint"(payload #> '{info,last_token_usage,total_tokens}') AS last_total
    FROM "thread_store"."thread_items"
   WHERE type = 'event_msg' AND subtype = 'token_count' AND jsonb_typeof(payload #> '{info,total_token_usage}') = 'object'
), steps AS (
  SELECT u.*,
         lag(total_total) OVER w AS prev_total,
         lag(total_input) OVER w AS prev_input,
         lag(total_cached) OVER w AS prev_cached,
         lag(total_output) OVER w AS prev_output,
         lag(total_reasoning) OVER w AS prev_reasoning
    FROM usage u
  WINDOW w AS (PARTITION BY tenant_id, thread_id ORDER BY seq)
), deltas AS (
  SELECT tenant_id, thread_id, ts,
         (prev_total IS NULL OR total_total IS NULL OR total_total < prev_total) AS restart,
         total_input - prev_input AS d_input, total_cached - prev_cached AS d_cached,
         total_output - prev_output AS d_output, total_reasoning - prev_reasoning AS d_reasoning,
         total_total - prev_total AS d_total,
         last_input, last_cached, last_output, last_reasoning, last_total
    FROM steps
)
SELECT tenant_id,
       "thread_store"."rollout_day"(ts) AS day,
       count(DISTINCT thread_id) AS threads,
       coalesce(sum(CASE WHEN restart THEN last_input ELSE greatest(d_input, 0) END), 0)::bigint AS input_tokens,
       coalesce(sum(CASE WHEN restart THEN last_cached ELSE greatest(d_cached, 0) END), 0)::bigint AS cached_input_tokens,
       coalesce(sum(CASE WHEN restart THEN last_output ELSE greatest(d_output, 0) END), 0)::bigint AS output_tokens,
       coalesce(sum(CASE WHEN restart THEN last_reasoning ELSE greatest(d_reasoning, 0) END), 0)::bigint AS reasoning_output_tokens,
       coalesce(sum(CASE WHEN restart THEN last_total ELSE d_total END), 0)::bigint AS total_tokens
  FROM deltas
 GROUP BY tenant_id, "thread_store"."rollout_day"(ts);
--> statement-breakpoint
-- 6. Threads by model and provider, per UTC creation day (sum over days for totals). `model` is
-- the thread's latest model (NULL until a turn reported one).
CREATE OR REPLACE VIEW "thread_store"."analytics_threads_by_model" WITH (security_invoker = true) AS
SELECT tenant_id,
       (created_at AT TIME ZONE 'UTC')::date AS day,
       model_provider,
       model,
       count(*) AS threads,
       count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived,
       sum(item_count)::bigint AS items,
       sum(tokens_used)::bigint AS tokens_used
  FROM "thread_store"."threads"
 GROUP BY tenant_id, (created_at AT TIME ZONE 'UTC')::date, model_provider, model;
--> statement-breakpoint
-- 7. Threads by session source kind (cli, vscode, exec, subagent, ...), thread source and
-- originator, per UTC creation day.
CREATE OR REPLACE VIEW "thread_store"."analytics_threads_by_source" WITH (security_invoker = true) AS
SELECT tenant_id,
       (created_at AT TIME ZONE 'UTC')::date AS day,
       "thread_store"."source_kind"(source) AS source,
       thread_source,
       originator,
       count(*) AS threads,
       count(*) FILTER (WHERE forked_from_id IS NOT NULL) AS forks,
       count(*) FILTER (WHERE parent_thread_id IS NOT NULL) AS subagents,
       sum(item_count)::bigint AS items,
       sum(tokens_used)::bigint AS tokens_used
  FROM "thread_store"."threads"
 GROUP BY tenant_id, (created_at AT TIME ZONE 'UTC')::date, "thread_store"."source_kind"(source), thread_source, originator;
--> statement-breakpoint
-- 8. Per thread: where it came from (fork of / sub-agent of) and how many direct forks and
-- sub-agents it has. Served by threads_forked_from_idx and thread_spawn_edges_parent_idx.
CREATE OR REPLACE VIEW "thread_store"."analytics_thread_lineage" WITH (security_invoker = true) AS
SELECT t.tenant_id,
       t.id AS thread_id,
       t.forked_from_id,
       t.parent_thread_id,
       t.agent_nickname,
       t.agent_role,
       coalesce(f.forks, 0)::bigint AS forks,
       coalesce(s.subagents, 0)::bigint AS subagents,
       coalesce(s.open_subagents, 0)::bigint AS open_subagents
  FROM "thread_store"."threads" t
  LEFT JOIN (SELECT tenant_id, forked_from_id, count(*) AS forks
               FROM "thread_store"."threads" WHERE forked_from_id IS NOT NULL
              GROUP BY tenant_id, forked_from_id) f
    ON f.tenant_id = t.tenant_id AND f.forked_from_id = t.id
  LEFT JOIN (SELECT tenant_id, parent_thread_id, count(*) AS subagents, count(*) FILTER (WHERE status = 'open') AS open_subagents
               FROM "thread_store"."thread_spawn_edges"
              GROUP BY tenant_id, parent_thread_id) s
    ON s.tenant_id = t.tenant_id AND s.parent_thread_id = t.id;
--> statement-breakpoint
-- 9. Per thread: compactions and context windows. A thread starts in window 0; each compaction
-- checkpoint opens the next window. current_window_number is the newest checkpoint's number (0
-- without compactions, NULL when the newest is a legacy record without window ids).
CREATE OR REPLACE VIEW "thread_store"."analytics_thread_windows" WITH (security_invoker = true) AS
SELECT t.tenant_id,
       t.id AS thread_id,
       coalesce(c.compactions, 0)::bigint AS compactions,
       coalesce(c.legacy_compactions, 0)::bigint AS legacy_compactions,
       CASE WHEN c.compactions IS NULL THEN 0 ELSE c.current_window_number END AS current_window_number,
       c.current_window_id,
       c.first_window_id,
       c.first_compacted_at,
       c.last_compacted_at
  FROM "thread_store"."threads" t
  LEFT JOIN (SELECT tenant_id, thread_id,
                    count(*) AS compactions,
                    count(*) FILTER (WHERE legacy) AS legacy_compactions,
                    (array_agg(window_number ORDER BY seq DESC))[1] AS current_window_number,
                    (array_agg(window_id ORDER BY seq DESC))[1] AS current_window_id,
                    (array_agg(first_window_id ORDER BY seq) FILTER (WHERE first_window_id IS NOT NULL))[1] AS first_window_id,
                    min(created_at) AS first_compacted_at,
                    max(created_at) AS last_compacted_at
               FROM "thread_store"."thread_checkpoints"
              GROUP BY tenant_id, thread_id) c
    ON c.tenant_id = t.tenant_id AND c.thread_id = t.id;
--> statement-breakpoint
-- 10. Compactions per tenant per UTC day. Served by thread_checkpoints_tenant_created_idx.
CREATE OR REPLACE VIEW "thread_store"."analytics_daily_compactions" WITH (security_invoker = true) AS
SELECT tenant_id,
       (created_at AT TIME ZONE 'UTC')::date AS day,
       count(*) AS compactions,
       count(DISTINCT thread_id) AS threads,
       count(*) FILTER (WHERE legacy) AS legacy_compactions,
       max(window_number) AS max_window_number,
       round(avg(summary_length))::bigint AS avg_summary_length
  FROM "thread_store"."thread_checkpoints"
 GROUP BY tenant_id, (created_at AT TIME ZONE 'UTC')::date;
--> statement-breakpoint
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'thread_store_app') THEN
    GRANT SELECT ON
      "thread_store"."analytics_tenant_overview",
      "thread_store"."analytics_daily_threads",
      "thread_store"."analytics_daily_active_threads",
      "thread_store"."analytics_daily_items",
      "thread_store"."analytics_daily_tokens",
      "thread_store"."analytics_threads_by_model",
      "thread_store"."analytics_threads_by_source",
      "thread_store"."analytics_thread_lineage",
      "thread_store"."analytics_thread_windows",
      "thread_store"."analytics_daily_compactions"
    TO thread_store_app;
    GRANT EXECUTE ON FUNCTION "thread_store"."rollout_day"(text), "thread_store"."source_kind"(text), "thread_store"."jsonb_bigint"(jsonb) TO thread_store_app;
  END IF;
END $$;
