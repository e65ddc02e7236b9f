// Owns what every tenant view of one opened store shares in a process: the database, the single
// group-commit writer, the registry of live writers and their claim heartbeats.
import type { Database } from '../../db/database.js';
import type { ItemLimits } from '../shared/preparedItem.js';
import type { GroupCommitWriter } from './groupCommitWriter.js';
import type { LiveWriterState } from './liveWriter.js';

export interface StoreRuntime {
  readonly db: Database;
  readonly writer: GroupCommitWriter;
  readonly live: Map<string, LiveWriterState>;
  /** Identifies this process's claims in thread_writers. */
  readonly ownerId: string;
  /** A claim not refreshed for this long may be taken over (its process is presumed dead). */
  readonly leaseMs: number;
  readonly limits: ItemLimits;
  /** ISO timestamp of now (injectable for tests). */
  readonly now: () => string;
}
