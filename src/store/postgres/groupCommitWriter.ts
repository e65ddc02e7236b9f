// Owns group commit: every append of every live thread in the process is queued here and written
// in batches, each batch ONE pipeline — one round trip, one transaction — holding the items,
// bookkeeping, checkpoints and derived metadata of all its threads, whatever their tenants
// (src/store/postgres/appendBatch.ts). A request's promise resolves only after its batch committed.
//
// Up to maxInFlight batches run at once, on disjoint sets of threads: a thread with a batch in
// flight has its later appends wait for the next batch (so per thread there is still one batch in
// flight, in queue order), while the other threads' appends are written meanwhile — the writer's own
// work (building the next batch, settling the last one) then overlaps the database's. Seqs are
// assigned when a batch is built, and a thread is in one batch at a time, so a failed batch can
// hand its seqs back and seq stays gap-free. Concurrent batches lock rows of disjoint threads; the
// rows they may share (a tenant's clock and quota rows) are locked tenant by tenant in tenant-id
// order, so two batches cannot deadlock. Failures:
//  - connection lost / unknown COMMIT outcome → find out whether the batch committed by reading
//    back each thread's first item (appendBatch.ts commitProbe: exact, since only this writer can
//    have stored that content at that seq); if not, retry the same batch (the fence refuses a
//    batch that would not continue its threads' seqs anyway);
//  - a stale writer (claim taken over) → Conflict for that thread's requests, the rest retried;
//  - any other error → the batch is split per thread so one thread's bad item fails only its own
//    appends.
import { ConflictError, InternalError, ResourceExhaustedError, ThreadStoreError } from '../../model/errors.js';
import type { ThreadMetadataPatch } from '../../model/patch.js';
import { isRetryableDbError, mapDbError, type Database, type DatabaseLayout } from '../../db/database.js';
import { encodeLine, type PreparedItem } from '../shared/preparedItem.js';
import { batchScope, batchSteps, commitProbe, staleWriterOf, type ThreadBatch } from './appendBatch.js';
import type { LiveWriterState } from './liveWriter.js';

export interface GroupCommitOptions {
  /** Flush when a batch reaches this many items. */
  maxBatchItems: number;
  /** Flush when a batch reaches this many bytes. */
  maxBatchBytes: number;
  /** Wait this long for more appends before flushing an idle queue (0 = flush as soon as possible). */
  lingerMs: number;
  /** Bound on queued-but-uncommitted bytes; past it appends wait, or fail when `rejectWhenFull`. */
  maxQueuedBytes: number;
  rejectWhenFull: boolean;
  /** How long to keep retrying a batch whose connection failed before giving up. */
  retryDeadlineMs: number;
  /** Batches written at once (on disjoint threads): the next batch forms while one is in the database. */
  maxInFlight: number;
}

export const DEFAULT_GROUP_COMMIT_OPTIONS: GroupCommitOptions = {
  maxBatchItems: 5000,
  maxBatchBytes: 16 * 1024 * 1024,
  lingerMs: 0,
  maxQueuedBytes: 256 * 1024 * 1024,
  rejectWhenFull: false,
  retryDeadlineMs: 60_000,
  maxInFlight: 2,
};

interface AppendRequest {
  state: LiveWriterState;
  items: PreparedItem[];
  patch: ThreadMetadataPatch | undefined;
  /** Write the thread (session_meta + row) even when `items` is empty (persistThread). */
  forceMaterialize: boolean;
  bytes: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * A batch runs alongside another only when it has at least this many items (and a lone batch is
 * split in two only when both halves would): each batch pays its own round trips and commit, so
 * small batches are cheaper one at a time, and a small burst still travels in one transaction.
 */
const PARALLEL_MIN_ITEMS = 16;

interface Snapshot {
  nextSeq: number;
  materialized: boolean;
  openTurnId: string | null;
}

export interface WriterStats {
  batches: number;
  items: number;
  retries: number;
}

export class GroupCommitWriter {
  private queue: AppendRequest[] = [];
  private queuedBytes = 0;
  /** Batches being written now. */
  private inFlight = 0;
  /** Threads that have a batch in flight: their queued appends wait for the next batch. */
  private readonly busy = new Set<LiveWriterState>();
  /** A kick is scheduled for the end of the current event-loop turn. */
  private kickPending = false;
  private lingerTimer: NodeJS.Timeout | null = null;
  private spaceWaiters: (() => void)[] = [];
  /** Appends waiting for queue space, admitted strictly in arrival order. */
  private waiting = 0;
  private admission: Promise<void> = Promise.resolve();
  private closed = false;
  readonly stats: WriterStats = { batches: 0, items: 0, retries: 0 };
  /** Told of every committed batch, after its appends resolved (the search indexer folds its lines). */
  onCommit: ((threads: readonly ThreadBatch[]) => void) | null = null;
  /** When an append was last submitted or committed (ms since epoch): the search indexer yields to appends. */
  lastActivityAt = 0;

