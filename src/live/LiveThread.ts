// Owns LiveThread, Codex's per-thread persistence handle (`thread-store/src/live_thread.rs`): the
// lifecycle of one active thread (create / resume / append / persist / flush / shutdown / discard /
// updateMetadata), the persistence policy's view of appended items, and the thread's
// ThreadMetadataSync. Also owns LiveThreadInitGuard, which discards a thread whose session
// initialization failed.
//
// Differences from Codex, and why:
// * Derived metadata travels WITH the items: `append` hands the patch the sync derives to
//   `store.appendItems(params, { metadataPatch })`, which applies it in the same transaction as the
//   items. Codex appends first and then calls `update_thread_metadata` separately, so a crash or an
//   error between the two leaves SQLite behind the JSONL (Codex tolerates that: SQLite is a
//   repairable index). In PostgreSQL both are the source of truth, and one group-commit
//   transaction for both costs nothing extra, so history and metadata can never disagree about an
//   acknowledged append. The sync's patch is therefore computed *before* the write (Codex observes
//   after it) — see `append` for what that means when the write fails.
// * Every operation of one LiveThread runs in call order through a private queue (Codex: the
//   recorder's single writer task plus the metadata mutex). An append resolves only after its
//   transaction committed, so "ordered after earlier appends" is simply queue order, and
//   `flush()` is a barrier for everything called before it. Different LiveThreads never wait for
//   each other: the store's group-commit writer batches their appends into shared transactions.
// * Metadata-only writes (persist / flush / shutdown / updateMetadata) use
//   `store.updateThreadMetadata` like Codex, always with `includeArchived: true` for derived facts.
// * The context-window lineage (Codex keeps it in the session's auto-compact state) lives here
//   too: `windowLineage` is the current window, `advanceWindow()` opens the next one for a
//   compaction, an appended `compacted` line carrying lineage fields becomes the current window,
//   and resume / an appended rollback restore it from the store's (O(tail)) reconstruction.
import { InvalidRequestError, ThreadNotFoundError } from '../model/errors.js';
import type { CreateThreadParams, ResumeThreadParams } from '../model/params.js';
import { isEmptyPatch, type ThreadMetadataPatch } from '../model/patch.js';
import { asRecord, parseRolloutLine, type RolloutLine } from '../model/rolloutLine.js';
import type { MemoryMode, StoredThread, StoredThreadHistory } from '../model/thread.js';
import type { ThreadStore } from '../store/ThreadStore.js';
import { deriveMetadataFromItems, ThreadMetadataSync, type PendingMetadataUpdate } from '../history/metadataSync.js';
import { persistedRolloutItems } from '../history/persistencePolicy.js';
import { readCompacted } from '../model/compacted.js';
import { newUuidV7, normalizeId } from '../model/ids.js';
import { advanceLineage, initialLineage, restoreLineage, type WindowLineage } from '../history/windowLineage.js';

/** Where LiveThread reports problems it must not throw (discard after a failed init). */
export interface LiveThreadLogger {
  warn(message: string, error?: unknown): void;
}

export interface LiveThreadOptions {
  /** Touch-coalescing window of the metadata sync in ms (Codex: 5 s; default 5000). */
  touchIntervalMs?: number;
  /** Clock in epoch ms for created_at / updated_at / recency observations (default `Date.now`). */
  clock?: () => number;
  logger?: LiveThreadLogger;
}

export interface UpdateMetadataOptions {
  /** Allow updating an archived thread (default false, as Codex's explicit updates). */
  includeArchived?: boolean;
}

type LiveState = 'open' | 'shutdown' | 'discarded';

const CONSOLE_LOGGER: LiveThreadLogger = {
  warn: (message, error) => console.warn(message, error),
};

/** The agent fields a caller can pin explicitly in CreateThreadParams (Codex derives them from the source only). */
const PINNABLE_AGENT_FIELDS = ['agentNickname', 'agentRole', 'agentPath'] as const;

