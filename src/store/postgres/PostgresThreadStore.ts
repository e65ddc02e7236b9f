// Owns the per-tenant PostgreSQL ThreadStore: the lifecycle of live writers (lazy
// materialization, claims, shutdown/discard) and the dispatch of every operation to its module.
// Every statement runs in a transaction that sets thread_store.tenant_id (RLS) and also names the
// tenant explicitly, so a mistake in one layer is caught by the other.
import { InvalidRequestError, ThreadNotFoundError } from '../../model/errors.js';
import { isEmptyPatch, parsePatch } from '../../model/patch.js';
import { parseOrThrow } from '../../model/validate.js';
import { threadIdSchema } from '../../model/ids.js';
import {
  appendOptionsSchema,
  createThreadParamsSchema,
  resumeThreadParamsSchema,
  type AppendThreadItemsParams,
  type CreateThreadParams,
  type ForkThreadParams,
  type ItemPage,
  type ListItemsParams,
  type ListThreadsParams,
  type ListTurnsParams,
  type LoadThreadHistoryParams,
  type ReadThreadParams,
  type ResumeThreadParams,
  type SearchThreadsParams,
  type ThreadPage,
  type ThreadSearchPage,
  type TurnPage,
  type UpdateThreadMetadataParams,
} from '../../model/params.js';
import type { HistoryMode, StoredThread, StoredThreadHistory } from '../../model/thread.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';
import type { SqlExecutor } from '../../db/database.js';
import type { AppendOptions, StoredHistoryReconstruction, ThreadIdParams, ThreadStore } from '../ThreadStore.js';
import { fastResume, reconstructStoredHistory } from './reconstructHistory.js';
import { buildSessionMetaLine } from '../shared/sessionMeta.js';
import { prepareItems } from '../shared/preparedItem.js';
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
import type { StoreRuntime } from './StoreRuntime.js';
// Issue #8: tenant quotas and text-column guards (delimited calls marked `issue #8` below).
import { enforceTenantQuota } from './quota.js';
import { assertStorableCreateParams, assertStorablePatch } from '../../model/textGuard.js';

export class PostgresThreadStore implements ThreadStore {
  constructor(
    readonly tenantId: string,
    private readonly runtime: StoreRuntime,
  ) {}

  defaultHistoryMode(): HistoryMode {
    return 'paginated';
  }

  private tx<T>(operation: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.runtime.db.transaction(fn, { tenantId: this.tenantId, operation });
  }

