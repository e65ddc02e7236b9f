// Owns the in-memory ThreadStore: every tenant's threads, histories, live writers, spawn edges and
// clock held in process memory, with exactly the semantics of the PostgreSQL store (the contract
// suite in test/contract runs against both). Used by tests and as the executable reference of the
// contract. All work of one call happens synchronously between awaits, so every call is atomic.
import { isoNow, type HistoryMode, type StoredThread, type StoredThreadHistory } from '../../model/thread.js';
import { InvalidRequestError, ThreadNotFoundError } from '../../model/errors.js';
import { tenantIdSchema } from '../../model/ids.js';
import { parseOrThrow } from '../../model/validate.js';
import { isEmptyPatch, type ThreadMetadataPatch } from '../../model/patch.js';
import {
  tenantQuotaPatchSchema,
  type ItemPage,
  type ParsedCreateThreadParams,
  type ParsedForkThreadParams,
  type ParsedListItemsParams,
  type ParsedListThreadsParams,
  type ParsedListTurnsParams,
  type ParsedLoadThreadHistoryParams,
  type ParsedReadThreadParams,
  type ParsedResumeThreadParams,
  type ParsedSearchThreadsParams,
  type ThreadPage,
  type ThreadSearchPage,
  type TurnPage,
} from '../../model/params.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';
import { encodeLine, type PreparedItem } from '../../model/storedLine.js';
import { TurnTracker, projectTurns } from '../../history/turns.js';
import { ThreadStoreBoundary } from '../boundary.js';
import type { StoredHistoryReconstruction, ThreadStore, ThreadStoreService, WriterStats } from '../ThreadStore.js';
import { TRANSFER, type ThreadTransfer } from '../transfer.js';
import { DEFAULT_ITEM_LIMITS, searchTextOf, type ItemLimits } from '../shared/preparedItem.js';
import { buildSessionMetaLine } from '../shared/sessionMeta.js';
import { applyPatch, toIso } from './applyPatch.js';
import { TenantState, type LiveWriter, type MemoryQuota, type ThreadEntry } from './tenantState.js';
import { anchorOf, canonicalJson, decodeThreadCursor, encodeThreadCursor, orderThreads, type ThreadAnchor } from './threadOrder.js';
import { pageByPosition } from './positionPage.js';
import { firstMatchSnippet } from './textSearch.js';
import { reconstructFromLines } from './reconstruct.js';
import { MemoryTransfer } from './transfer.js';

export const DEFAULT_PAGE_SIZE = 25;
export const MEMORY_STORE_HISTORY_MODE: HistoryMode = 'paginated';

export interface InMemoryThreadStoreOptions {
  limits?: Partial<ItemLimits>;
}

/** What an in-memory tenant stores (the counterpart of the admin API's tenant usage). */
export interface MemoryTenantUsage {
  threads: number;
  items: number;
  itemBytes: number;
  maxThreads: number | null;
  maxItemBytes: number | null;
}

/**
 * Holds every tenant's data in process memory; `forTenant` hands out a ThreadStore scoped to one
 * tenant. A ThreadStoreService like openThreadStore's (the contract suite runs against both); the
 * operator calls that make sense without a database hang off it (quotas, usage, purge).
 */
export class InMemoryThreadStoreService implements ThreadStoreService {
  readonly kind = 'memory' as const;
  private readonly tenants = new Map<string, TenantState>();
  private readonly limits: ItemLimits;
  private readonly stats = { batches: 0, items: 0, retries: 0 };

  constructor(options: InMemoryThreadStoreOptions = {}) {
    this.limits = { ...DEFAULT_ITEM_LIMITS, ...options.limits };
  }

  private state(tenantId: string): TenantState {
    const id = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    let state = this.tenants.get(id);
    if (!state) {
      state = new TenantState();
      this.tenants.set(id, state);
    }
    return state;
  }

  forTenant(tenantId: string): ThreadStore {
    const id = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    return new InMemoryThreadStore(id, this.state(id), this.limits, this.stats);
  }

