// Owns the SQL of importing one thread from a CODEX_HOME, run inside that thread's transaction:
// look at what is stored, clear a thread that is being re-imported, insert item rows in batches
// (one unnest insert per batch), checkpoints, the threads row (inserted or replaced whole) and the
// spawn edge. Unlike live appends, nothing here filters or re-stamps lines: imports are lossless.
import type { SqlExecutor } from '../../db/database.js';
import type { PreparedItem } from '../shared/preparedItem.js';
import { insertItemsSql, itemArrays } from './itemRows.js';

export interface ImportTargetRow {
  id: string;
  extra: unknown;
  last_seq: number;
  item_count: number;
  byte_size: number;
}

/** Namespace (first key) of the import's two-key advisory locks; the second key hashes tenant and thread. */
const IMPORT_LOCK_NAMESPACE = 0x54534931; // 'TSI1'

/**
 * Serialize imports of one thread across processes until this transaction ends: a concurrent
 * import of the same CODEX_HOME waits here, then finds the thread already imported (a row lock
 * cannot do this for a thread whose row does not exist yet). Two-key advisory locks do not share
 * a key space with the migrator's one-key lock; a hash collision only makes two imports wait.
 */
export async function lockImportTarget(tx: SqlExecutor, tenantId: string, threadId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock($1::int, hashtext($2::text || '/' || $3::text))`, [IMPORT_LOCK_NAMESPACE, tenantId, threadId]);
}

/** The stored row of `threadId` (locked), or null. */
export async function findImportTarget(tx: SqlExecutor, tenantId: string, threadId: string): Promise<ImportTargetRow | null> {
  const { rows } = await tx.query<ImportTargetRow>(
    'SELECT id, extra, last_seq, item_count, byte_size FROM thread_store.threads WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
    [tenantId, threadId],
  );
  return rows[0] ?? null;
}

/** Manifests of many threads at once (for the "unchanged?" pre-check without a transaction per thread). */
export async function loadImportTargets(tx: SqlExecutor, tenantId: string, threadIds: string[]): Promise<ImportTargetRow[]> {
  if (threadIds.length === 0) return [];
  const { rows } = await tx.query<ImportTargetRow>(
    'SELECT id, extra, last_seq, item_count, byte_size FROM thread_store.threads WHERE tenant_id = $1 AND id = ANY($2::uuid[])',
    [tenantId, threadIds],
  );
  return rows;
}

/** Remove the item and checkpoint rows of a thread that is imported again (the threads row is replaced later). */
export async function clearImportedRows(tx: SqlExecutor, tenantId: string, threadId: string): Promise<void> {
  await tx.query('DELETE FROM thread_store.thread_items WHERE tenant_id = $1 AND thread_id = $2', [tenantId, threadId]);
  await tx.query('DELETE FROM thread_store.thread_checkpoints WHERE tenant_id = $1 AND thread_id = $2', [tenantId, threadId]);
  await tx.query('DELETE FROM thread_store.thread_search WHERE tenant_id = $1 AND thread_id = $2', [tenantId, threadId]);
}

export interface ImportedItemRow {
  seq: number;
  turnId: string | null;
  item: PreparedItem;
}

/** Insert a batch of item rows with one statement. */
export async function insertImportedItems(tx: SqlExecutor, tenantId: string, threadId: string, rows: ImportedItemRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(insertItemsSql(1), itemArrays(rows.map(({ seq, turnId, item }) => ({ tenantId, threadId, seq, turnId, item }))));
}

export interface ImportedCheckpointRow {
  seq: number;
  windowNumber: number | null;
  windowId: string | null;
  firstWindowId: string | null;
  previousWindowId: string | null;
  summaryLength: number;
  replacementHistorySize: number | null;
  legacy: boolean;
  createdAt: string;
}

export async function insertImportedCheckpoints(tx: SqlExecutor, tenantId: string, threadId: string, rows: ImportedCheckpointRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO thread_store.thread_checkpoints
       (tenant_id, thread_id, seq, window_number, window_id, first_window_id, previous_window_id, summary_length, replacement_history_size, legacy, created_at)
     SELECT $1, $2, * FROM unnest($3::bigint[], $4::bigint[], $5::uuid[], $6::uuid[], $7::uuid[], $8::int[], $9::int[], $10::boolean[], $11::timestamptz[])`,
    [
      tenantId,
      threadId,
      rows.map((r) => r.seq),
      rows.map((r) => r.windowNumber),
      rows.map((r) => r.windowId),
      rows.map((r) => r.firstWindowId),
      rows.map((r) => r.previousWindowId),
      rows.map((r) => r.summaryLength),
      rows.map((r) => r.replacementHistorySize),
      rows.map((r) => r.legacy),
      rows.map((r) => r.createdAt),
    ],
  );
}

