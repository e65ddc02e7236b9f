// Owns the one-round-trip reads of one thread (Database.pipeline): its row, and its history when the
// thread's history is its own rows (not a fork reading through to a base). Forks answer null and the
// caller takes the general path (src/store/postgres/historySegments.ts) in a tenant transaction.
import { InvalidRequestError, ThreadNotFoundError } from '../../model/errors.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';
import type { Database, NamedStatement } from '../../db/database.js';
import { decodeLine } from '../shared/preparedItem.js';
import type { SelectedItemRow } from './itemRows.js';
import type { ThreadRowRecord } from './threadRow.js';

export const THREAD_ROW: NamedStatement = {
  name: 'thread_store_thread_row_v1',
  genericPlan: true,
  text: 'SELECT * FROM thread_store.threads WHERE tenant_id = $1 AND id = $2',
};

/** Every history line (seq >= 0) of a thread that is not a fork; nothing for a fork. */
const OWN_HISTORY: NamedStatement = {
  name: 'thread_store_own_history_v1',
  genericPlan: true,
  text: `SELECT i.seq, i.turn_id, i.ts, i.type, i.payload, i.extra, i.raw_line FROM thread_store.thread_items i
          WHERE i.tenant_id = $1 AND i.thread_id = $2 AND i.seq >= 0
            AND NOT EXISTS (SELECT 1 FROM thread_store.threads t WHERE t.tenant_id = $1 AND t.id = $2 AND t.history_base_thread_id IS NOT NULL)
          ORDER BY i.seq`,
};

/** Codex's visibility rules for one thread: unknown → ThreadNotFound, archived without includeArchived → InvalidRequest. */
export function assertVisible(thread: { archived: boolean } | undefined, threadId: string, includeArchived: boolean): void {
  if (!thread) throw new ThreadNotFoundError(threadId);
  if (thread.archived && !includeArchived) throw new InvalidRequestError(`thread ${threadId} is archived`);
}

export interface ThreadRead {
  row: ThreadRowRecord;
  /** The history lines, unless the thread is a fork (then null: read it through its segments). */
  history: StoredRolloutLine[] | null;
}

/** The thread's row, and (withHistory) its own history, in one round trip. */
export async function readThreadOnce(db: Database, tenantId: string, threadId: string, includeArchived: boolean, withHistory: boolean, operation: string): Promise<ThreadRead> {
  const steps = [{ statement: THREAD_ROW, params: [tenantId, threadId] }];
  if (withHistory) steps.push({ statement: OWN_HISTORY, params: [tenantId, threadId] });
  const [rowResult, itemsResult] = await db.pipeline(tenantId, steps, operation);
  const row = rowResult?.rows[0] as unknown as ThreadRowRecord | undefined;
  if (!row) throw new ThreadNotFoundError(threadId);
  assertVisible({ archived: row.archived_at !== null }, threadId, includeArchived);
  if (!withHistory || row.history_base_thread_id !== null) return { row, history: null };
  return { row, history: ((itemsResult?.rows ?? []) as unknown as SelectedItemRow[]).map(decodeLine) };
}
