-- Hand-written: drizzle-kit has no notion of functions. Allocates updated_at / recency_at values
-- that are unique and strictly increasing per tenant across every process (Codex §3.4
-- allocate_thread_timestamp, done with a row lock on tenant_clocks instead of a process-local
-- atomic): a candidate ahead of the mark is taken as is; one at least 1 s behind the mark is a
-- backfill and passes through unchanged; anything else becomes mark + 1 ms. Runs as the caller,
-- so RLS confines it to the tenant of the transaction.
CREATE OR REPLACE FUNCTION "thread_store"."allocate_timestamp"(p_tenant uuid, p_candidate timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql
AS $$
DECLARE
  cand bigint := floor(extract(epoch FROM p_candidate) * 1000)::bigint;
  mark bigint;
  result bigint;
BEGIN
  INSERT INTO "thread_store"."tenant_clocks" (tenant_id, last_ms) VALUES (p_tenant, cand)
    ON CONFLICT (tenant_id) DO NOTHING;
  IF FOUND THEN
    RETURN to_timestamp(cand / 1000.0);
  END IF;
  SELECT last_ms INTO mark FROM "thread_store"."tenant_clocks" WHERE tenant_id = p_tenant FOR UPDATE;
  IF cand > mark THEN
    result := cand;
  ELSIF cand + 1000 <= mark THEN
    RETURN to_timestamp(cand / 1000.0);
  ELSE
    result := mark + 1;
  END IF;
  UPDATE "thread_store"."tenant_clocks" SET last_ms = result WHERE tenant_id = p_tenant;
  RETURN to_timestamp(result / 1000.0);
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'thread_store_app') THEN
    GRANT EXECUTE ON FUNCTION "thread_store"."allocate_timestamp"(uuid, timestamptz) TO thread_store_app;
  END IF;
END $$;
