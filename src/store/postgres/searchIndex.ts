// Owns the write side of content search on PostgreSQL: folding committed lines into thread_search
// documents, behind the acknowledgement. An append pays nothing for search. After a batch commits,
// the group-commit writer hands the indexer each thread's new lines' visible text (searchTextOf,
// which it has in memory anyway); in the background the indexer writes one document per thread per
// fold — the text, one record per line, and its word summary (searchWords), which is what the
// trigram index covers — for many threads and tenants in one statement, and moves the threads'
// search_seq. Lines the process did not see committed (a crashed writer's, an imported or detached
// thread's) are folded by the database itself from the stored lines (FOLD, thread_store.search_text
// and search_words in SQL).
// Nothing depends on the fold for correctness: searchThreads also reads the lines after search_seq
// directly (src/store/postgres/searchThreads.ts), so a line is searchable from its COMMIT on, and a
// process that dies with unfolded lines loses nothing — whoever next resumes or searches the thread
// schedules its fold.
import type { Database, DatabaseLayout, NamedStatement, SqlExecutor } from '../../db/database.js';
import { searchWords } from '../shared/search.js';

/** Most lines one fold reads of one thread (the rest waits for the next fold). */
export const FOLD_LINES_PER_THREAD = 5000;
/** Most threads one fold statement takes. */
const FOLD_THREADS_PER_STATEMENT = 256;
/** Separates the lines of a document's text (thread_store.search_text maps it to U+FFFD in text). */
export const RECORD_SEPARATOR = '\u001e';

/**
 * Fold the stored lines after search_seq of the threads ($1 tenant ids, $2 thread ids, pairwise),
 * at most $3 lines each, reading them back from thread_items. Threads another transaction holds (a
 * batch in flight, another fold) are skipped, not waited for: no fold ever delays an append or
 * deadlocks with one. One row per requested thread: 'gone' (no such thread), 'busy' (skipped),
 * 'more' (lines remain) or 'done'.
 */
export const FOLD: NamedStatement = {
  name: 'thread_store_search_fold_v2',
  genericPlan: true,
  text: `WITH x AS (
           SELECT * FROM unnest($1::uuid[], $2::uuid[]) AS x(tenant_id, id)
         ), q AS (
           SELECT t.tenant_id, t.id, t.search_seq FROM thread_store.threads t
             JOIN x ON t.tenant_id = x.tenant_id AND t.id = x.id
           ORDER BY t.tenant_id, t.id
           FOR NO KEY UPDATE OF t SKIP LOCKED
         ), l AS (
           SELECT q.tenant_id, q.id AS thread_id, i.seq,
                  CASE WHEN i.type = 'response_item' THEN thread_store.search_text(i.type, i.payload, i.raw_line) END AS body
             FROM q CROSS JOIN LATERAL (
               SELECT seq, type, payload, raw_line FROM thread_store.thread_items i
                WHERE i.tenant_id = q.tenant_id AND i.thread_id = q.id AND i.seq >= 0 AND i.seq > coalesce(q.search_seq, -1)
                ORDER BY i.seq LIMIT $3) i
         ), folded AS (
           SELECT tenant_id, thread_id, min(seq) FILTER (WHERE body IS NOT NULL) AS first_seq, max(seq) AS last_seq,
                  string_agg(body, E'\\x1e' ORDER BY seq) AS body
             FROM l GROUP BY tenant_id, thread_id
         ), docs AS (
           INSERT INTO thread_store.thread_search (tenant_id, thread_id, first_seq, last_seq, body, words)
           SELECT tenant_id, thread_id, first_seq, last_seq, body, thread_store.search_words(body) FROM folded WHERE body IS NOT NULL
         ), upd AS (
           UPDATE thread_store.threads t SET search_seq = f.last_seq
             FROM folded f WHERE t.tenant_id = f.tenant_id AND t.id = f.thread_id
           RETURNING t.tenant_id, t.id, t.last_seq > f.last_seq AS more
         )
         SELECT x.tenant_id, x.id,
                CASE WHEN q.id IS NULL THEN (CASE WHEN EXISTS (SELECT 1 FROM thread_store.threads t WHERE t.tenant_id = x.tenant_id AND t.id = x.id)
                                                  THEN 'busy' ELSE 'gone' END)
                     WHEN u.more THEN 'more' ELSE 'done' END AS state
           FROM x LEFT JOIN q ON q.tenant_id = x.tenant_id AND q.id = x.id
                  LEFT JOIN upd u ON u.tenant_id = x.tenant_id AND u.id = x.id`,
};

