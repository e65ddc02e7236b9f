// Owns the per-tenant PostgreSQL ThreadStore behind the input boundary (src/store/boundary.ts,
// which hands it parsed values): the lifecycle of live writers (lazy materialization, claims,
// shutdown/discard) and the dispatch of every operation to its module.
// Every statement runs in a transaction that sets thread_store.tenant_id (RLS) and also names the
// tenant explicitly, so a mistake in one layer is caught by the other.
import { InvalidRequestError, ThreadNotFoundError } from '../../model/errors.js';
import { isEmptyPatch, type ThreadMetadataPatch } from '../../model/patch.js';
import type {
  ItemPage,
  ParsedCreateThreadParams,
  ParsedForkThreadParams,
  ParsedListItemsParams,
  ParsedListThreadsParams,
  ParsedListTurnsParams,
  ParsedLoadThreadHistoryParams,
  ParsedReadThreadParams,
  ParsedResumeThreadParams,
  ParsedSearchThreadsParams,
  ThreadPage,
  ThreadSearchPage,
  TurnPage,
} from '../../model/params.js';
import type { HistoryMode, StoredThread, StoredThreadHistory } from '../../model/thread.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';
import type { PreparedItem } from '../../model/storedLine.js';
import { and, eq, type SQL } from 'drizzle-orm';
import type { Database, SqlExecutor } from '../../db/database.js';
import { run } from '../../db/query.js';
import { threads } from '../../db/schema/threads.js';
import { ThreadStoreBoundary } from '../boundary.js';
import type { StoredHistoryReconstruction } from '../ThreadStore.js';
import { TRANSFER, type ThreadTransfer } from '../transfer.js';
import type { ItemLimits } from '../shared/preparedItem.js';
import { fastResume, reconstructStoredHistory } from './reconstructHistory.js';
import { buildSessionMetaLine } from '../shared/sessionMeta.js';
import { isTurnEndLine, TurnTracker } from '../../history/turns.js';
import { applyPatch } from './applyPatch.js';
import { deleteThread } from './deleteThread.js';
import { forkThread } from './forkThread.js';
import { historySegments, readVirtualRange } from './historySegments.js';
import { claimThread, liveKey, releaseClaim, type LiveWriterState, type ThreadInit } from './liveWriter.js';
import { listItems, listTurns } from './listTurnsAndItems.js';
import { listThreads } from './listThreads.js';
import { searchThreads } from './searchThreads.js';
import { findThreadRow, requireThreadRow } from './threadLookup.js';
import { rowToThread, sourceToColumn, type ThreadRowRecord } from './threadRow.js';
import { readThreadOnce } from './threadReads.js';
import { PostgresTransfer } from './transfer.js';
import type { StoreRuntime } from './StoreRuntime.js';
import { enforceTenantQuota } from './quota.js';

export class PostgresThreadStore extends ThreadStoreBoundary {
  constructor(
    readonly tenantId: string,
    private readonly runtime: StoreRuntime,
  ) {
    super();
  }

  protected get itemLimits(): ItemLimits {
    return this.runtime.limits;
  }

  protected now(): string {
    return this.runtime.now();
  }

  /** The database this tenant's store reads and writes (for the operator calls that take the store). */
  get database(): Database {
    return this.runtime.db;
  }

  [TRANSFER](): ThreadTransfer {
    return new PostgresTransfer(this.runtime.db, this.tenantId, this.runtime.search.writesDocuments);
  }

  defaultHistoryMode(): HistoryMode {
    return 'paginated';
  }

  private tx<T>(operation: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.runtime.db.transaction(fn, { tenantId: this.tenantId, operation });
  }

  /** `threads` row of `threadId` in this tenant, for the query builder. */
  private thread(threadId: string): SQL | undefined {
    return and(eq(threads.tenantId, this.tenantId), eq(threads.id, threadId));
  }

  private live(threadId: string): LiveWriterState {
    const state = this.runtime.live.get(liveKey(this.tenantId, threadId));
    if (!state || state.closed) throw new ThreadNotFoundError(threadId);
    return state;
  }

  private assertNotLive(threadId: string): void {
    const state = this.runtime.live.get(liveKey(this.tenantId, threadId));
    if (state && !state.closed) throw new InvalidRequestError(`thread ${threadId} already has a live writer`);
  }

