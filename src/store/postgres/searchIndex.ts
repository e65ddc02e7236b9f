// Owns the write side of content search on PostgreSQL: folding committed lines into thread_search
// documents, behind the acknowledgement. An append pays nothing for search: the group-commit writer
// only tells the indexer which threads it wrote, and the indexer folds their new lines in the
// background — one statement for many threads and tenants, each thread's lines since its
// search_seq into one document (the visible text of each line, thread_store.search_text, one record
// per line), so the trigram index sees a thread's words once per fold instead of once per line.
// Nothing depends on the fold for correctness: searchThreads also reads the lines after search_seq
// directly (src/store/postgres/searchThreads.ts), so a line is searchable from its COMMIT on, and a
// process that dies with unfolded lines loses nothing — whoever next writes, resumes or searches the
// thread schedules its fold.
import type { Database, NamedStatement, SqlExecutor } from '../../db/database.js';

/** Most lines one fold reads of one thread (the rest waits for the next fold). */
export const FOLD_LINES_PER_THREAD = 5000;
/** Most threads one fold statement takes. */
const FOLD_THREADS_PER_STATEMENT = 256;

/**
 * Fold the lines after search_seq of the threads ($1 tenant ids, $2 thread ids, pairwise), at most
 * $3 lines each. Threads another transaction holds (a batch in flight, another fold) are skipped,
 * not waited for: no fold ever delays an append or deadlocks with one. One row per requested
 * thread: 'gone' (no such thread), 'busy' (skipped), 'more' (lines remain) or 'done'.
 */
export const FOLD: NamedStatement = {
  name: 'thread_store_search_fold_v1',
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
           INSERT INTO thread_store.thread_search (tenant_id, thread_id, first_seq, last_seq, body)
           SELECT tenant_id, thread_id, first_seq, last_seq, body FROM folded WHERE body IS NOT NULL
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

type FoldState = 'gone' | 'busy' | 'more' | 'done';

export interface ThreadRef {
  tenantId: string;
  threadId: string;
}

/** Fold `threads` inside the caller's transaction (one tenant), until each is done. For bulk writers (import). */
export async function foldNow(tx: SqlExecutor, tenantId: string, threadIds: readonly string[]): Promise<void> {
  let todo = [...new Set(threadIds)];
  while (todo.length > 0) {
    const { rows } = await tx.query<{ id: string; state: FoldState }>(FOLD.text, [todo.map(() => tenantId), todo, FOLD_LINES_PER_THREAD]);
    // In the writer's own transaction nothing else holds these rows: 'busy' cannot happen here.
    todo = rows.filter((r) => r.state === 'more').map((r) => r.id);
  }
}

export interface SearchIndexerOptions {
  /** A fold round runs no sooner than this after its first thread was marked (ms): folds of many commits share statements. */
  foldDelayMs: number;
  /** …and only once this process's appends have paused this long (ms): appends come first. */
  idleMs: number;
  /** …unless its oldest thread has waited this long (ms): then it folds even while appends go on. */
  maxFoldDelayMs: number;
}

export const DEFAULT_SEARCH_INDEXER_OPTIONS: SearchIndexerOptions = { foldDelayMs: 1000, idleMs: 200, maxFoldDelayMs: 10_000 };

/**
 * The process's background folder. Threads are marked dirty by the group-commit writer (after each
 * commit), by resumes and by searches that met unfolded lines; a timer folds them in statements of
 * up to FOLD_THREADS_PER_STATEMENT threads, of any tenants. Folding costs the database about as much
 * as the appends whose text it indexes (trigram extraction is linear in the text), so it yields to
 * them: a round waits for a pause in this process's appends, up to maxFoldDelayMs. Searches are
 * exact meanwhile (they read unfolded lines directly); only their cost grows with what waits.
 */
export class SearchIndexer {
  private readonly dirty = new Map<string, ThreadRef>();
  /** When the oldest thread now waiting was marked (ms since epoch). */
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

  markDirty(tenantId: string, threadId: string): void {
    if (this.closed) return;
    if (this.dirty.size === 0) this.waitingSince = Date.now();
    this.dirty.set(`${tenantId}:${threadId}`, { tenantId, threadId });
    this.schedule(this.options.foldDelayMs);
  }

  /** A fold round in `delayMs`, unless one is due or running (it schedules the next itself). */
  private schedule(delayMs: number): void {
    if (this.timer || this.running || this.closed || this.dirty.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = Date.now();
      const quietFor = now - this.lastAppendAt();
      if (quietFor < this.options.idleMs && now - this.waitingSince < this.options.maxFoldDelayMs) {
        // Appends are flowing: look again once they could have paused.
        this.schedule(this.options.idleMs - quietFor);
        return;
      }
      void this.flush().catch(() => {
        // The database is unreachable now; the threads stay dirty for the next round.
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Fold every thread marked dirty so far (threads busy with an append are retried next round). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.running = this.foldAll().finally(() => {
      this.running = null;
      // Work marked while folding (or skipped as busy) gets its own round.
      this.schedule(this.options.foldDelayMs);
    });
    await this.running;
  }

  private async foldAll(): Promise<void> {
    const todo = [...this.dirty.values()];
    this.dirty.clear();
    this.waitingSince = Date.now();
    try {
      for (let i = 0; i < todo.length; i += FOLD_THREADS_PER_STATEMENT) {
        const chunk = todo.slice(i, i + FOLD_THREADS_PER_STATEMENT);
        const [result] = await this.db.pipeline(
          [...new Set(chunk.map((t) => t.tenantId))].sort(),
          [{ statement: FOLD, params: [chunk.map((t) => t.tenantId), chunk.map((t) => t.threadId), FOLD_LINES_PER_THREAD] }],
          'searchFold',
        );
        this.stats.folds++;
        for (const row of (result?.rows ?? []) as { tenant_id: string; id: string; state: FoldState }[]) {
          if (row.state === 'done') this.stats.threadsFolded++;
          else if (row.state === 'more' || row.state === 'busy') this.dirty.set(`${row.tenant_id}:${row.id}`, { tenantId: row.tenant_id, threadId: row.id });
        }
      }
    } catch (error) {
      // Keep what was not folded for the next round, then let the caller see the failure.
      for (const t of todo) this.dirty.set(`${t.tenantId}:${t.threadId}`, t);
      throw error;
    }
  }

  /** Stop folding (a last flush is the caller's choice: unfolded lines stay searchable). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.running) await this.running.catch(() => {});
  }
}