/**
 * Fold lines whose text the writer handed over: per thread ($1 tenant, $2 thread) the seqs $3..$4,
 * $7 lines of text (0 when none of them has any) and their word summary $6. The lines' texts of
 * every thread travel as ONE text $5, joined by U+001E in thread order (a text never holds one:
 * searchTextOf maps it to U+FFFD): as a text[] each element would be quoted and escaped by the
 * driver, character by character — for code-like text with quotes and backslashes that cost more
 * than the rest of the fold. Written only where the thread's search_seq is $3 - 1 (the lines
 * continue what is folded); 'stale' otherwise (someone folded past them, or there are older
 * unfolded lines: the database must fold those itself), and 'busy' / 'gone' as for FOLD.
 */
const FOLD_TEXTS: NamedStatement = {
  name: 'thread_store_search_fold_texts_v2',
  genericPlan: true,
  text: `WITH x AS (
           SELECT x.tenant_id, x.id, x.first_seq, x.last_seq, x.words, x.n, (sum(x.n) OVER (ORDER BY x.ord) - x.n)::int AS before
             FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[], $6::text[], $7::int[]) WITH ORDINALITY
                    AS x(tenant_id, id, first_seq, last_seq, words, n, ord)
         ), lines AS (
           SELECT string_to_array($5::text, E'\x1e') AS a
         ), q AS (
           SELECT t.tenant_id, t.id, coalesce(t.search_seq, -1) = x.first_seq - 1 AS fits FROM thread_store.threads t
             JOIN x ON t.tenant_id = x.tenant_id AND t.id = x.id
           ORDER BY t.tenant_id, t.id
           FOR NO KEY UPDATE OF t SKIP LOCKED
         ), docs AS (
           INSERT INTO thread_store.thread_search (tenant_id, thread_id, first_seq, last_seq, body, words)
           SELECT x.tenant_id, x.id, x.first_seq, x.last_seq,
                  array_to_string((SELECT a FROM lines)[x.before + 1 : x.before + x.n], E'\x1e'), x.words
             FROM x JOIN q ON q.tenant_id = x.tenant_id AND q.id = x.id WHERE q.fits AND x.n > 0
         ), upd AS (
           UPDATE thread_store.threads t SET search_seq = x.last_seq
             FROM x JOIN q ON q.tenant_id = x.tenant_id AND q.id = x.id
            WHERE q.fits AND t.tenant_id = x.tenant_id AND t.id = x.id
         )
         SELECT x.tenant_id, x.id,
                CASE WHEN q.id IS NULL THEN (CASE WHEN EXISTS (SELECT 1 FROM thread_store.threads t WHERE t.tenant_id = x.tenant_id AND t.id = x.id)
                                                  THEN 'busy' ELSE 'gone' END)
                     WHEN q.fits THEN 'done' ELSE 'stale' END AS state
           FROM x LEFT JOIN q ON q.tenant_id = x.tenant_id AND q.id = x.id`,
};

/** FOLD_TEXTS's parameters for these threads' held lines (see there). */
function foldTextsParams(held: readonly { ref: ThreadRef; first: number; last: number; texts: readonly string[] }[]): unknown[] {
  const all: string[] = [];
  for (const h of held) for (const t of h.texts) all.push(t);
  return [
    held.map((h) => h.ref.tenantId),
    held.map((h) => h.ref.threadId),
    held.map((h) => h.first),
    held.map((h) => h.last),
    all.join(RECORD_SEPARATOR),
    held.map((h) => searchWords(h.texts)),
    held.map((h) => h.texts.length),
  ];
}

