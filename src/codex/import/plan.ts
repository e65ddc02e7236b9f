// Owns planning an import: which rollout files make up which thread, in which order threads must be
// imported, and which lines of each file form the thread's current history. Reads only file heads.
//
// Files and threads (Codex 0.169): a thread's first file is `rollout-<ts>-<thread>.jsonl`; a revert
// writes a second file `rollout-<ts>-<thread>_<segment>.jsonl` whose `session_meta.history_base`
// points at the file (thread id or segment id) and ordinal where its history continues, and leaves
// the first file untouched. A fork is a new thread whose first file's `history_base` points at a file
// of ANOTHER thread. So a thread's current history is a chain: start at the current (newest) file,
// follow `history_base` inside the thread to its first file; the part before that (if the chain ends
// in another thread's file) is the fork base. Lines of the thread's files outside the chain's ranges
// are the tails a revert cut off ("detached" lines).
//
// Duplicate files (the same thread or segment id twice, e.g. in both sessions/ and
// archived_sessions/) keep the newest copy; the others are reported and skipped.
import { basename } from 'node:path';
import { readRolloutHead, type RolloutProblem, type SessionMetaPayload } from '../rolloutReader.js';
import type { RolloutFileEntry } from '../codexHome.js';
import { isUuid } from '../../model/ids.js';
import { asRecord } from '../../model/rolloutLine.js';
import type { ManifestBaseRef } from './manifest.js';

/** Something an import skipped or had to assume, named by file (and line when known). */
export interface ImportProblem {
  kind: 'line' | 'file' | 'thread' | 'warning';
  file: string;
  line?: number;
  threadId?: string;
  reason: string;
}

/** Lines of a file with ordinal < `ordinal` (or, without ordinals, starting before `byteOffset`). */
export interface Cut {
  ordinal: number | null;
  byteOffset: number | null;
}

export interface PlannedFile {
  entry: RolloutFileEntry;
  /** `segmentId ?? threadId`. */
  fileId: string;
  threadId: string;
  meta: SessionMetaPayload;
  /** Top-level `ordinal` of the session_meta line (forks and segments start mid-history). */
  metaOrdinal: number | null;
  metaTimestampMs: number | null;
  base: ManifestBaseRef | null;
  /** Part of the current history: all lines (cut null) or those before `cut`. Off-chain files are fully detached. */
  inChain: boolean;
  cut: Cut | null;
}

export interface ForkBase {
  /** The file the fork continues (a thread id or a segment id). */
  fileId: string;
  /** The thread owning that file, when known from this import (else resolved against the database). */
  threadId: string | null;
  endOrdinalExclusive: number;
}

export interface ThreadPlan {
  threadId: string;
  /** Chain files from the first to the current one, then off-chain files. */
  files: PlannedFile[];
  current: PlannedFile;
  archived: boolean;
  forkBase: ForkBase | null;
  totalBytes: number;
  warnings: ImportProblem[];
}

export interface ImportPlan {
  threads: ThreadPlan[];
  problems: ImportProblem[];
  /** file id → thread id for every planned file (to resolve fork bases). */
  fileOwners: Map<string, string>;
}

function intOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function baseRefOf(meta: SessionMetaPayload): ManifestBaseRef | null {
  const hb = asRecord(meta.history_base);
  if (!hb || !isUuid(hb.thread_id)) return null;
  return {
    fileId: hb.thread_id.toLowerCase(),
    endOrdinalExclusive: intOrNull(hb.end_ordinal_exclusive),
    endByteOffset: intOrNull(hb.end_byte_offset),
  };
}

const HEAD_META_FIELDS = ['session_id', 'timestamp', 'originator', 'forked_from_id', 'parent_thread_id', 'history_mode', 'history_base'] as const;

interface HeadResult {
  file: PlannedFile | null;
  problem: ImportProblem | null;
}

