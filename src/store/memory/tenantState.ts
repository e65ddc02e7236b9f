// Owns the in-memory data of one tenant: stored threads with their lines, live writers, spawn
// edges and the tenant's timestamp clock. Nothing here is shared between tenants.
import type { CreateThreadParams } from '../../model/params.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';
import type { StoredThread } from '../../model/thread.js';
import type { TurnTracker } from '../../history/turns.js';
import { TimestampClock } from './timestampClock.js';

/** One history line as kept: `seq` is its 0-based position in the thread's full history. */
export interface StoredLine {
  seq: number;
  turnId: string | null;
  line: StoredRolloutLine;
  byteSize: number;
  searchText: string | null;
}

/** A materialized thread: its metadata record (without `history`) and its lines in order. */
export interface ThreadEntry {
  record: StoredThread;
  lines: StoredLine[];
}

/** A live writer: created (not necessarily materialized yet) or resumed. */
export interface LiveWriter {
  /** Create params when opened by createThread (used to materialize); null when resumed. */
  create: CreateThreadParams | null;
  /** The allocated create time (ISO), used for session_meta and the record timestamps. */
  createdAt: string;
  tracker: TurnTracker;
}

export class TenantState {
  readonly threads = new Map<string, ThreadEntry>();
  readonly live = new Map<string, LiveWriter>();
  /** Spawn edges: child thread id → parent thread id. */
  readonly spawnParents = new Map<string, string>();
  readonly clock = new TimestampClock();

  childrenOf(parentId: string): string[] {
    const out: string[] = [];
    for (const [child, parent] of this.spawnParents) if (parent === parentId) out.push(child);
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
}
