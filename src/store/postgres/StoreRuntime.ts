// Owns what every tenant view of one opened store shares in a process: the database, the single
// group-commit writer, the search indexer, the registry of live writers and the process heartbeat
// that keeps their claims alive.
import type { Database } from '../../db/database.js';
import type { ItemLimits } from '../shared/preparedItem.js';
import type { GroupCommitWriter } from './groupCommitWriter.js';
import type { LiveWriterState } from './liveWriter.js';
import type { SearchIndexer } from './searchIndex.js';

export interface StoreRuntime {
  readonly db: Database;
  readonly writer: GroupCommitWriter;
  readonly search: SearchIndexer;
  readonly live: Map<string, LiveWriterState>;
  /** Identifies this process's claims in thread_writers (and its row in writer_processes). */
  readonly ownerId: string;
  /** Resolves once this process's writer_processes row exists; claims wait for it. */
  registerProcess(): Promise<void>;
  /** A claim not refreshed for this long may be taken over (its process is presumed dead). */
  readonly leaseMs: number;
  readonly limits: ItemLimits;
  /** ISO timestamp of now (injectable for tests). */
  readonly now: () => string;
}
