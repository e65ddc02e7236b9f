// Test helpers for LiveThread / ThreadManager: a spying, fault-injecting ThreadStore wrapper; a
// Database wrapper that can hold a group-commit transaction open, lose its COMMIT acknowledgement
// or fail it, and records the rows of every batch; readers of a thread's stored seqs; builders of
// real sample lines; and child writer processes (test/live/fixtures/liveWriterChild.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { openEmbeddedDatabase, openPostgresDatabase, type Database, type NamedStatement, type PipelineStep, type QueryResult, type SqlExecutor, type TenantScope, type TransactionOptions } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { createService, type OpenThreadStoreOptions, type ThreadStoreService } from '../../src/store/openThreadStore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { loadFixture } from '../contract/fixtures.js';

// ---- spying store -------------------------------------------------------------------------------

const ASYNC_OPS = [
  'createThread',
  'resumeThread',
  'appendItems',
  'persistThread',
  'flushThread',
  'shutdownThread',
  'discardThread',
  'loadHistory',
  'readThread',
  'listThreads',
  'searchThreads',
  'listTurns',
  'listItems',
  'updateThreadMetadata',
  'archiveThread',
  'unarchiveThread',
  'deleteThread',
  'forkThread',
] as const;
export type StoreOp = (typeof ASYNC_OPS)[number];

export interface StoreCall {
  op: StoreOp;
  args: unknown[];
  /** Set once the call settled. */
  outcome?: 'ok' | 'error';
  /** Order in which calls settled (1-based), for ordering assertions. */
  settledAt?: number;
  startedAt: number;
}

type Hook = (args: unknown[]) => Promise<void> | void;

/** Wraps a ThreadStore: records every call and runs one-shot hooks (faults, gates) before it. */
export class SpyStore {
  readonly calls: StoreCall[] = [];
  readonly store: ThreadStore;
  private readonly hooks = new Map<StoreOp, Hook[]>();
  private tick = 0;

  constructor(readonly inner: ThreadStore) {
    const handler: ProxyHandler<ThreadStore> = {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (!(ASYNC_OPS as readonly (string | symbol)[]).includes(prop)) return (value as (...a: unknown[]) => unknown).bind(target);
        const op = prop as StoreOp;
        return async (...args: unknown[]) => {
          const call: StoreCall = { op, args, startedAt: ++this.tick };
          this.calls.push(call);
          try {
            const hook = this.hooks.get(op)?.shift();
            if (hook) await hook(args);
            const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            call.outcome = 'ok';
            return result;
          } catch (error) {
            call.outcome = 'error';
            throw error;
          } finally {
            call.settledAt = ++this.tick;
          }
        };
      },
    };
    this.store = new Proxy(inner, handler);
  }

  /** Run `hook` before the next call of `op` (throw from it to fail the call). */
  before(op: StoreOp, hook: Hook): void {
    this.hooks.set(op, [...(this.hooks.get(op) ?? []), hook]);
  }

  failNext(op: StoreOp, error: Error): void {
    this.before(op, () => {
      throw error;
    });
  }

  callsOf(op: StoreOp): StoreCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  /** The metadata patches appendItems calls carried (undefined = none). */
  appendPatches(): (Record<string, unknown> | undefined)[] {
    return this.callsOf('appendItems').map((c) => (c.args[1] as { metadataPatch?: Record<string, unknown> } | undefined)?.metadataPatch);
  }

  reset(): void {
    this.calls.length = 0;
  }
}

// ---- fault-injecting database -------------------------------------------------------------------

export type CommitFault = 'lose-ack' | 'fail-before-commit';

