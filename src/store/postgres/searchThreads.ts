// Owns searchThreads on PostgreSQL: threads whose visible user/assistant text or name/title contains
// the term, case-insensitively and literally, with a snippet around the first match — one statement
// in one round trip. A thread's text is read from its folded search documents (thread_search,
// written behind the ack by src/store/postgres/searchIndex.ts; a document's word summary is checked
// first, wordPatterns, then its text) and, for the lines committed since its last fold
// (seq > search_seq), straight from the lines with the same rule in SQL (thread_store.search_text):
// every committed line is searchable at once, folded or not.
import type { ParsedSearchThreadsParams, ThreadSearchPage } from '../../model/params.js';
import type { Database, NamedStatement } from '../../db/database.js';
import { likePattern, snippetAround, wordPatterns } from '../shared/search.js';
import { decodeThreadCursor, encodeThreadCursor, DEFAULT_PAGE_SIZE } from './listThreads.js';
import { rowToThread, sourceToColumn, type ThreadRowRecord } from './threadRow.js';
import { RECORD_SEPARATOR, type SearchIndexer } from './searchIndex.js';

/** Characters of a document returned on each side of the first match (the snippet needs ~60). */
const WINDOW = 200;

/** Threads of the tenant with lines not folded yet, for the indexer (at most this many per search). */
const UNFOLDED: NamedStatement = {
  name: 'thread_store_search_unfolded_v1',
  text: `SELECT id FROM thread_store.threads WHERE tenant_id = $1 AND last_seq > coalesce(search_seq, -1) LIMIT 256`,
};

interface SearchRow extends ThreadRowRecord {
  /** Text around (a document) or of (an unfolded line) the first match; null when only name/title matched. */
  match_text: string | null;
  /** 1-based position of the match in match_text (0: PostgreSQL's lower() saw none). */
  match_at: number | null;
}

/** `params` as the input boundary (src/store/boundary.ts) parsed them. */
export async function searchThreads(db: Database, search: SearchIndexer, tenantId: string, params: ParsedSearchThreadsParams): Promise<ThreadSearchPage> {
  const pageSize = params.pageSize ?? DEFAULT_PAGE_SIZE;
  const sortKey = params.sortKey ?? 'created_at';
  const desc = (params.sortDirection ?? 'desc') === 'desc';
  const cursor = params.cursor ? decodeThreadCursor('search', params.cursor, sortKey) : null;
  const values: unknown[] = [tenantId, likePattern(params.searchTerm), params.searchTerm, wordPatterns(params.searchTerm)];
  const p = (v: unknown, cast?: string) => {
    values.push(v);
    return `$${values.length}${cast ? `::${cast}` : ''}`;
  };
  const where = ['t.tenant_id = $1', params.archived ? 't.archived_at IS NOT NULL' : 't.archived_at IS NULL'];
  if (params.allowedSources && params.allowedSources.length > 0) where.push(`t.source = ANY(${p(params.allowedSources.map(sourceToColumn), 'text[]')})`);
  const col = `t.${sortKey}`;
  if (cursor) where.push(`(${col}, t.id) ${desc ? '<' : '>'} (${p(cursor.ts, 'timestamptz')}, ${p(cursor.id, 'uuid')})`);
  where.push(`(m.text IS NOT NULL OR coalesce(t.name, '') ILIKE $2 ESCAPE '\\' OR t.title ILIKE $2 ESCAPE '\\')`);
  // Spelled exactly like the indexes (drizzle writes DESC NULLS LAST; its backward scan is ASC
  // NULLS FIRST): with PostgreSQL's defaults (DESC = NULLS FIRST) the planner would sort instead.
  const dir = desc ? 'DESC NULLS LAST' : 'ASC NULLS FIRST';
  // The first match in seq order: the earliest matching document (all folded lines come before the
  // unfolded ones), else the earliest matching unfolded line. Only history lines (seq >= 0). Every
  // table names the tenant as $1 (not through t): on Citus that keeps the statement on one shard.
  // (Correlated through t.tenant_id it was asked of all 32 shards: 0.5 s instead of a few ms.)
  const text = `SELECT t.*, m.text AS match_text, m.at AS match_at
       FROM thread_store.threads t
       LEFT JOIN LATERAL (
         (SELECT substr(d.body, greatest(1, f.at - ${WINDOW}), ${2 * WINDOW} + length($3)) AS text, least(f.at, ${WINDOW + 1}) AS at
            FROM thread_store.thread_search d
           CROSS JOIN LATERAL (SELECT strpos(lower(d.body), lower($3)) AS at) f
           WHERE d.tenant_id = $1 AND d.thread_id = t.id AND d.words ILIKE ALL ($4::text[]) AND d.body ILIKE $2 ESCAPE '\\'
           ORDER BY d.first_seq LIMIT 1)
         UNION ALL
         (SELECT s.text, strpos(lower(s.text), lower($3)) AS at
            FROM thread_store.thread_items i
           CROSS JOIN LATERAL (SELECT thread_store.search_text(i.type, i.payload, i.raw_line) AS text) s
           WHERE i.tenant_id = $1 AND i.thread_id = t.id AND i.seq >= 0 AND i.seq > coalesce(t.search_seq, -1)
             AND i.type = 'response_item' AND s.text ILIKE $2 ESCAPE '\\'
           ORDER BY i.seq LIMIT 1)
         LIMIT 1
       ) m ON true
      WHERE ${where.join(' AND ')}
      ORDER BY ${col} ${dir}, t.id ${dir}
      LIMIT ${p(pageSize + 1, 'int')}`;
  const [found, unfolded] = await db.pipeline(
    tenantId,
    [
      { statement: { text }, params: values },
      { statement: UNFOLDED, params: [tenantId] },
    ],
    'searchThreads',
  );
  for (const r of (unfolded?.rows ?? []) as { id: string }[]) search.markDirty(tenantId, r.id);
  const rows = (found?.rows ?? []) as unknown as SearchRow[];
  const page = rows.slice(0, pageSize);
  const items = page.map((row) => {
    const thread = rowToThread(row);
    const term = params.searchTerm;
    const source = row.match_text !== null ? matchedLine(row.match_text, Number(row.match_at ?? 0)) : thread.name?.toLowerCase().includes(term.toLowerCase()) ? thread.name : thread.title;
    return { thread, snippet: snippetAround(source ?? '', term) };
  });
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > pageSize && last ? encodeThreadCursor('search', last.thread, sortKey) : null };
}

/**
 * The line (record of a document window) holding the match at `at`, a 1-based position in
 * characters as PostgreSQL counts them (code points); the first line when unknown.
 */
function matchedLine(text: string, at: number): string {
  if (at <= 0) return text.split(RECORD_SEPARATOR).find((line) => line !== '') ?? text;
  let k = 0;
  for (let cp = 1; cp < at && k < text.length; cp++) k += (text.codePointAt(k) ?? 0) > 0xffff ? 2 : 1;
  const start = text.lastIndexOf(RECORD_SEPARATOR, k) + 1;
  const end = text.indexOf(RECORD_SEPARATOR, k);
  return text.slice(start, end === -1 ? text.length : end);
}