  protected async create(params: ParsedCreateThreadParams): Promise<void> {
    this.assertNotLive(params.threadId);
    const historyMode = params.historyMode ?? this.defaultHistoryMode();
    await this.runtime.registerProcess();
    const { epoch, createdAt } = await this.tx('createThread', async (tx) => {
      if (await findThreadRow(tx, this.tenantId, params.threadId)) {
        throw new InvalidRequestError(`thread ${params.threadId} already exists`, { path: 'threadId' });
      }
      await enforceTenantQuota(tx, this.tenantId, { threads: 1, bytes: 0 }); // issue #8: fail fast; the batch re-checks
      const epoch = await claimThread(tx, this.tenantId, params.threadId, this.runtime.ownerId, this.runtime.leaseMs);
      // The creation instant goes through the tenant clock now, so created/updated/recency of
      // threads created together stay distinct and ordered as they were created.
      const { rows } = await tx.query<{ at: Date }>('SELECT thread_store.allocate_timestamp($1, $2::timestamptz) AS at', [this.tenantId, this.runtime.now()]);
      return { epoch, createdAt: rows[0]!.at.toISOString() };
    });
    const init: ThreadInit = {
      sessionId: params.sessionId ?? params.threadId,
      forkedFromId: params.forkedFromId ?? null,
      parentThreadId: params.parentThreadId ?? null,
      source: sourceToColumn(params.source),
      threadSource: params.threadSource ?? null,
      originator: params.originator,
      modelProvider: params.metadata.modelProvider,
      cwd: params.metadata.cwd ?? '',
      cliVersion: params.cliVersion ?? '',
      agentNickname: params.agentNickname ?? null,
      agentRole: params.agentRole ?? null,
      agentPath: params.agentPath ?? null,
      memoryMode: params.metadata.memoryMode ?? 'enabled',
      historyMode,
      gitSha: params.gitInfo?.sha ?? null,
      gitBranch: params.gitInfo?.branch ?? null,
      gitOriginUrl: params.gitInfo?.originUrl ?? null,
      createdAt,
    };
    this.register({
      tenantId: this.tenantId,
      threadId: params.threadId,
      epoch,
      materialized: false,
      sessionMeta: buildSessionMetaLine(params, createdAt, historyMode),
      init,
      nextSeq: 0,
      turns: new TurnTracker(),
      closed: false,
      fencedBy: null,
    });
  }

  protected async resume(params: ParsedResumeThreadParams): Promise<void> {
    this.assertNotLive(params.threadId);
    await this.runtime.registerProcess();
    const { epoch, lastSeq, openTurn, unfolded } = await this.tx('resumeThread', async (tx) => {
      const row = await requireThreadRow(tx, this.tenantId, params.threadId, params.includeArchived ?? false, true);
      const epoch = await claimThread(tx, this.tenantId, params.threadId, this.runtime.ownerId, this.runtime.leaseMs);
      const segments = await historySegments(tx, this.tenantId, row);
      // The open turn (if the thread stopped mid-turn) continues to own the next lines: the last
      // line's turn, unless that line ended it.
      const [last] = await readVirtualRange(tx, this.tenantId, segments, { direction: 'desc', limit: 1 });
      return {
        epoch,
        lastSeq: Number(row.last_seq),
        openTurn: last && last.turnId !== null && !isTurnEndLine(last.line) ? last.turnId : null,
        // Lines a dead writer committed but never folded into the search index.
        unfolded: row.search_seq === null || Number(row.search_seq) < Number(row.last_seq),
      };
    });
    if (unfolded) this.runtime.search.markDirty(this.tenantId, params.threadId);
    this.register({
      tenantId: this.tenantId,
      threadId: params.threadId,
      epoch,
      materialized: true,
      sessionMeta: null,
      init: null,
      nextSeq: lastSeq + 1,
      turns: new TurnTracker(openTurn),
      closed: false,
      fencedBy: null,
    });
  }

  private register(state: LiveWriterState): void {
    this.runtime.live.set(liveKey(state.tenantId, state.threadId), state);
  }

  protected async append(threadId: string, prepared: PreparedItem[], patch: ThreadMetadataPatch | undefined): Promise<void> {
    const state = this.live(threadId);
    // Nothing kept by the persistence policy: the whole call is a no-op, its patch included
    // (Codex: raw appends of non-persisted items neither materialize nor touch metadata).
    if (prepared.length === 0) return;
    await this.runtime.writer.submit(state, prepared, patch);
  }

  protected async persist(threadId: string): Promise<void> {
    const state = this.live(threadId);
    if (state.materialized) return;
    await this.runtime.writer.submit(state, [], undefined, true);
  }

  protected async flush(threadId: string): Promise<void> {
    this.live(threadId);
    // Appends resolve only after COMMIT, so there is nothing buffered to flush.
  }

  protected async shutdown(threadId: string): Promise<void> {
    const state = this.live(threadId);
    await this.release(state);
  }

  protected async discard(threadId: string): Promise<void> {
    const state = this.runtime.live.get(liveKey(this.tenantId, threadId));
    if (!state || state.closed) return;
    await this.release(state);
  }

  private async release(state: LiveWriterState): Promise<void> {
    // Close first, so a stale handle cannot append while the claim is being released.
    state.closed = true;
    const key = liveKey(state.tenantId, state.threadId);
    if (this.runtime.live.get(key) === state) this.runtime.live.delete(key);
    await this.tx('releaseThread', (tx) => releaseClaim(tx, this.tenantId, state.threadId, state.epoch));
  }