/** Wraps a Database so group-commit transactions can be held, faulted and observed. */
export class FaultyDatabase implements Database {
  readonly kind: Database['kind'];
  readonly location: string;
  /** Rows inserted into thread_items by each committed-or-not batch attempt, in order. */
  readonly batchRows: number[] = [];
  /** Tenants in the scope of each batch attempt, in order. */
  readonly batchTenants: number[] = [];
  /** Transactions by operation name (heartbeats, claims, …), pipelines included. */
  readonly operations = new Map<string, number>();
  private readonly faults: CommitFault[] = [];
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;
  /** Resolves when a batch reaches the gate. */
  private gateReached: (() => void) | null = null;
  appendTransactions = 0;

  /** `shared`: the inner database outlives this wrapper (close() leaves it open). */
  constructor(
    private readonly inner: Database,
    private readonly shared = false,
  ) {
    this.kind = inner.kind;
    this.location = inner.location;
  }

  /** The next append transactions fail this way (in order). */
  inject(...faults: CommitFault[]): void {
    this.faults.push(...faults);
  }

  /** Hold the next append transactions just before COMMIT until `release()`; resolves when one waits. */
  hold(): Promise<void> {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
    return new Promise((resolve) => (this.gateReached = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
    this.openGate = null;
  }

  /** Until `until` settles, the writer's commit-outcome checks fail as if the database were unreachable. */
  blockRecovery(until: Promise<unknown>): void {
    this.recoveryBlocked = until;
    void until.finally(() => (this.recoveryBlocked = null));
  }
  private recoveryBlocked: Promise<unknown> | null = null;

  private count(operation: string | undefined): void {
    const key = operation ?? 'transaction';
    this.operations.set(key, (this.operations.get(key) ?? 0) + 1);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T> {
    this.count(options?.operation);
    if (options?.operation === 'appendItems(recover)' && this.recoveryBlocked) return Promise.reject(connectionLost());
    if (options?.operation !== 'appendItems') return this.inner.transaction(fn, options);
    this.appendTransactions++;
    const fault = this.faults.shift();
    const run = this.inner.transaction(async (tx) => {
      const recording: SqlExecutor = {
        query: (text, params) => {
          if (text.includes('INSERT INTO thread_store.thread_items') && Array.isArray(params?.[3])) this.batchRows.push((params[3] as unknown[]).length);
          return tx.query(text, params);
        },
      };
      const result = await fn(recording);
      if (this.gate) {
        this.gateReached?.();
        this.gateReached = null;
        await this.gate;
      }
      if (fault === 'fail-before-commit') throw connectionLost();
      return result;
    }, options);
    if (fault !== 'lose-ack') return run;
    // The transaction committed, but the client never heard back.
    return run.then(() => {
      throw connectionLost();
    });
  }

  /** The group commit writes each batch as one pipeline (operation 'appendItems'): faults, holds and row counts apply to it. */
  pipeline(scope: TenantScope, steps: readonly PipelineStep[], operation: string): Promise<QueryResult<Record<string, unknown>>[]> {
    this.count(operation);
    if (operation === 'appendItems(recover)' && this.recoveryBlocked) return Promise.reject(connectionLost());
    if (operation !== 'appendItems') return this.inner.pipeline(scope, steps, operation);
    this.appendTransactions++;
    const fault = this.faults.shift();
    const insert = steps.find((s) => s.statement.text.includes('INSERT INTO thread_store.thread_items'));
    if (insert && Array.isArray(insert.params[0])) this.batchRows.push((insert.params[0] as unknown[]).length);
    this.batchTenants.push(typeof scope === 'string' ? 1 : scope.length);
    const run = (async () => {
      // Held before it is sent: the batch is in flight, nothing of it is visible yet.
      if (this.gate) {
        this.gateReached?.();
        this.gateReached = null;
        await this.gate;
      }
      if (fault === 'fail-before-commit') throw connectionLost();
      return this.inner.pipeline(scope, steps, operation);
    })();
    if (fault !== 'lose-ack') return run;
    // The pipeline committed, but the client never heard back.
    return run.then(() => {
      throw connectionLost();
    });
  }

  tenantQuery<R>(tenantId: string, statement: NamedStatement, params: readonly unknown[], operation: string): Promise<QueryResult<R>> {
    return this.inner.tenantQuery<R>(tenantId, statement, params, operation);
  }

  withSession<T>(fn: (session: SqlExecutor) => Promise<T>): Promise<T> {
    return this.inner.withSession(fn);
  }

  useRole(role: string): Promise<void> {
    return this.inner.useRole(role);
  }

  layout(): ReturnType<Database['layout']> {
    return this.inner.layout();
  }

  close(): Promise<void> {
    return this.shared ? Promise.resolve() : this.inner.close();
  }
}

function connectionLost(): Error {
  return new Error('Connection terminated unexpectedly');
}

const embedded = new WeakMap<TestDatabase, Promise<Database>>();

/** One private PGlite per test file (opening and migrating one takes seconds). */
function sharedEmbedded(test: TestDatabase): Promise<Database> {
  let db = embedded.get(test);
  if (!db) {
    db = openEmbeddedDatabase({}).then(async (d) => {
      await migrate(d);
      return d;
    });
    embedded.set(test, db);
  }
  return db;
}

/** The file's database and the wrapped services its tests open on it (see useOwnServices). */
export interface OwnServices {
  readonly test: TestDatabase;
  /** A new wrapped service on the file's database, closed after the file's tests. */
  own(options?: OpenThreadStoreOptions): Promise<OwnService>;
}

/** Registers the file's beforeAll/afterAll: its database, and closing every service `own` opened. */
export function useOwnServices(): OwnServices {
  const services: OwnService[] = [];
  const ctx = {
    test: undefined as unknown as TestDatabase,
    async own(options: OpenThreadStoreOptions = {}): Promise<OwnService> {
      const s = await openOwnService(ctx.test, options);
      services.push(s);
      return s;
    },
  };
  beforeAll(async () => {
    ctx.test = await createTestDatabase();
  });
  afterAll(async () => {
    for (const s of services) await s.service.close().catch(() => {});
    await ctx.test?.drop();
  });
  return ctx;
}

export interface OwnService {
  service: ThreadStoreService;
  db: FaultyDatabase;
  /** application_name of the store's connections (server mode), for pg_terminate_backend. */
  applicationName: string;
}

/**
 * A store service on a Database we own (so it can be wrapped): the file's database in server
 * mode, a private migrated PGlite in embedded mode (the shared one is not reachable for wrapping).
 */
export async function openOwnService(test: TestDatabase, options: OpenThreadStoreOptions = {}): Promise<OwnService> {
  const applicationName = `lt-${randomUUID().slice(0, 8)}`;
  let inner: Database;
  if (test.url) {
    inner = openPostgresDatabase({ url: test.url, maxConnections: options.maxConnections ?? 4, applicationName });
  } else {
    inner = await sharedEmbedded(test);
  }
  await inner.useRole('thread_store_app');
  const db = new FaultyDatabase(inner, test.url === null);
  return { service: createService(db, options), db, applicationName };
}

// ---- claims -------------------------------------------------------------------------------------

/**
 * Make the process that holds `threadId`'s claim look dead (a stalled process whose heartbeat
 * stopped longer ago than any lease), so another process may take the claim over. Every claim of
 * that process looks dead until it beats again: `revive()` is that beat (the stall is over).
 */
export async function expireClaimOwner(db: Database, tenantId: string, threadId: string): Promise<{ revive(): Promise<void> }> {
  // Two statements, not an UPDATE … FROM thread_writers: Citus refuses to modify a reference table
  // (writer_processes) from a statement that reads a distributed one.
  const owner = await db.transaction(
    async (tx) => {
      const held = await tx.query<{ owner: string }>('SELECT owner FROM thread_store.thread_writers WHERE tenant_id = $1 AND thread_id = $2', [tenantId, threadId]);
      const claimOwner = held.rows[0]?.owner;
      if (!claimOwner) return undefined;
      const { rows } = await tx.query<{ owner: string }>(
        `UPDATE thread_store.writer_processes SET heartbeat_at = now() - interval '1 hour' WHERE owner = $1 RETURNING owner`,
        [claimOwner],
      );
      return rows[0]?.owner;
    },
    { tenantId, operation: 'test' },
  );
  if (!owner) throw new Error(`no live claim on ${threadId}`);
  return {
    revive: async () => {
      await db.transaction((tx) => tx.query('UPDATE thread_store.writer_processes SET heartbeat_at = now() WHERE owner = $1', [owner]), { operation: 'test' });
    },
  };
}

// ---- reading back -------------------------------------------------------------------------------

/** Every stored item of a thread in seq order (through the store API, RLS and all). */
export async function storedItems(store: ThreadStore, threadId: string): Promise<{ seq: number; line: RolloutLine }[]> {
  const out: { seq: number; line: RolloutLine }[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await store.listItems({ threadId, pageSize: 1000, cursor, includeArchived: true, sortDirection: 'asc' });
    for (const item of page.items) out.push({ seq: item.seq, line: item.line });
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

/** Asserts-by-throwing helper: seqs are 0..n-1 in order. Returns the seqs. */
export function contiguousFromZero(seqs: readonly number[]): boolean {
  return seqs.every((s, i) => s === i);
}

// ---- lines --------------------------------------------------------------------------------------

export const event = (type: string, extra: Record<string, unknown> = {}): RolloutLine => ({ type: 'event_msg', payload: { type, ...extra } });

export const responseMessage = (role: 'user' | 'assistant', text: string, id?: string): RolloutLine => ({
  type: 'response_item',
  payload: { type: 'message', role, ...(id ? { id } : {}), content: [{ type: role === 'assistant' ? 'output_text' : 'input_text', text }] },
});

/** A real line from a sample rollout: the first one matching `pred` (deep copy). */
export function sampleLine(threadId: string, pred: (line: RolloutLine) => boolean): RolloutLine {
  const line = loadFixture(threadId).lines.find(pred);
  if (!line) throw new Error(`no matching line in ${threadId}`);
  return structuredClone(line);
}

export const payloadType = (line: RolloutLine): string | undefined => (line.payload as { type?: string } | null)?.type;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A promise plus whether it settled yet. */
export function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  return { promise, settled: () => done };
}

// ---- child writer processes ---------------------------------------------------------------------

const CHILD_SCRIPT = fileURLToPath(new URL('./fixtures/liveWriterChild.ts', import.meta.url));

export interface ChildWriterArgs {
  url: string;
  tenantId: string;
  threadId: string;
  mode: 'append' | 'claim' | 'hold';
  create?: boolean;
  tag: string;
  leaseMs: number;
  claimWaitMs?: number;
}

export interface ChildWriter {
  /** Complete stdout lines so far (a line cut by SIGKILL is never included). */
  readonly lines: string[];
  readonly stderr: () => string;
  /** Resolves with the first line matching `pred` (rejects on exit or timeout). */
  waitForLine(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
  readonly exited: Promise<number | null>;
  /** Tags of every `ack` line, in order. */
  acked(): string[];
}

/** Start test/live/fixtures/liveWriterChild.ts in a new Node process. */
export function startChildWriter(args: ChildWriterArgs): ChildWriter {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) !== -1) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    lines,
    stderr: () => stderr,
    exited,
    kill: (signal = 'SIGKILL') => {
      child.kill(signal);
    },
    waitForLine(pred, timeoutMs = 30_000) {
      const seen = lines.find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child: no matching line within ${timeoutMs} ms; stdout=${lines.join('|')} stderr=${stderr}`)), timeoutMs);
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`child exited before a matching line; stdout=${lines.join('|')} stderr=${stderr}`));
        });
      });
    },
    acked: () => lines.filter((l) => l.startsWith('ack ')).flatMap((l) => l.slice(4).split(',')),
  };
}