type FoldState = 'gone' | 'busy' | 'more' | 'done' | 'stale';

export interface ThreadRef {
  tenantId: string;
  threadId: string;
}

/**
 * Whether search documents are written on this layout. Not on a distributed (Citus) database: a fold
 * is one statement over many threads whose documents are inserted from its own CTEs, which Citus
 * plans by pulling the rows through the coordinator and COPYing them into the shard — refused under
 * row-level security. Searches stay exact there (they read the lines after search_seq, i.e. every
 * line), only slower on long threads: docs/SCALING.md §1, "What Citus does not do".
 */
export async function searchDocumentsOn(db: Pick<Database, 'layout'>): Promise<boolean> {
  return (await db.layout()) === 'single';
}

/** Fold `threads` inside the caller's transaction (one tenant), until each is done. For bulk writers (import). */
export async function foldNow(tx: SqlExecutor, tenantId: string, threadIds: readonly string[], layout: DatabaseLayout = 'single'): Promise<void> {
  if (layout !== 'single') return; // see searchDocumentsOn
  let todo = [...new Set(threadIds)];
  while (todo.length > 0) {
    const { rows } = await tx.query<{ id: string; state: FoldState }>(FOLD.text, [todo.map(() => tenantId), todo, FOLD_LINES_PER_THREAD]);
    // In the writer's own transaction nothing else holds these rows: 'busy' cannot happen here.
    todo = rows.filter((r) => r.state === 'more').map((r) => r.id);
  }
}

/** The search texts of a thread's lines first..last (every line ≥ 0 in that range, in seq order) that the caller holds. */
export interface HeldTexts {
  first: number;
  last: number;
  texts: string[];
}

/**
 * Fold one thread inside the caller's transaction (one tenant) from texts it holds — an import,
 * which reads every line anyway: FOLD_TEXTS with the word summary made here, ~5× cheaper than the
 * database's own fold (search_text and search_words in SQL: 1.7 s for 10,000 1 KB messages). When
 * the held lines do not continue what is folded, or stored lines remain after them, the database
 * folds from the stored lines (foldNow), so the outcome is the same either way.
 */
export async function foldHeldNow(tx: SqlExecutor, tenantId: string, threadId: string, held: HeldTexts | null, lastSeq: number, layout: DatabaseLayout = 'single'): Promise<void> {
  if (layout !== 'single') return; // see searchDocumentsOn
  if (held !== null) {
    const { rows } = await tx.query<{ state: FoldState }>(FOLD_TEXTS.text, foldTextsParams([{ ref: { tenantId, threadId }, ...held }]));
    if (rows[0]?.state === 'done' && held.last >= lastSeq) return;
  }
  await foldNow(tx, tenantId, [threadId], layout);
}

export interface SearchIndexerOptions {
  /**
   * Write search documents at all (default true). false: no fold ever runs — appends hand the
   * indexer nothing, imports and deletes skip folding — and searchThreads reads every line of a
   * tenant's threads after what was folded before (all of them on a new database): the same
   * answers, slower as threads grow. For platforms that do not search message content; appends of
   * large messages then cost about half (bench/README.md, "Heavier messages").
   */
  documents: boolean;
  /** A fold round runs no sooner than this after its first thread was marked (ms): folds of many commits share statements. */
  foldDelayMs: number;
  /** …and only once this process's appends have paused this long (ms): appends come first. */
  idleMs: number;
  /** …unless its oldest thread has waited this long (ms): then it folds even while appends go on. */
  maxFoldDelayMs: number;
  /** …or the text waiting in memory has grown past this many bytes. */
  maxPendingBytes: number;
}

