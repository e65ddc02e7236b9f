// Owns the one input boundary of every ThreadStore: each public call is parsed here, once, with the
// zod schemas of src/model/params.ts (unknown keys, wrong types, ids, page sizes, JSON shape limits,
// text a column cannot hold), appended items are checked and encoded (limits, persistence policy),
// explicit metadata patches pass the text guard and derived ones are made storable — and only then
// does the store behind it (PostgreSQL, in-memory) see the call, with parsed, typed values. So both
// stores answer invalid input alike, and neither trusts a caller.
//
// It is also the error boundary: nothing but a ThreadStoreError leaves a store. A failure that is not
// one (a bug, a value that changed under us) becomes Internal, with the original as its cause.
import { toThreadStoreError } from '../model/errors.js';
import { isEmptyPatch, parsePatch, type ThreadMetadataPatch } from '../model/patch.js';
import {
  appendOptionsSchema,
  appendThreadItemsParamsSchema,
  createThreadParamsSchema,
  forkThreadParamsSchema,
  listItemsParamsSchema,
  listThreadsParamsSchema,
  listTurnsParamsSchema,
  loadThreadHistoryParamsSchema,
  readThreadParamsSchema,
  resumeThreadParamsSchema,
  searchThreadsParamsSchema,
  threadIdParamSchema,
  threadIdParamsSchema,
  updateThreadMetadataParamsSchema,
  type AppendOptions,
  type AppendThreadItemsParams,
  type CreateThreadParams,
  type ForkThreadParams,
  type ItemPage,
  type ListItemsParams,
  type ListThreadsParams,
  type ListTurnsParams,
  type LoadThreadHistoryParams,
  type ParsedCreateThreadParams,
  type ParsedForkThreadParams,
  type ParsedListItemsParams,
  type ParsedListThreadsParams,
  type ParsedListTurnsParams,
  type ParsedLoadThreadHistoryParams,
  type ParsedReadThreadParams,
  type ParsedResumeThreadParams,
  type ParsedSearchThreadsParams,
  type ReadThreadParams,
  type ResumeThreadParams,
  type SearchThreadsParams,
  type ThreadIdParams,
  type ThreadPage,
  type ThreadSearchPage,
  type TurnPage,
  type UpdateThreadMetadataParams,
} from '../model/params.js';
import type { PreparedItem } from '../model/storedLine.js';
import { assertStorablePatch, storableDerivedPatch } from '../model/textGuard.js';
import type { HistoryMode, StoredThread, StoredThreadHistory } from '../model/thread.js';
import { parseOrThrow } from '../model/validate.js';
import { prepareItems, type ItemLimits } from './shared/preparedItem.js';
import type { StoredHistoryReconstruction, ThreadStore } from './ThreadStore.js';
import { TRANSFER, type ThreadTransfer, type TransferSource } from './transfer.js';

export abstract class ThreadStoreBoundary implements ThreadStore, TransferSource {
  abstract readonly tenantId: string;
  abstract defaultHistoryMode(): HistoryMode;

  /** Limits of appended items (size, count). */
  protected abstract readonly itemLimits: ItemLimits;
  /** ISO timestamp stamped on appended lines that carry none. */
  protected abstract now(): string;

  // ---- what a store implements: every value parsed and checked -----------------------------------
  protected abstract create(params: ParsedCreateThreadParams): Promise<void>;
  protected abstract resume(params: ParsedResumeThreadParams): Promise<void>;
  /** `items` passed the persistence policy (maybe none: then only the thread's liveness is checked). */
  protected abstract append(threadId: string, items: PreparedItem[], patch: ThreadMetadataPatch | undefined): Promise<void>;
  protected abstract persist(threadId: string): Promise<void>;
  protected abstract flush(threadId: string): Promise<void>;
  protected abstract shutdown(threadId: string): Promise<void>;
  protected abstract discard(threadId: string): Promise<void>;
  protected abstract history(params: ParsedLoadThreadHistoryParams): Promise<StoredThreadHistory>;
  protected abstract reconstruct(params: ParsedLoadThreadHistoryParams): Promise<StoredHistoryReconstruction>;
  protected abstract read(params: ParsedReadThreadParams): Promise<StoredThread>;
  protected abstract list(params: ParsedListThreadsParams): Promise<ThreadPage>;
  protected abstract search(params: ParsedSearchThreadsParams): Promise<ThreadSearchPage>;
  protected abstract turns(params: ParsedListTurnsParams): Promise<TurnPage>;
  protected abstract items(params: ParsedListItemsParams): Promise<ItemPage>;
  /** `patch` passed the text guard; it may be empty. */
  protected abstract updateMetadata(threadId: string, patch: ThreadMetadataPatch, includeArchived: boolean): Promise<StoredThread>;
  protected abstract archive(threadId: string): Promise<void>;
  protected abstract unarchive(threadId: string): Promise<StoredThread>;
  protected abstract remove(threadId: string): Promise<void>;
  protected abstract fork(params: ParsedForkThreadParams): Promise<StoredThread>;
  /** The import/export port of this tenant's store (src/store/transfer.ts). */
  abstract [TRANSFER](): ThreadTransfer;

