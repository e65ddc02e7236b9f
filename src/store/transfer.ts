// Owns the narrow port through which import and export of CODEX_HOMEs (src/codex) reach a tenant's
// stored threads — the only way they do: both stores implement it (PostgreSQL in
// src/store/postgres/transfer.ts, in-memory in src/store/memory/transfer.ts), so an import or an
// export runs against either. It speaks model values only: threads as records plus their history
// layout (copy-free fork links, last seq), lines at their physical seqs (negative: a tail a revert
// cut off, kept but not history), spawn edges. A tenant's ThreadStore hands out its port
// (`transferOf(store)`); the port is not part of Codex's ThreadStore contract.
import { InvalidRequestError } from '../model/errors.js';
import type { StoredRolloutLine } from '../model/rolloutLine.js';
import type { PreparedItem } from '../model/storedLine.js';
import type { StoredThread } from '../model/thread.js';

/** The tenant handle import and export take (its port is `transferOf(store)`). */
export type { ThreadStore } from './ThreadStore.js';

/** The key under which a ThreadStore hands out its tenant's port. */
export const TRANSFER: unique symbol = Symbol.for('pg-thread-store.transfer');

/** A stored thread as import writes it and export reads it: the record plus its history layout. */
export interface TransferThread extends Omit<StoredThread, 'history'> {
  /** Seq of the thread's last history line (a fork's inherited range included). */
  lastSeq: number;
  /** Copy-free fork: the thread's seqs 1..historyBaseSeq+1 are its base's lines 0..historyBaseSeq. */
  historyBaseThreadId: string | null;
  historyBaseSeq: number | null;
}

/** A line to store at its physical seq, with its turn. */
export interface TransferLine {
  seq: number;
  turnId: string | null;
  item: PreparedItem;
}

/** A line read back at its seq (physical, or virtual for a history read). */
export interface SeqLine {
  seq: number;
  line: StoredRolloutLine;
}

export interface SpawnEdge {
  parentThreadId: string;
  childThreadId: string;
  status: string;
}

/** What an import needs to know of a stored thread to tell "unchanged" from "changed since". */
export interface ImportTarget {
  threadId: string;
  extra: Record<string, unknown>;
  lastSeq: number;
  itemCount: number;
  byteSize: number;
}

/** The writes of one thread's import; nothing is kept unless the whole unit succeeds. */
export interface ThreadImportUnit {
  /** The thread as stored now, read after any other import of it finished (imports of one thread take turns). */
  target(): Promise<ImportTarget | null>;
  /** Whether the tenant stores `threadId` (a fork base imported earlier). */
  exists(threadId: string): Promise<boolean>;
  /** Drop the thread's stored lines (a re-import; finish replaces its record). */
  clear(): Promise<void>;
  /**
   * Store lines of the thread. A `compacted` line at seq >= 0 is a compaction checkpoint, recorded at
   * its line's timestamp or, when that is no instant, at `fallbackTime`.
   */
  insertLines(lines: readonly TransferLine[], fallbackTime: string): Promise<void>;
  /** History lines of `threadId` (fork bases read through) with seq > `after`, in order, at most `limit`. */
  history(threadId: string, after: number | null, limit: number): Promise<SeqLine[]>;
  /**
   * Write the thread's record (inserted, or replacing the stored one), its spawn edge, and check the
   * tenant's quotas for what the import adds (ResourceExhausted refuses the whole unit).
   */
  finish(thread: TransferThread, options: { added: { threads: number; bytes: number }; spawnEdge: { parentThreadId: string; status: string } | null }): Promise<void>;
}

export interface ThreadTransfer {
  readonly tenantId: string;
  /** How many threads an import may write at once (1 where writes are serialized anyway). */
  readonly parallelism: number;
  /** Stored threads among `threadIds` (any number), for the bulk "unchanged?" check. */
  importTargets(threadIds: readonly string[]): Promise<ImportTarget[]>;
  /** Run one thread's import as one atomic unit; a throw leaves nothing of it behind. */
  importThread<T>(threadId: string, work: (unit: ThreadImportUnit) => Promise<T>): Promise<T>;
  /**
   * Threads to export, oldest first — every thread (archived too), or `ids` plus the fork bases they
   * read through — and the tenant's spawn edges, as one snapshot.
   */
  exportThreads(ids: readonly string[] | null): Promise<{ threads: TransferThread[]; spawnEdges: SpawnEdge[] }>;
  /** Physical lines of `threadId` with lo <= seq <= hi (cut-off tails included, no inherited lines), at most `limit`. */
  readLines(threadId: string, lo: number, hi: number, limit: number): Promise<SeqLine[]>;
  /** History lines of `threadId` (fork bases read through) with seq > `after`, at most `limit`. */
  readHistory(threadId: string, after: number | null, limit: number): Promise<SeqLine[]>;
}

/** What hands out a port: every ThreadStore of this package. */
export interface TransferSource {
  [TRANSFER](): ThreadTransfer;
}

/** The port of `store` (a ThreadStore from openThreadStore or the in-memory service). */
export function transferOf(store: unknown): ThreadTransfer {
  const source = store as Partial<TransferSource> | null;
  if (source === null || typeof source !== 'object' || typeof source[TRANSFER] !== 'function') {
    throw new InvalidRequestError('expected a ThreadStore of pg-thread-store (service.forTenant(tenantId))', { path: 'store' });
  }
  return source[TRANSFER]();
}
