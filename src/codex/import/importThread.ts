// Owns importing ONE planned thread inside its transaction: stream its files line by line (memory is
// bounded by a batch, not by the thread), give every line its seq (current history) or a detached
// seq (a tail a revert cut off), assign turn ids, record compaction checkpoints, fold the metadata
// exactly like Codex (deriveMetadataFromItems' rules, streamed), overlay the external facts, and
// write the threads row with the manifest that export and re-import read.
//
// Seqs: a line's seq is its Codex `ordinal` when it has one (so forks' `history_base` ordinals and
// our history_base_seq agree), else the next free seq. A fork's own session_meta goes to seq 0 and
// its other lines from history_base_seq + 2 on — the store's copy-free fork layout, in which the
// base's lines 0..B are read through at virtual seqs 1..B+1.
import { isUuid } from '../../model/ids.js';
import type { ThreadMetadataPatch } from '../../model/patch.js';
import { asRecord, type RolloutLine, type StoredRolloutLine } from '../../model/rolloutLine.js';
import { encodeLine } from '../../model/storedLine.js';
import { sessionSourceFromText, sessionSourceToText } from '../../model/thread.js';
import { ThreadMetadataSync, deriveMetadataFromItems } from '../../history/metadataSync.js';
import { TurnTracker } from '../../history/turns.js';
import type { ThreadImportUnit, TransferLine, TransferThread } from '../../store/transfer.js';
import { readRolloutFile, type RolloutProblem } from '../rolloutReader.js';
import { plainRolloutPath } from '../rolloutReader.js';
import type { ThreadFactSources, ThreadFacts } from './facts.js';
import { DETACHED_SEQ_BASE, MANIFEST_KEY, MANIFEST_VERSION, pushRun, readManifest, type ImportManifest, type ManifestFile } from './manifest.js';
import type { ImportProblem, PlannedFile, ThreadPlan } from './plan.js';

/** Rows per insert statement, and bytes per batch (whichever comes first). */
const BATCH_ROWS = 500;
const BATCH_BYTES = 4 * 1024 * 1024;
/** Metadata-relevant lines are folded in groups of this many (bounded memory). */
const FOLD_BATCH = 256;
const PREVIEW_PAGE = 200;

export type ThreadOutcome = 'imported' | 'updated' | 'unchanged' | 'conflict' | 'failed';

export interface ThreadImportResult {
  outcome: ThreadOutcome;
  /** Rows of the current history (seq >= 0) and detached rows written. */
  items: number;
  detachedItems: number;
  bytes: number;
  skippedLines: number;
  problems: ImportProblem[];
  reason?: string;
}

export interface ThreadImportContext {
  /** The thread's import unit of the tenant's store (everything it writes is kept or dropped together). */
  unit: ThreadImportUnit;
  plan: ThreadPlan;
  facts: ThreadFactSources;
  /** hashFacts(facts): with the files' fingerprints, what makes a stored import "unchanged". */
  factsHash: string;
  /** Called for each skipped line as it is found. */
  onProblem?: (problem: ImportProblem) => void;
  /** Bytes of the file being read so far (progress). */
  onBytes?: (delta: number) => void;
  signal?: AbortSignal;
}

/** Thrown inside the thread transaction to roll it back without failing the import. */
export class SkipThread extends Error {
  constructor(
    readonly outcome: ThreadOutcome,
    readonly reason: string,
  ) {
    super(reason);
  }
}

function lineOrdinal(line: RolloutLine): number | null {
  const o = line.ordinal;
  return typeof o === 'number' && Number.isSafeInteger(o) && o >= 0 ? o : null;
}

/** Whether a line's position is inside the file's part of the current history. */
function inCurrent(file: PlannedFile, ordinal: number, byteOffset: number): boolean {
  if (!file.inChain) return false;
  const cut = file.cut;
  if (cut === null) return true;
  if (cut.ordinal !== null) return ordinal < cut.ordinal;
  if (cut.byteOffset !== null) return byteOffset < cut.byteOffset;
  return true;
}

/** Latest reasoning effort observed: Codex assigns the Option, so a line without one resets it. */
function effortOf(line: RolloutLine): string | null | undefined {
  const payload = asRecord(line.payload);
  if (line.type === 'turn_context') return typeof payload?.effort === 'string' ? payload.effort : null;
  if (line.type === 'event_msg' && payload?.type === 'thread_settings_applied') {
    const settings = asRecord(payload.thread_settings);
    return typeof settings?.reasoning_effort === 'string' ? settings.reasoning_effort : null;
  }
  return undefined;
}

