// Owns listThreads on PostgreSQL: Codex's filters, keyset pagination over (sort column, id) with
// no OFFSET, and predicates written so the partial per-sort indexes serve the default listings.
import type { ParsedListThreadsParams, ThreadPage, ThreadSortKey } from '../../model/params.js';
import { preparedStatement, type Database } from '../../db/database.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import { rowToThread, sourceToColumn, type ThreadRowRecord } from './threadRow.js';

const SORT_COLUMNS: Record<ThreadSortKey, string> = { created_at: 'created_at', updated_at: 'updated_at', recency_at: 'recency_at' };

export const DEFAULT_PAGE_SIZE = 25;

export interface ThreadCursor {
  ts: string;
  id: string;
}

export function decodeThreadCursor(kind: 'threads' | 'search', cursor: string, sortKey: ThreadSortKey): ThreadCursor {
  const data = decodeCursor(kind, cursor, (d) => typeof d.ts === 'string' && !Number.isNaN(Date.parse(d.ts)) && typeof d.id === 'string' && /^[0-9a-f-]{36}$/i.test(d.id) && d.s === sortKey);
  return { ts: data.ts as string, id: data.id as string };
}

export function encodeThreadCursor(kind: 'threads' | 'search', thread: { createdAt: string; updatedAt: string; recencyAt: string; threadId: string }, sortKey: ThreadSortKey): string {
  const ts = sortKey === 'created_at' ? thread.createdAt : sortKey === 'updated_at' ? thread.updatedAt : thread.recencyAt;
  return encodeCursor(kind, { s: sortKey, ts, id: thread.threadId });
}

/** One statement in one round trip (each shape of filters is prepared once per connection). */
/** `params` as the input boundary (src/store/boundary.ts) parsed them. */
export async function listThreads(db: Database, tenantId: string, params: ParsedListThreadsParams): Promise<ThreadPage> {
  const pageSize = params.pageSize ?? DEFAULT_PAGE_SIZE;
  const sortKey = params.sortKey ?? 'created_at';
  const desc = (params.sortDirection ?? 'desc') === 'desc';
  if (params.cwdFilters && params.cwdFilters.length === 0) return { items: [], nextCursor: null };
  const cursor = params.cursor ? decodeThreadCursor('threads', params.cursor, sortKey) : null;

  const values: unknown[] = [tenantId];
  const p = (v: unknown, cast?: string) => {
    values.push(v);
    return `$${values.length}${cast ? `::${cast}` : ''}`;
  };
  const where: string[] = ['t.tenant_id = $1'];
  where.push(params.archived ? 't.archived_at IS NOT NULL' : 't.archived_at IS NULL');
  const relation = params.relationFilter ?? null;
  // Codex hides threads without a preview from normal listings; relation listings show them.
  if (!params.archived && !relation) where.push(`t.preview <> ''`);
  if (params.allowedSources && params.allowedSources.length > 0) {
    where.push(`t.source = ANY(${p(params.allowedSources.map(sourceToColumn), 'text[]')})`);
  }
  if (params.modelProviders && params.modelProviders.length > 0) where.push(`t.model_provider = ANY(${p(params.modelProviders, 'text[]')})`);
  if (params.cwdFilters) where.push(`t.cwd = ANY(${p(params.cwdFilters, 'text[]')})`);
  if (params.searchTerm) {
    const term = p(params.searchTerm);
    where.push(`(strpos(coalesce(t.name, ''), ${term}) > 0 OR strpos(t.title, ${term}) > 0 OR strpos(t.preview, ${term}) > 0)`);
  }
  let withClause = '';
  if (relation) {
    const root = p(relation.threadId, 'uuid');
    if (relation.kind === 'directChildrenOf') {
      where.push(`t.id IN (SELECT child_thread_id FROM thread_store.thread_spawn_edges WHERE tenant_id = $1 AND parent_thread_id = ${root})`);
    } else {
      withClause = `WITH RECURSIVE descendants(id) AS (
          SELECT child_thread_id FROM thread_store.thread_spawn_edges WHERE tenant_id = $1 AND parent_thread_id = ${root}
          UNION
          SELECT e.child_thread_id FROM thread_store.thread_spawn_edges e JOIN descendants d ON e.parent_thread_id = d.id WHERE e.tenant_id = $1
        ) `;
      where.push(`t.id IN (SELECT id FROM descendants) AND t.id <> ${root}`);
    }
  }
  const col = `t.${SORT_COLUMNS[sortKey]}`;
  if (cursor) {
    where.push(`(${col}, t.id) ${desc ? '<' : '>'} (${p(cursor.ts, 'timestamptz')}, ${p(cursor.id, 'uuid')})`);
  }
  // Spelled exactly like the indexes (drizzle writes DESC NULLS LAST; its backward scan is ASC
  // NULLS FIRST): with PostgreSQL's defaults (DESC = NULLS FIRST) the planner would sort instead.
  const dir = desc ? 'DESC NULLS LAST' : 'ASC NULLS FIRST';
  const limit = p(pageSize + 1, 'int');
  const { rows } = await db.tenantQuery<ThreadRowRecord>(
    tenantId,
    preparedStatement(`${withClause}SELECT t.* FROM thread_store.threads t WHERE ${where.join(' AND ')} ORDER BY ${col} ${dir}, t.id ${dir} LIMIT ${limit}`),
    values,
    'listThreads',
  );
  const items = rows.slice(0, pageSize).map(rowToThread);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > pageSize && last ? encodeThreadCursor('threads', last, sortKey) : null };
}
