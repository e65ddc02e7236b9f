// Owns the drizzle definition of the metadata tables: threads, checkpoints, spawn edges, writer
// claims, search documents, writer processes, per-tenant clocks and tenants — every column, primary
// key and index (drizzle-kit generates their migrations; test/db/schemaDrift.test.ts fails when this
// file and drizzle/ disagree). `tenant_id` leads every primary key so the schema distributes on
// Citus by tenant unchanged. RLS, roles, functions and views are in the hand-written migrations.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const threadStoreSchema = pgSchema('thread_store');

const ts = <N extends string>(name: N) => timestamp(name, { withTimezone: true, precision: 3 });

export const threads = threadStoreSchema.table(
  'threads',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    sessionId: uuid('session_id'),
    forkedFromId: uuid('forked_from_id'),
    parentThreadId: uuid('parent_thread_id'),
    source: text('source').notNull().default('unknown'),
    threadSource: text('thread_source'),
    originator: text('originator'),
    modelProvider: text('model_provider').notNull().default(''),
    model: text('model'),
    reasoningEffort: text('reasoning_effort'),
    cwd: text('cwd').notNull().default(''),
    cliVersion: text('cli_version').notNull().default(''),
    name: text('name'),
    title: text('title').notNull().default(''),
    preview: text('preview').notNull().default(''),
    firstUserMessage: text('first_user_message'),
    agentNickname: text('agent_nickname'),
    agentRole: text('agent_role'),
    agentPath: text('agent_path'),
    approvalMode: text('approval_mode').notNull().default('on-request'),
    memoryMode: text('memory_mode').notNull().default('enabled'),
    historyMode: text('history_mode').notNull().default('legacy'),
    gitSha: text('git_sha'),
    gitBranch: text('git_branch'),
    gitOriginUrl: text('git_origin_url'),
    tokensUsed: bigint('tokens_used', { mode: 'number' }).notNull().default(0),
    tokenUsage: jsonb('token_usage'),
    permissionProfile: jsonb('permission_profile'),
    extra: jsonb('extra').notNull().default(sql`'{}'::jsonb`),
    rolloutPath: text('rollout_path'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    recencyAt: ts('recency_at').notNull(),
    archivedAt: ts('archived_at'),
    // Copy-free forks: items of history_base_thread_id with seq <= history_base_seq are inherited.
    historyBaseThreadId: uuid('history_base_thread_id'),
    historyBaseSeq: bigint('history_base_seq', { mode: 'number' }),
    // Writer bookkeeping, maintained in the same transaction as the item rows.
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(-1),
    itemCount: bigint('item_count', { mode: 'number' }).notNull().default(0),
    byteSize: bigint('byte_size', { mode: 'number' }).notNull().default(0),
    // O(tail) resume (src/store/postgres/resumePoint.ts), kept in the transaction that writes a
    // checkpoint: the newest checkpoint carrying a replacement history, the seq where reading must
    // start for it (its turn's first line; 0 without one), and the compactions before that start.
    resumeCheckpointSeq: bigint('resume_checkpoint_seq', { mode: 'number' }),
    resumeSeq: bigint('resume_seq', { mode: 'number' }).notNull().default(0),
    compactionsBeforeResume: integer('compactions_before_resume').notNull().default(0),
    // The epoch of the writer claim that may append (thread_writers.epoch, copied when a claim is
    // taken): every batch's bookkeeping UPDATE requires it, so a taken-over writer is fenced by the
    // row it must update anyway (src/store/postgres/appendBatch.ts).
    writerEpoch: bigint('writer_epoch', { mode: 'number' }),
    // Content search (src/store/postgres/searchIndex.ts): lines up to search_seq are folded into
    // thread_search documents; later lines are searched directly. NULL: nothing folded yet.
    searchSeq: bigint('search_seq', { mode: 'number' }),
  },
  (t) => [
    primaryKey({ name: 'threads_pkey', columns: [t.tenantId, t.id] }),
    // One index per default list sort; the partial "visible" ones mirror Codex's hidden empty-preview rule.
    index('threads_created_idx').on(t.tenantId, t.createdAt.desc(), t.id.desc()).where(sql`archived_at IS NULL AND preview <> ''`),
    index('threads_updated_idx').on(t.tenantId, t.updatedAt.desc(), t.id.desc()).where(sql`archived_at IS NULL AND preview <> ''`),
    index('threads_recency_idx').on(t.tenantId, t.recencyAt.desc(), t.id.desc()).where(sql`archived_at IS NULL AND preview <> ''`),
    index('threads_archived_created_idx').on(t.tenantId, t.createdAt.desc(), t.id.desc()).where(sql`archived_at IS NOT NULL`),
    index('threads_archived_updated_idx').on(t.tenantId, t.updatedAt.desc(), t.id.desc()).where(sql`archived_at IS NOT NULL`),
    index('threads_archived_recency_idx').on(t.tenantId, t.recencyAt.desc(), t.id.desc()).where(sql`archived_at IS NOT NULL`),
    index('threads_cwd_recency_idx').on(t.tenantId, t.cwd, t.recencyAt.desc(), t.id.desc()),
    index('threads_parent_idx').on(t.tenantId, t.parentThreadId),
    index('threads_forked_from_idx').on(t.tenantId, t.forkedFromId),
    // Analytics (drizzle/0004): threads per tenant by creation time, archived or not.
    index('threads_tenant_created_all_idx').on(t.tenantId, t.createdAt),
  ],
);