/** Streams the metadata fold over a thread's current own lines. */
class MetadataFold {
  private readonly sync: ThreadMetadataSync;
  private pending: RolloutLine[] = [];
  private effort: string | null | undefined = undefined;

  constructor(threadId: string) {
    this.sync = ThreadMetadataSync.forResume({ threadId });
  }

  observe(line: RolloutLine): void {
    if (line.type !== 'session_meta' && line.type !== 'turn_context' && line.type !== 'event_msg') return;
    const effort = effortOf(line);
    if (effort !== undefined) this.effort = effort;
    this.pending.push(line);
    if (this.pending.length >= FOLD_BATCH) this.flush();
  }

  private flush(): void {
    if (this.pending.length > 0) this.sync.recordResumeHistory(this.pending);
    this.pending = [];
  }

  result(): ThreadMetadataPatch {
    this.flush();
    const patch = this.sync.takePendingUpdate()?.patch ?? {};
    if (typeof this.effort === 'string') patch.reasoningEffort = this.effort;
    else delete patch.reasoningEffort;
    return patch;
  }
}

interface SeqState {
  /** Highest seq given to a current line (-1 before the first). */
  prev: number;
  /** Fork: first own line goes to 0, others from this seq on; null for threads without a base. */
  forkFloor: number | null;
  forkMetaPlaced: boolean;
  detached: number;
}

function nextSeq(state: SeqState, ordinal: number | null): number {
  if (state.forkFloor !== null && !state.forkMetaPlaced) {
    state.forkMetaPlaced = true;
    state.prev = Math.max(state.prev, 0);
    return 0;
  }
  let seq = state.prev + 1;
  if (state.forkFloor !== null) seq = Math.max(seq, state.forkFloor);
  if (ordinal !== null && ordinal > seq) seq = ordinal;
  state.prev = seq;
  return seq;
}

/** The preview of a fork's lineage: the first preview in its base's history up to the fork point. */
async function lineagePreview(unit: ThreadImportUnit, baseThreadId: string, upToVseq: number): Promise<string | null> {
  let after: number | null = null;
  for (;;) {
    const rows = await unit.history(baseThreadId, after, PREVIEW_PAGE);
    const inRange = rows.filter((r) => r.seq <= upToVseq);
    const patch = deriveMetadataFromItems(baseThreadId, inRange.map((r) => r.line));
    if (typeof patch.preview === 'string' && patch.preview !== '') return patch.preview;
    if (rows.length < PREVIEW_PAGE || inRange.length < rows.length) return null;
    after = rows[rows.length - 1]!.seq;
  }
}

