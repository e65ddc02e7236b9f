// Owns the read-only SQL the CODEX_HOME exporter needs: the threads of a tenant (all, or some ids
// with their fork bases), a thread's physical rows by seq range (detached revert tails included,
// which no store read returns), and the tenant's spawn edges.
import type { SqlExecutor } from '../../db/database.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';
import { decodeLine } from '../shared/preparedItem.js';
import type { ThreadRowRecord } from './threadRow.js';

/** Threads to export, oldest first. `ids` null = every thread of the tenant, archived included. */
export async function listThreadsForExport(tx: SqlExecutor, tenantId: string, ids: string[] | null): Promise<ThreadRowRecord[]> {
  if (ids === null) {
    const { rows } = await tx.query<ThreadRowRecord>('SELECT * FROM thread_store.threads WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId]);
    return rows;
  }
  // The requested threads plus every thread their fork chains read through.
  const { rows } = await tx.query<ThreadRowRecord>(
    `WITH RECURSIVE wanted(id) AS (
       SELECT unnest($2::uuid[])
       UNION
       SELECT t.history_base_thread_id FROM thread_store.threads t JOIN wanted w ON t.id = w.id
        WHERE t.tenant_id = $1 AND t.history_base_thread_id IS NOT NULL
     )
     SELECT t.* FROM thread_store.threads t WHERE t.tenant_id = $1 AND t.id IN (SELECT id FROM wanted) ORDER BY t.created_at, t.id`,
    [tenantId, ids],
  );
  return rows;
}

export interface PhysicalRow {
  seq: number;
  line: StoredRolloutLine;
}

/** Rows of one thread with lo <= seq <= hi, in seq order, at most `limit`. */
export async function readPhysicalRows(tx: SqlExecutor, tenantId: string, threadId: string, lo: number, hi: number, limit: number): Promise<PhysicalRow[]> {
  const { rows } = await tx.query<{ seq: number; ts: string; type: string; payload: unknown; extra: unknown; raw_line: string | null }>(
    `SELECT seq, ts, type, payload, extra, raw_line FROM thread_store.thread_items
      WHERE tenant_id = $1 AND thread_id = $2 AND seq BETWEEN $3 AND $4 ORDER BY seq LIMIT $5`,
    [tenantId, threadId, lo, hi, limit],
  );
  return rows.map((r) => ({ seq: Number(r.seq), line: decodeLine(r) }));
}

export interface SpawnEdgeRow {
  parent_thread_id: string;
  child_thread_id: string;
  status: string;
}

export async function listSpawnEdges(tx: SqlExecutor, tenantId: string): Promise<SpawnEdgeRow[]> {
  const { rows } = await tx.query<SpawnEdgeRow>(
    'SELECT parent_thread_id, child_thread_id, status FROM thread_store.thread_spawn_edges WHERE tenant_id = $1',
    [tenantId],
  );
  return rows;
}