export class LiveThread {
  readonly threadId: string;
  private readonly store: ThreadStore;
  private readonly sync: ThreadMetadataSync;
  private readonly logger: LiveThreadLogger;
  /** Serializes this thread's operations; never rejects (each caller gets its own promise). */
  private queue: Promise<unknown> = Promise.resolve();
  private state: LiveState = 'open';
  /** Whether the store holds the thread (resumed, or a created thread after its first write). */
  private materialized: boolean;
  /** Values that win over derived ones in every outgoing patch (explicit create params). */
  private readonly pinned: ThreadMetadataPatch;
  /** A fork whose lineage already gave it a preview keeps it (Codex 0.169: preview is the lineage's). */
  private readonly keepInheritedPreview: boolean;
  private lineage: WindowLineage;

  private constructor(init: {
    threadId: string;
    store: ThreadStore;
    sync: ThreadMetadataSync;
    materialized: boolean;
    pinned: ThreadMetadataPatch;
    keepInheritedPreview: boolean;
    lineage: WindowLineage;
    logger: LiveThreadLogger;
  }) {
    this.lineage = init.lineage;
    this.threadId = init.threadId;
    this.store = init.store;
    this.sync = init.sync;
    this.materialized = init.materialized;
    this.pinned = init.pinned;
    this.keepInheritedPreview = init.keepInheritedPreview;
    this.logger = init.logger;
  }

  /**
   * Codex `LiveThread::create`: build the create-time metadata (pending, deferred until history
   * exists), then open the store's live writer. Nothing is stored until the first persisted item.
   */
  static async create(store: ThreadStore, input: CreateThreadParams, options: LiveThreadOptions = {}): Promise<LiveThread> {
    // Codex requires the initial window id (#29519); mint one when the caller has none, so it is
    // recorded in the thread's session_meta and restored on resume.
    // The id is kept as Codex prints it (lower case), whatever case the caller used.
    const params: CreateThreadParams = { ...input, threadId: normalizeId(input.threadId), initialWindowId: input.initialWindowId ?? newUuidV7() };
    const clock = options.clock ?? Date.now;
    const sync = ThreadMetadataSync.forCreate(
      {
        threadId: params.threadId,
        source: params.source,
        threadSource: params.threadSource ?? null,
        modelProvider: params.metadata.modelProvider,
        cwd: params.metadata.cwd ?? null,
        cliVersion: params.cliVersion ?? '',
        memoryMode: params.metadata.memoryMode ?? 'enabled',
        gitInfo: params.gitInfo ?? null,
        createdAt: clock(),
      },
      syncOptions(options),
    );
    await store.createThread(params);
    // Codex derives agent fields from the SessionSource alone; our params may also name them
    // explicitly (for sources that are not thread-spawn sub-agents). An explicit value must not be
    // cleared by the source-derived null, so it is pinned.
    const pinned: ThreadMetadataPatch = {};
    for (const key of PINNABLE_AGENT_FIELDS) {
      const value = params[key];
      if (typeof value === 'string' && value !== '') pinned[key] = value;
    }
    return new LiveThread({
      threadId: params.threadId,
      store,
      sync,
      materialized: false,
      pinned,
      keepInheritedPreview: false,
      lineage: initialLineage(params.initialWindowId),
      logger: options.logger ?? CONSOLE_LOGGER,
    });
  }

  /**
   * Codex `LiveThread::resume`: load the history unless the caller already has it, reopen the
   * store's live writer, then observe the history (without `updated_at`); the resulting patch is
   * deferred until the first append.
   */
  static async resume(store: ThreadStore, input: ResumeThreadParams, options: LiveThreadOptions = {}): Promise<LiveThread> {
    const params: ResumeThreadParams = { ...input, threadId: normalizeId(input.threadId) };
    const history: readonly RolloutLine[] =
      params.history ?? (await store.loadHistory({ threadId: params.threadId, includeArchived: params.includeArchived ?? false })).items;
    // The params go to the store as given: our stores read what they need themselves, so the
    // (possibly large) history we loaded is not handed back for validation.
    await store.resumeThread(params);
    // Window lineage by Codex's restore rules (§8.5), from the store's tail-only reconstruction.
    const reconstructed = await store.reconstructHistory({ threadId: params.threadId, includeArchived: params.includeArchived ?? false });
    const { own, inherited } = splitLineage(params.threadId, history);
    const sync = ThreadMetadataSync.forResume({ threadId: params.threadId, cwd: params.metadata.cwd ?? null, history: own }, syncOptions(options));
    const inheritedPreview = inherited.length > 0 ? deriveMetadataFromItems(params.threadId, inherited).preview : undefined;
    return new LiveThread({
      threadId: params.threadId,
      store,
      sync,
      materialized: true,
      pinned: {},
      keepInheritedPreview: inheritedPreview !== undefined && inheritedPreview !== '',
      lineage: restoreLineage(reconstructed.windowLineage),
      logger: options.logger ?? CONSOLE_LOGGER,
    });
  }