  // ---- the ThreadStore contract ----------------------------------------------------------------

  createThread(params: CreateThreadParams): Promise<void> {
    return this.guard('createThread', () => this.create(parseOrThrow(createThreadParamsSchema, params)));
  }

  resumeThread(params: ResumeThreadParams): Promise<void> {
    return this.guard('resumeThread', () => this.resume(parseOrThrow(resumeThreadParamsSchema, params)));
  }

  appendItems(params: AppendThreadItemsParams, options?: AppendOptions | null): Promise<void> {
    return this.guard('appendItems', () => {
      const p = parseOrThrow(appendThreadItemsParamsSchema, params);
      const o = parseOrThrow(appendOptionsSchema, options, 'options');
      const parsed = o?.metadataPatch === undefined ? undefined : parsePatch(o.metadataPatch, 'options.metadataPatch');
      // Derived facts (preview, first user message, …) come from items that are themselves stored
      // losslessly: text a column cannot hold is made storable, never a reason to refuse the items.
      const patch = parsed && !isEmptyPatch(parsed) ? storableDerivedPatch(parsed) : undefined;
      return this.append(p.threadId, prepareItems(p.items, this.itemLimits, () => this.now()), patch);
    });
  }

  persistThread(threadId: string): Promise<void> {
    return this.guard('persistThread', () => this.persist(parseOrThrow(threadIdParamSchema, threadId, 'threadId')));
  }

  flushThread(threadId: string): Promise<void> {
    return this.guard('flushThread', () => this.flush(parseOrThrow(threadIdParamSchema, threadId, 'threadId')));
  }

  shutdownThread(threadId: string): Promise<void> {
    return this.guard('shutdownThread', () => this.shutdown(parseOrThrow(threadIdParamSchema, threadId, 'threadId')));
  }

  discardThread(threadId: string): Promise<void> {
    return this.guard('discardThread', () => this.discard(parseOrThrow(threadIdParamSchema, threadId, 'threadId')));
  }

  loadHistory(params: LoadThreadHistoryParams): Promise<StoredThreadHistory> {
    return this.guard('loadHistory', () => this.history(parseOrThrow(loadThreadHistoryParamsSchema, params)));
  }

  reconstructHistory(params: LoadThreadHistoryParams): Promise<StoredHistoryReconstruction> {
    return this.guard('reconstructHistory', () => this.reconstruct(parseOrThrow(loadThreadHistoryParamsSchema, params)));
  }

  readThread(params: ReadThreadParams): Promise<StoredThread> {
    return this.guard('readThread', () => this.read(parseOrThrow(readThreadParamsSchema, params)));
  }

  listThreads(params: ListThreadsParams = {}): Promise<ThreadPage> {
    return this.guard('listThreads', () => this.list(parseOrThrow(listThreadsParamsSchema, params)));
  }

  searchThreads(params: SearchThreadsParams): Promise<ThreadSearchPage> {
    return this.guard('searchThreads', () => this.search(parseOrThrow(searchThreadsParamsSchema, params)));
  }

  listTurns(params: ListTurnsParams): Promise<TurnPage> {
    return this.guard('listTurns', () => this.turns(parseOrThrow(listTurnsParamsSchema, params)));
  }

  listItems(params: ListItemsParams): Promise<ItemPage> {
    return this.guard('listItems', () => this.items(parseOrThrow(listItemsParamsSchema, params)));
  }

  updateThreadMetadata(params: UpdateThreadMetadataParams): Promise<StoredThread> {
    return this.guard('updateThreadMetadata', () => {
      const p = parseOrThrow(updateThreadMetadataParamsSchema, params);
      const patch = parsePatch(p.patch, 'patch');
      assertStorablePatch(patch);
      return this.updateMetadata(p.threadId, patch, p.includeArchived ?? false);
    });
  }

  archiveThread(params: ThreadIdParams): Promise<void> {
    return this.guard('archiveThread', () => this.archive(parseOrThrow(threadIdParamsSchema, params).threadId));
  }

  unarchiveThread(params: ThreadIdParams): Promise<StoredThread> {
    return this.guard('unarchiveThread', () => this.unarchive(parseOrThrow(threadIdParamsSchema, params).threadId));
  }

  deleteThread(params: ThreadIdParams): Promise<void> {
    return this.guard('deleteThread', () => this.remove(parseOrThrow(threadIdParamsSchema, params).threadId));
  }

  forkThread(params: ForkThreadParams): Promise<StoredThread> {
    return this.guard('forkThread', () => this.fork(parseOrThrow(forkThreadParamsSchema, params)));
  }

  private async guard<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toThreadStoreError(error, operation);
    }
  }
}
