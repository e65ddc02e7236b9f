// Owns the in-process state of a live thread writer and the claim that makes it the only writer
// of that thread across processes: a row in thread_writers whose epoch fences stale writers (copied
// to threads.writer_epoch, which every append batch must match). A claim lives as long as its owner
// process does: each process keeps ONE row in writer_processes fresh with one heartbeat statement
// per interval, whatever the number of live threads or tenants it holds, and a claim is taken over
// only when its owner has not beaten within the claimant's lease (a crashed or stalled process).
import { ConflictError } from '../../model/errors.js';
import type { StoredRolloutLine } from '../../model/rolloutLine.js';
import type { SqlExecutor } from '../../db/database.js';
import type { TurnTracker } from '../../history/turns.js';

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
 * Claim the thread for this process (whose writer_processes row must exist: see beatProcess).
 * Returns the new epoch, also written to the thread's row when it is stored, so the previous
 * writer's next batch fails its fence; Conflict when another process holds the claim and is alive.
 * Taking the row's lock also waits for that writer's batch in flight, if any.
 */
export async function claimThread(tx: SqlExecutor, tenantId: string, threadId: string, owner: string, leaseMs: number): Promise<number> {
  // A thread nobody ever claimed: the claim is ours at epoch 1 (a concurrent first claim waits on
  // the key and then finds the row, below).
  const fresh = await tx.query<{ epoch: number }>(
    `INSERT INTO thread_store.thread_writers (tenant_id, thread_id, epoch, owner, heartbeat_at)
     VALUES ($1, $2, 1, $3, now())
     ON CONFLICT (tenant_id, thread_id) DO NOTHING
     RETURNING epoch`,
    [tenantId, threadId, owner],
  );
  let epoch = fresh.rows[0]?.epoch;
  if (epoch === undefined) {
    // Taken before: lock the claim, and take it over only from this very process (an earlier handle
    // of it was closed or lost its connection) or a dead one. Separate statements rather than one
    // upsert with a sub-select, which Citus refuses in an INSERT (src/db/citus.ts).
    const held = await tx.query<{ owner: string; alive: boolean }>(
      `SELECT w.owner, EXISTS (SELECT 1 FROM thread_store.writer_processes p
                                WHERE p.owner = w.owner AND p.heartbeat_at >= now() - make_interval(secs => $3::double precision / 1000)) AS alive
         FROM thread_store.thread_writers w
        WHERE w.tenant_id = $1 AND w.thread_id = $2
        FOR UPDATE OF w`,
      [tenantId, threadId, leaseMs],
    );
    const row = held.rows[0];
    if (row && row.owner !== owner && row.alive) throw new ConflictError(`thread ${threadId} already has a live writer in another process`);
    const taken = await tx.query<{ epoch: number }>(
      `UPDATE thread_store.thread_writers SET epoch = epoch + 1, owner = $3, heartbeat_at = now()
        WHERE tenant_id = $1 AND thread_id = $2
        RETURNING epoch`,
      [tenantId, threadId, owner],
    );
    epoch = taken.rows[0]?.epoch;
    if (epoch === undefined) throw new ConflictError(`thread ${threadId} lost its writer claim while being claimed; try again`);
  }
  // The fence: the previous writer's next batch no longer matches the thread's row.
  await tx.query('UPDATE thread_store.threads SET writer_epoch = $3 WHERE tenant_id = $1 AND id = $2', [tenantId, threadId, epoch]);
  return Number(epoch);
}

export async function releaseClaim(tx: SqlExecutor, tenantId: string, threadId: string, epoch: number): Promise<void> {
  await tx.query('DELETE FROM thread_store.thread_writers WHERE tenant_id = $1 AND thread_id = $2 AND epoch = $3', [tenantId, threadId, epoch]);
}

/**
 * The process heartbeat: ONE statement, whatever the number of live threads and tenants. Registers
 * the process on first use (its claims count as alive from then on) and, now and then, forgets
 * processes silent for a day (their claims stay takeable: a missing owner row is a dead owner).
 * (excluded.heartbeat_at, not now(): Citus refuses non-immutable functions in DO UPDATE SET, and
 * writer_processes is a reference table there.)
 */
export async function beatProcess(exec: SqlExecutor, owner: string, forgetSilent = false): Promise<void> {
  await exec.query(
    `WITH beat AS (
       INSERT INTO thread_store.writer_processes (owner, heartbeat_at) VALUES ($1, now())
       ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
     )
     DELETE FROM thread_store.writer_processes WHERE $2 AND heartbeat_at < now() - interval '1 day'`,
    [owner, forgetSilent],
  );
}

/** A process that closes stops holding claims: its row goes (its claims were released before). */
export async function forgetProcess(exec: SqlExecutor, owner: string): Promise<void> {
  await exec.query('DELETE FROM thread_store.writer_processes WHERE owner = $1', [owner]);
}
