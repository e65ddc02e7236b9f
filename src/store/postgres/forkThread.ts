// Owns forkThread on PostgreSQL: a copy-free fork. The new thread stores only its own session_meta
// (with Codex 0.169's `history_base`) and points at its base (history_base_thread_id/seq); its
// history reads through to the base's rows, as Codex's history_base files do. Like Codex, the fork
// keeps the lineage's preview and name; title, first user message and token usage start empty.
// Content search covers a thread's own lines: the inherited range counts as folded from the start.
import { InvalidRequestError } from '../../model/errors.js';
import { asRecord } from '../../model/rolloutLine.js';
import type { ParsedForkThreadParams } from '../../model/params.js';
import type { StoredThread } from '../../model/thread.js';
import type { DatabaseLayout, SqlExecutor } from '../../db/database.js';
import { encodeLine } from '../shared/preparedItem.js';
import { historySegments, readVirtualRange } from './historySegments.js';
import { INSERT_ITEMS_ROUTED, insertItemsSql, itemArrays } from './itemRows.js';
import { turnSpans } from './listTurnsAndItems.js';
import { findThreadRow, requireThreadRow } from './threadLookup.js';
import { rowToThread, threadInsertOf, type ThreadRowRecord } from './threadRow.js';
import { insertThreadSql, threadValues, WHOLE_THREAD_KEYS } from './rowLists.js';
import type { ThreadInsert } from '../../db/schema/columns.js';

/** A fork's row: written whole, plus where its search documents start. */
const FORK_KEYS = [...WHOLE_THREAD_KEYS, 'searchSeq'] as const;

export async function forkThread(tx: SqlExecutor, tenantId: string, params: ParsedForkThreadParams, now: string, layout: DatabaseLayout = 'single'): Promise<StoredThread> {
  const source = await requireThreadRow(tx, tenantId, params.sourceThreadId, params.includeArchived ?? false);
  if (await findThreadRow(tx, tenantId, params.newThreadId)) {
    throw new InvalidRequestError(`thread ${params.newThreadId} already exists`, { path: 'newThreadId' });
  }
  const claimed = await tx.query('SELECT 1 FROM thread_store.thread_writers WHERE tenant_id = $1 AND thread_id = $2', [tenantId, params.newThreadId]);
  if (claimed.rows.length > 0) throw new InvalidRequestError(`thread ${params.newThreadId} already has a live writer`, { path: 'newThreadId' });
  const segments = await historySegments(tx, tenantId, source);
  let baseSeq = Number(source.last_seq);
  if (params.lastTurnId) {
    const span = (await turnSpans(tx, tenantId, segments)).find((s) => s.turnId === params.lastTurnId);
    if (!span) throw new InvalidRequestError(`turn ${params.lastTurnId} not found in thread ${params.sourceThreadId}`, { path: 'lastTurnId' });
    baseSeq = span.last;
  }
  const [firstLine] = await readVirtualRange(tx, tenantId, segments, { limit: 1 });
  const sourceMeta = firstLine?.line.type === 'session_meta' ? (asRecord(firstLine.line.payload) ?? {}) : {};
  const payload: Record<string, unknown> = {
    ...sourceMeta,
    session_id: params.newThreadId,
    id: params.newThreadId,
    forked_from_id: params.sourceThreadId,
    forked_from_ordinal_exclusive: baseSeq + 1,
    timestamp: now,
    history_base: { thread_id: params.sourceThreadId, end_ordinal_exclusive: baseSeq + 1 },
  };
  delete payload.parent_thread_id;
  const meta = encodeLine({ timestamp: now, type: 'session_meta', payload });
  const { rows: at } = await tx.query<{ v: Date }>('SELECT thread_store.allocate_timestamp($1, $2::timestamptz) AS v', [tenantId, now]);
  const created = at[0]!.v.toISOString();
  // The source's record, except what is the fork's own (Codex 0.169): its ids and times, an empty
  // title, first user message and token usage, and its history — the session_meta at seq 0, then
  // the source's lines 0..baseSeq read through at 1..baseSeq+1 (counted as folded for search).
  const row: ThreadInsert = {
    ...threadInsertOf(source),
    id: params.newThreadId,
    sessionId: params.newThreadId,
    forkedFromId: params.sourceThreadId,
    parentThreadId: null,
    title: '',
    firstUserMessage: null,
    tokensUsed: 0,
    tokenUsage: null,
    rolloutPath: null,
    createdAt: created,
    updatedAt: created,
    recencyAt: created,
    archivedAt: null,
    historyBaseThreadId: params.sourceThreadId,
    historyBaseSeq: baseSeq,
    lastSeq: baseSeq + 1,
    itemCount: 1,
    byteSize: meta.byteSize,
    searchSeq: baseSeq + 1,
  };
  const { rows } = await tx.query<ThreadRowRecord>(insertThreadSql(FORK_KEYS), threadValues(FORK_KEYS, row));
  const seqZero = itemArrays([{ tenantId, threadId: params.newThreadId, seq: 0, turnId: null, item: meta }]);
  // On a distributed database routed through the fork's row, written just above (see RoutedInsert).
  if (layout === 'single') await tx.query(insertItemsSql(1), seqZero);
  else await tx.query(INSERT_ITEMS_ROUTED, [...seqZero, tenantId]);
  return rowToThread(rows[0]!);
}
