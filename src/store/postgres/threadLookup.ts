// Owns reading one thread row with Codex's visibility rules: unknown → ThreadNotFound, archived
// without includeArchived → InvalidRequest("thread … is archived").
import { InvalidRequestError, ThreadNotFoundError } from '../../model/errors.js';
import type { SqlExecutor } from '../../db/database.js';
import type { ThreadRowRecord } from './threadRow.js';

export async function findThreadRow(tx: SqlExecutor, tenantId: string, threadId: string, forUpdate = false): Promise<ThreadRowRecord | null> {
  const { rows } = await tx.query<ThreadRowRecord>(
    `SELECT * FROM thread_store.threads WHERE tenant_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [tenantId, threadId],
  );
  return rows[0] ?? null;
}

export async function requireThreadRow(
  tx: SqlExecutor,
  tenantId: string,
  threadId: string,
  includeArchived: boolean,
  forUpdate = false,
): Promise<ThreadRowRecord> {
  const row = await findThreadRow(tx, tenantId, threadId, forUpdate);
  if (!row) throw new ThreadNotFoundError(threadId);
  if (row.archived_at !== null && !includeArchived) throw new InvalidRequestError(`thread ${threadId} is archived`);
  return row;
}
