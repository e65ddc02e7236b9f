// Owns the in-memory data of one tenant: stored threads with their lines, live writers, spawn
// edges, the tenant's timestamp clock and its quotas. Nothing here is shared between tenants.
import { ResourceExhaustedError } from '../../model/errors.js';
import type { ParsedCreateThreadParams } from '../../model/params.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';
import type { StoredThread } from '../../model/thread.js';
import type { TurnTracker } from '../../history/turns.js';
import { TimestampClock } from './timestampClock.js';

/** One stored line. History lines have seq >= 0 (their position, gaps allowed after an import). */
export interface StoredLine {
  seq: number;
  turnId: string | null;
  line: StoredRolloutLine;
  byteSize: number;
  searchText: string | null;
  /** A copy of a fork base's line (an imported copy-free fork): history, but not the thread's own row. */
  inherited?: boolean;
}

/** A materialized thread: its metadata record (without `history`) and its lines in seq order. */
export interface ThreadEntry {
  record: StoredThread;
  lines: StoredLine[];
  /** Lines an import keeps although a revert cut them off (negative seqs): never history. */
  detached: StoredLine[];
  /** An imported copy-free fork's base (its seqs 1..historyBaseSeq+1 are copies of the base's lines). */
  historyBaseThreadId: string | null;
  historyBaseSeq: number | null;
}

/** A live writer: created (not necessarily materialized yet) or resumed. */
export interface LiveWriter {
  /** Create params when opened by createThread (used to materialize); null when resumed. */
  create: ParsedCreateThreadParams | null;
  /** The allocated create time (ISO), used for session_meta and the record timestamps. */
  createdAt: string;
  tracker: TurnTracker;
}

export interface SpawnEdgeState {
  parentThreadId: string;
  status: string;
}

/** A tenant's quotas (as thread_store.tenants.max_threads / max_item_bytes); null = none. */
export interface MemoryQuota {
  maxThreads: number | null;
  maxItemBytes: number | null;
}

export class TenantState {
  readonly threads = new Map<string, ThreadEntry>();
  readonly live = new Map<string, LiveWriter>();
  /** Spawn edges: child thread id → its parent and the edge's status. */
  readonly spawnEdges = new Map<string, SpawnEdgeState>();
  clock = new TimestampClock();
  quota: MemoryQuota = { maxThreads: null, maxItemBytes: null };

  /** Forget everything (a purge): every handle of the tenant sees an empty tenant from now on. */
  reset(options: { keepQuota?: boolean } = {}): void {
    this.threads.clear();
    this.live.clear();
    this.spawnEdges.clear();
    this.clock = new TimestampClock();
    if (!options.keepQuota) this.quota = { maxThreads: null, maxItemBytes: null };
  }

  childrenOf(parentId: string): string[] {
    const out: string[] = [];
    for (const [child, edge] of this.spawnEdges) if (edge.parentThreadId === parentId) out.push(child);
    return out;
  }

  /** Every thread reachable from `ancestorId` through spawn edges, excluding the ancestor itself. */
  descendantsOf(ancestorId: string): Set<string> {
    const seen = new Set<string>();
    const queue = [ancestorId];
    while (queue.length > 0) {
      const next = queue.shift() as string;
      for (const child of this.childrenOf(next)) {
        if (child === ancestorId || seen.has(child)) continue;
        seen.add(child);
        queue.push(child);
      }
    }
    return seen;
  }

  /** Item bytes the tenant stores (the sum of its threads' byteSize, as PostgreSQL counts them). */
  itemBytes(): number {
    let bytes = 0;
    for (const { record } of this.threads.values()) bytes += record.byteSize;
    return bytes;
  }

  /**
   * ResourceExhausted when adding `threads` threads and `bytes` item bytes would take the tenant past
   * a quota — the check thread_store.enforce_quotas makes on PostgreSQL, with the same paths.
   */
  enforceQuota(threads: number, bytes: number): void {
    const { maxThreads, maxItemBytes } = this.quota;
    const used = this.threads.size;
    if (threads > 0 && maxThreads !== null && used + threads > maxThreads) {
      throw new ResourceExhaustedError(`tenant has ${used} of its ${maxThreads} allowed threads; ${threads} more would exceed the quota`, { path: 'tenant.maxThreads' });
    }
    if (bytes > 0 && maxItemBytes !== null) {
      const usedBytes = this.itemBytes();
      if (usedBytes + bytes > maxItemBytes) {
        throw new ResourceExhaustedError(`tenant stores ${usedBytes} of its ${maxItemBytes} allowed item bytes; ${bytes} more would exceed the quota`, { path: 'tenant.maxItemBytes' });
      }
    }
  }
}
