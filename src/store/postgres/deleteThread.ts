// Owns deleteThread on PostgreSQL. Forks that read through to the deleted thread get their
// inherited rows copied in first (at the same virtual seqs), so deleting a base never shortens
// another thread's history. Everything happens in one transaction.
import { ThreadNotFoundError } from '../../model/errors.js';
import type { DatabaseLayout, SqlExecutor } from '../../db/database.js';
import { historySegments } from './historySegments.js';
import { ITEM_COLUMN_NAMES, ITEM_COLUMNS } from './itemRows.js';
import { refreshResumePoints } from './resumePoint.js';
import { CHECKPOINT_COLUMNS } from './rowLists.js';
import { foldNow } from './searchIndex.js';
import { findThreadRow } from './threadLookup.js';
import type { ThreadRowRecord } from './threadRow.js';

export async function deleteThread(tx: SqlExecutor, tenantId: string, threadId: string, layout: DatabaseLayout = 'single', searchDocuments = true): Promise<void> {
  const row = await findThreadRow(tx, tenantId, threadId, true);
  if (!row) throw new ThreadNotFoundError(threadId);
  const { rows: dependents } = await tx.query<ThreadRowRecord>(
    'SELECT * FROM thread_store.threads WHERE tenant_id = $1 AND history_base_thread_id = $2 FOR UPDATE',
    [tenantId, threadId],
  );
  for (const fork of dependents) await detachFork(tx, tenantId, fork, layout, searchDocuments);
  for (const table of ['thread_items', 'thread_checkpoints', 'thread_search'] as const) {
    await tx.query(`DELETE FROM thread_store.${table} WHERE tenant_id = $1 AND thread_id = $2`, [tenantId, threadId]);
  }
  await tx.query('DELETE FROM thread_store.thread_spawn_edges WHERE tenant_id = $1 AND (child_thread_id = $2 OR parent_thread_id = $2)', [tenantId, threadId]);
  await tx.query('DELETE FROM thread_store.thread_writers WHERE tenant_id = $1 AND thread_id = $2', [tenantId, threadId]);
  // Metadata last, as Codex does, so a failed delete leaves a thread that can be deleted again.
  await tx.query('DELETE FROM thread_store.threads WHERE tenant_id = $1 AND id = $2', [tenantId, threadId]);
}

/** Materialize the rows a fork inherits into the fork itself and cut its link to the base. */
async function detachFork(tx: SqlExecutor, tenantId: string, fork: ThreadRowRecord, layout: DatabaseLayout, searchDocuments: boolean): Promise<void> {
  const segments = (await historySegments(tx, tenantId, fork)).filter((s) => s.threadId !== fork.id);
  for (const s of segments) {
    await tx.query(
      `INSERT INTO thread_store.thread_items (${ITEM_COLUMNS})
       SELECT ${ITEM_COLUMN_NAMES.map((c) => (c === 'thread_id' ? '$2' : c === 'seq' ? 'seq + $5' : c)).join(', ')}
         FROM thread_store.thread_items WHERE tenant_id = $1 AND thread_id = $3 AND seq BETWEEN $4 AND $6`,
      [tenantId, fork.id, s.threadId, s.lo, s.offset, s.hi],
    );
    await tx.query(
      `INSERT INTO thread_store.thread_checkpoints (${CHECKPOINT_COLUMNS.join(', ')})
       SELECT ${CHECKPOINT_COLUMNS.map((c) => (c === 'thread_id' ? '$2' : c === 'seq' ? 'seq + $5' : c)).join(', ')}
         FROM thread_store.thread_checkpoints WHERE tenant_id = $1 AND thread_id = $3 AND seq BETWEEN $4 AND $6`,
      [tenantId, fork.id, s.threadId, s.lo, s.offset, s.hi],
    );
  }
  // Its inherited lines are its own now: fold them into search documents afresh.
  await tx.query('DELETE FROM thread_store.thread_search WHERE tenant_id = $1 AND thread_id = $2', [tenantId, fork.id]);
  await tx.query(
    `UPDATE thread_store.threads t SET history_base_thread_id = NULL, history_base_seq = NULL, search_seq = NULL,
        item_count = (SELECT count(*) FROM thread_store.thread_items i WHERE i.tenant_id = $1 AND i.thread_id = $2),
        byte_size = (SELECT coalesce(sum(byte_size), 0) FROM thread_store.thread_items i WHERE i.tenant_id = $1 AND i.thread_id = $2)
      WHERE tenant_id = $1 AND id = $2`,
    [tenantId, fork.id],
  );
  // Standalone now, with the base's checkpoints among its own rows.
  await refreshResumePoints(tx, tenantId, [fork.id]);
  if (searchDocuments) await foldNow(tx, tenantId, [fork.id], layout);
}