  constructor(
    private readonly db: Database,
    private readonly options: GroupCommitOptions = DEFAULT_GROUP_COMMIT_OPTIONS,
  ) {}

  submit(state: LiveWriterState, items: PreparedItem[], patch?: ThreadMetadataPatch, forceMaterialize = false): Promise<void> {
    if (this.closed) return Promise.reject(new InternalError('the store is closed'));
    // Fenced off by a batch (another process took the thread over): every later append is refused
    // the same way, without a round trip.
    if (state.fencedBy) return Promise.reject(state.fencedBy);
    this.lastActivityAt = Date.now();
    const bytes = items.reduce((n, i) => n + i.byteSize, 0);
    return new Promise<void>((resolve, reject) => {
      const enqueue = () => {
        this.queue.push({ state, items, patch, forceMaterialize, bytes, resolve, reject });
        this.queuedBytes += bytes;
        this.schedule();
      };
      const fits = () => this.queuedBytes === 0 || this.queuedBytes + bytes <= this.options.maxQueuedBytes;
      if (this.waiting === 0 && fits()) {
        enqueue();
        return;
      }
      if (this.options.rejectWhenFull) {
        reject(new ResourceExhaustedError(`append queue is full (${this.queuedBytes} bytes waiting to commit)`));
        return;
      }
      // FIFO admission: once anyone waits for space, later appends queue up behind them, so a small
      // append can never overtake an earlier large one of the same thread.
      this.waiting++;
      this.admission = this.admission.then(async () => {
        while (!fits()) await new Promise<void>((r) => this.spaceWaiters.push(r));
        this.waiting--;
        enqueue();
      });
    });
  }

  /** Resolves once everything queued before the call has been handled. */
  async drain(): Promise<void> {
    while (this.inFlight > 0 || this.queue.length > 0) {
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
  }

  private schedule(): void {
    if (this.inFlight >= this.options.maxInFlight) return;
    const queuedItems = this.queue.reduce((n, r) => n + r.items.length, 0);
    const full = queuedItems >= this.options.maxBatchItems || this.queuedBytes >= this.options.maxBatchBytes;
    if (this.options.lingerMs > 0 && !full) {
      if (!this.lingerTimer) {
        this.lingerTimer = setTimeout(() => {
          this.lingerTimer = null;
          this.kick();
        }, this.options.lingerMs);
      }
      return;
    }
    this.kickSoon();
  }

  /**
   * Kick once the current burst of work is done: the appends that a settled batch's callers submit
   * right away (in the same event-loop turn) then travel together instead of the first of them
   * taking a batch of its own.
   */
  private kickSoon(): void {
    if (this.kickPending) return;
    this.kickPending = true;
    setImmediate(() => {
      this.kickPending = false;
      this.kick();
    });
  }

  private kick(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      let limit = this.options.maxBatchItems;
      if (this.options.maxInFlight > 1) {
        const { items, threads } = this.eligible();
        if (this.inFlight > 0 && items < PARALLEL_MIN_ITEMS) return;
        // Nothing in flight and enough for two: split, so that the two halves (on disjoint threads)
        // overlap — one's database work with the other's callers — from then on.
        if (this.inFlight === 0 && threads > 1 && items >= 2 * PARALLEL_MIN_ITEMS) limit = Math.min(limit, Math.ceil(items / 2));
      }
      const batch = this.takeBatch(limit);
      if (batch.length === 0) return; // everything queued waits for a thread's batch in flight
      if (this.lingerTimer) {
        clearTimeout(this.lingerTimer);
        this.lingerTimer = null;
      }
      this.start(batch);
    }
  }