  /** Set (or, with null, lift) a tenant's quotas; absent fields stay. */
  setTenantQuota(tenantId: string, quota: Partial<MemoryQuota>): MemoryQuota {
    const state = this.state(tenantId);
    const patch = parseOrThrow(tenantQuotaPatchSchema, quota, 'quota');
    state.quota = {
      maxThreads: patch.maxThreads === undefined ? state.quota.maxThreads : patch.maxThreads,
      maxItemBytes: patch.maxItemBytes === undefined ? state.quota.maxItemBytes : patch.maxItemBytes,
    };
    return { ...state.quota };
  }

  tenantUsage(tenantId: string): MemoryTenantUsage {
    const state = this.state(tenantId);
    let items = 0;
    for (const { record } of state.threads.values()) items += record.itemCount;
    return { threads: state.threads.size, items, itemBytes: state.itemBytes(), ...state.quota };
  }

  /** Forget everything of a tenant (its live writers included): what purgeTenant does on PostgreSQL. */
  purgeTenant(tenantId: string, options: { keepTenant?: boolean } = {}): { threads: number } {
    const state = this.tenants.get(parseOrThrow(tenantIdSchema, tenantId, 'tenantId'));
    const threads = state?.threads.size ?? 0;
    state?.reset({ keepQuota: options.keepTenant === true });
    return { threads };
  }

  /** Searching needs no index here: every committed line is searchable at once. */
  async flushSearchIndex(): Promise<void> {}

  /** Appends that stored lines (`batches`) and the lines they stored; the in-memory store never retries. */
  writerStats(): WriterStats {
    return { ...this.stats };
  }

  async close(): Promise<void> {
    this.tenants.clear();
  }
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function liveWriterError(threadId: string): InvalidRequestError {
  return new InvalidRequestError(`thread ${threadId} already has a live writer`);
}

function archivedError(threadId: string): InvalidRequestError {
  return new InvalidRequestError(`thread ${threadId} is archived`);
}

/** The seq after a thread's last history line. */
export function nextSeqOf(entry: ThreadEntry): number {
  const last = entry.lines[entry.lines.length - 1];
  return last ? last.seq + 1 : 0;
}

/** One tenant's view of the in-memory data, behind the input boundary (values arrive parsed). */
export class InMemoryThreadStore extends ThreadStoreBoundary {
  constructor(
    readonly tenantId: string,
    private readonly state: TenantState,
    protected readonly itemLimits: ItemLimits,
    private readonly stats: { batches: number; items: number },
  ) {
    super();
  }

  defaultHistoryMode(): HistoryMode {
    return MEMORY_STORE_HISTORY_MODE;
  }

  protected now(): string {
    return isoNow();
  }

  [TRANSFER](): ThreadTransfer {
    return new MemoryTransfer(this.tenantId, this.state);
  }

  // ---- live writers ------------------------------------------------------------------------

  protected async create(p: ParsedCreateThreadParams): Promise<void> {
    if (this.state.live.has(p.threadId)) throw liveWriterError(p.threadId);
    if (this.state.threads.has(p.threadId)) throw new InvalidRequestError(`thread ${p.threadId} already exists`, { path: 'threadId' });
    this.state.enforceQuota(1, 0); // fail fast, as PostgreSQL does; materializing checks again
    this.state.live.set(p.threadId, {
      create: clone(p),
      createdAt: toIso(this.state.clock.now()),
      tracker: new TurnTracker(),
    });
  }

  protected async resume(p: ParsedResumeThreadParams): Promise<void> {
    if (this.state.live.has(p.threadId)) throw liveWriterError(p.threadId);
    const entry = this.requireEntry(p.threadId, p.includeArchived ?? false);
    // The supplied history and persistence metadata serve the caller (LiveThread); the store keeps
    // its own history and changes no metadata on resume.
    const tracker = new TurnTracker();
    for (const stored of entry.lines) tracker.assign(stored.line);
    this.state.live.set(p.threadId, { create: null, createdAt: entry.record.createdAt, tracker });
  }