  /** True until shutdown or discard. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** The current context window: number, first / previous / current UUIDv7 ids. */
  get windowLineage(): WindowLineage {
    return { ...this.lineage };
  }

  /**
   * Codex `advance_auto_compact_window`: open the next window (number + 1, previous ← current, a
   * fresh UUIDv7 current, first unchanged) and return it. Write the compaction with
   * `compactedLineageFields(lineage)` from `pg-thread-store/history`.
   */
  advanceWindow(): WindowLineage {
    this.lineage = advanceLineage(this.lineage);
    return this.windowLineage;
  }

  /**
   * Append raw items in order; resolves once they (and the metadata derived from them) committed.
   *
   * The sync observes the persisted subset at call time, so the patch written with these items
   * holds facts of these items and earlier ones only (never of a later append still queued). When
   * the write fails, the patch stays pending (Codex keeps a failed metadata write pending too) and
   * rides along with the next append or barrier. Its values are literal and idempotent: if the
   * caller re-appends the failed items, the result is exactly as if the first attempt had worked;
   * and if the outcome was in fact unknown, re-applying is harmless where re-deriving would not be.
   */
  append(items: readonly RolloutLine[]): Promise<void> {
    try {
      this.assertOpen();
      if (!Array.isArray(items)) throw new InvalidRequestError('expected an array', { path: 'items' });
      // Validate first, so malformed input (rejected by the store anyway) is never observed.
      items.forEach((item, index) => {
        parseRolloutLine(item, `items[${index}]`);
      });
    } catch (error) {
      return Promise.reject(error);
    }
    if (items.length === 0) return Promise.resolve();
    const canonical = persistedRolloutItems(items);
    const update = canonical.length > 0 ? this.sync.observeAppendedItems(canonical) : null;
    const batch = [...items];
    return this.enqueue(async () => {
      this.assertOpen();
      const patch = update ? this.outgoing(update.patch) : undefined;
      await this.store.appendItems({ threadId: this.threadId, items: batch }, patch && !isEmptyPatch(patch) ? { metadataPatch: patch } : undefined);
      if (canonical.length > 0) this.materialized = true;
      if (update) this.sync.markPendingUpdateApplied(update);
      await this.followLineage(canonical);
    });
  }

  /** Codex `persist`: materialize (even with no items), then write any pending metadata, deferred or not. */
  persist(): Promise<void> {
    return this.enqueue(async () => {
      this.assertOpen();
      await this.store.persistThread(this.threadId);
      this.materialized = true;
      await this.flushPendingMetadata(true);
    });
  }

  /**
   * Codex `flush`: a barrier — resolves once everything called before it is durable, then writes
   * pending metadata unless it is still deferred (create facts before any history, resume facts
   * before the first append).
   */
  flush(): Promise<void> {
    return this.enqueue(async () => {
      this.assertOpen();
      await this.store.flushThread(this.threadId);
      await this.flushPendingMetadata(false);
    });
  }

  /**
   * Codex `shutdown`: write pending metadata (respecting deferral), then close the store's writer.
   * A created thread that never got a persisted item leaves nothing behind. On failure the thread
   * stays open so shutdown can be retried.
   */
  shutdown(): Promise<void> {
    return this.enqueue(async () => {
      this.assertOpen();
      await this.flushPendingMetadata(false);
      await this.store.shutdownThread(this.threadId);
      this.state = 'shutdown';
    });
  }