/** Every column of an imported threads row (bookkeeping included). */
export interface ImportedThreadRow {
  id: string;
  sessionId: string | null;
  forkedFromId: string | null;
  parentThreadId: string | null;
  source: string;
  threadSource: string | null;
  originator: string | null;
  modelProvider: string;
  model: string | null;
  reasoningEffort: string | null;
  cwd: string;
  cliVersion: string;
  name: string | null;
  title: string;
  preview: string;
  firstUserMessage: string | null;
  agentNickname: string | null;
  agentRole: string | null;
  agentPath: string | null;
  approvalMode: string;
  memoryMode: string;
  historyMode: string;
  gitSha: string | null;
  gitBranch: string | null;
  gitOriginUrl: string | null;
  tokensUsed: number;
  tokenUsage: unknown;
  permissionProfile: unknown;
  extra: Record<string, unknown>;
  rolloutPath: string | null;
  createdAt: string;
  updatedAt: string;
  recencyAt: string;
  archivedAt: string | null;
  historyBaseThreadId: string | null;
  historyBaseSeq: number | null;
  lastSeq: number;
  itemCount: number;
  byteSize: number;
}

const THREAD_COLUMNS: [keyof ImportedThreadRow, string, string][] = [
  ['id', 'id', 'uuid'],
  ['sessionId', 'session_id', 'uuid'],
  ['forkedFromId', 'forked_from_id', 'uuid'],
  ['parentThreadId', 'parent_thread_id', 'uuid'],
  ['source', 'source', 'text'],
  ['threadSource', 'thread_source', 'text'],
  ['originator', 'originator', 'text'],
  ['modelProvider', 'model_provider', 'text'],
  ['model', 'model', 'text'],
  ['reasoningEffort', 'reasoning_effort', 'text'],
  ['cwd', 'cwd', 'text'],
  ['cliVersion', 'cli_version', 'text'],
  ['name', 'name', 'text'],
  ['title', 'title', 'text'],
  ['preview', 'preview', 'text'],
  ['firstUserMessage', 'first_user_message', 'text'],
  ['agentNickname', 'agent_nickname', 'text'],
  ['agentRole', 'agent_role', 'text'],
  ['agentPath', 'agent_path', 'text'],
  ['approvalMode', 'approval_mode', 'text'],
  ['memoryMode', 'memory_mode', 'text'],
  ['historyMode', 'history_mode', 'text'],
  ['gitSha', 'git_sha', 'text'],
  ['gitBranch', 'git_branch', 'text'],
  ['gitOriginUrl', 'git_origin_url', 'text'],
  ['tokensUsed', 'tokens_used', 'bigint'],
  ['tokenUsage', 'token_usage', 'jsonb'],
  ['permissionProfile', 'permission_profile', 'jsonb'],
  ['extra', 'extra', 'jsonb'],
  ['rolloutPath', 'rollout_path', 'text'],
  ['createdAt', 'created_at', 'timestamptz'],
  ['updatedAt', 'updated_at', 'timestamptz'],
  ['recencyAt', 'recency_at', 'timestamptz'],
  ['archivedAt', 'archived_at', 'timestamptz'],
  ['historyBaseThreadId', 'history_base_thread_id', 'uuid'],
  ['historyBaseSeq', 'history_base_seq', 'bigint'],
  ['lastSeq', 'last_seq', 'bigint'],
  ['itemCount', 'item_count', 'bigint'],
  ['byteSize', 'byte_size', 'bigint'],
];

/** Insert the threads row, or replace every column of an existing one (a re-import). */
export async function upsertImportedThread(tx: SqlExecutor, tenantId: string, row: ImportedThreadRow): Promise<void> {
  const params: unknown[] = [tenantId];
  const values: string[] = [];
  for (const [key, , cast] of THREAD_COLUMNS) {
    const value = row[key];
    params.push(cast === 'jsonb' ? (value === null || value === undefined ? null : JSON.stringify(value)) : value);
    values.push(`$${params.length}::${cast}`);
  }
  const columns = THREAD_COLUMNS.map(([, column]) => column);
  // The lines are new: whatever was folded into search documents before is gone (clearImportedRows).
  const updates = [...columns.filter((c) => c !== 'id').map((c) => `${c} = EXCLUDED.${c}`), 'search_seq = NULL'];
  await tx.query(
    `INSERT INTO thread_store.threads (tenant_id, ${columns.join(', ')}) VALUES ($1, ${values.join(', ')})
     ON CONFLICT (tenant_id, id) DO UPDATE SET ${updates.join(', ')}`,
    params,
  );
}

/** Record (or update) the parent → child edge of a sub-agent thread. */
export async function upsertImportedSpawnEdge(
  tx: SqlExecutor,
  tenantId: string,
  edge: { parentThreadId: string; childThreadId: string; status: string; createdAt: string },
): Promise<void> {
  await tx.query(
    `INSERT INTO thread_store.thread_spawn_edges (tenant_id, parent_thread_id, child_thread_id, status, created_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, child_thread_id) DO UPDATE SET parent_thread_id = EXCLUDED.parent_thread_id, status = EXCLUDED.status, created_at = EXCLUDED.created_at`,
    [tenantId, edge.parentThreadId, edge.childThreadId, edge.status, edge.createdAt],
  );
}

/** Whether a thread exists in the tenant (fork bases imported by an earlier run). */
export async function importedThreadExists(tx: SqlExecutor, tenantId: string, threadId: string): Promise<boolean> {
  const { rows } = await tx.query('SELECT 1 FROM thread_store.threads WHERE tenant_id = $1 AND id = $2', [tenantId, threadId]);
  return rows.length > 0;
}
