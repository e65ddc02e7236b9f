// Owns the in-memory side of the import/export port (src/store/transfer.ts) for one tenant. A
// thread's import is staged and applied at once when its unit succeeds (nothing of a failed or
// skipped unit is kept); imports of one thread take turns, as on PostgreSQL. An imported copy-free
// fork keeps its link to its base, and its history holds copies of the base's lines at the seqs
// PostgreSQL reads them through at (1..historyBaseSeq+1), marked as inherited: history, not rows of
// its own.
import type { StoredThread } from '../../model/thread.js';
import { searchTextOf } from '../shared/preparedItem.js';
import type { ImportTarget, SeqLine, SpawnEdge, ThreadImportUnit, ThreadTransfer, TransferLine, TransferThread } from '../transfer.js';
import type { StoredLine, TenantState, ThreadEntry } from './tenantState.js';

const clone = <T>(value: T): T => structuredClone(value);

function lastSeqOf(entry: ThreadEntry): number {
  return entry.lines[entry.lines.length - 1]?.seq ?? -1;
}

function targetOf(entry: ThreadEntry): ImportTarget {
  const { record } = entry;
  return { threadId: record.threadId, extra: clone(record.extra), lastSeq: lastSeqOf(entry), itemCount: record.itemCount, byteSize: record.byteSize };
}

function transferThreadOf(entry: ThreadEntry): TransferThread {
  return { ...clone(entry.record), lastSeq: lastSeqOf(entry), historyBaseThreadId: entry.historyBaseThreadId, historyBaseSeq: entry.historyBaseSeq };
}

function storedLineOf({ seq, turnId, item }: TransferLine): StoredLine {
  const line = clone(item.line);
  return { seq, turnId, line, byteSize: item.byteSize, searchText: searchTextOf(line) };
}

const bySeq = (a: { seq: number }, b: { seq: number }): number => a.seq - b.seq;

/** Imports in flight per tenant and thread: the next import of a thread waits for the one before. */
const importTurns = new WeakMap<TenantState, Map<string, Promise<unknown>>>();

class MemoryImportUnit implements ThreadImportUnit {
  private lines: TransferLine[] = [];
  private cleared = false;
  private finished: { thread: TransferThread; spawnEdge: { parentThreadId: string; status: string } | null } | null = null;

  constructor(
    private readonly state: TenantState,
    private readonly threadId: string,
  ) {}

  async target(): Promise<ImportTarget | null> {
    const entry = this.state.threads.get(this.threadId);
    return entry ? targetOf(entry) : null;
  }

  async exists(threadId: string): Promise<boolean> {
    return this.state.threads.has(threadId);
  }

  async clear(): Promise<void> {
    this.cleared = true;
    this.lines = [];
  }

  async insertLines(lines: readonly TransferLine[]): Promise<void> {
    this.lines.push(...lines);
  }

  async history(threadId: string, after: number | null, limit: number): Promise<SeqLine[]> {
    return historyLines(this.state, threadId, after, limit);
  }

  async finish(thread: TransferThread, options: { added: { threads: number; bytes: number }; spawnEdge: { parentThreadId: string; status: string } | null }): Promise<void> {
    this.state.enforceQuota(options.added.threads, options.added.bytes);
    this.finished = { thread: clone(thread), spawnEdge: options.spawnEdge };
  }

  /** Apply what the unit staged (nothing unless it finished). */
  apply(): void {
    if (!this.finished) return;
    const { thread, spawnEdge } = this.finished;
    const own = this.lines.map(storedLineOf).sort(bySeq);
    const previous = this.state.threads.get(this.threadId);
    // Lines of an earlier import stay unless this one cleared them (it always does when it replaces).
    const kept = previous && !this.cleared ? [...previous.lines.filter((l) => !l.inherited), ...previous.detached] : [];
    const rows = [...kept, ...own].sort(bySeq);
    const history = rows.filter((l) => l.seq >= 0);
    const base = thread.historyBaseThreadId === null ? undefined : this.state.threads.get(thread.historyBaseThreadId);
    if (base && thread.historyBaseSeq !== null) {
      const upTo = thread.historyBaseSeq;
      for (const l of base.lines) if (l.seq <= upTo) history.push({ ...clone(l), seq: l.seq + 1, inherited: true });
      history.sort(bySeq);
    }
    const { lastSeq: _lastSeq, historyBaseThreadId, historyBaseSeq, ...record } = thread;
    const entry: ThreadEntry = { record: record as StoredThread, lines: history, detached: rows.filter((l) => l.seq < 0), historyBaseThreadId, historyBaseSeq };
    this.state.threads.set(this.threadId, entry);
    if (spawnEdge) this.state.spawnEdges.set(this.threadId, { ...spawnEdge });
  }
}

