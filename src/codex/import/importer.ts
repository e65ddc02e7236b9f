// Owns `importCodexHome`: a whole CODEX_HOME into one tenant. Scans the folder, reads the name
// index, Codex's state DB and our export sidecar, plans threads (forks after their bases), skips
// threads whose files and facts are unchanged since the last import, and imports every other thread
// in its own transaction. A failure in one thread (unreadable file, unknown history mode, database
// error) is reported with the file and the import goes on; an abort stops between threads, and a
// later run resumes where it stopped because finished threads are then unchanged. Runs that overlap
// (two imports of the same CODEX_HOME into one tenant) cooperate: each thread's transaction takes
// the thread's import lock and looks again, so the thread is imported once and the other run
// reports it unchanged.
import { basename } from 'node:path';
import { isThreadStoreError, toThreadStoreError } from '../../model/errors.js';
import { jsonValueProblem } from '../../model/jsonValue.js';
import { transferOf, type ImportTarget, type ThreadStore, type ThreadTransfer } from '../../store/transfer.js';
import { scanCodexHome } from '../codexHome.js';
import { readSessionIndex, type SessionIndexContents } from '../sessionIndex.js';
import { readStateDb, type StateDbContents } from '../stateDb.js';
import type { RolloutProblem } from '../rolloutReader.js';
import { factsFromStateRow, hashFacts, indexNameOf, type ThreadFactSources } from './facts.js';
import { importThread, isUnchanged, SkipThread, type ThreadOutcome } from './importThread.js';
import { readManifest } from './manifest.js';
import { describe, planImport, type ImportProblem, type ThreadPlan } from './plan.js';
import { readSidecar } from './sidecar.js';

export interface ImportProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  threadsDone: number;
  threadsTotal: number;
  elapsedMs: number;
}

export interface ImportOptions {
  /** The tenant's store (`service.forTenant(tenantId)`): its threads are what the import writes. */
  store: ThreadStore;
  codexHome: string;
  /** Where state_<N>.sqlite lives (Codex: CODEX_SQLITE_HOME); default the CODEX_HOME. */
  sqliteHome?: string;
  /** Read state_5.sqlite when present (default true). */
  useStateDb?: boolean;
  /** Threads imported at the same time (default: what the store allows, 2 on a server, 1 embedded or in memory). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ImportProgress) => void;
  onProblem?: (problem: ImportProblem) => void;
  /** Called after each thread with its outcome. */
  onThread?: (threadId: string, outcome: ThreadOutcome) => void;
}

export interface ImportSummary {
  codexHome: string;
  tenantId: string;
  threads: Record<ThreadOutcome, number> & { total: number };
  files: number;
  bytes: number;
  /** Rows of current history written, and rows of cut-off revert tails. */
  items: number;
  detachedItems: number;
  skippedLines: number;
  /** Skipped lines grouped by reason (e.g. `not valid JSON`, `truncated last line`). */
  skippedLinesByReason: Record<string, number>;
  skippedFiles: number;
  /** Every problem, up to `MAX_PROBLEMS`; `problemsOmitted` counts the rest. */
  problems: ImportProblem[];
  problemsOmitted: number;
  stateDb: string | null;
  interrupted: boolean;
  durationMs: number;
}

export const MAX_PROBLEMS = 1000;

function reasonClass(reason: string): string {
  const r = reason.replace(/^truncated last line \(no terminating newline\): .*/, 'truncated last line');
  const cut = r.indexOf(' (');
  return cut === -1 ? r : r.slice(0, cut);
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error as { name?: unknown } | null)?.name === 'AbortError';
}

export async function importCodexHome(options: ImportOptions): Promise<ImportSummary> {
  const { store, ...rest } = options;
  try {
    return await importInto(transferOf(store), rest);
  } catch (error) {
    throw toThreadStoreError(error, 'importCodexHome');
  }
}