  protected async history(params: ParsedLoadThreadHistoryParams): Promise<StoredThreadHistory> {
    const { threadId } = params;
    const { row, history } = await readThreadOnce(this.runtime.db, this.tenantId, threadId, params.includeArchived ?? false, true, 'loadHistory');
    return { threadId, items: history ?? (await this.forkHistory(row)) };
  }

  /** A fork's history reads through to its base: its segments, in one tenant transaction. */
  private forkHistory(row: ThreadRowRecord): Promise<StoredRolloutLine[]> {
    return this.tx('loadHistory', async (tx) => (await readVirtualRange(tx, this.tenantId, await historySegments(tx, this.tenantId, row))).map((r) => r.line));
  }

  protected async reconstruct(params: ParsedLoadThreadHistoryParams): Promise<StoredHistoryReconstruction> {
    const { threadId } = params;
    const includeArchived = params.includeArchived ?? false;
    // Usually one round trip answers; forks and long-reaching rollbacks take the general path.
    const fast = await fastResume(this.runtime.db, this.tenantId, threadId, includeArchived);
    if (fast) return fast;
    return this.tx('reconstructHistory', async (tx) => {
      const row = await requireThreadRow(tx, this.tenantId, threadId, includeArchived);
      return reconstructStoredHistory(tx, this.tenantId, row);
    });
  }

  protected async read(params: ParsedReadThreadParams): Promise<StoredThread> {
    const { threadId } = params;
    const withHistory = params.includeHistory === true;
    const { row, history } = await readThreadOnce(this.runtime.db, this.tenantId, threadId, params.includeArchived ?? false, withHistory, 'readThread');
    const thread = rowToThread(row);
    if (withHistory) thread.history = { threadId, items: history ?? (await this.forkHistory(row)) };
    return thread;
  }

  protected list(params: ParsedListThreadsParams): Promise<ThreadPage> {
    return listThreads(this.runtime.db, this.tenantId, params);
  }

  protected search(params: ParsedSearchThreadsParams): Promise<ThreadSearchPage> {
    return searchThreads(this.runtime.db, this.runtime.search, this.tenantId, params);
  }

  protected turns(params: ParsedListTurnsParams): Promise<TurnPage> {
    return listTurns(this.runtime.db, this.tenantId, params);
  }

  protected items(params: ParsedListItemsParams): Promise<ItemPage> {
    return listItems(this.runtime.db, this.tenantId, params);
  }

  protected async updateMetadata(threadId: string, patch: ThreadMetadataPatch, includeArchived: boolean): Promise<StoredThread> {
    return this.tx('updateThreadMetadata', async (tx) => {
      const row = await requireThreadRow(tx, this.tenantId, threadId, includeArchived);
      if (isEmptyPatch(patch)) return rowToThread(row);
      const updated = await applyPatch(tx, this.tenantId, threadId, patch, includeArchived, await this.runtime.db.layout());
      return rowToThread(updated ?? row);
    });
  }

  protected async archive(threadId: string): Promise<void> {
    const now = this.runtime.now();
    await this.tx('archiveThread', async (tx) => {
      const row = await findThreadRow(tx, this.tenantId, threadId, true);
      if (!row) throw new ThreadNotFoundError(threadId);
      if (row.archived_at !== null) throw new InvalidRequestError(`thread ${threadId} is already archived`);
      await run(tx, (db) => db.update(threads).set({ archivedAt: new Date(now) }).where(this.thread(threadId)));
    });
  }

  protected async unarchive(threadId: string): Promise<StoredThread> {
    const now = this.runtime.now();
    return this.tx('unarchiveThread', async (tx) => {
      const row = await findThreadRow(tx, this.tenantId, threadId, true);
      if (!row) throw new ThreadNotFoundError(threadId);
      if (row.archived_at === null) throw new InvalidRequestError(`thread ${threadId} is not archived`);
      await run(tx, (db) => db.update(threads).set({ archivedAt: null }).where(this.thread(threadId)));
      // Unarchiving counts as activity (Codex touches the file's mtime).
      const updated = await applyPatch(tx, this.tenantId, threadId, { updatedAt: now }, true, await this.runtime.db.layout());
      return rowToThread(updated!);
    });
  }

  protected async remove(threadId: string): Promise<void> {
    const layout = await this.runtime.db.layout();
    await this.tx('deleteThread', (tx) => deleteThread(tx, this.tenantId, threadId, layout, this.runtime.search.writesDocuments));
    const state = this.runtime.live.get(liveKey(this.tenantId, threadId));
    if (state) {
      state.closed = true;
      this.runtime.live.delete(liveKey(this.tenantId, threadId));
    }
  }

  protected fork(params: ParsedForkThreadParams): Promise<StoredThread> {
    const now = this.runtime.now();
    return this.tx('forkThread', async (tx) => {
      const forked = await forkThread(tx, this.tenantId, params, now, await this.runtime.db.layout());
      // issue #8: the fork's row is in (uncommitted); refuse it if it took the tenant past max_threads.
      await enforceTenantQuota(tx, this.tenantId, { threads: 1, bytes: 0 }, { alreadyWritten: true });
      return forked;
    });
  }
}