function historyLines(state: TenantState, threadId: string, after: number | null, limit: number): SeqLine[] {
  const entry = state.threads.get(threadId);
  if (!entry) return [];
  const out: SeqLine[] = [];
  for (const l of entry.lines) {
    if (after !== null && l.seq <= after) continue;
    if (out.length >= limit) break;
    out.push({ seq: l.seq, line: clone(l.line) });
  }
  return out;
}

export class MemoryTransfer implements ThreadTransfer {
  /** Every call runs to completion between awaits: one thread at a time is all there is. */
  readonly parallelism = 1;

  constructor(
    readonly tenantId: string,
    private readonly state: TenantState,
  ) {}

  async importTargets(threadIds: readonly string[]): Promise<ImportTarget[]> {
    return threadIds.flatMap((id) => {
      const entry = this.state.threads.get(id);
      return entry ? [targetOf(entry)] : [];
    });
  }

  async importThread<T>(threadId: string, work: (unit: ThreadImportUnit) => Promise<T>): Promise<T> {
    let turns = importTurns.get(this.state);
    if (!turns) importTurns.set(this.state, (turns = new Map()));
    const before = turns.get(threadId) ?? Promise.resolve();
    const run = before
      .catch(() => {})
      .then(async () => {
        const unit = new MemoryImportUnit(this.state, threadId);
        const result = await work(unit);
        unit.apply();
        return result;
      });
    turns.set(threadId, run);
    try {
      return await run;
    } finally {
      if (turns.get(threadId) === run) turns.delete(threadId);
    }
  }

  async exportThreads(ids: readonly string[] | null): Promise<{ threads: TransferThread[]; spawnEdges: SpawnEdge[] }> {
    let entries = [...this.state.threads.values()];
    if (ids !== null) {
      // The requested threads plus every thread their fork chains read through.
      const wanted = new Set<string>();
      const queue = [...ids];
      while (queue.length > 0) {
        const id = queue.shift()!;
        const entry = this.state.threads.get(id);
        if (!entry || wanted.has(id)) continue;
        wanted.add(id);
        if (entry.historyBaseThreadId) queue.push(entry.historyBaseThreadId);
      }
      entries = entries.filter((e) => wanted.has(e.record.threadId));
    }
    entries.sort((a, b) => (a.record.createdAt === b.record.createdAt ? (a.record.threadId < b.record.threadId ? -1 : 1) : a.record.createdAt < b.record.createdAt ? -1 : 1));
    const spawnEdges = [...this.state.spawnEdges].map(([childThreadId, e]) => ({ parentThreadId: e.parentThreadId, childThreadId, status: e.status }));
    return { threads: entries.map(transferThreadOf), spawnEdges };
  }

  async readLines(threadId: string, lo: number, hi: number, limit: number): Promise<SeqLine[]> {
    const entry = this.state.threads.get(threadId);
    if (!entry) return [];
    return [...entry.detached, ...entry.lines.filter((l) => !l.inherited)]
      .filter((l) => l.seq >= lo && l.seq <= hi)
      .sort(bySeq)
      .slice(0, limit)
      .map((l) => ({ seq: l.seq, line: clone(l.line) }));
  }

  async readHistory(threadId: string, after: number | null, limit: number): Promise<SeqLine[]> {
    return historyLines(this.state, threadId, after, limit);
  }
}