async function readHead(entry: RolloutFileEntry): Promise<HeadResult> {
  let head: Awaited<ReturnType<typeof readRolloutHead>>;
  // What went wrong in the head, so a skipped file names the real reason (a corrupt .zst is not
  // "a file without session_meta").
  const seen: RolloutProblem[] = [];
  try {
    head = await readRolloutHead(entry.path, { maxRecords: 10, onProblem: (p) => seen.push(p) });
  } catch (error) {
    return { file: null, problem: { kind: 'file', file: entry.path, reason: `cannot read: ${describe(error)}` } };
  }
  if (head === null) {
    const stream = seen.find((p) => p.reason.includes('compressed stream'));
    const reason = stream
      ? `cannot read: ${stream.reason.replace(/; the rest of the file is lost$/, '')} at line ${stream.line}: not a readable rollout (skipped)`
      : seen.length > 0
        ? `no session_meta line in the first 10 records (${seen.length} unreadable line(s), the first at line ${seen[0]!.line}: ${seen[0]!.reason}): not a readable rollout (skipped)`
        : 'no session_meta line in the first 10 records: not a readable rollout (skipped)';
    return { file: null, problem: { kind: 'file', file: entry.path, reason } };
  }
  // Keep only what planning and the threads row need: a full session_meta carries the base
  // instructions and tool specs (tens of KB), and a large import holds one per file until its turn.
  const full = head.meta;
  const meta: SessionMetaPayload = { id: full.id };
  for (const key of HEAD_META_FIELDS) if (full[key] !== undefined) (meta as Record<string, unknown>)[key] = full[key];
  const threadId = String(meta.id).toLowerCase();
  const ts = typeof meta.timestamp === 'string' ? Date.parse(meta.timestamp) : NaN;
  const file: PlannedFile = {
    entry,
    fileId: entry.segmentId ?? threadId,
    threadId,
    meta,
    metaOrdinal: intOrNull(head.record.line.ordinal),
    metaTimestampMs: Number.isNaN(ts) ? null : ts,
    base: baseRefOf(meta),
    inChain: false,
    cut: null,
  };
  let problem: ImportProblem | null = null;
  if (!head.isFirstRecord) {
    problem = { kind: 'warning', file: head.path, line: head.record.lineNumber, threadId, reason: 'session_meta is not the first line (earlier lines kept in file order)' };
  } else if (entry.threadId !== threadId) {
    problem = { kind: 'warning', file: head.path, line: head.record.lineNumber, threadId, reason: `file name says thread ${entry.threadId} but session_meta.id is ${threadId} (session_meta wins)` };
  }
  return { file, problem };
}

export function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Prefer the newest copy, then the bigger one, then the one under sessions/. */
function preferred(a: PlannedFile, b: PlannedFile): PlannedFile {
  if (a.entry.mtimeMs !== b.entry.mtimeMs) return a.entry.mtimeMs > b.entry.mtimeMs ? a : b;
  if (a.entry.size !== b.entry.size) return a.entry.size > b.entry.size ? a : b;
  if (a.entry.archived !== b.entry.archived) return a.entry.archived ? b : a;
  return a.entry.path <= b.entry.path ? a : b;
}

export interface PlanOptions {
  /** Base name of the state DB's rollout_path per thread: the file Codex currently appends to. */
  currentFileHint?: (threadId: string) => string | null;
  /** Parallel head reads. */
  concurrency?: number;
}

/** Read the heads of `entries` and group them into threads in dependency order (fork bases first). */
export async function planImport(entries: RolloutFileEntry[], options: PlanOptions = {}): Promise<ImportPlan> {
  const problems: ImportProblem[] = [];
  const heads: HeadResult[] = new Array(entries.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, options.concurrency ?? 8) }, async () => {
    while (next < entries.length) {
      const i = next++;
      heads[i] = await readHead(entries[i]!);
    }
  });
  await Promise.all(workers);

  const byFileId = new Map<string, PlannedFile>();
  for (const head of heads) {
    if (head.problem) problems.push(head.problem);
    const file = head.file;
    if (!file) continue;
    const seen = byFileId.get(file.fileId);
    if (!seen) {
      byFileId.set(file.fileId, file);
      continue;
    }
    const keep = preferred(seen, file);
    const drop = keep === seen ? file : seen;
    byFileId.set(file.fileId, keep);
    problems.push({
      kind: 'file',
      file: drop.entry.path,
      threadId: drop.threadId,
      reason: `duplicate ${drop.entry.segmentId ? `segment ${drop.fileId} of thread` : 'thread id'} ${drop.threadId}: also in ${keep.entry.path} (kept that newer copy, skipped this one)`,
    });
  }

  const groups = new Map<string, PlannedFile[]>();
  for (const file of byFileId.values()) {
    const list = groups.get(file.threadId) ?? [];
    list.push(file);
    groups.set(file.threadId, list);
  }
  const fileOwners = new Map<string, string>();
  for (const file of byFileId.values()) fileOwners.set(file.fileId, file.threadId);

  const plans = new Map<string, ThreadPlan>();
  for (const [threadId, files] of groups) {
    plans.set(threadId, planThread(threadId, files, fileOwners, options.currentFileHint?.(threadId) ?? null));
  }
  // A fork that continues a file its base thread later reverted away is linked to the base's
  // CURRENT history (the store's fork model reads through one history per thread): say so.
  for (const plan of plans.values()) {
    const fork = plan.forkBase;
    const base = fork?.threadId ? plans.get(fork.threadId) : undefined;
    const file = base?.files.find((f) => f.fileId === fork!.fileId);
    if (!fork || !file) continue;
    const cut = file.cut?.ordinal ?? null;
    if (!file.inChain || (cut !== null && fork.endOrdinalExclusive > cut)) {
      plan.warnings.push({
        kind: 'warning',
        file: plan.files[0]!.entry.path,
        threadId: plan.threadId,
        reason: `fork continues ${fork.fileId} of thread ${fork.threadId}, part of which a later revert cut off: linked to that thread's current history instead`,
      });
    }
  }
  return { threads: dependencyOrder(plans), problems, fileOwners };
}