function parentFromSource(source: unknown): string | null {
  const spawn = asRecord(asRecord(asRecord(source)?.subagent)?.thread_spawn);
  const parent = spawn?.parent_thread_id;
  return isUuid(parent) ? parent.toLowerCase() : null;
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

/** The sidecar's facts apply only when they are not older than the files and the state DB row. */
function freshSidecar(facts: ThreadFactSources, plan: ThreadPlan): ThreadFacts | null {
  const sidecar = facts.sidecar;
  if (!sidecar || sidecar.updatedAtMs === undefined) return null;
  const newestFile = Math.max(...plan.files.map((f) => f.entry.mtimeMs));
  if (sidecar.updatedAtMs + 1000 < newestFile) return null;
  if (facts.state?.updatedAtMs !== undefined && facts.state.updatedAtMs > sidecar.updatedAtMs) return null;
  return sidecar;
}

/** `value` of the first fact source that has an opinion (`undefined` = none). */
function pick<K extends keyof ThreadFacts>(key: K, ...sources: (ThreadFacts | null)[]): ThreadFacts[K] | undefined {
  for (const s of sources) if (s && s[key] !== undefined) return s[key];
  return undefined;
}

interface RowInputs {
  plan: ThreadPlan;
  derived: ThreadMetadataPatch;
  facts: ThreadFactSources;
  lineagePreview: string | null;
  historyBaseThreadId: string | null;
  historyBaseSeq: number | null;
  lastSeq: number;
  itemCount: number;
  byteSize: number;
  manifest: ImportManifest;
}

function buildThreadRow(input: RowInputs): TransferThread {
  const { plan, derived, facts } = input;
  const sidecar = freshSidecar(facts, plan);
  const state = facts.state;
  const first = plan.files[0]!;
  const meta = first.meta;
  const newestMtime = Math.max(...plan.files.map((f) => f.entry.mtimeMs));
  const createdAtMs =
    pick('createdAtMs', sidecar, state) ?? (derived.createdAt ? Date.parse(derived.createdAt) : first.entry.fileTimestamp.getTime());
  const updatedAtMs = pick('updatedAtMs', sidecar, state) ?? Math.floor(newestMtime);
  const recencyAtMs = pick('recencyAtMs', sidecar, state) ?? updatedAtMs;
  const archivedAtMs = plan.archived ? (pick('archivedAtMs', sidecar, state) ?? updatedAtMs) : null;

  // Git: the rollout's session_meta, then state DB values per field (Codex keeps a non-null SQLite
  // git field over a stale rollout), then the sidecar as a whole.
  const git = { sha: derived.gitInfo?.sha ?? null, branch: derived.gitInfo?.branch ?? null, originUrl: derived.gitInfo?.originUrl ?? null };
  for (const source of [state, sidecar]) {
    if (!source?.git) continue;
    for (const key of ['sha', 'branch', 'originUrl'] as const) {
      const value = source.git[key];
      if (source.gitMode === 'replace') git[key] = value ?? null;
      else if (value !== null && value !== undefined) git[key] = value;
    }
  }

  const sourceValue = derived.source ?? 'vscode';
  const indexName = facts.indexName?.name ?? null;
  const name = sidecar && sidecar.name !== undefined ? sidecar.name : (state?.name ?? indexName);
  const tokenUsage = sidecar && sidecar.tokenUsage !== undefined ? sidecar.tokenUsage : (derived.tokenUsage ?? null);
  const extra: Record<string, unknown> = { ...(state?.extra ?? {}), ...(sidecar?.extra ?? {}) };
  extra[MANIFEST_KEY] = input.manifest;
  const spawn = pick('spawnParent', sidecar, state);
  const parentThreadId =
    (isUuid(meta.parent_thread_id) ? meta.parent_thread_id.toLowerCase() : null) ?? parentFromSource(sourceValue) ?? spawn?.parentThreadId ?? null;

  return {
    threadId: plan.threadId,
    sessionId: isUuid(meta.session_id) ? meta.session_id.toLowerCase() : plan.threadId,
    forkedFromId: isUuid(meta.forked_from_id) ? meta.forked_from_id.toLowerCase() : null,
    parentThreadId,
    // As the store keeps it (Codex's enum_to_string, object keys sorted).
    source: sessionSourceFromText(sessionSourceToText(sourceValue)),
    threadSource: pick('threadSource', sidecar) ?? derived.threadSource ?? null,
    originator: typeof meta.originator === 'string' ? meta.originator : null,
    modelProvider: pick('modelProvider', sidecar, state) ?? derived.modelProvider ?? '',
    model: pick('model', sidecar, state) ?? derived.model ?? null,
    reasoningEffort: pick('reasoningEffort', sidecar, state) ?? derived.reasoningEffort ?? null,
    cwd: pick('cwd', sidecar, state) ?? derived.cwd ?? '',
    cliVersion: pick('cliVersion', sidecar, state) ?? derived.cliVersion ?? '',
    name,
    title: pick('title', sidecar, state) ?? derived.title ?? '',
    preview: pick('preview', sidecar, state) ?? input.lineagePreview ?? derived.preview ?? '',
    firstUserMessage: pick('firstUserMessage', sidecar, state) ?? derived.firstUserMessage ?? null,
    agentNickname: pick('agentNickname', sidecar) ?? derived.agentNickname ?? null,
    agentRole: pick('agentRole', sidecar) ?? derived.agentRole ?? null,
    agentPath: pick('agentPath', sidecar) ?? derived.agentPath ?? null,
    approvalMode: pick('approvalMode', sidecar, state) ?? derived.approvalMode ?? 'on-request',
    memoryMode: (pick('memoryMode', sidecar, state) ?? derived.memoryMode) === 'disabled' ? 'disabled' : 'enabled',
    historyMode: meta.history_mode === 'paginated' ? 'paginated' : 'legacy',
    gitInfo: git.sha === null && git.branch === null && git.originUrl === null ? null : git,
    tokensUsed: Math.max(0, Math.trunc(pick('tokensUsed', sidecar, state) ?? derived.tokenUsage?.total_tokens ?? 0)),
    tokenUsage,
    permissionProfile: sidecar && sidecar.permissionProfile !== undefined ? sidecar.permissionProfile : (derived.permissionProfile ?? null),
    extra,
    rolloutPath: plainRolloutPath(plan.current.entry.relativePath),
    createdAt: isoOf(createdAtMs),
    updatedAt: isoOf(updatedAtMs),
    recencyAt: isoOf(recencyAtMs),
    archivedAt: archivedAtMs === null ? null : isoOf(archivedAtMs),
    historyBaseThreadId: input.historyBaseThreadId,
    historyBaseSeq: input.historyBaseSeq,
    lastSeq: input.lastSeq,
    itemCount: input.itemCount,
    byteSize: input.byteSize,
  };
}

function lineProblem(plan: ThreadPlan, p: RolloutProblem): ImportProblem {
  return { kind: 'line', file: p.file, line: p.line, threadId: plan.threadId, reason: p.reason };
}

/** Import one thread through its import unit; throws SkipThread to drop the unit (a skip). */
export async function importThread(ctx: ThreadImportContext): Promise<ThreadImportResult> {
  const { unit, plan } = ctx;
  const problems: ImportProblem[] = [...plan.warnings];
  // One import of a thread at a time (another run of the same CODEX_HOME may be at it right now);
  // then look again: what that run stored may be exactly what this one would.
  const existing = await unit.target();
  let outcome: ThreadOutcome = 'imported';
  if (existing) {
    const manifest = readManifest(existing.extra, plan.threadId);
    if (!manifest) throw new SkipThread('conflict', `thread ${plan.threadId} already exists in the tenant and was not imported from a CODEX_HOME: left as is`);
    if (isUnchanged(manifest, existing, plan, ctx.factsHash)) return { outcome: 'unchanged', items: 0, detachedItems: 0, bytes: 0, skippedLines: 0, problems: [] };
    if (existing.lastSeq !== manifest.lastSeq || existing.itemCount !== manifest.itemCount) {
      throw new SkipThread('conflict', `thread ${plan.threadId} has items appended in the database since it was imported: not replaced`);
    }
    await unit.clear();
    outcome = 'updated';
  }

  // Fork base: link to the base thread when it is known here or already stored.
  let historyBaseThreadId: string | null = null;
  let historyBaseSeq: number | null = null;
  const fork = plan.forkBase;
  if (fork) {
    const candidate = fork.threadId ?? fork.fileId;
    if (fork.threadId !== null || (await unit.exists(candidate))) {
      historyBaseThreadId = candidate;
      historyBaseSeq = fork.endOrdinalExclusive - 1;
    } else {
      problems.push({
        kind: 'warning',
        file: plan.files[0]!.entry.path,
        threadId: plan.threadId,
        reason: `fork base ${fork.fileId} is neither in this CODEX_HOME nor in the tenant: the fork's history starts at its own lines`,
      });
    }
  }

  const seqState: SeqState = {
    prev: -1,
    forkFloor: historyBaseSeq !== null ? historyBaseSeq + 2 : null,
    forkMetaPlaced: false,
    detached: 0,
  };
  const turns = new TurnTracker();
  const fold = new MetadataFold(plan.threadId);
  let batch: TransferLine[] = [];
  let batchBytes = 0;
  let batchFallbackTime = '';
  let items = 0;
  let detachedItems = 0;
  let bytes = 0;
  let byteSize = 0;
  let skippedLines = 0;
  const flush = async (): Promise<void> => {
    if (batch.length > 0) await unit.insertLines(batch, batchFallbackTime);
    batch = [];
    batchBytes = 0;
  };

  const manifestFiles: ManifestFile[] = [];
  for (const file of plan.files) {
    ctx.signal?.throwIfAborted();
    const runs: [number, number][] = [];
    const detachedTurns = new TurnTracker();
    const reader = readRolloutFile(file.entry.path, {
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onProblem: (p) => {
        skippedLines += 1;
        const problem = lineProblem(plan, p);
        problems.push(problem);
        ctx.onProblem?.(problem);
      },
    });
    let index = 0;
    let lastBytes = 0;
    // A compaction whose line has no valid timestamp is recorded at its file's time.
    const fileTime = isoOf(file.entry.mtimeMs);
    for await (const record of reader) {
      const line = record.line as StoredRolloutLine;
      const ordinal = lineOrdinal(line) ?? (file.metaOrdinal ?? 0) + index;
      index += 1;
      const current = inCurrent(file, ordinal, record.byteOffset);
      let seq: number;
      let turnId: string | null;
      const item = encodeLine(line);
      if (current) {
        seq = nextSeq(seqState, lineOrdinal(line));
        turnId = turns.assign(line);
        fold.observe(line);
        items += 1;
        byteSize += item.byteSize;
      } else {
        seq = DETACHED_SEQ_BASE + seqState.detached++;
        turnId = detachedTurns.assign(line);
        // Cut-off lines are not history; content search reads seq >= 0 only, so they stay out of it.
        detachedItems += 1;
      }
      pushRun(runs, seq);
      if (batch.length > 0 && batchFallbackTime !== fileTime) await flush();
      batchFallbackTime = fileTime;
      batch.push({ seq, turnId, item });
      batchBytes += item.byteSize;
      bytes += item.byteSize;
      if (batch.length >= BATCH_ROWS || batchBytes >= BATCH_BYTES) {
        ctx.onBytes?.(record.endByteOffset - lastBytes);
        lastBytes = record.endByteOffset;
        await flush();
      }
    }
    ctx.onBytes?.(Math.max(0, (reader.stats.bytesRead || file.entry.size) - lastBytes));
    if (runs.length === 0) {
      problems.push({ kind: 'warning', file: file.entry.path, threadId: plan.threadId, reason: 'no readable line: the file is not kept' });
      continue;
    }
    manifestFiles.push({
      fileId: file.fileId,
      path: plainRolloutPath(file.entry.relativePath),
      archived: file.entry.archived,
      compressed: file.entry.compressed,
      current: file === plan.current,
      runs,
      base: file.base,
      size: file.entry.size,
      mtimeMs: file.entry.mtimeMs,
    });
  }
  await flush();
  if (items === 0) throw new SkipThread('failed', `thread ${plan.threadId}: no readable line in its current history (skipped)`);

  const derived = fold.result();
  const lastOwnSeq = seqState.prev;
  const lastSeq = historyBaseSeq !== null ? Math.max(lastOwnSeq, historyBaseSeq + 1) : lastOwnSeq;
  const preview = historyBaseThreadId !== null && historyBaseSeq !== null ? await lineagePreview(unit, historyBaseThreadId, historyBaseSeq) : null;
  const manifest: ImportManifest = {
    v: MANIFEST_VERSION,
    threadId: plan.threadId,
    files: manifestFiles,
    factsHash: ctx.factsHash,
    nameUpdatedAt: ctx.facts.indexName?.updatedAt ?? null,
    lastSeq,
    itemCount: items,
  };
  const row = buildThreadRow({
    plan,
    derived,
    facts: ctx.facts,
    lineagePreview: preview,
    historyBaseThreadId,
    historyBaseSeq,
    lastSeq,
    itemCount: items,
    byteSize,
    manifest,
  });
  const spawnStatus = pick('spawnParent', freshSidecar(ctx.facts, plan), ctx.facts.state)?.status ?? 'open';
  // The tenant's quotas hold for imports too: the unit refuses what does not fit, whole.
  await unit.finish(row, {
    added: { threads: existing ? 0 : 1, bytes: byteSize - (existing ? existing.byteSize : 0) },
    spawnEdge: row.parentThreadId ? { parentThreadId: row.parentThreadId, status: spawnStatus } : null,
  });
  return { outcome, items, detachedItems, bytes, skippedLines, problems };
}

/** Whether a stored manifest says the thread's files and facts are exactly what is on disk now. */
export function isUnchanged(manifest: ImportManifest | null, stored: { lastSeq: number; itemCount: number } | null, plan: ThreadPlan, factsHash: string): boolean {
  if (!manifest || !stored) return false;
  if (manifest.factsHash !== factsHash) return false;
  if (stored.lastSeq !== manifest.lastSeq || stored.itemCount !== manifest.itemCount) return false;
  if (manifest.files.length !== plan.files.length) return false;
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  return plan.files.every((f) => {
    const m = byPath.get(plainRolloutPath(f.entry.relativePath));
    return m !== undefined && m.size === f.entry.size && m.mtimeMs === f.entry.mtimeMs;
  });
}
