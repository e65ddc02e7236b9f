-- Hand-written: row-level security and the application role. Every tenant-owned table is visible
-- only to the tenant named by the transaction-local setting thread_store.tenant_id; FORCE makes
-- the table owner obey too. A connection that never set the tenant sees nothing and can write
-- nothing (the setting is NULL, and NULL = tenant_id is never true).
CREATE OR REPLACE FUNCTION "thread_store"."current_tenant_id"() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('thread_store.tenant_id', true), '')::uuid $$;
--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['threads', 'thread_items', 'thread_checkpoints', 'thread_spawn_edges', 'thread_writers', 'tenant_clocks'] LOOP
    EXECUTE format('ALTER TABLE "thread_store".%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE "thread_store".%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON "thread_store".%I FOR ALL USING (tenant_id = "thread_store"."current_tenant_id"()) WITH CHECK (tenant_id = "thread_store"."current_tenant_id"())',
      t);
  END LOOP;
  -- Policies of a partitioned table do not guard direct access to its partitions: guard each one.
  FOR t IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = '"thread_store"."thread_items"'::regclass LOOP
    EXECUTE format('ALTER TABLE "thread_store".%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE "thread_store".%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON "thread_store".%I FOR ALL USING (tenant_id = "thread_store"."current_tenant_id"()) WITH CHECK (tenant_id = "thread_store"."current_tenant_id"())',
      t);
  END LOOP;
  -- tenants: a tenant sees and writes only its own row (an operator registers a tenant inside
  -- that tenant's transaction).
  ALTER TABLE "thread_store"."tenants" ENABLE ROW LEVEL SECURITY;
  ALTER TABLE "thread_store"."tenants" FORCE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON "thread_store"."tenants" FOR ALL USING (id = "thread_store"."current_tenant_id"()) WITH CHECK (id = "thread_store"."current_tenant_id"());
END $$;
--> statement-breakpoint
-- The application role: not a superuser, owns nothing, cannot bypass RLS. Created only when the
-- migrating user may create roles (the role is cluster-wide, so it may already exist).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'thread_store_app') THEN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
      CREATE ROLE thread_store_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'thread_store_app') THEN
    GRANT USAGE ON SCHEMA "thread_store" TO thread_store_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "thread_store" TO thread_store_app;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "thread_store" TO thread_store_app;
  END IF;
END $$;