  private start(batch: AppendRequest[]): void {
    this.inFlight++;
    const states = new Set(batch.map((r) => r.state));
    for (const s of states) this.busy.add(s);
    void this.execute(batch)
      .catch((error: unknown) => {
        // execute() settles its requests itself; this is the last line of defence so that no
        // append can hang and no rejection goes unhandled.
        const mapped = error instanceof ThreadStoreError ? error : mapDbError(error, 'appendItems');
        for (const r of batch) r.reject(mapped);
      })
      .finally(() => {
        for (const r of batch) this.queuedBytes -= r.bytes;
        for (const s of states) this.busy.delete(s);
        this.releaseSpace();
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
      });
  }

  private releaseSpace(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }

  /** Items (and threads) queued whose thread has no batch in flight. */
  private eligible(): { items: number; threads: number } {
    let items = 0;
    const threads = new Set<LiveWriterState>();
    for (const r of this.queue) {
      if (this.busy.has(r.state)) continue;
      items += r.items.length;
      threads.add(r.state);
    }
    return { items, threads: threads.size };
  }

  /**
   * The next batch, in queue order, of the appends whose thread has no batch in flight (those stay
   * queued, in order, for a later batch).
   */
  private takeBatch(maxItems: number): AppendRequest[] {
    const batch: AppendRequest[] = [];
    const rest: AppendRequest[] = [];
    let items = 0;
    let bytes = 0;
    let full = false;
    // One pass that keeps the rest in order (no splicing in the middle of a long queue).
    for (const next of this.queue) {
      if (full || this.busy.has(next.state)) {
        rest.push(next);
        continue;
      }
      if (batch.length > 0 && (items + next.items.length > maxItems || bytes + next.bytes > this.options.maxBatchBytes)) {
        full = true;
        rest.push(next);
        continue;
      }
      batch.push(next);
      items += next.items.length;
      bytes += next.bytes;
    }
    this.queue = rest;
    return batch;
  }

  /**
   * Write a batch. On a distributed (Citus) database it is cut per tenant first, and the tenants'
   * parts are written concurrently, each one pipeline with a one-tenant scope: every statement of a
   * part then names one tenant and runs on that tenant's shard as a router query, and a part's
   * transaction commits on one worker without two-phase commit. A part is a batch in its own right
   * (its own fence, its own commit probe, its own retries), so exactly-once and fencing hold per part
   * as they hold per batch.
   */
  private async execute(batch: AppendRequest[]): Promise<void> {
    const layout = await this.db.layout();
    if (layout === 'citus-distributed') {
      const byTenant = groupBy(batch, (r) => r.state.tenantId);
      if (byTenant.size > 1) {
        await Promise.all([...byTenant.values()].map((part) => this.executePart(part, layout)));
        return;
      }
    }
    await this.executePart(batch, layout);
  }

  private async executePart(batch: AppendRequest[], layout: DatabaseLayout): Promise<void> {
    let pending = batch.filter((r) => {
      if (r.state.closed || r.state.fencedBy) {
        r.reject(r.state.fencedBy ?? new ConflictError(`thread ${r.state.threadId} is no longer live`));
        return false;
      }
      return true;
    });
    const deadline = Date.now() + this.options.retryDeadlineMs;
    let attempt = 0;
    while (pending.length > 0) {
      const snapshots = snapshot(pending);
      const threads = buildPlan(pending);
      if (threads.length === 0) {
        for (const r of pending) r.resolve();
        return;
      }
      try {
        await this.db.pipeline(batchScope(threads), batchSteps(threads, layout), 'appendItems');
        this.commit(pending, threads);
        return;
      } catch (error) {
        restore(snapshots);
        const stale = staleWriterOf(error);
        if (stale) {
          const ids = new Set(stale.threadIds);
          pending = pending.filter((r) => {
            if (!ids.has(r.state.threadId)) return true;
            // Not `closed`: the thread stays known to this process, and its later appends fail with
            // this Conflict (submit) rather than as an unknown thread.
            r.state.fencedBy = new ConflictError(`thread ${r.state.threadId} was taken over by another writer`);
            r.reject(r.state.fencedBy);
            return false;
          });
          continue;
        }
        const cause = error instanceof ThreadStoreError && error.cause !== undefined ? error.cause : error;
        if (isRetryableDbError(cause) && Date.now() < deadline) {
          this.stats.retries++;
          // The COMMIT may have happened before the connection died: ask the database.
          let committed: boolean;
          try {
            committed = await this.wasCommitted(threads, deadline, layout);
          } catch (probeError) {
            // Still unreachable at the deadline: the outcome is unknown, so these appends fail and
            // their writers close (their seq state can no longer be trusted); resuming the thread
            // reads what was really stored.
            const unknown = new InternalError('append outcome unknown: the database stayed unreachable past the retry deadline', { cause: probeError });
            for (const r of pending) {
              r.state.closed = true;
              r.state.fencedBy = new ConflictError(`thread ${r.state.threadId} lost its connection mid-commit; resume it to continue`);
              r.reject(unknown);
            }
            return;
          }
          if (committed) {
            // The snapshot was restored above; re-apply this batch's seq and turn assignment, since it did commit.
            this.commit(pending, buildPlan(pending));
            return;
          }
          await sleep(Math.min(1000, 25 * 2 ** attempt++));
          continue;
        }
        if (new Set(pending.map((r) => r.state)).size > 1) {
          // Isolate the culprit: every thread on its own, so the others still commit.
          for (const requests of groupBy(pending, (r) => r.state).values()) await this.executePart(requests, layout);
          return;
        }
        const mapped = error instanceof ThreadStoreError ? error : mapDbError(error, 'appendItems');
        for (const r of pending) r.reject(mapped);
        return;
      }
    }
  }

