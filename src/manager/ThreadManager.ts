// Owns ThreadManager, the process-wide registry of loaded threads (Codex
// `core/src/thread_manager.rs`): the create / resume / fork entry points that open a LiveThread
// (discarding it when session initialization fails), and the routing of writes that must stay
// ordered with a loaded thread's live appends — metadata updates and renames go through the
// thread's LiveThread when it is loaded and straight to the store when it is cold.
import { InvalidRequestError, ThreadNotFoundError } from '../model/errors.js';
import { newUuidV7, normalizeId } from '../model/ids.js';
import type { CreateThreadParams, ResumeThreadParams, ThreadPersistenceMetadata } from '../model/params.js';
import type { ThreadMetadataPatch } from '../model/patch.js';
import type { RolloutLine } from '../model/rolloutLine.js';
import type { StoredThread } from '../model/thread.js';
import type { ThreadStore } from '../store/ThreadStore.js';
import { initializeLiveThread, LiveThread, type LiveThreadLogger, type LiveThreadOptions } from '../live/LiveThread.js';

export interface ThreadManagerOptions {
  /** Options for every LiveThread the manager opens. */
  liveThread?: LiveThreadOptions;
  logger?: LiveThreadLogger;
}

/** A loaded thread. Ephemeral threads persist nothing, so they have no LiveThread. */
export interface LoadedThread {
  readonly threadId: string;
  readonly ephemeral: boolean;
  readonly liveThread: LiveThread | null;
}

export interface StartThreadOptions {
  /**
   * Session initialization run on the new LiveThread before it is registered; if it throws, the
   * thread is discarded (Codex's LiveThreadInitGuard) and the error rethrown.
   */
  init?: (thread: LiveThread) => Promise<void>;
}

export interface CreateThreadOptions extends StartThreadOptions {
  /**
   * Codex `ephemeral` sessions: the thread is loaded but nothing is stored (no LiveThread, so
   * `init` does not run, appends are dropped and metadata updates are refused).
   */
  ephemeral?: boolean;
}

export interface ForkParams {
  sourceThreadId: string;
  /** Default: a fresh UUIDv7. */
  newThreadId?: string;
  /** Keep the source history up to and including this turn (default: all of it). */
  lastTurnId?: string | null;
  includeArchived?: boolean;
  /** Persistence metadata for the fork's own future writes (default: the source's cwd and provider). */
  metadata?: ThreadPersistenceMetadata;
}

export interface UpdateThreadMetadataOptions {
  includeArchived?: boolean;
}

export class ThreadManager {
  private readonly loaded = new Map<string, LoadedThread>();

  constructor(
    readonly store: ThreadStore,
    private readonly options: ThreadManagerOptions = {},
  ) {}

  private get liveOptions(): LiveThreadOptions {
    return this.options.logger && !this.options.liveThread?.logger ? { ...this.options.liveThread, logger: this.options.logger } : (this.options.liveThread ?? {});
  }

  /** The loaded thread, if any (a thread whose LiveThread was closed behind our back is dropped). */
  getThread(threadId: string): LoadedThread | undefined {
    // Keys are the lower-case ids LiveThread keeps (see model/ids.ts).
    const id = normalizeId(threadId);
    const loaded = this.loaded.get(id);
    if (loaded?.liveThread && !loaded.liveThread.isOpen) {
      this.loaded.delete(id);
      return undefined;
    }
    return loaded;
  }

  loadedThreadIds(): string[] {
    return [...this.loaded.keys()].filter((id) => this.getThread(id) !== undefined);
  }

  async createThread(params: CreateThreadParams, options: CreateThreadOptions = {}): Promise<LoadedThread> {
    this.assertNotLoaded(params.threadId);
    if (options.ephemeral) {
      const threadId = normalizeId(params.threadId);
      const loaded: LoadedThread = { threadId, ephemeral: true, liveThread: null };
      this.loaded.set(threadId, loaded);
      return loaded;
    }
    const thread = await LiveThread.create(this.store, params, this.liveOptions);
    return this.register(thread, options);
  }

  async resumeThread(params: ResumeThreadParams, options: StartThreadOptions = {}): Promise<LoadedThread> {
    this.assertNotLoaded(params.threadId);
    const thread = await LiveThread.resume(this.store, params, this.liveOptions);
    return this.register(thread, options);
  }

