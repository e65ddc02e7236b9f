// Owns the column lists of the store's INSERTs into `threads` and `thread_checkpoints` (those of
// `thread_items` are in itemRows.ts), all read from the drizzle schema (src/db/schema): a statement
// names columns only through these, so adding a column is a change to the schema and to the list
// of the insert that should write it, never a hunt through SQL strings.
import { threadCheckpoints, threads } from '../../db/schema/threads.js';
import { arrayElementType, columnKeys, columnName, columnNames, unnestArrays, unnestInsertSql, type CheckpointInsert, type RoutedInsert, type ColumnKey, type ThreadInsert } from '../../db/schema/columns.js';
import { readCompacted } from '../../model/compacted.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';

type ThreadKey = ColumnKey<typeof threads>;

// ---- thread_checkpoints -----------------------------------------------------------------------

/** Every column of thread_checkpoints, in declaration order: what every checkpoint insert writes. */
export const CHECKPOINT_KEYS = columnKeys(threadCheckpoints);
export const CHECKPOINT_COLUMNS = columnNames(threadCheckpoints, CHECKPOINT_KEYS);

/** `INSERT INTO thread_store.thread_checkpoints (…) SELECT * FROM unnest($first::uuid[], …)`. */
export function insertCheckpointsSql(first = 1, options: { routed?: RoutedInsert } = {}): string {
  return unnestInsertSql(threadCheckpoints, CHECKPOINT_KEYS, first, options);
}

/** The parameter arrays of insertCheckpointsSql. */
export function checkpointArrays(rows: readonly CheckpointInsert[]): unknown[][] {
  return unnestArrays<typeof threadCheckpoints, CheckpointInsert>(CHECKPOINT_KEYS, rows);
}

/** The checkpoint row of a `compacted` line stored at `seq` (its time: the line's, else `fallbackCreatedAt`). */
export function checkpointRow(tenantId: string, threadId: string, seq: number, line: StoredRolloutLine, fallbackCreatedAt: string): CheckpointInsert {
  const c = readCompacted(line.payload);
  return {
    tenantId,
    threadId,
    seq,
    windowNumber: c.windowNumber,
    windowId: c.windowId,
    firstWindowId: c.firstWindowId,
    previousWindowId: c.previousWindowId,
    summaryLength: c.message.length,
    replacementHistorySize: c.replacementHistory ? c.replacementHistory.length : null,
    legacy: c.windowNumber === null || c.legacyMessageOnly,
    createdAt: Number.isNaN(Date.parse(line.timestamp)) ? fallbackCreatedAt : line.timestamp,
  };
}

// ---- threads ----------------------------------------------------------------------------------

/** What a thread created through createThread is written with when it materializes (group commit). */
export const MATERIALIZED_THREAD_KEYS = [
  'tenantId',
  'id',
  'writerEpoch',
  'sessionId',
  'forkedFromId',
  'parentThreadId',
  'source',
  'threadSource',
  'originator',
  'modelProvider',
  'cwd',
  'cliVersion',
  'agentNickname',
  'agentRole',
  'agentPath',
  'memoryMode',
  'historyMode',
  'gitSha',
  'gitBranch',
  'gitOriginUrl',
  'createdAt',
  'updatedAt',
  'recencyAt',
] as const satisfies readonly ThreadKey[];
export const MATERIALIZED_THREAD_COLUMNS = columnNames(threads, MATERIALIZED_THREAD_KEYS);

/**
 * Every column of a thread row written whole — by an import, or by a fork: the record and its
 * history layout. Left to their defaults: the resume point (refreshed after the row is written),
 * the writer epoch (a claim sets it) and search_seq.
 */
export const WHOLE_THREAD_KEYS = columnKeys(threads).filter(
  (k) => !['resumeCheckpointSeq', 'resumeSeq', 'compactionsBeforeResume', 'writerEpoch', 'searchSeq'].includes(k),
);

const JSON_COLUMNS = new Set(WHOLE_THREAD_KEYS.filter((k) => arrayElementType(threads, k) === 'jsonb'));

/**
 * `INSERT INTO thread_store.threads (<keys>) VALUES ($1::<type>, …) RETURNING *`; with `replace`,
 * an existing row of the same (tenant, id) gets every one of those columns and `search_seq = NULL`
 * (its lines are new).
 */
export function insertThreadSql(keys: readonly ThreadKey[], options: { replace?: boolean } = {}): string {
  const values = keys.map((k, i) => `$${i + 1}::${arrayElementType(threads, k)}`);
  const columns = columnNames(threads, keys);
  let text = `INSERT INTO thread_store.threads (${columns.join(', ')}) VALUES (${values.join(', ')})`;
  if (options.replace) {
    const id = new Set([columnName(threads, 'tenantId'), columnName(threads, 'id')]);
    const updates = [...columns.filter((c) => !id.has(c)).map((c) => `${c} = EXCLUDED.${c}`), `${columnName(threads, 'searchSeq')} = NULL`];
    text += ` ON CONFLICT (tenant_id, id) DO UPDATE SET ${updates.join(', ')}`;
  }
  return `${text} RETURNING *`;
}

/** The parameters of insertThreadSql for `row` (JSON columns as JSON text: arrays must not become SQL arrays). */
export function threadValues(keys: readonly ThreadKey[], row: ThreadInsert): unknown[] {
  return keys.map((k) => {
    const value = (row as Record<string, unknown>)[k];
    if (value === undefined || value === null) return null;
    return JSON_COLUMNS.has(k) ? JSON.stringify(value) : value;
  });
}