  /**
   * Codex `discard`: idempotent terminal release without forcing pending metadata out. New and
   * queued operations are refused at once; an operation already running is waited for, then the
   * store's writer is released, so no handle can append once this returns.
   */
  async discard(): Promise<void> {
    if (this.state === 'discarded') return;
    this.state = 'discarded';
    await this.queue;
    await this.store.discardThread(this.threadId);
  }

  /**
   * Codex `update_metadata`: ordered after every earlier operation; writes pending derived metadata
   * first (deferred or not), then applies `patch` literally and returns the updated thread. A
   * created thread is materialized first (Codex's local store does the same before a rename), so
   * the update has a row to land on.
   */
  updateMetadata(patch: ThreadMetadataPatch, options: UpdateMetadataOptions = {}): Promise<StoredThread> {
    return this.enqueue(async () => {
      this.assertOpen();
      if (!this.materialized) {
        await this.store.persistThread(this.threadId);
        this.materialized = true;
      }
      await this.flushPendingMetadata(true);
      return this.store.updateThreadMetadata({ threadId: this.threadId, patch, includeArchived: options.includeArchived ?? false });
    });
  }

  /** Codex `update_memory_mode`. */
  updateMemoryMode(mode: MemoryMode, options: UpdateMetadataOptions = {}): Promise<StoredThread> {
    return this.updateMetadata({ memoryMode: mode }, options);
  }

  /** The thread's stored history, after every earlier append. */
  loadHistory(options: { includeArchived?: boolean } = {}): Promise<StoredThreadHistory> {
    return this.enqueue(() => this.store.loadHistory({ threadId: this.threadId, includeArchived: options.includeArchived ?? false }));
  }

  /** The thread's stored record, after every earlier operation. */
  readThread(options: { includeArchived?: boolean; includeHistory?: boolean } = {}): Promise<StoredThread> {
    return this.enqueue(() =>
      this.store.readThread({ threadId: this.threadId, includeArchived: options.includeArchived ?? false, includeHistory: options.includeHistory ?? false }),
    );
  }

  /**
   * Keep the window lineage in step with what was just stored: a compaction that records its
   * window becomes current; a rollback may have dropped compactions, so the lineage is restored
   * from the reconstruction, as Codex does after `thread_rolled_back`.
   */
  private async followLineage(stored: readonly RolloutLine[]): Promise<void> {
    let rolledBack = false;
    for (const line of stored) {
      if (line.type === 'compacted') {
        const c = readCompacted(line.payload);
        if (c.windowNumber !== null && c.windowId !== null) {
          this.lineage = {
            windowNumber: c.windowNumber,
            windowId: c.windowId,
            firstWindowId: c.firstWindowId ?? c.windowId,
            previousWindowId: c.previousWindowId,
          };
        }
      } else if (line.type === 'event_msg' && asRecord(line.payload)?.type === 'thread_rolled_back') {
        rolledBack = true;
      }
    }
    if (rolledBack) {
      const reconstructed = await this.store.reconstructHistory({ threadId: this.threadId, includeArchived: true });
      this.lineage = restoreLineage(reconstructed.windowLineage, this.lineage.windowId);
    }
  }

