CREATE SCHEMA "thread_store";
--> statement-breakpoint
CREATE TABLE "thread_store"."tenant_clocks" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"last_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "thread_store"."tenants" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text,
	"max_threads" bigint,
	"max_item_bytes" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "thread_store"."thread_checkpoints" (
	"tenant_id" uuid NOT NULL,
	"thread_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"window_number" bigint,
	"window_id" uuid,
	"first_window_id" uuid,
	"previous_window_id" uuid,
	"summary_length" integer NOT NULL,
	"replacement_history_size" integer,
	"legacy" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "thread_checkpoints_pkey" PRIMARY KEY("tenant_id","thread_id","seq")
);
--> statement-breakpoint
CREATE TABLE "thread_store"."thread_spawn_edges" (
	"tenant_id" uuid NOT NULL,
	"parent_thread_id" uuid NOT NULL,
	"child_thread_id" uuid NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "thread_spawn_edges_pkey" PRIMARY KEY("tenant_id","child_thread_id")
);
--> statement-breakpoint
CREATE TABLE "thread_store"."thread_writers" (
	"tenant_id" uuid NOT NULL,
	"thread_id" uuid NOT NULL,
	"epoch" bigint NOT NULL,
	"owner" text NOT NULL,
	"heartbeat_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "thread_writers_pkey" PRIMARY KEY("tenant_id","thread_id")
);
--> statement-breakpoint
CREATE TABLE "thread_store"."threads" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"session_id" uuid,
	"forked_from_id" uuid,
	"parent_thread_id" uuid,
	"source" text DEFAULT 'unknown' NOT NULL,
	"thread_source" text,
	"originator" text,
	"model_provider" text DEFAULT '' NOT NULL,
	"model" text,
	"reasoning_effort" text,
	"cwd" text DEFAULT '' NOT NULL,
	"cli_version" text DEFAULT '' NOT NULL,
	"name" text,
	"title" text DEFAULT '' NOT NULL,
	"preview" text DEFAULT '' NOT NULL,
	"first_user_message" text,
	"agent_nickname" text,
	"agent_role" text,
	"agent_path" text,
	"approval_mode" text DEFAULT 'on-request' NOT NULL,
	"memory_mode" text DEFAULT 'enabled' NOT NULL,
	"history_mode" text DEFAULT 'legacy' NOT NULL,
	"git_sha" text,
	"git_branch" text,
	"git_origin_url" text,
	"tokens_used" bigint DEFAULT 0 NOT NULL,
	"token_usage" jsonb,
	"permission_profile" jsonb,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"rollout_path" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"recency_at" timestamp (3) with time zone NOT NULL,
	"archived_at" timestamp (3) with time zone,
	"history_base_thread_id" uuid,
	"history_base_seq" bigint,
	"last_seq" bigint DEFAULT -1 NOT NULL,
	"item_count" bigint DEFAULT 0 NOT NULL,
	"byte_size" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "threads_pkey" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "tenants_name_key" ON "thread_store"."tenants" USING btree ("name");--> statement-breakpoint
CREATE INDEX "thread_spawn_edges_parent_idx" ON "thread_store"."thread_spawn_edges" USING btree ("tenant_id","parent_thread_id","child_thread_id");--> statement-breakpoint
CREATE INDEX "threads_created_idx" ON "thread_store"."threads" USING btree ("tenant_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE archived_at IS NULL AND preview <> '';--> statement-breakpoint
CREATE INDEX "threads_updated_idx" ON "thread_store"."threads" USING btree ("tenant_id","updated_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE archived_at IS NULL AND preview <> '';--> statement-breakpoint
CREATE INDEX "threads_recency_idx" ON "thread_store"."threads" USING btree ("tenant_id","recency_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE archived_at IS NULL AND preview <> '';--> statement-breakpoint
CREATE INDEX "threads_archived_created_idx" ON "thread_store"."threads" USING btree ("tenant_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE archived_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX "threads_archived_updated_idx" ON "thread_store"."threads" USING btree ("tenant_id","updated_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE archived_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX "threads_archived_recency_idx" ON "thread_store"."threads" USING btree ("tenant_id","recency_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE archived_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX "threads_cwd_recency_idx" ON "thread_store"."threads" USING btree ("tenant_id","cwd","recency_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "threads_parent_idx" ON "thread_store"."threads" USING btree ("tenant_id","parent_thread_id");--> statement-breakpoint
CREATE INDEX "threads_forked_from_idx" ON "thread_store"."threads" USING btree ("tenant_id","forked_from_id");