export const threadCheckpoints = threadStoreSchema.table(
  'thread_checkpoints',
  {
    tenantId: uuid('tenant_id').notNull(),
    threadId: uuid('thread_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    windowNumber: bigint('window_number', { mode: 'number' }),
    windowId: uuid('window_id'),
    firstWindowId: uuid('first_window_id'),
    previousWindowId: uuid('previous_window_id'),
    summaryLength: integer('summary_length').notNull(),
    replacementHistorySize: integer('replacement_history_size'),
    legacy: boolean('legacy').notNull().default(false),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'thread_checkpoints_pkey', columns: [t.tenantId, t.threadId, t.seq] }),
    // Analytics (drizzle/0004): compactions per tenant per day.
    index('thread_checkpoints_tenant_created_idx').on(t.tenantId, t.createdAt),
  ],
);

export const threadSpawnEdges = threadStoreSchema.table(
  'thread_spawn_edges',
  {
    tenantId: uuid('tenant_id').notNull(),
    parentThreadId: uuid('parent_thread_id').notNull(),
    childThreadId: uuid('child_thread_id').notNull(),
    status: text('status').notNull().default('open'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'thread_spawn_edges_pkey', columns: [t.tenantId, t.childThreadId] }),
    index('thread_spawn_edges_parent_idx').on(t.tenantId, t.parentThreadId, t.childThreadId),
  ],
);

/** Live-writer claims: one row per thread that a process holds live. The epoch fences stale writers. */
export const threadWriters = threadStoreSchema.table(
  'thread_writers',
  {
    tenantId: uuid('tenant_id').notNull(),
    threadId: uuid('thread_id').notNull(),
    epoch: bigint('epoch', { mode: 'number' }).notNull(),
    owner: text('owner').notNull(),
    heartbeatAt: ts('heartbeat_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'thread_writers_pkey', columns: [t.tenantId, t.threadId] })],
);

/**
 * Content search documents (src/store/postgres/searchIndex.ts): the visible user/assistant text of a
 * thread's lines first_seq..last_seq, one line per record (separated by U+001E), folded behind the
 * acknowledgement, and its word summary (searchWords: its distinct words), which is what the trigram
 * index covers.
 */
export const threadSearch = threadStoreSchema.table(
  'thread_search',
  {
    tenantId: uuid('tenant_id').notNull(),
    threadId: uuid('thread_id').notNull(),
    firstSeq: bigint('first_seq', { mode: 'number' }).notNull(),
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
    body: text('body').notNull(),
    words: text('words').notNull(),
  },
  (t) => [
    primaryKey({ name: 'thread_search_pkey', columns: [t.tenantId, t.threadId, t.firstSeq] }),
    // Substring search over the documents' word summaries (LIKE with escaped metacharacters): pg_trgm.
    index('thread_search_words_trgm_idx').using('gin', t.words.op('gin_trgm_ops')),
  ],
);

/**
 * Live-writer processes: one row per process that holds claims, kept fresh by ONE heartbeat per
 * process (src/store/postgres/liveWriter.ts). A claim whose owner has not beaten within the
 * claimant's lease may be taken over. No tenant data: process ids and times only, so no RLS.
 */
export const writerProcesses = threadStoreSchema.table('writer_processes', {
  owner: text('owner').primaryKey(),
  heartbeatAt: ts('heartbeat_at').notNull().defaultNow(),
});

/**
 * The tables that hold no tenant data at all (no tenant_id column), so no row-level security: every
 * other table and partition forces RLS under the tenant policy (the security report checks both).
 */
export const TABLES_WITHOUT_TENANT_DATA: readonly string[] = ['writer_processes'];

/** Per-tenant high-water mark that makes updated_at/recency_at strictly increasing across processes. */
export const tenantClocks = threadStoreSchema.table('tenant_clocks', {
  tenantId: uuid('tenant_id').primaryKey(),
  lastMs: bigint('last_ms', { mode: 'number' }).notNull(),
});

export const tenants = threadStoreSchema.table(
  'tenants',
  {
    id: uuid('id').primaryKey(),
    name: text('name'),
    maxThreads: bigint('max_threads', { mode: 'number' }),
    maxItemBytes: bigint('max_item_bytes', { mode: 'number' }),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('tenants_name_key').on(t.name),
    // Quota checks probe only the tenants that have a quota (src/store/postgres/quota.ts).
    index('tenants_quota_idx').on(t.id).where(sql`max_threads IS NOT NULL OR max_item_bytes IS NOT NULL`),
  ],
);
