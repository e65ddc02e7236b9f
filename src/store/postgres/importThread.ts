// Owns the SQL of importing one thread, run inside that thread's transaction (src/store/postgres/
// transfer.ts drives it): look at what is stored, clear a thread that is being re-imported, insert
// item rows in batches (one unnest insert per batch), checkpoints, the threads row (inserted or
// replaced whole) and the spawn edge. Unlike live appends, nothing here filters or re-stamps lines:
// imports are lossless. Every column list comes from the drizzle schema (itemRows.ts, rowLists.ts).
import type { DatabaseLayout, SqlExecutor } from '../../db/database.js';
import type { CheckpointInsert, ThreadInsert, ThreadRowRecord } from '../../db/schema/columns.js';
import type { PreparedItem } from '../shared/preparedItem.js';
import { insertItemsSql, itemArrays } from './itemRows.js';
import { checkpointArrays, insertCheckpointsSql, insertThreadSql, threadValues, WHOLE_THREAD_KEYS } from './rowLists.js';

/** What the "unchanged since the last import?" check reads of a stored thread. */
export type ImportTargetRow = Pick<ThreadRowRecord, 'id' | 'extra' | 'last_seq' | 'item_count' | 'byte_size'>;

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

/**
 * Insert a batch of item rows with one statement. On a distributed database in the routed form
 * anchored on the tenant's clock row (the thread's row is written last: see RoutedInsert).
 */
export async function insertImportedItems(tx: SqlExecutor, tenantId: string, threadId: string, rows: ImportedItemRow[], layout: DatabaseLayout = 'single'): Promise<void> {
  if (rows.length === 0) return;
  const params = itemArrays(rows.map(({ seq, turnId, item }) => ({ tenantId, threadId, seq, turnId, item })));
  if (layout === 'single') {
    await tx.query(insertItemsSql(1), params);
    return;
  }
  await ensureRoutingAnchor(tx, tenantId);
  await tx.query(ROUTED_ITEMS, [...params, tenantId]);
}

/** Checkpoint rows of an imported thread (any number, one statement; routed as the items are). */
export async function insertImportedCheckpoints(tx: SqlExecutor, tenantId: string, rows: readonly CheckpointInsert[], layout: DatabaseLayout = 'single'): Promise<void> {
  if (rows.length === 0) return;
  if (layout === 'single') {
    await tx.query(insertCheckpointsSql(1), checkpointArrays(rows));
    return;
  }
  await ensureRoutingAnchor(tx, tenantId);
  await tx.query(ROUTED_CHECKPOINTS, [...checkpointArrays(rows), tenantId]);
}

const ROUTED_ITEMS = insertItemsSql(1, 'thread_store.thread_items', { routed: { tenant: '$12::uuid', anchor: 'tenant_clocks' } });
const ROUTED_CHECKPOINTS = insertCheckpointsSql(1, { routed: { tenant: '$12::uuid', anchor: 'tenant_clocks' } });

/**
 * The tenant's clock row, the anchor of routed inserts that come before the thread's row. A clock
 * at 0 allocates exactly as a missing one (any candidate is ahead of it).
 */
export async function ensureRoutingAnchor(tx: SqlExecutor, tenantId: string): Promise<void> {
  await tx.query('INSERT INTO thread_store.tenant_clocks (tenant_id, last_ms) VALUES ($1, 0) ON CONFLICT (tenant_id) DO NOTHING', [tenantId]);
}

/** Insert the threads row, or replace every column an import writes of an existing one (a re-import). */
export async function upsertImportedThread(tx: SqlExecutor, row: ThreadInsert): Promise<void> {
  await tx.query(UPSERT_IMPORTED_THREAD, threadValues(WHOLE_THREAD_KEYS, row));
}

const UPSERT_IMPORTED_THREAD = insertThreadSql(WHOLE_THREAD_KEYS, { replace: true });

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
