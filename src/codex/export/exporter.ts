// Owns `exportCodexHome`: a tenant's threads (all, or some with the fork bases they read through)
// written back as a CODEX_HOME that Codex lists, reads and resumes exactly as it did the original:
// `sessions/YYYY/MM/DD/` and flat `archived_sessions/` rollout files, `session_index.jsonl` for
// names, Codex's own SQLite state (`state_5.sqlite`: the index thread/list answers from;
// `thread_history_1.sqlite`: the turn/item projection thread/read answers from — codexSqlite.ts),
// and our sidecar `thread_store_metadata.jsonl` (Codex ignores it; our importer reads it back).
//
// The projection is built from the lines as they are written, with their byte spans in the written
// file, so Codex's checks of its projection against the rollout (offset ↔ ordinal) hold.
//
// Imported threads are written file by file from their manifest: the same relative paths, the same
// lines in the same order, a reverted thread's first file with its cut-off tail, forks copy-free with
// their `history_base`. Lines are equal to the imported ones as JSON values, not as bytes: jsonb
// reorders object keys (shorter keys first) and normalizes number spellings. Byte lengths stay the
// same under key reordering, but every `history_base.end_byte_offset` is recomputed from the bytes
// actually written, so it always points at the same line boundary of the exported base file.
// Threads created in the store (no manifest) get a file named from their creation time (UTC); a
// store fork is written with its base history copied in (the pre-0.169 fork layout) and without a
// `history_base`, since its lines carry no ordinals for Codex to continue from.
import { appendFile, mkdir, stat, utimes } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { isThreadStoreError, toThreadStoreError } from '../../model/errors.js';
import { uuidSchema } from '../../model/ids.js';
import { parseOrThrow } from '../../model/validate.js';
import { asRecord, type StoredRolloutLine } from '../../model/rolloutLine.js';
import { transferOf, type SpawnEdge, type ThreadStore, type ThreadTransfer, type TransferThread } from '../../store/transfer.js';
import { parseRolloutFileName, SESSION_INDEX_FILE } from '../codexHome.js';
import { archivedPathFor, sessionsPathFor, writeRolloutFile } from '../rolloutWriter.js';
import { formatSessionIndexLine } from '../sessionIndex.js';
import { extraWithoutManifest, readManifest, type ImportManifest } from '../import/manifest.js';
import type { ThreadFacts } from '../import/facts.js';
import { appendSidecar, type SidecarEntry } from '../import/sidecar.js';
import { FileProjector, type FileProjection } from '../history/projection.js';
import { CodexSqliteWriter, type CodexSqliteResult } from './codexSqlite.js';
import { codexDynamicTools, codexSectionOf, codexThreadRow } from './stateRows.js';

const PAGE = 500;
/** Past every seq: "to the end of the thread". */
const OPEN_END = Number.MAX_SAFE_INTEGER;

export interface ExportOptions {
  /** The tenant's store (`service.forTenant(tenantId)`): its threads are what the export writes. */
  store: ThreadStore;
  /** The CODEX_HOME to write into (created when missing). */
  outDir: string;
  /** Only these threads (plus the fork bases they read through); default every thread. */
  threadIds?: string[];
  /** Replace rollout files that already exist (default false: such a thread is reported and skipped). */
  overwrite?: boolean;
  /** Write the sidecar (default true). */
  sidecar?: boolean;
  /** Write Codex's state_5.sqlite and thread_history_1.sqlite (default true). */
  sqlite?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: ExportProgress) => void;
}

export interface ExportProgress {
  threadsDone: number;
  threadsTotal: number;
  filesDone: number;
  bytesDone: number;
  elapsedMs: number;
}

export interface ExportProblem {
  threadId: string;
  file?: string;
  reason: string;
}

export interface ExportSummary {
  outDir: string;
  tenantId: string;
  threads: number;
  /** Threads included only because a requested fork reads through them. */
  basesAdded: number;
  files: number;
  lines: number;
  bytes: number;
  names: number;
  /** `history_base.end_byte_offset` values that differ from the stored ones (bytes of the base changed). */
  byteOffsetsRewritten: number;
  /** Codex's SQLite files written (null with `sqlite: false`). */
  sqlite: CodexSqliteResult | null;
  problems: ExportProblem[];
  /** Stopped by `signal` before it finished: run it again (with `overwrite`) for a complete export. */
  interrupted: boolean;
  durationMs: number;
}