function pickCurrent(files: PlannedFile[], hint: string | null): PlannedFile {
  if (hint) {
    const hinted = files.find((f) => basename(f.entry.path) === hint || basename(f.entry.path) === `${hint}.zst` || `${basename(f.entry.path)}.zst` === hint);
    if (hinted) return hinted;
  }
  // The newest segment: a revert always continues from the current history, so the newest wins.
  return [...files].sort((a, b) => {
    const seg = Number(a.entry.segmentId !== null) - Number(b.entry.segmentId !== null);
    if (seg !== 0) return -seg;
    const ta = a.metaTimestampMs ?? a.entry.fileTimestamp.getTime();
    const tb = b.metaTimestampMs ?? b.entry.fileTimestamp.getTime();
    if (ta !== tb) return tb - ta;
    return a.fileId < b.fileId ? 1 : -1;
  })[0]!;
}

function minCut(a: Cut | null, b: Cut | null): Cut | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.ordinal !== null && b.ordinal !== null) return { ordinal: Math.min(a.ordinal, b.ordinal), byteOffset: null };
  // Byte offsets belong to different files and cannot be compared; the nearer cut decides.
  return b;
}

function cutOf(ref: ManifestBaseRef): Cut {
  return { ordinal: ref.endOrdinalExclusive, byteOffset: ref.endOrdinalExclusive === null ? ref.endByteOffset : null };
}

function planThread(threadId: string, files: PlannedFile[], fileOwners: Map<string, string>, hint: string | null): ThreadPlan {
  const warnings: ImportProblem[] = [];
  const byId = new Map(files.map((f) => [f.fileId, f]));
  const current = pickCurrent(files, hint);
  const chain: PlannedFile[] = [];
  let forkBase: ForkBase | null = null;
  let file: PlannedFile | undefined = current;
  let cut: Cut | null = null;
  while (file && !file.inChain) {
    file.inChain = true;
    file.cut = cut;
    chain.unshift(file);
    const base: ManifestBaseRef | null = file.base;
    if (base === null) break;
    const below = minCut(cutOf(base), cut);
    const owner = fileOwners.get(base.fileId) ?? null;
    if (owner === threadId || byId.has(base.fileId)) {
      file = byId.get(base.fileId);
      cut = below;
      if (!file) break;
      continue;
    }
    if (base.fileId === threadId) {
      warnings.push({ kind: 'warning', file: chain[0]!.entry.path, threadId, reason: `history_base refers to this thread's first file, which is missing: history starts at this file` });
      break;
    }
    if (below === null || below.ordinal === null) {
      warnings.push({ kind: 'warning', file: file.entry.path, threadId, reason: `history_base of fork has no end_ordinal_exclusive: the base history is not linked` });
      break;
    }
    forkBase = { fileId: base.fileId, threadId: owner, endOrdinalExclusive: below.ordinal };
    break;
  }
  if (file?.inChain && chain[0] !== file) {
    warnings.push({ kind: 'warning', file: file.entry.path, threadId, reason: 'history_base chain loops; stopped at the repeated file' });
  }
  const offChain = files
    .filter((f) => !f.inChain)
    .sort((a, b) => a.entry.fileTimestamp.getTime() - b.entry.fileTimestamp.getTime() || (a.fileId < b.fileId ? -1 : 1));
  return {
    threadId,
    files: [...chain, ...offChain],
    current,
    archived: current.entry.archived,
    forkBase,
    totalBytes: files.reduce((n, f) => n + f.entry.size, 0),
    warnings,
  };
}

/** Kahn's order over fork bases, otherwise keeping the scan (time) order. */
function dependencyOrder(plans: Map<string, ThreadPlan>): ThreadPlan[] {
  const list = [...plans.values()].sort(
    (a, b) => a.files[0]!.entry.fileTimestamp.getTime() - b.files[0]!.entry.fileTimestamp.getTime() || (a.threadId < b.threadId ? -1 : 1),
  );
  const out: ThreadPlan[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (plan: ThreadPlan): void => {
    if (done.has(plan.threadId) || visiting.has(plan.threadId)) return;
    visiting.add(plan.threadId);
    const dep = plan.forkBase?.threadId;
    if (dep && dep !== plan.threadId) {
      const base = plans.get(dep);
      if (base) visit(base);
    }
    visiting.delete(plan.threadId);
    done.add(plan.threadId);
    out.push(plan);
  };
  for (const plan of list) visit(plan);
  return out;
}