  /**
   * After an unknown outcome: did the batch commit? Read back each thread's first item (exact: see
   * appendBatch.ts commitProbe). A batch with nothing to probe (metadata only) counts as not
   * committed: writing its patches again changes nothing.
   */
  private async wasCommitted(threads: ThreadBatch[], deadline: number, layout: DatabaseLayout): Promise<boolean> {
    const { step, expected } = commitProbe(threads, layout);
    if (expected === 0) return false;
    let wait = 25;
    for (;;) {
      try {
        const [result] = await this.db.pipeline(batchScope(threads), [step], 'appendItems(recover)');
        return Number(result?.rows[0]?.found ?? 0) === expected;
      } catch (error) {
        // Unreachable still (the server restarting): keep asking until the deadline.
        if (Date.now() > deadline) throw error;
      }
      await sleep(wait);
      wait = Math.min(1000, wait * 2);
    }
  }

  private commit(requests: AppendRequest[], threads: ThreadBatch[]): void {
    this.stats.batches++;
    this.lastActivityAt = Date.now();
    for (const t of threads) {
      t.state.materialized = true;
      this.stats.items += t.items.length;
    }
    for (const r of requests) r.resolve();
    this.onCommit?.(threads);
  }
}

function snapshot(requests: AppendRequest[]): Map<LiveWriterState, Snapshot> {
  const out = new Map<LiveWriterState, Snapshot>();
  for (const { state } of requests) {
    if (!out.has(state)) out.set(state, { nextSeq: state.nextSeq, materialized: state.materialized, openTurnId: state.turns.openTurnId });
  }
  return out;
}

function restore(snapshots: Map<LiveWriterState, Snapshot>): void {
  for (const [state, s] of snapshots) {
    state.nextSeq = s.nextSeq;
    state.materialized = s.materialized;
    state.turns.openTurnId = s.openTurnId;
  }
}

/** Assign seqs and turn ids in queue order; one entry per thread. */
function buildPlan(requests: AppendRequest[]): ThreadBatch[] {
  const byThread = new Map<LiveWriterState, ThreadBatch>();
  for (const r of requests) {
    const state = r.state;
    let t = byThread.get(state);
    if (!t) {
      t = { state, materialize: false, firstSeq: state.nextSeq, items: [], patches: [] };
      byThread.set(state, t);
    }
    if (!state.materialized && !t.materialize && (r.items.length > 0 || r.forceMaterialize)) {
      t.materialize = true;
      // seq 0 is the thread's own session_meta, written first as Codex does.
      if (state.sessionMeta) {
        t.items.push({ seq: state.nextSeq++, turnId: null, item: sessionMetaItem(state) });
      }
    }
    for (const item of r.items) {
      t.items.push({ seq: state.nextSeq++, turnId: state.turns.assign(item.line), item });
    }
    if (r.patch) t.patches.push(r.patch);
  }
  return [...byThread.values()].filter((t) => t.materialize || t.items.length > 0 || t.patches.length > 0);
}

function sessionMetaItem(state: LiveWriterState): PreparedItem {
  return encodeLine(state.sessionMeta!);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `items` grouped by `key`, each group in the items' order. */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
