// Owns the ThreadStore contract: Codex's storage boundary (codex-rs/thread-store/src/store.rs),
// camelCased, scoped to one tenant. A store persists what it is told; it never derives metadata
// from items (LiveThread does that and hands the result in through `AppendOptions.metadataPatch`).
import type {
  AppendOptions,
  AppendThreadItemsParams,
  CreateThreadParams,
  ForkThreadParams,
  ItemPage,
  ListItemsParams,
  ListThreadsParams,
  ListTurnsParams,
  LoadThreadHistoryParams,
  ReadThreadParams,
  ResumeThreadParams,
  SearchThreadsParams,
  ThreadIdParams,
  ThreadPage,
  ThreadSearchPage,
  TurnPage,
  UpdateThreadMetadataParams,
} from '../model/params.js';
import type { HistoryMode, StoredThread, StoredThreadHistory } from '../model/thread.js';
import type { HistoryReconstruction } from '../history/reconstructHistory.js';

/** A thread's model-visible history as Codex rebuilds it on resume, plus how much was read. */
export interface StoredHistoryReconstruction extends HistoryReconstruction {
  /** Item rows read to answer (O(tail): small when a checkpoint is near the end). */
  itemsRead: number;
  /** Seq of the checkpoint reconstruction started from; null when the whole thread was read. */
  checkpointSeq: number | null;
}

/**
 * `AppendOptions.metadataPatch`: a metadata patch applied in the same transaction as the items
 * (LiveThread's derived facts), so metadata is never ahead of or behind history. Raw appends leave
 * metadata untouched. The parameter types are the zod schemas' (src/model/params.ts).
 */
export type { AppendOptions, ThreadIdParams } from '../model/params.js';

export interface ThreadStore {
  readonly tenantId: string;
  /** Stores that can page turns/items report `paginated`. */
  defaultHistoryMode(): HistoryMode;

  /** Open a live writer for a new thread. Nothing is stored until the first persisted item (lazy). */
  createThread(params: CreateThreadParams): Promise<void>;
  /** Reopen an existing thread for live appends. */
  resumeThread(params: ResumeThreadParams): Promise<void>;
  /** Append raw canonical items in order; resolves once they are committed. */
  appendItems(params: AppendThreadItemsParams, options?: AppendOptions | null): Promise<void>;
  /** Materialize a live thread (even with no items), then make everything queued durable. */
  persistThread(threadId: string): Promise<void>;
  /** Returns once queued items are durable and readable. */
  flushThread(threadId: string): Promise<void>;
  /** Flush and close the live writer. */
  shutdownThread(threadId: string): Promise<void>;
  /** Idempotent terminal release without forcing pending items durable. */
  discardThread(threadId: string): Promise<void>;

  loadHistory(params: LoadThreadHistoryParams): Promise<StoredThreadHistory>;
  /**
   * Codex's reconstruct_history_from_rollout: the model-visible history (newest surviving
   * checkpoint's replacement history verbatim + later items, rollbacks applied), window lineage,
   * previous turn settings and reference context.
   */
  reconstructHistory(params: LoadThreadHistoryParams): Promise<StoredHistoryReconstruction>;
  readThread(params: ReadThreadParams): Promise<StoredThread>;
  listThreads(params?: ListThreadsParams): Promise<ThreadPage>;
  searchThreads(params: SearchThreadsParams): Promise<ThreadSearchPage>;
  listTurns(params: ListTurnsParams): Promise<TurnPage>;
  listItems(params: ListItemsParams): Promise<ItemPage>;

  /** The only metadata write API: applies the patch literally; returns the updated thread. */
  updateThreadMetadata(params: UpdateThreadMetadataParams): Promise<StoredThread>;
  archiveThread(params: ThreadIdParams): Promise<void>;
  unarchiveThread(params: ThreadIdParams): Promise<StoredThread>;
  deleteThread(params: ThreadIdParams): Promise<void>;
  /** A new thread whose history starts with the source's (up to `lastTurnId`), without copying rows. */
  forkThread(params: ForkThreadParams): Promise<StoredThread>;
}

/** What a service's writer did so far. */
export interface WriterStats {
  /** Transactions that stored appended lines (PostgreSQL: group-commit batches; in memory: appends). */
  batches: number;
  /** Lines they stored. */
  items: number;
  /** Batches retried after a transient failure (connection loss, timeout). */
  retries: number;
}

/** What openThreadStore returns, and what the in-memory store (`pg-thread-store/memory`) is too. */
export interface ThreadStoreService {
  /** Where the threads live: a PostgreSQL server, the embedded PGlite, or process memory. */
  readonly kind: 'postgres' | 'embedded' | 'memory';
  /** The ThreadStore of one tenant: it sees and writes only that tenant's threads. */
  forTenant(tenantId: string): ThreadStore;
  /**
   * Fold the text this process committed into the search index now. Never needed for correct
   * answers (searchThreads reads unfolded lines directly); useful before a bulk search, or to
   * measure the index's cost.
   */
  flushSearchIndex(): Promise<void>;
  /** What this process's group-commit writer did so far: batches committed, items in them, retries. */
  writerStats(): WriterStats;
  /** Waits for queued appends, releases live claims and closes the connections. */
  close(): Promise<void>;
}