export const DEFAULT_SEARCH_INDEXER_OPTIONS: SearchIndexerOptions = { documents: true, foldDelayMs: 1000, idleMs: 200, maxFoldDelayMs: 10_000, maxPendingBytes: 32 * 1024 * 1024 };

/** Lines of one thread the writer committed and the indexer holds: seqs first..last, their texts. */
interface PendingText {
  ref: ThreadRef;
  first: number;
  last: number;
  texts: string[];
  bytes: number;
}

/**
 * The process's background folder. The group-commit writer hands it the text of every committed
 * line (add); resumes and searches that meet lines it never saw mark threads for the database to
 * fold (markDirty). A fold round writes both kinds, up to FOLD_THREADS_PER_STATEMENT threads of any
 * tenants per statement. Rounds yield to appends: a round waits for a pause of idleMs in this
 * process's appends, at most maxFoldDelayMs or until maxPendingBytes of text wait. Searches are
 * exact meanwhile (they read unfolded lines directly); only their cost grows with what waits.
 */
export class SearchIndexer {
  /** Threads the database must fold from their stored lines. */
  private readonly dirty = new Map<string, ThreadRef>();
  /** Threads whose new lines' text this process holds, contiguous from the thread's search_seq + 1. */
  private readonly pending = new Map<string, PendingText>();
  private pendingBytes = 0;
  /** When the oldest work now waiting was marked (ms since epoch). */
  private waitingSince = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  readonly stats = { folds: 0, threadsFolded: 0 };

  /** `lastAppendAt`: when this process last submitted or committed an append (ms since epoch). */
  constructor(
    private readonly db: Database,
    private readonly options: SearchIndexerOptions = DEFAULT_SEARCH_INDEXER_OPTIONS,
    private readonly lastAppendAt: () => number = () => 0,
  ) {}

  /** Whether this process writes search documents (SearchIndexerOptions.documents). */
  get writesDocuments(): boolean {
    return this.options.documents;
  }

  private waiting(): boolean {
    return this.dirty.size > 0 || this.pending.size > 0;
  }

  private noteWork(): void {
    if (!this.waiting()) this.waitingSince = Date.now();
  }

  /** The database should fold this thread from its stored lines (lines this process did not commit). */
  markDirty(tenantId: string, threadId: string): void {
    if (this.closed || !this.options.documents) return;
    this.noteWork();
    const key = `${tenantId}:${threadId}`;
    this.dropPending(key);
    this.dirty.set(key, { tenantId, threadId });
    this.schedule(this.options.foldDelayMs);
  }

  /** The writer committed seqs first..last of a thread with these texts (null: no visible text). */
  add(tenantId: string, threadId: string, first: number, last: number, texts: readonly (string | null)[]): void {
    if (this.closed || !this.options.documents) return;
    const key = `${tenantId}:${threadId}`;
    if (this.dirty.has(key)) return; // the database folds it from the stored lines anyway
    this.noteWork();
    const held = this.pending.get(key);
    if (held && held.last !== first - 1) {
      // Not contiguous with what is held (cannot happen with one writer per thread): let the database fold it.
      this.markDirty(tenantId, threadId);
      return;
    }
    const entry = held ?? { ref: { tenantId, threadId }, first, last, texts: [], bytes: 0 };
    entry.last = last;
    for (const text of texts) {
      if (text === null) continue;
      entry.texts.push(text);
      entry.bytes += text.length;
      this.pendingBytes += text.length;
    }
    this.pending.set(key, entry);
    this.schedule(this.pendingBytes > this.options.maxPendingBytes ? 0 : this.options.foldDelayMs);
  }

  private dropPending(key: string): void {
    const held = this.pending.get(key);
    if (!held) return;
    this.pendingBytes -= held.bytes;
    this.pending.delete(key);
  }