interface PlannedExportFile {
  /** Relative to outDir. */
  path: string;
  fileId: string;
  /** Seq ranges of the thread's physical rows, in order; null = the thread's virtual history (store fork). */
  runs: [number, number][] | null;
  base: { fileId: string; endOrdinalExclusive: number | null; endByteOffset: number | null } | null;
  /** The file Codex appends to (state_5.sqlite's `rollout_path`). */
  current: boolean;
}

function orderByBase(rows: TransferThread[]): TransferThread[] {
  const byId = new Map(rows.map((r) => [r.threadId, r]));
  const out: TransferThread[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (row: TransferThread): void => {
    if (state.has(row.threadId)) return;
    state.set(row.threadId, 'visiting');
    const base = row.historyBaseThreadId ? byId.get(row.historyBaseThreadId) : undefined;
    if (base) visit(base);
    state.set(row.threadId, 'done');
    out.push(row);
  };
  for (const row of rows) visit(row);
  return out;
}

function dateFolderPath(name: string): string {
  const parsed = parseRolloutFileName(name);
  const m = parsed ? /^(\d{4})-(\d{2})-(\d{2})T/.exec(parsed.timestampText) : null;
  return m ? join('sessions', m[1]!, m[2]!, m[3]!, name) : join('sessions', name);
}

/** Where a file goes given the thread's archived state now (archiving moves files, as Codex does). */
function placedPath(path: string, archived: boolean): string {
  const name = basename(path);
  if (archived) return join('archived_sessions', name);
  return path.startsWith('sessions/') ? path : dateFolderPath(name);
}

function planFiles(row: TransferThread, manifest: ImportManifest | null): PlannedExportFile[] {
  const archived = row.archivedAt !== null;
  if (manifest) {
    const lastSeq = row.lastSeq;
    return manifest.files.map((f) => {
      const runs = f.runs.map(([lo, hi]) => [lo, hi] as [number, number]);
      // Lines appended in the store after the import continue the current file.
      const last = runs[runs.length - 1];
      if (f.current && last && last[0] >= 0 && lastSeq > last[1]) last[1] = OPEN_END;
      return { path: placedPath(f.path, archived), fileId: f.fileId, runs, base: f.base, current: f.current };
    });
  }
  const created = new Date(row.createdAt);
  const path = archived ? archivedPathFor(created, row.threadId) : sessionsPathFor(created, row.threadId);
  return [{ path, fileId: row.threadId, runs: row.historyBaseThreadId ? null : [[0, OPEN_END]], base: null, current: true }];
}

function ordinalOf(line: StoredRolloutLine): number | null {
  const o = line.ordinal;
  return typeof o === 'number' && Number.isSafeInteger(o) ? o : null;
}

function factsOf(row: TransferThread, edge: SpawnEdge | undefined): ThreadFacts {
  const facts: ThreadFacts = {
    createdAtMs: Date.parse(row.createdAt),
    updatedAtMs: Date.parse(row.updatedAt),
    recencyAtMs: Date.parse(row.recencyAt),
    archivedAtMs: row.archivedAt === null ? null : Date.parse(row.archivedAt),
    name: row.name,
    title: row.title,
    preview: row.preview,
    firstUserMessage: row.firstUserMessage,
    model: row.model,
    reasoningEffort: row.reasoningEffort,
    modelProvider: row.modelProvider,
    cwd: row.cwd,
    cliVersion: row.cliVersion,
    approvalMode: row.approvalMode,
    memoryMode: row.memoryMode,
    threadSource: row.threadSource,
    agentNickname: row.agentNickname,
    agentRole: row.agentRole,
    agentPath: row.agentPath,
    gitMode: 'replace',
    git: { sha: row.gitInfo?.sha ?? null, branch: row.gitInfo?.branch ?? null, originUrl: row.gitInfo?.originUrl ?? null },
    tokensUsed: row.tokensUsed,
    tokenUsage: row.tokenUsage,
    permissionProfile: row.permissionProfile ?? null,
    extra: extraWithoutManifest(row.extra),
    spawnParent: edge ? { parentThreadId: edge.parentThreadId, status: edge.status } : null,
  };
  return facts;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function exportCodexHome(options: ExportOptions): Promise<ExportSummary> {
  const { store, ...rest } = options;
  try {
    return await exportFrom(transferOf(store), rest);
  } catch (error) {
    throw toThreadStoreError(error, 'exportCodexHome');
  }
}

/** The export, through the tenant's import/export port. */
export async function exportFrom(transfer: ThreadTransfer, options: Omit<ExportOptions, 'store'>): Promise<ExportSummary> {
  const started = Date.now();
  const { outDir, signal } = options;
  const tenantId = transfer.tenantId;
  const summary: ExportSummary = {
    outDir,
    tenantId,
    threads: 0,
    basesAdded: 0,
    files: 0,
    lines: 0,
    bytes: 0,
    names: 0,
    byteOffsetsRewritten: 0,
    sqlite: null,
    problems: [],
    interrupted: false,
    durationMs: 0,
  };
  const wanted = options.threadIds === undefined ? null : parseOrThrow(z.array(uuidSchema), options.threadIds, 'threadIds');
  const { threads: rows, spawnEdges: edges } = await transfer.exportThreads(wanted);
  if (wanted) {
    const found = new Set(rows.map((r) => r.threadId));
    for (const id of wanted) if (!found.has(id)) summary.problems.push({ threadId: id, reason: `thread ${id} not found in the tenant` });
    summary.basesAdded = rows.filter((r) => !wanted.includes(r.threadId)).length;
  }
  const edgeByChild = new Map(edges.map((e) => [e.childThreadId, e]));
  const ordered = orderByBase(rows);
  await mkdir(outDir, { recursive: true });

  // Which (file, ordinal) cut points later files need, so their offsets are measured while writing.
  const manifests = new Map(ordered.map((r) => [r.threadId, readManifest(r.extra, r.threadId)]));
  const neededCuts = new Map<string, Set<number>>();
  for (const m of manifests.values()) {
    for (const f of m?.files ?? []) {
      if (f.base?.endOrdinalExclusive == null) continue;
      const set = neededCuts.get(f.base.fileId) ?? new Set<number>();
      set.add(f.base.endOrdinalExclusive);
      neededCuts.set(f.base.fileId, set);
    }
  }
  const cutOffsets = new Map<string, Map<number, number>>();
  const progress: ExportProgress = { threadsDone: 0, threadsTotal: ordered.length, filesDone: 0, bytesDone: 0, elapsedMs: 0 };
  const sidecarEntries: SidecarEntry[] = [];
  let indexLines = '';
  const sqlite = (options.sqlite ?? true) ? new CodexSqliteWriter(resolve(outDir)) : null;
  let finished = false;
  try {
    for (const row of ordered) {
      signal?.throwIfAborted();
      const manifest = manifests.get(row.threadId) ?? null;
      const files = planFiles(row, manifest);
      const projections: FileProjection[] = [];
      let sessionMeta: unknown = null;
      try {
        if (!options.overwrite) {
          for (const f of files) {
            if (await exists(join(outDir, f.path))) throw new Error(`${join(outDir, f.path)} already exists (use --overwrite to replace it)`);
          }
        }
        for (const f of files) {
          const target = join(outDir, f.path);
          await mkdir(dirname(target), { recursive: true });
          const cuts = [...(neededCuts.get(f.fileId) ?? [])];
          const offsets = cutOffsets.get(f.fileId) ?? new Map<number, number>();
          cutOffsets.set(f.fileId, offsets);
          let currentOrdinal = 0;
          let position = 0;
          let written: StoredRolloutLine | null = null;
          const projector = new FileProjector(f.fileId);
          const lines = f.runs === null ? virtualLines(transfer, row.threadId) : physicalLines(transfer, row.threadId, f.runs);
          const fixed = fixFirstLine(lines, f, cutOffsets, () => (summary.byteOffsetsRewritten += 1));
          const tracked = (async function* () {
            for await (const line of fixed) {
              currentOrdinal = ordinalOf(line) ?? position;
              position += 1;
              written = line;
              if (sessionMeta === null && line.type === 'session_meta') sessionMeta = line.payload;
              yield line;
            }
          })();
          const result = await writeRolloutFile(target, tracked, {
            overwrite: options.overwrite ?? false,
            validate: false,
            onLine: ({ byteOffset, endByteOffset }) => {
              for (const e of cuts) if (currentOrdinal < e) offsets.set(e, endByteOffset);
              // The line just pulled from `tracked` is the one being written.
              if (written) projector.push({ line: written, startByte: byteOffset, endByte: endByteOffset });
            },
          });
          projections.push(projector.finish());
          for (const e of cuts) if (!offsets.has(e)) offsets.set(e, 0);
          const mtime = new Date(row.updatedAt);
          await utimes(target, mtime, mtime);
          summary.files += 1;
          summary.lines += result.lines;
          summary.bytes += result.bytes;
          progress.filesDone += 1;
          progress.bytesDone += result.bytes;
        }
        if (row.name !== null && row.name.trim() !== '') {
          indexLines += formatSessionIndexLine({ id: row.threadId, thread_name: row.name, updated_at: manifest?.nameUpdatedAt ?? new Date(row.updatedAt) });
          summary.names += 1;
        }
        if (sqlite) {
          const current = files.find((f) => f.current) ?? files[files.length - 1]!;
          const edge = edgeByChild.get(row.threadId);
          sqlite.writeThread({
            row: codexThreadRow(row, resolve(outDir, current.path)),
            spawnEdge: edge ? { parentThreadId: edge.parentThreadId, childThreadId: row.threadId, status: edge.status } : null,
            dynamicTools: codexDynamicTools(sessionMeta),
            section: codexSectionOf(row),
            projections,
          });
        }
        sidecarEntries.push({ id: row.threadId, updatedAtMs: Date.parse(row.updatedAt), facts: factsOf(row, edgeByChild.get(row.threadId)) });
        summary.threads += 1;
      } catch (error) {
        if (signal?.aborted) throw error;
        summary.problems.push({ threadId: row.threadId, reason: isThreadStoreError(error) ? error.message : error instanceof Error ? error.message : String(error) });
      }
      progress.threadsDone += 1;
      progress.elapsedMs = Date.now() - started;
      options.onProgress?.(progress);
    }
    if (indexLines !== '') await appendFile(join(outDir, SESSION_INDEX_FILE), indexLines, 'utf8');
    if (options.sidecar ?? true) await appendSidecar(outDir, sidecarEntries);
    finished = true;
  } catch (error) {
    // Stopped by its caller: what is written stays, and the summary says it is not complete.
    if (!signal?.aborted) throw error;
    summary.interrupted = true;
  } finally {
    // An interrupted export leaves no new Codex database behind (a half-filled index would hide
    // threads from Codex); one that finished moves them into place.
    if (sqlite) summary.sqlite = await sqlite.close(finished);
  }
  summary.durationMs = Date.now() - started;
  return summary;
}

/** The rows of `runs`, page by page (each page its own short read). */
async function* physicalLines(transfer: ThreadTransfer, threadId: string, runs: [number, number][]): AsyncGenerator<StoredRolloutLine> {
  for (const [lo, hi] of runs) {
    let from = lo;
    for (;;) {
      const page = await transfer.readLines(threadId, from, hi, PAGE);
      for (const r of page) yield r.line;
      if (page.length < PAGE) break;
      from = page[page.length - 1]!.seq + 1;
    }
  }
}

/** A store fork's whole virtual history; its session_meta loses `history_base` (the base is copied in). */
async function* virtualLines(transfer: ThreadTransfer, threadId: string): AsyncGenerator<StoredRolloutLine> {
  let after: number | null = null;
  for (;;) {
    const page = await transfer.readHistory(threadId, after, PAGE);
    for (const r of page) {
      if (r.seq === 0 && r.line.type === 'session_meta') {
        const payload = { ...(asRecord(r.line.payload) ?? {}) };
        delete payload.history_base;
        delete payload.forked_from_ordinal_exclusive;
        yield { ...r.line, payload };
      } else yield r.line;
    }
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.seq;
  }
}

/** Point the first line's `history_base.end_byte_offset` at the boundary measured in the exported base. */
async function* fixFirstLine(
  lines: AsyncIterable<StoredRolloutLine>,
  file: PlannedExportFile,
  cutOffsets: Map<string, Map<number, number>>,
  onRewrite: () => void,
): AsyncGenerator<StoredRolloutLine> {
  let first = true;
  for await (const line of lines) {
    if (first && file.base && line.type === 'session_meta') {
      first = false;
      const payload = asRecord(line.payload);
      const hb = asRecord(payload?.history_base);
      const e = file.base.endOrdinalExclusive;
      const measured = e === null ? undefined : cutOffsets.get(file.base.fileId)?.get(e);
      if (payload && hb && typeof hb.end_byte_offset === 'number' && measured !== undefined && measured !== hb.end_byte_offset) {
        onRewrite();
        yield { ...line, payload: { ...payload, history_base: { ...hb, end_byte_offset: measured } } };
        continue;
      }
    }
    first = false;
    yield line;
  }
}