/** The import, through the tenant's import/export port. */
export async function importInto(transfer: ThreadTransfer, options: Omit<ImportOptions, 'store'>): Promise<ImportSummary> {
  const started = Date.now();
  const { codexHome, signal } = options;
  const tenantId = transfer.tenantId;
  const summary: ImportSummary = {
    codexHome,
    tenantId,
    threads: { total: 0, imported: 0, updated: 0, unchanged: 0, conflict: 0, failed: 0 },
    files: 0,
    bytes: 0,
    items: 0,
    detachedItems: 0,
    skippedLines: 0,
    skippedLinesByReason: {},
    skippedFiles: 0,
    problems: [],
    problemsOmitted: 0,
    stateDb: null,
    interrupted: false,
    durationMs: 0,
  };
  const report = (problem: ImportProblem): void => {
    if (problem.kind === 'line') {
      summary.skippedLines += 1;
      const key = reasonClass(problem.reason);
      summary.skippedLinesByReason[key] = (summary.skippedLinesByReason[key] ?? 0) + 1;
    }
    if (problem.kind === 'file') summary.skippedFiles += 1;
    if (summary.problems.length < MAX_PROBLEMS) summary.problems.push(problem);
    else summary.problemsOmitted += 1;
    options.onProblem?.(problem);
  };
  const asProblem = (kind: ImportProblem['kind']) => (p: RolloutProblem) => report({ kind, file: p.file, line: p.line, reason: p.reason });

  const scan = await scanCodexHome(codexHome, options.sqliteHome ? { sqliteHome: options.sqliteHome } : {});
  for (const s of scan.skipped) report({ kind: 'file', file: s.path, reason: s.reason });

  let state: StateDbContents | null = null;
  if (scan.stateDbPath && options.useStateDb !== false) {
    try {
      state = await readStateDb(scan.stateDbPath);
      summary.stateDb = scan.stateDbPath;
    } catch (error) {
      report({ kind: 'warning', file: scan.stateDbPath, reason: `state DB not used: ${describe(error)}` });
    }
  }
  const stateRows = new Map<string, StateDbContents['threads'][number]>();
  for (const r of state?.threads ?? []) {
    // A row's JSON-ish values (source, extra columns) are hashed and stored: refuse what cannot be.
    const shape = jsonValueProblem(r);
    if (shape) report({ kind: 'warning', file: scan.stateDbPath!, threadId: r.id.toLowerCase(), reason: `state DB row of thread ${r.id} not used: ${shape.reason}` });
    else stateRows.set(r.id.toLowerCase(), r);
  }
  let index: SessionIndexContents | null = null;
  if (scan.sessionIndexPath) index = await readSessionIndex(scan.sessionIndexPath, { onProblem: asProblem('warning') });
  const sidecar = await readSidecar(codexHome, asProblem('warning'));

  const plan = await planImport(scan.rollouts, {
    currentFileHint: (id) => {
      const path = stateRows.get(id)?.rolloutPath;
      return path ? basename(path) : null;
    },
  });
  for (const p of plan.problems) report(p);
  const planned = new Set(plan.threads.map((t) => t.threadId));
  for (const id of stateRows.keys()) {
    if (!planned.has(id)) report({ kind: 'warning', file: scan.stateDbPath ?? codexHome, threadId: id, reason: `state DB has thread ${id} but no readable rollout file: not imported` });
  }

  const sources = new Map<string, ThreadFactSources>();
  for (const t of plan.threads) {
    const row = stateRows.get(t.threadId);
    const side = sidecar.get(t.threadId);
    sources.set(t.threadId, {
      state: row ? factsFromStateRow(row, state?.spawnEdges ?? [], state?.sections ?? []) : null,
      stateRolloutBaseName: row ? basename(row.rolloutPath) : null,
      sidecar: side ? { ...side.facts, updatedAtMs: side.updatedAtMs } : null,
      indexName: indexNameOf(index, t.threadId),
    });
  }

  // Unchanged threads are recognised from their manifests in bulk, without a transaction each.
  const existing = new Map<string, ImportTarget>();
  for (const target of await transfer.importTargets(plan.threads.map((t) => t.threadId))) existing.set(target.threadId, target);

  const progress: ImportProgress = {
    filesDone: 0,
    filesTotal: plan.threads.reduce((n, t) => n + t.files.length, 0),
    bytesDone: 0,
    bytesTotal: plan.threads.reduce((n, t) => n + t.totalBytes, 0),
    threadsDone: 0,
    threadsTotal: plan.threads.length,
    elapsedMs: 0,
  };
  summary.threads.total = plan.threads.length;
  const tick = (): void => {
    progress.elapsedMs = Date.now() - started;
    options.onProgress?.(progress);
  };
  tick();

  const finished = new Map<string, Promise<void>>();
  const resolvers = new Map<string, () => void>();
  for (const t of plan.threads) finished.set(t.threadId, new Promise<void>((resolve) => resolvers.set(t.threadId, resolve)));

  const runOne = async (t: ThreadPlan): Promise<void> => {
    const facts = sources.get(t.threadId)!;
    const factsHash = hashFacts(facts);
    const row = existing.get(t.threadId) ?? null;
    const done = (outcome: ThreadOutcome): void => {
      summary.threads[outcome] += 1;
      progress.threadsDone += 1;
      progress.filesDone += t.files.length;
      tick();
      options.onThread?.(t.threadId, outcome);
    };
    if (isUnchanged(row ? readManifest(row.extra, t.threadId) : null, row, t, factsHash)) {
      progress.bytesDone += t.totalBytes;
      done('unchanged');
      return;
    }
    let bytesSeen = 0;
    try {
      const result = await transfer.importThread(t.threadId, (unit) =>
        importThread({
          unit,
          plan: t,
          facts,
          factsHash,
          ...(signal ? { signal } : {}),
          onBytes: (delta) => {
            bytesSeen += delta;
            progress.bytesDone += delta;
          },
        }),
      );
      for (const p of result.problems) report(p);
      summary.items += result.items;
      summary.detachedItems += result.detachedItems;
      if (result.outcome !== 'unchanged') {
        // Unchanged here: another import stored this very thread meanwhile; no file was read.
        summary.bytes += t.totalBytes;
        summary.files += t.files.length;
      } else {
        progress.bytesDone += Math.max(0, t.totalBytes - bytesSeen);
      }
      done(result.outcome);
    } catch (error) {
      progress.bytesDone += Math.max(0, t.totalBytes - bytesSeen);
      if (isAbort(error, signal)) throw error;
      const skip = error instanceof SkipThread ? error : null;
      const file = t.current.entry.path;
      if (skip) {
        report({ kind: 'thread', file, threadId: t.threadId, reason: skip.reason });
        done(skip.outcome);
      } else {
        const message = isThreadStoreError(error) ? error.message : describe(error);
        report({ kind: 'thread', file, threadId: t.threadId, reason: `thread ${t.threadId} not imported: ${message}` });
        done('failed');
      }
    }
  };

  const queue = [...plan.threads];
  const concurrency = Math.max(1, options.concurrency ?? transfer.parallelism);
  let aborted: unknown = null;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (signal?.aborted || aborted) return;
      const t = queue.shift();
      if (!t) return;
      const dep = t.forkBase?.threadId;
      if (dep && dep !== t.threadId && finished.has(dep)) await finished.get(dep);
      try {
        await runOne(t);
      } catch (error) {
        aborted = error;
        return;
      } finally {
        resolvers.get(t.threadId)?.();
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  // Not silently "interrupted": an unexpected error that stopped the run is reported.
  if (aborted && !isAbort(aborted, signal)) report({ kind: 'warning', file: codexHome, reason: `import stopped by an unexpected error: ${describe(aborted)}` });
  summary.interrupted = Boolean(signal?.aborted || aborted);
  summary.durationMs = Date.now() - started;
  return summary;
}
