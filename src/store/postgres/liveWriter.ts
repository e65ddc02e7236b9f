// Owns the in-process state of a live thread writer and the claim that makes it the only writer
// of that thread across processes: a row in thread_writers whose epoch fences stale writers, kept
// alive by heartbeats and taken over only after its lease has lapsed (a crashed process).
import { ConflictError } from '../../model/errors.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';
import type { SqlExecutor } from '../../db/database.js';
import type { TurnTracker } from '../shared/turns.js';

/** Column values of the threads row written when a created thread materializes. */
export interface ThreadInit {
  sessionId: string;
  forkedFromId: string | null;
  parentThreadId: string | null;
  source: string;
  threadSource: string | null;
  originator: string;
  modelProvider: string;
  cwd: string;
  cliVersion: string;
  agentNickname: string | null;
  agentRole: string | null;
  agentPath: string | null;
  memoryMode: string;
  historyMode: string;
  gitSha: string | null;
  gitBranch: string | null;
  gitOriginUrl: string | null;
  createdAt: string;
}

export interface LiveWriterState {
  readonly tenantId: string;
  readonly threadId: string;
  readonly epoch: number;
  materialized: boolean;
  /** For a created thread: its session_meta line and row, written on materialization. */
  readonly sessionMeta: StoredRolloutLine | null;
  readonly init: ThreadInit | null;
  /** Next seq to assign (owned by the writer; restored when a batch fails). */
  nextSeq: number;
  readonly turns: TurnTracker;
  /** Set when the writer was shut down, discarded or fenced off. */
  closed: boolean;
  /** Why appends are refused once closed by a fence (another process took the thread). */
  fencedBy: ConflictError | null;
}

export function liveKey(tenantId: string, threadId: string): string {
  return `${tenantId}:${threadId}`;
}

/**
 * Claim the thread for this process. Returns the new epoch; Conflict when another live writer
 * holds an unexpired claim.
 */
export async function claimThread(tx: SqlExecutor, tenantId: string, threadId: string, owner: string, leaseMs: number): Promise<number> {
  const { rows } = await tx.query<{ epoch: number }>(
    `INSERT INTO thread_store.thread_writers AS w (tenant_id, thread_id, epoch, owner, heartbeat_at)
     VALUES ($1, $2, 1, $3, now())
     ON CONFLICT (tenant_id, thread_id) DO UPDATE
       SET epoch = w.epoch + 1, owner = excluded.owner, heartbeat_at = now()
       WHERE w.heartbeat_at < now() - make_interval(secs => $4::double precision / 1000)
     RETURNING epoch`,
    [tenantId, threadId, owner, leaseMs],
  );
  const row = rows[0];
  if (!row) throw new ConflictError(`thread ${threadId} already has a live writer in another process`);
  return Number(row.epoch);
}

export async function releaseClaim(tx: SqlExecutor, tenantId: string, threadId: string, epoch: number): Promise<void> {
  await tx.query('DELETE FROM thread_store.thread_writers WHERE tenant_id = $1 AND thread_id = $2 AND epoch = $3', [tenantId, threadId, epoch]);
}

/** Refresh the claims of `states` (one tenant); returns the thread ids whose claim is gone. */
export async function heartbeatClaims(tx: SqlExecutor, tenantId: string, states: LiveWriterState[]): Promise<string[]> {
  const { rows } = await tx.query<{ thread_id: string }>(
    `UPDATE thread_store.thread_writers w SET heartbeat_at = now()
       FROM unnest($2::uuid[], $3::bigint[]) AS c(thread_id, epoch)
      WHERE w.tenant_id = $1 AND w.thread_id = c.thread_id AND w.epoch = c.epoch
      RETURNING w.thread_id`,
    [tenantId, states.map((s) => s.threadId), states.map((s) => s.epoch)],
  );
  const alive = new Set(rows.map((r) => r.thread_id));
  return states.filter((s) => !alive.has(s.threadId)).map((s) => s.threadId);
}
