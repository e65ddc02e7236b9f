// Owns searchThreads on PostgreSQL: threads whose visible user/assistant text (thread_items.search_text,
// trigram-indexed) or name/title contains the term, case-insensitively and literally, with a snippet.
import { parseOrThrow } from '../../model/validate.js';
import { searchThreadsParamsSchema, type SearchThreadsParams, type ThreadSearchPage } from '../../model/params.js';
import type { SqlExecutor } from '../../db/database.js';
import { likePattern, snippetAround } from '../shared/search.js';
import { decodeThreadCursor, encodeThreadCursor, DEFAULT_PAGE_SIZE } from './listThreads.js';
import { rowToThread, sourceToColumn, type ThreadRowRecord } from './threadRow.js';

export async function searchThreads(tx: SqlExecutor, tenantId: string, input: SearchThreadsParams): Promise<ThreadSearchPage> {
  const params = parseOrThrow(searchThreadsParamsSchema, input) as SearchThreadsParams;
  const pageSize = params.pageSize ?? DEFAULT_PAGE_SIZE;
  const sortKey = params.sortKey ?? 'created_at';
  const desc = (params.sortDirection ?? 'desc') === 'desc';
  const cursor = params.cursor ? decodeThreadCursor('search', params.cursor, sortKey) : null;
  const values: unknown[] = [tenantId, likePattern(params.searchTerm)];
  const p = (v: unknown, cast?: string) => {
    values.push(v);
    return `$${values.length}${cast ? `::${cast}` : ''}`;
  };
  const where = ['t.tenant_id = $1', params.archived ? 't.archived_at IS NOT NULL' : 't.archived_at IS NULL'];
  if (params.allowedSources && params.allowedSources.length > 0) where.push(`t.source = ANY(${p(params.allowedSources.map(sourceToColumn), 'text[]')})`);
  const col = `t.${sortKey}`;
  if (cursor) where.push(`(${col}, t.id) ${desc ? '<' : '>'} (${p(cursor.ts, 'timestamptz')}, ${p(cursor.id, 'uuid')})`);
  where.push(`(m.search_text IS NOT NULL OR coalesce(t.name, '') ILIKE $2 ESCAPE '\\' OR t.title ILIKE $2 ESCAPE '\\')`);
  // Spelled exactly like the indexes (drizzle writes DESC NULLS LAST; its backward scan is ASC
  // NULLS FIRST): with PostgreSQL's defaults (DESC = NULLS FIRST) the planner would sort instead.
  const dir = desc ? 'DESC NULLS LAST' : 'ASC NULLS FIRST';
  const { rows } = await tx.query<ThreadRowRecord & { match_text: string | null }>(
    `SELECT t.*, m.search_text AS match_text
       FROM thread_store.threads t
       LEFT JOIN LATERAL (
         SELECT i.search_text FROM thread_store.thread_items i
          WHERE i.tenant_id = t.tenant_id AND i.thread_id = t.id AND i.search_text ILIKE $2 ESCAPE '\\'
          ORDER BY i.seq LIMIT 1
       ) m ON true
      WHERE ${where.join(' AND ')}
      ORDER BY ${col} ${dir}, t.id ${dir}
      LIMIT ${p(pageSize + 1, 'int')}`,
    values,
  );
  const page = rows.slice(0, pageSize);
  const items = page.map((row) => {
    const thread = rowToThread(row);
    const source = row.match_text ?? (thread.name?.toLowerCase().includes(params.searchTerm.toLowerCase()) ? thread.name : thread.title);
    return { thread, snippet: snippetAround(source, params.searchTerm) };
  });
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > pageSize && last ? encodeThreadCursor('search', last.thread, sortKey) : null };
}