  protected async append(threadId: string, prepared: PreparedItem[], patch: ThreadMetadataPatch | undefined): Promise<void> {
    const writer = this.requireLive(threadId);
    // Nothing kept by the persistence policy: a no-op, its patch included (as on PostgreSQL).
    if (prepared.length === 0) return;
    const meta = this.state.threads.has(threadId) ? null : this.sessionMetaOf(threadId, writer);
    this.state.enforceQuota(meta ? 1 : 0, (meta?.byteSize ?? 0) + prepared.reduce((n, i) => n + i.byteSize, 0));
    const entry = this.materialize(threadId, writer, meta);
    for (const item of prepared) this.pushLine(entry, item, writer.tracker);
    this.stats.batches += 1;
    this.stats.items += prepared.length;
    if (patch !== undefined && !isEmptyPatch(patch)) applyPatch(entry.record, patch, this.state.clock);
  }

  protected async persist(threadId: string): Promise<void> {
    const writer = this.requireLive(threadId);
    if (this.state.threads.has(threadId)) return;
    const meta = this.sessionMetaOf(threadId, writer);
    this.state.enforceQuota(1, meta.byteSize);
    this.materialize(threadId, writer, meta);
  }

  protected async flush(threadId: string): Promise<void> {
    this.requireLive(threadId);
  }

  protected async shutdown(threadId: string): Promise<void> {
    this.requireLive(threadId);
    this.state.live.delete(threadId);
  }

  protected async discard(threadId: string): Promise<void> {
    this.state.live.delete(threadId);
  }

  // ---- reads -------------------------------------------------------------------------------

  protected async history(p: ParsedLoadThreadHistoryParams): Promise<StoredThreadHistory> {
    const entry = this.requireEntry(p.threadId, p.includeArchived ?? false);
    return this.historyOf(entry);
  }

  protected async reconstruct(p: ParsedLoadThreadHistoryParams): Promise<StoredHistoryReconstruction> {
    const entry = this.requireEntry(p.threadId, p.includeArchived ?? false);
    return reconstructFromLines(entry.lines.map((l) => l.line), entry.lines.map((l) => l.seq));
  }

  protected async read(p: ParsedReadThreadParams): Promise<StoredThread> {
    const entry = this.requireEntry(p.threadId, p.includeArchived ?? false);
    const thread = clone(entry.record);
    if (p.includeHistory) thread.history = this.historyOf(entry);
    return thread;
  }

