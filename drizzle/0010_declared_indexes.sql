-- Generated (drizzle-kit), made idempotent by hand: the indexes that 0004 (analytics) and 0009
-- (search documents, quota probe) created in hand-written SQL are now declared in the drizzle schema
-- (src/db/schema/threads.ts), so drizzle-kit's snapshot knows them and `drizzle-kit generate` stays
-- empty. Every database migrated through 0009 has them already: IF NOT EXISTS makes this a no-op.
CREATE INDEX IF NOT EXISTS "tenants_quota_idx" ON "thread_store"."tenants" USING btree ("id") WHERE max_threads IS NOT NULL OR max_item_bytes IS NOT NULL;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "thread_checkpoints_tenant_created_idx" ON "thread_store"."thread_checkpoints" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "thread_search_words_trgm_idx" ON "thread_store"."thread_search" USING gin ("words" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "threads_tenant_created_all_idx" ON "thread_store"."threads" USING btree ("tenant_id","created_at");