  private threadId(value: unknown, path = 'threadId'): string {
    return parseOrThrow(threadIdSchema, value, path);
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

  async createThread(input: CreateThreadParams): Promise<void> {
    const params = parseOrThrow(createThreadParamsSchema, input) as CreateThreadParams;
    assertStorableCreateParams(params); // issue #8: refuse now what the first append could not write
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

  async resumeThread(input: ResumeThreadParams): Promise<void> {
    const params = parseOrThrow(resumeThreadParamsSchema, input) as ResumeThreadParams;
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

  async appendItems(params: AppendThreadItemsParams, options?: AppendOptions | null): Promise<void> {
    const threadId = this.threadId(params?.threadId);
    const state = this.live(threadId);
    if (!Array.isArray(params.items)) throw new InvalidRequestError('expected an array', { path: 'items' });
    const { metadataPatch } = parseOrThrow(appendOptionsSchema, options ?? {}, 'options');
    const parsed = metadataPatch === undefined ? undefined : parsePatch(metadataPatch, 'options.metadataPatch');
    const patch = parsed && !isEmptyPatch(parsed) ? parsed : undefined;
    const prepared = prepareItems(params.items, this.runtime.limits, this.runtime.now);
    // Nothing kept by the persistence policy: the whole call is a no-op, its patch included
    // (Codex: raw appends of non-persisted items neither materialize nor touch metadata).
    if (prepared.length === 0) return;
    await this.runtime.writer.submit(state, prepared, patch);
  }

  async persistThread(threadId: string): Promise<void> {
    const state = this.live(this.threadId(threadId));
    if (state.materialized) return;
    await this.runtime.writer.submit(state, [], undefined, true);
  }

  async flushThread(threadId: string): Promise<void> {
    this.live(this.threadId(threadId));
    // Appends resolve only after COMMIT, so there is nothing buffered to flush.
  }

  async shutdownThread(threadId: string): Promise<void> {
    const state = this.live(this.threadId(threadId));
    await this.release(state);
  }

  async discardThread(threadId: string): Promise<void> {
    const id = this.threadId(threadId);
    const state = this.runtime.live.get(liveKey(this.tenantId, id));
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

  async loadHistory(params: LoadThreadHistoryParams): Promise<StoredThreadHistory> {
    const threadId = this.threadId(params?.threadId);
    const { row, history } = await readThreadOnce(this.runtime.db, this.tenantId, threadId, params.includeArchived ?? false, true, 'loadHistory');
    return { threadId, items: history ?? (await this.forkHistory(row)) };
  }

  /** A fork's history reads through to its base: its segments, in one tenant transaction. */
  private forkHistory(row: ThreadRowRecord): Promise<StoredRolloutLine[]> {
    return this.tx('loadHistory', async (tx) => (await readVirtualRange(tx, this.tenantId, await historySegments(tx, this.tenantId, row))).map((r) => r.line));
  }

  async reconstructHistory(params: LoadThreadHistoryParams): Promise<StoredHistoryReconstruction> {
    const threadId = this.threadId(params?.threadId);
    const includeArchived = params.includeArchived ?? false;
    // Usually one round trip answers; forks and long-reaching rollbacks take the general path.
    const fast = await fastResume(this.runtime.db, this.tenantId, threadId, includeArchived);
    if (fast) return fast;
    return this.tx('reconstructHistory', async (tx) => {
      const row = await requireThreadRow(tx, this.tenantId, threadId, includeArchived);
      return reconstructStoredHistory(tx, this.tenantId, row);
    });
  }

  async readThread(params: ReadThreadParams): Promise<StoredThread> {
    const threadId = this.threadId(params?.threadId);
    const withHistory = params.includeHistory === true;
    const { row, history } = await readThreadOnce(this.runtime.db, this.tenantId, threadId, params.includeArchived ?? false, withHistory, 'readThread');
    const thread = rowToThread(row);
    if (withHistory) thread.history = { threadId, items: history ?? (await this.forkHistory(row)) };
    return thread;
  }

  listThreads(params: ListThreadsParams = {}): Promise<ThreadPage> {
    return listThreads(this.runtime.db, this.tenantId, params);
  }

  searchThreads(params: SearchThreadsParams): Promise<ThreadSearchPage> {
    return searchThreads(this.runtime.db, this.runtime.search, this.tenantId, params);
  }

  listTurns(params: ListTurnsParams): Promise<TurnPage> {
    return listTurns(this.runtime.db, this.tenantId, params);
  }

  listItems(params: ListItemsParams): Promise<ItemPage> {
    return listItems(this.runtime.db, this.tenantId, params);
  }

  async updateThreadMetadata(params: UpdateThreadMetadataParams): Promise<StoredThread> {
    const threadId = this.threadId(params?.threadId);
    const patch = parsePatch(params.patch, 'patch');
    assertStorablePatch(patch); // issue #8: no U+0000 / lone surrogates into text columns
    const includeArchived = params.includeArchived ?? false;
    return this.tx('updateThreadMetadata', async (tx) => {
      const row = await requireThreadRow(tx, this.tenantId, threadId, includeArchived);
      if (isEmptyPatch(patch)) return rowToThread(row);
      const updated = await applyPatch(tx, this.tenantId, threadId, patch, includeArchived);
      return rowToThread(updated ?? row);
    });
  }

  async archiveThread(params: ThreadIdParams): Promise<void> {
    const threadId = this.threadId(params?.threadId);
    const now = this.runtime.now();
    await this.tx('archiveThread', async (tx) => {
      const row = await findThreadRow(tx, this.tenantId, threadId, true);
      if (!row) throw new ThreadNotFoundError(threadId);
      if (row.archived_at !== null) throw new InvalidRequestError(`thread ${threadId} is already archived`);
      await tx.query('UPDATE thread_store.threads SET archived_at = $3 WHERE tenant_id = $1 AND id = $2', [this.tenantId, threadId, now]);
    });
  }

  async unarchiveThread(params: ThreadIdParams): Promise<StoredThread> {
    const threadId = this.threadId(params?.threadId);
    const now = this.runtime.now();
    return this.tx('unarchiveThread', async (tx) => {
      const row = await findThreadRow(tx, this.tenantId, threadId, true);
      if (!row) throw new ThreadNotFoundError(threadId);
      if (row.archived_at === null) throw new InvalidRequestError(`thread ${threadId} is not archived`);
      await tx.query('UPDATE thread_store.threads SET archived_at = NULL WHERE tenant_id = $1 AND id = $2', [this.tenantId, threadId]);
      // Unarchiving counts as activity (Codex touches the file's mtime).
      const updated = await applyPatch(tx, this.tenantId, threadId, { updatedAt: now }, true);
      return rowToThread(updated!);
    });
  }

  async deleteThread(params: ThreadIdParams): Promise<void> {
    const threadId = this.threadId(params?.threadId);
    await this.tx('deleteThread', (tx) => deleteThread(tx, this.tenantId, threadId));
    const state = this.runtime.live.get(liveKey(this.tenantId, threadId));
    if (state) {
      state.closed = true;
      this.runtime.live.delete(liveKey(this.tenantId, threadId));
    }
  }

  forkThread(params: ForkThreadParams): Promise<StoredThread> {
    const now = this.runtime.now();
    return this.tx('forkThread', async (tx) => {
      const forked = await forkThread(tx, this.tenantId, params, now);
      // issue #8: the fork's row is in (uncommitted); refuse it if it took the tenant past max_threads.
      await enforceTenantQuota(tx, this.tenantId, { threads: 1, bytes: 0 }, { alreadyWritten: true });
      return forked;
    });
  }
}