  protected async list(p: ParsedListThreadsParams): Promise<ThreadPage> {
    const sortKey = p.sortKey ?? 'created_at';
    const direction = p.sortDirection ?? 'desc';
    const pageSize = p.pageSize ?? DEFAULT_PAGE_SIZE;
    const after = p.cursor != null ? decodeThreadCursor('threads', p.cursor, sortKey, direction) : null;
    if (p.cwdFilters && p.cwdFilters.length === 0) return { items: [], nextCursor: null };

    const allowedSources = new Set((p.allowedSources ?? []).map(canonicalJson));
    const providers = p.modelProviders && p.modelProviders.length > 0 ? new Set(p.modelProviders) : null;
    const cwds = p.cwdFilters ? new Set(p.cwdFilters) : null;
    const term = p.searchTerm ?? null;
    let related: Set<string> | null = null;
    if (p.relationFilter) {
      related =
        p.relationFilter.kind === 'directChildrenOf'
          ? new Set(this.state.childrenOf(p.relationFilter.threadId))
          : this.state.descendantsOf(p.relationFilter.threadId);
    }
    const archived = p.archived ?? false;

    const matching: StoredThread[] = [];
    for (const { record } of this.state.threads.values()) {
      if ((record.archivedAt !== null) !== archived) continue;
      if (related !== null) {
        if (!related.has(record.threadId)) continue;
      } else if (!archived && record.preview === '') {
        continue; // active listings hide threads without a preview
      }
      if (allowedSources.size > 0 && !allowedSources.has(canonicalJson(record.source))) continue;
      if (providers !== null && !providers.has(record.modelProvider)) continue;
      if (cwds !== null && !cwds.has(record.cwd)) continue;
      if (term !== null && !containsTerm(record, term)) continue;
      matching.push(record);
    }
    const ordered = orderThreads(matching, (r) => anchorOf(r, sortKey), direction, after);
    const page = ordered.slice(0, pageSize);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => clone(r)),
      nextCursor: ordered.length > pageSize && last ? encodeThreadCursor('threads', sortKey, direction, anchorOf(last, sortKey)) : null,
    };
  }

  protected async search(p: ParsedSearchThreadsParams): Promise<ThreadSearchPage> {
    const sortKey = p.sortKey ?? 'created_at';
    const direction = p.sortDirection ?? 'desc';
    const pageSize = p.pageSize ?? DEFAULT_PAGE_SIZE;
    const after = p.cursor != null ? decodeThreadCursor('search', p.cursor, sortKey, direction) : null;
    const allowedSources = new Set((p.allowedSources ?? []).map(canonicalJson));
    const archived = p.archived ?? false;

    const hits: { record: StoredThread; snippet: string; anchor: ThreadAnchor }[] = [];
    for (const entry of this.state.threads.values()) {
      const { record } = entry;
      if ((record.archivedAt !== null) !== archived) continue;
      if (allowedSources.size > 0 && !allowedSources.has(canonicalJson(record.source))) continue;
      const snippet = firstMatchSnippet(searchableTexts(entry), p.searchTerm);
      if (snippet === null) continue;
      hits.push({ record, snippet, anchor: anchorOf(record, sortKey) });
    }
    const ordered = orderThreads(hits, (h) => h.anchor, direction, after);
    const page = ordered.slice(0, pageSize);
    const last = page[page.length - 1];
    return {
      items: page.map((h) => ({ thread: clone(h.record), snippet: h.snippet })),
      nextCursor: ordered.length > pageSize && last ? encodeThreadCursor('search', sortKey, direction, last.anchor) : null,
    };
  }

  protected async turns(p: ParsedListTurnsParams): Promise<TurnPage> {
    const entry = this.requireEntry(p.threadId, p.includeArchived ?? false);
    const turns = projectTurns(entry.lines, p.itemsView ?? 'summary');
    const firstSeq = new Map<string, number>();
    for (const { seq, turnId } of entry.lines) if (turnId !== null && !firstSeq.has(turnId)) firstSeq.set(turnId, seq);
    const result = pageByPosition(
      'turns',
      turns,
      (t) => firstSeq.get(t.turnId) ?? 0,
      p.sortDirection ?? 'desc',
      p.pageSize ?? DEFAULT_PAGE_SIZE,
      p.cursor,
    );
    return { turns: clone(result.page), nextCursor: result.nextCursor, backwardsCursor: result.backwardsCursor };
  }

  protected async items(p: ParsedListItemsParams): Promise<ItemPage> {
    const entry = this.requireEntry(p.threadId, p.includeArchived ?? false);
    const lines = p.turnId != null ? entry.lines.filter((l) => l.turnId === p.turnId) : entry.lines;
    const result = pageByPosition('items', lines, (l) => l.seq, p.sortDirection ?? 'desc', p.pageSize ?? DEFAULT_PAGE_SIZE, p.cursor);
    return {
      items: result.page.map((l) => {
        const createdAt = Date.parse(l.line.timestamp);
        return {
          seq: l.seq,
          turnId: l.turnId,
          itemKey: `${entry.record.threadId}:${l.seq}`,
          itemOrdinal: l.seq,
          itemCreatedAtMs: Number.isNaN(createdAt) ? null : createdAt,
          line: clone(l.line),
        };
      }),
      nextCursor: result.nextCursor,
      backwardsCursor: result.backwardsCursor,
    };
  }

  // ---- metadata and lifecycle of stored threads --------------------------------------------

  protected async updateMetadata(threadId: string, patch: ThreadMetadataPatch, includeArchived: boolean): Promise<StoredThread> {
    const entry = this.requireEntry(threadId, includeArchived);
    if (!isEmptyPatch(patch)) applyPatch(entry.record, patch, this.state.clock);
    return clone(entry.record);
  }

  protected async archive(threadId: string): Promise<void> {
    const entry = this.requireEntry(threadId, true);
    if (entry.record.archivedAt !== null) throw new InvalidRequestError(`thread ${threadId} is already archived`);
    entry.record.archivedAt = isoNow();
  }

  protected async unarchive(threadId: string): Promise<StoredThread> {
    const entry = this.requireEntry(threadId, true);
    if (entry.record.archivedAt === null) throw new InvalidRequestError(`thread ${threadId} is not archived`);
    entry.record.archivedAt = null;
    entry.record.updatedAt = toIso(this.state.clock.now());
    return clone(entry.record);
  }

  protected async remove(threadId: string): Promise<void> {
    this.requireEntry(threadId, true);
    // Forks hold a copy of what they inherit: they only become standalone, their inherited lines now counted as their own.
    this.state.threads.delete(threadId);
    this.state.live.delete(threadId);
    this.state.spawnEdges.delete(threadId);
    for (const child of this.state.childrenOf(threadId)) this.state.spawnEdges.delete(child);
    for (const entry of this.state.threads.values()) {
      if (entry.historyBaseThreadId !== threadId) continue;
      entry.historyBaseThreadId = null;
      entry.historyBaseSeq = null;
      for (const line of entry.lines) delete line.inherited;
      // Like PostgreSQL's detach: the inherited lines are its own rows now, and counted.
      const rows = [...entry.lines, ...entry.detached];
      entry.record.itemCount = rows.length;
      entry.record.byteSize = rows.reduce((n, l) => n + l.byteSize, 0);
    }
  }

  protected async fork(p: ParsedForkThreadParams): Promise<StoredThread> {
    const source = this.requireEntry(p.sourceThreadId, p.includeArchived ?? false);
    if (this.state.threads.has(p.newThreadId)) throw new InvalidRequestError(`thread ${p.newThreadId} already exists`, { path: 'newThreadId' });
    if (this.state.live.has(p.newThreadId)) throw liveWriterError(p.newThreadId);
    this.state.enforceQuota(1, 0);

    let inherited = source.lines;
    if (p.lastTurnId != null) {
      let lastIndex = -1;
      source.lines.forEach((l, i) => {
        if (l.turnId === p.lastTurnId) lastIndex = i;
      });
      if (lastIndex < 0) throw new InvalidRequestError(`thread ${p.sourceThreadId} has no turn ${p.lastTurnId}`, { path: 'lastTurnId' });
      inherited = source.lines.slice(0, lastIndex + 1);
    }

    const now = toIso(this.state.clock.now());
    const from = source.record;
    const record: StoredThread = {
      ...clone(from),
      threadId: p.newThreadId,
      sessionId: p.newThreadId,
      forkedFromId: from.threadId,
      parentThreadId: null,
      rolloutPath: null,
      createdAt: now,
      updatedAt: now,
      recencyAt: now,
      archivedAt: null,
      // Like Codex 0.169: a fork keeps the lineage's preview and name, but its title, first
      // message and token usage are its own (empty until it has turns of its own).
      title: '',
      firstUserMessage: null,
      tokenUsage: null,
      tokensUsed: 0,
      itemCount: 0,
      byteSize: 0,
    };
    const meta = buildSessionMetaLine(
      {
        threadId: p.newThreadId,
        sessionId: p.newThreadId,
        forkedFromId: from.threadId,
        source: from.source,
        threadSource: from.threadSource,
        originator: from.originator ?? '',
        cliVersion: from.cliVersion,
        agentNickname: from.agentNickname,
        agentRole: from.agentRole,
        agentPath: from.agentPath,
        gitInfo: from.gitInfo,
        metadata: { cwd: from.cwd, modelProvider: from.modelProvider, memoryMode: from.memoryMode },
      },
      now,
      from.historyMode,
    );
    // Copy-free like PostgreSQL's fork: the inherited lines are history (marked inherited, at the
    // seqs PostgreSQL reads them through at), not rows of the fork's own — itemCount and byteSize
    // count its session_meta only, until deleting the source detaches them (remove, above).
    const base = inherited.at(-1);
    const entry: ThreadEntry = { record, lines: [], detached: [], historyBaseThreadId: base ? from.threadId : null, historyBaseSeq: base ? base.seq : null };
    this.pushLine(entry, encodeLine(meta), new TurnTracker());
    for (const line of inherited) entry.lines.push({ ...clone(line), seq: entry.lines.length, inherited: true });
    this.state.threads.set(p.newThreadId, entry);
    return clone(record);
  }

  // ---- helpers -----------------------------------------------------------------------------

  private requireLive(threadId: string): LiveWriter {
    const writer = this.state.live.get(threadId);
    if (!writer) throw new ThreadNotFoundError(threadId);
    return writer;
  }

  /** The stored thread, or ThreadNotFound; archived threads need `includeArchived`. */
  private requireEntry(threadId: string, includeArchived: boolean): ThreadEntry {
    const entry = this.state.threads.get(threadId);
    if (!entry) throw new ThreadNotFoundError(threadId);
    if (entry.record.archivedAt !== null && !includeArchived) throw archivedError(threadId);
    return entry;
  }

  /** The session_meta line a created thread is materialized with. */
  private sessionMetaOf(threadId: string, writer: LiveWriter): PreparedItem {
    const params = writer.create;
    if (params === null) throw new ThreadNotFoundError(threadId); // resumed thread deleted meanwhile
    return encodeLine(buildSessionMetaLine(params, writer.createdAt, params.historyMode ?? MEMORY_STORE_HISTORY_MODE));
  }

  /** The stored entry of a live thread, creating it (with its session_meta `meta`) on first use. */
  private materialize(threadId: string, writer: LiveWriter, meta: PreparedItem | null): ThreadEntry {
    const existing = this.state.threads.get(threadId);
    if (existing) return existing;
    const params = writer.create;
    if (params === null || meta === null) throw new ThreadNotFoundError(threadId); // resumed thread deleted meanwhile
    const historyMode = params.historyMode ?? MEMORY_STORE_HISTORY_MODE;
    const git = params.gitInfo;
    const gitInfo =
      git && (git.sha != null || git.branch != null || git.originUrl != null)
        ? { sha: git.sha ?? null, branch: git.branch ?? null, originUrl: git.originUrl ?? null }
        : null;
    const record: StoredThread = {
      threadId,
      sessionId: params.sessionId ?? threadId,
      forkedFromId: params.forkedFromId ?? null,
      parentThreadId: params.parentThreadId ?? null,
      rolloutPath: null,
      preview: '',
      name: null,
      title: '',
      firstUserMessage: null,
      modelProvider: params.metadata.modelProvider,
      model: null,
      reasoningEffort: null,
      createdAt: writer.createdAt,
      updatedAt: writer.createdAt,
      recencyAt: writer.createdAt,
      archivedAt: null,
      cwd: params.metadata.cwd ?? '',
      cliVersion: params.cliVersion ?? '',
      originator: params.originator,
      source: clone(params.source),
      threadSource: params.threadSource ?? null,
      historyMode,
      memoryMode: params.metadata.memoryMode ?? 'enabled',
      agentNickname: params.agentNickname ?? null,
      agentRole: params.agentRole ?? null,
      agentPath: params.agentPath ?? null,
      gitInfo,
      approvalMode: 'on-request',
      permissionProfile: null,
      tokenUsage: null,
      tokensUsed: 0,
      extra: {},
      itemCount: 0,
      byteSize: 0,
    };
    const entry: ThreadEntry = { record, lines: [], detached: [], historyBaseThreadId: null, historyBaseSeq: null };
    this.pushLine(entry, meta, writer.tracker);
    this.state.threads.set(threadId, entry);
    if (params.parentThreadId) this.state.spawnEdges.set(threadId, { parentThreadId: params.parentThreadId, status: 'open' });
    return entry;
  }

  private pushLine(entry: ThreadEntry, item: PreparedItem, tracker: TurnTracker): void {
    const line = clone(item.line);
    entry.lines.push({ seq: nextSeqOf(entry), turnId: tracker.assign(line), line, byteSize: item.byteSize, searchText: searchTextOf(line) });
    entry.record.itemCount += 1;
    entry.record.byteSize += item.byteSize;
  }

  private historyOf(entry: ThreadEntry): StoredThreadHistory {
    return { threadId: entry.record.threadId, items: entry.lines.map((l) => clone(l.line) as StoredRolloutLine) };
  }
}

/** listThreads' searchTerm: case-sensitive substring of name, title or preview. */
function containsTerm(record: StoredThread, term: string): boolean {
  return (record.name !== null && record.name.includes(term)) || record.title.includes(term) || record.preview.includes(term);
}

/** Searchable texts of a thread, in snippet priority: name, title, then message text in history order. */
function* searchableTexts(entry: ThreadEntry): Generator<string | null> {
  yield entry.record.name;
  yield entry.record.title;
  for (const line of entry.lines) yield line.searchText;
}