  private assertOpen(): void {
    // Codex: appending after shutdown/discard is ThreadNotFound (the live writer is gone).
    if (this.state !== 'open') throw new ThreadNotFoundError(this.threadId);
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The patch as written: pinned values win; an inherited lineage preview is not replaced. */
  private outgoing(patch: ThreadMetadataPatch): ThreadMetadataPatch {
    const out: ThreadMetadataPatch = { ...patch };
    if (this.keepInheritedPreview) delete out.preview;
    for (const [key, value] of Object.entries(this.pinned) as [keyof ThreadMetadataPatch, unknown][]) {
      if (key in out) (out as Record<string, unknown>)[key] = value;
    }
    return out;
  }

  /** Write the pending derived patch through updateThreadMetadata (always includeArchived). */
  private async flushPendingMetadata(ignoreDeferral: boolean): Promise<void> {
    const update: PendingMetadataUpdate | null = ignoreDeferral ? this.sync.takePendingUpdate() : this.sync.takePendingUpdateForExistingHistory();
    if (!update) return;
    const patch = this.outgoing(update.patch);
    if (!isEmptyPatch(patch)) {
      try {
        await this.store.updateThreadMetadata({ threadId: this.threadId, patch, includeArchived: true });
      } catch (error) {
        // A created thread whose first append failed has no row yet: keep the patch pending; the
        // next append (which materializes the thread) carries it.
        if (error instanceof ThreadNotFoundError && !this.materialized) return;
        throw error;
      }
    }
    this.sync.markPendingUpdateApplied(update);
  }
}

function syncOptions(options: LiveThreadOptions): { touchIntervalMs?: number; clock?: () => number } {
  const out: { touchIntervalMs?: number; clock?: () => number } = {};
  if (options.touchIntervalMs !== undefined) out.touchIntervalMs = options.touchIntervalMs;
  if (options.clock !== undefined) out.clock = options.clock;
  return out;
}

/**
 * Split a loaded history into the thread's own lines and the lines it inherits from a fork base.
 * A copy-free fork (Codex 0.169 `history_base`) stores only its own session_meta and later lines;
 * `loadHistory` presents the base's lines right after that session_meta, `end_ordinal_exclusive`
 * of them. Codex's resume observes the fork's own file only, so the inherited lines must not set
 * the fork's title / first_user_message / tokens (they are the base's facts, already copied).
 */
export function splitLineage(threadId: string, history: readonly RolloutLine[]): { own: RolloutLine[]; inherited: RolloutLine[] } {
  // Ids inside stored lines are compared in canonical case (an imported file may use upper case).
  const isThread = (id: unknown): boolean => normalizeId(id) === normalizeId(threadId);
  const metaIndex = history.findIndex((line) => line.type === 'session_meta' && isThread(asRecord(line.payload)?.id));
  if (metaIndex === -1) return { own: [...history], inherited: [] };
  const base = asRecord(asRecord(history[metaIndex]!.payload)?.history_base);
  const count = base?.end_ordinal_exclusive;
  const next = history[metaIndex + 1];
  if (
    !base ||
    isThread(base.thread_id) ||
    typeof count !== 'number' ||
    !Number.isInteger(count) ||
    count <= 0 ||
    next?.type !== 'session_meta' ||
    isThread(asRecord(next.payload)?.id)
  ) {
    return { own: [...history], inherited: [] };
  }
  const end = Math.min(history.length, metaIndex + 1 + count);
  return { own: [...history.slice(0, metaIndex + 1), ...history.slice(end)], inherited: history.slice(metaIndex + 1, end) };
}

/**
 * Codex `LiveThreadInitGuard`: holds a freshly created/resumed thread while session
 * initialization can still fail. `commit()` hands it over; `discard()` releases it, logging (never
 * throwing) a failed discard. Use `initializeLiveThread` for the common try/commit/discard shape.
 */
export class LiveThreadInitGuard {
  private thread: LiveThread | null;

  constructor(
    thread: LiveThread,
    private readonly logger: LiveThreadLogger = CONSOLE_LOGGER,
  ) {
    this.thread = thread;
  }

  /** The guarded thread (while neither committed nor discarded). */
  get liveThread(): LiveThread {
    if (!this.thread) throw new InvalidRequestError('the live thread init guard was already released');
    return this.thread;
  }

  commit(): LiveThread {
    const thread = this.liveThread;
    this.thread = null;
    return thread;
  }

  async discard(): Promise<void> {
    const thread = this.thread;
    if (!thread) return;
    this.thread = null;
    try {
      await thread.discard();
    } catch (error) {
      this.logger.warn('failed to discard thread persistence for failed session init', error);
    }
  }
}

/**
 * Run `init` on a fresh thread; if it throws, the thread is discarded (init's error is rethrown,
 * a discard error only logged) so a half-initialized session never keeps its writer.
 */
export async function initializeLiveThread<T>(thread: LiveThread, init: (thread: LiveThread) => Promise<T>, logger?: LiveThreadLogger): Promise<T> {
  const guard = new LiveThreadInitGuard(thread, logger);
  try {
    const result = await init(guard.liveThread);
    guard.commit();
    return result;
  } catch (error) {
    await guard.discard();
    throw error;
  }
}