  /**
   * Fork `sourceThreadId` into a new loaded thread. A loaded source is flushed first, so the fork
   * sees every acknowledged append and its pending derived metadata.
   */
  async forkThread(params: ForkParams, options: StartThreadOptions = {}): Promise<LoadedThread> {
    const newThreadId = normalizeId(params.newThreadId ?? newUuidV7());
    this.assertNotLoaded(newThreadId);
    const source = this.getThread(params.sourceThreadId);
    if (source?.liveThread) await source.liveThread.flush();
    const forked = await this.store.forkThread({
      sourceThreadId: params.sourceThreadId,
      newThreadId,
      ...(params.lastTurnId !== undefined ? { lastTurnId: params.lastTurnId } : {}),
      ...(params.includeArchived !== undefined ? { includeArchived: params.includeArchived } : {}),
    });
    const metadata = params.metadata ?? { cwd: forked.cwd, modelProvider: forked.modelProvider, memoryMode: forked.memoryMode };
    const thread = await LiveThread.resume(this.store, { threadId: newThreadId, metadata }, this.liveOptions);
    // The store's fork copies the source's provider and cwd; Codex runs a fork with the current
    // configuration (the sample's exec-fork reverts to the default provider). Written first, after
    // the fork's pending resume facts, so those cannot overwrite it later.
    const explicit = params.metadata;
    const prepare = explicit
      ? async (t: LiveThread) => {
          const patch: ThreadMetadataPatch = { modelProvider: explicit.modelProvider };
          if (explicit.cwd) patch.cwd = explicit.cwd;
          await t.updateMetadata(patch, { includeArchived: true });
        }
      : undefined;
    return this.register(thread, options, prepare);
  }

  /** Append to a loaded thread through its LiveThread (ephemeral threads record nothing). */
  async appendRolloutItems(threadId: string, items: readonly RolloutLine[]): Promise<void> {
    const loaded = this.requireLoaded(threadId);
    if (!loaded.liveThread) return;
    await loaded.liveThread.append(items);
  }

  /**
   * Codex `update_thread_metadata`: a loaded thread's update goes through its LiveThread (after its
   * pending appends, with pending derived metadata flushed first); ephemeral threads refuse; a cold
   * thread goes to the store, whose ThreadNotFound passes through.
   */
  async updateThreadMetadata(threadId: string, patch: ThreadMetadataPatch, options: UpdateThreadMetadataOptions = {}): Promise<StoredThread> {
    const includeArchived = options.includeArchived ?? false;
    const loaded = this.getThread(threadId);
    if (loaded) {
      if (!loaded.liveThread) throw new InvalidRequestError(`ephemeral thread does not support metadata updates: ${threadId}`);
      return loaded.liveThread.updateMetadata(patch, { includeArchived });
    }
    return this.store.updateThreadMetadata({ threadId, patch, includeArchived });
  }

  /** App-server `thread/setName`: the name is trimmed and must not be empty. */
  async setThreadName(threadId: string, name: string): Promise<StoredThread> {
    const normalized = typeof name === 'string' ? name.trim() : '';
    if (normalized === '') throw new InvalidRequestError('thread name must not be empty', { path: 'name' });
    return this.updateThreadMetadata(threadId, { name: normalized }, { includeArchived: false });
  }

  /** Flush and close a loaded thread's writer, then unload it. */
  async shutdownThread(threadId: string): Promise<void> {
    const loaded = this.requireLoaded(threadId);
    if (loaded.liveThread) await loaded.liveThread.shutdown();
    this.loaded.delete(loaded.threadId);
  }

  /** Shut down every loaded thread; every thread is attempted, the first error is rethrown. */
  async shutdownAll(): Promise<void> {
    const results = await Promise.allSettled([...this.loaded.keys()].map((id) => this.shutdownThread(id)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private assertNotLoaded(threadId: string): void {
    if (this.getThread(threadId)) throw new InvalidRequestError(`thread ${threadId} is already loaded`);
  }

  private requireLoaded(threadId: string): LoadedThread {
    const loaded = this.getThread(threadId);
    if (!loaded) throw new ThreadNotFoundError(threadId);
    return loaded;
  }

  private async register(thread: LiveThread, options: StartThreadOptions, prepare?: (thread: LiveThread) => Promise<void>): Promise<LoadedThread> {
    const init = options.init;
    if (prepare || init) {
      await initializeLiveThread(
        thread,
        async (t) => {
          if (prepare) await prepare(t);
          if (init) await init(t);
        },
        this.options.logger ?? this.options.liveThread?.logger,
      );
    }
    const loaded: LoadedThread = { threadId: thread.threadId, ephemeral: false, liveThread: thread };
    this.loaded.set(thread.threadId, loaded);
    return loaded;
  }
}
