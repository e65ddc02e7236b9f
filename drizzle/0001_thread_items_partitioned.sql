-- Hand-written: drizzle-kit cannot express PARTITION BY HASH, so thread_items (the canonical,
-- append-only history, one row per rollout line) is created here. 16 hash partitions on thread_id
-- keep each partition's index small and let a thread's rows live together; tenant_id leads the
-- primary key so the table distributes on Citus by tenant. See src/db/schema/items.ts for columns.
CREATE TABLE "thread_store"."thread_items" (
	"tenant_id" uuid NOT NULL,
	"thread_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"type" text NOT NULL,
	"subtype" text,
	"turn_id" text,
	"ts" text NOT NULL,
	"payload" jsonb,
	"extra" jsonb,
	"raw_line" text,
	"byte_size" integer NOT NULL,
	"search_text" text,
	CONSTRAINT "thread_items_pkey" PRIMARY KEY ("tenant_id", "thread_id", "seq"),
	CONSTRAINT "thread_items_payload_present" CHECK ("payload" IS NOT NULL OR "raw_line" IS NOT NULL)
) PARTITION BY HASH ("thread_id");
--> statement-breakpoint
DO $$
BEGIN
  FOR i IN 0..15 LOOP
    EXECUTE format(
      'CREATE TABLE "thread_store"."thread_items_p%s" PARTITION OF "thread_store"."thread_items" FOR VALUES WITH (MODULUS 16, REMAINDER %s)',
      lpad(i::text, 2, '0'), i);
  END LOOP;
END $$;
--> statement-breakpoint
-- Turn projection (listTurns) reads a thread's rows by turn.
CREATE INDEX "thread_items_turn_idx" ON "thread_store"."thread_items" ("tenant_id", "thread_id", "turn_id", "seq");
--> statement-breakpoint
-- Content search over visible user/assistant text: trigram index so substring search (LIKE with
-- escaped metacharacters) does not scan every item.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX "thread_items_search_trgm_idx" ON "thread_store"."thread_items" USING gin ("search_text" gin_trgm_ops) WHERE "search_text" IS NOT NULL;