  /** A fold round in `delayMs`, unless one is due or running (it schedules the next itself). */
  private schedule(delayMs: number): void {
    if (this.running || this.closed || !this.waiting()) return;
    if (this.timer) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = Date.now();
      const quietFor = now - this.lastAppendAt();
      const overdue = now - this.waitingSince >= this.options.maxFoldDelayMs || this.pendingBytes > this.options.maxPendingBytes;
      if (quietFor < this.options.idleMs && !overdue) {
        // Appends are flowing: look again once they could have paused.
        this.schedule(this.options.idleMs - quietFor);
        return;
      }
      void this.flush().catch(() => {
        // The database is unreachable now; the work stays for the next round.
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Fold everything waiting now (threads busy with an append are retried next round). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.running = this.foldAll().finally(() => {
      this.running = null;
      // Work that arrived while folding (or was skipped as busy) gets its own round.
      this.schedule(this.options.foldDelayMs);
    });
    await this.running;
  }

  private async foldAll(): Promise<void> {
    const texts = [...this.pending.values()];
    const dirty = [...this.dirty.values()];
    this.pending.clear();
    this.pendingBytes = 0;
    this.dirty.clear();
    this.waitingSince = Date.now();
    // No folds on a distributed database (see SEARCH_DOCUMENTS_ON): searches read the lines.
    if (!(await searchDocumentsOn(this.db))) return;
    try {
      for (let i = 0; i < texts.length; i += FOLD_THREADS_PER_STATEMENT) {
        const chunk = texts.slice(i, i + FOLD_THREADS_PER_STATEMENT);
        const rows = await this.run(chunk.map((p) => p.ref), FOLD_TEXTS, foldTextsParams(chunk));
        const byKey = new Map(chunk.map((p) => [`${p.ref.tenantId}:${p.ref.threadId}`, p]));
        for (const row of rows) {
          const held = byKey.get(`${row.tenant_id}:${row.id}`);
          if (!held) continue;
          if (row.state === 'done') this.stats.threadsFolded++;
          else if (row.state === 'busy') this.requeue(held);
          else if (row.state === 'stale') dirty.push(held.ref);
        }
      }
      for (let i = 0; i < dirty.length; i += FOLD_THREADS_PER_STATEMENT) {
        const chunk = dirty.slice(i, i + FOLD_THREADS_PER_STATEMENT);
        const rows = await this.run(chunk, FOLD, [chunk.map((t) => t.tenantId), chunk.map((t) => t.threadId), FOLD_LINES_PER_THREAD]);
        for (const row of rows) {
          if (row.state === 'done') this.stats.threadsFolded++;
          else if (row.state === 'more' || row.state === 'busy') this.dirty.set(`${row.tenant_id}:${row.id}`, { tenantId: row.tenant_id, threadId: row.id });
        }
      }
    } catch (error) {
      // What was not folded goes to the database to fold later (its text here may be lost: the
      // stored lines are the truth), then the caller sees the failure.
      for (const t of [...texts.map((p) => p.ref), ...dirty]) this.dirty.set(`${t.tenantId}:${t.threadId}`, t);
      throw error;
    }
  }

  /** Held text skipped because its thread was busy: back in front of what arrived since. */
  private requeue(held: PendingText): void {
    const key = `${held.ref.tenantId}:${held.ref.threadId}`;
    if (this.dirty.has(key)) return;
    const newer = this.pending.get(key);
    if (newer) {
      this.pendingBytes -= newer.bytes;
      held.texts.push(...newer.texts);
      held.bytes += newer.bytes;
      held.last = newer.last;
    }
    this.pending.set(key, held);
    this.pendingBytes += held.bytes;
  }

  private async run(threads: readonly ThreadRef[], statement: NamedStatement, params: unknown[]): Promise<{ tenant_id: string; id: string; state: FoldState }[]> {
    const [result] = await this.db.pipeline([...new Set(threads.map((t) => t.tenantId))].sort(), [{ statement, params }], 'searchFold');
    this.stats.folds++;
    return (result?.rows ?? []) as { tenant_id: string; id: string; state: FoldState }[];
  }

  /** Stop folding (a last flush is the caller's choice: unfolded lines stay searchable). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.running) await this.running.catch(() => {});
  }
}
