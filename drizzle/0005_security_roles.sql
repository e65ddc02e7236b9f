-- Hand-written (issue #8): what a non-owner application role needs beyond 0002, and how an
-- operator lists tenants although every table forces row-level security.
--
-- 1. The application role may read the migration ledger, so a store opened as that role can tell
--    "schema is current" from "schema is behind" (and refuse to start with a clear message)
--    without being able to change anything.
-- 2. Tables and functions that later migrations create get the application role's grants by
--    default (RLS must still be enabled on them by hand; the security tests check every table).
-- 3. tenants: members of the role that owns the table (the owner/operator role) may read every
--    row, so `thread-store tenants list` and name lookups work without BYPASSRLS. The row only
--    holds a tenant's name and quotas, never conversation data; writing a row still needs the
--    tenant's own transaction (WITH CHECK). The application role owns nothing and is not a member
--    of the owner role, so it still sees only the tenant of its transaction. (The owner could
--    switch RLS off on its own tables anyway; for it the policies guard against mistakes.) Kept as
--    ONE policy per table, replacing 0002's, so "one tenant policy per table" stays checkable.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'thread_store_app') THEN
    GRANT USAGE ON SCHEMA "thread_store_meta" TO thread_store_app;
    GRANT SELECT ON "thread_store_meta"."migrations" TO thread_store_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA "thread_store" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO thread_store_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA "thread_store" GRANT EXECUTE ON FUNCTIONS TO thread_store_app;
  END IF;
END $$;
--> statement-breakpoint
DROP POLICY tenant_isolation ON "thread_store"."tenants";
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "thread_store"."tenants" FOR ALL
  USING (id = "thread_store"."current_tenant_id"()
         OR pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = '"thread_store"."tenants"'::regclass), 'MEMBER'))
  WITH CHECK (id = "thread_store"."current_tenant_id"());
