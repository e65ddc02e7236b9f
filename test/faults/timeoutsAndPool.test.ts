// Faults (c) and (d), on a throwaway cluster.
// (c) A batch that hits a statement timeout or a lock timeout (another connection holds the
//     thread's row lock) is retried or rejected as a whole: never a partial append, seq stays
//     contiguous, and other threads of the same batch are not held hostage.
// (d) Pool exhaustion: with 1 or 2 connections, hundreds of concurrent calls of every kind wait
//     for a connection; all complete, none crash.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isThreadStoreError } from '../../src/model/errors.js';
import { openThreadStore, type OpenThreadStoreOptions, type ThreadStoreService } from '../../src/store/openThreadStore.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { startThrowawayPostgres, throwawayPostgresUnavailable, type ThrowawayPostgres } from '../helpers/throwawayPostgres.js';
import { auditThread, expectSound, marked } from './helpers.js';

const unavailable = throwawayPostgresUnavailable();
const meta = { cwd: '/faults', modelProvider: 'openai' };

describe.skipIf(unavailable !== null)(`faults: timeouts during a batch, pool exhaustion${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let cluster: ThrowawayPostgres;
  const services: ThreadStoreService[] = [];

  beforeAll(async () => {
    cluster = await startThrowawayPostgres();
    services.push(await openThreadStore({ url: cluster.url, maxConnections: 1 }));
  });

  afterAll(async () => {
    for (const s of services) await s.close().catch(() => {});
    await cluster?.destroy();
  });

  async function open(options: OpenThreadStoreOptions): Promise<ThreadStoreService> {
    const s = await openThreadStore({ url: cluster.url, ...options });
    services.push(s);
    return s;
  }

  /** Hold the row lock of a thread from another connection until the returned release is called. */
  async function lockThreadRow(tenantId: string, threadId: string): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    await client.query('BEGIN');
    const { rowCount } = await client.query('SELECT 1 FROM thread_store.threads WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, threadId]);
    expect(rowCount).toBe(1);
    return async () => {
      await client.query('ROLLBACK');
      await client.end();
    };
  }

  async function newThread(store: ThreadStore, text = 'first'): Promise<string> {
    const threadId = randomUUID();
    await store.createThread({ threadId, source: 'cli', originator: 'fault_test', metadata: meta });
    await store.appendItems({ threadId, items: [marked(`${threadId}.${text}`)] });
    return threadId;
  }

  it('statement timeout while the row is locked: the batch is retried whole and commits once the lock is gone', async () => {
    const service = await open({ maxConnections: 2, statementTimeoutMs: 200, groupCommit: { retryDeadlineMs: 20_000 } });
    const tenantId = randomUUID();
    const store = service.forTenant(tenantId);
    const threadId = await newThread(store);
    const release = await lockThreadRow(tenantId, threadId);
    const markers = Array.from({ length: 50 }, (_, i) => `${threadId}.locked.${i}`);
    const started = Date.now();
    const append = store.appendItems({ threadId, items: markers.map(marked) });
    await new Promise((r) => setTimeout(r, 1000)); // several 200 ms timeouts and retries
    await release();
    await append;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    await store.appendItems({ threadId, items: [marked(`${threadId}.after`)] });
    await store.shutdownThread(threadId);
    const audit = await auditThread(cluster.url, tenantId, threadId, [`${threadId}.first`, ...markers, `${threadId}.after`]);
    expectSound(audit, 'statement timeout');
    expect(audit.markers).toHaveLength(52);
    expect(cluster.log()).toMatch(/canceling statement due to statement timeout/);
  });

  it('statement timeout past the retry deadline: the append is rejected whole, nothing of it stored, the thread goes on gap-free', async () => {
    const service = await open({ maxConnections: 2, statementTimeoutMs: 150, groupCommit: { retryDeadlineMs: 600 } });
    const tenantId = randomUUID();
    const store = service.forTenant(tenantId);
    const threadId = await newThread(store);
    const release = await lockThreadRow(tenantId, threadId);
    const rejected = Array.from({ length: 20 }, (_, i) => `${threadId}.rejected.${i}`);
    const error = await store.appendItems({ threadId, items: rejected.map(marked) }).catch((e: unknown) => e);
    await release();
    expect(isThreadStoreError(error)).toBe(true);
    await store.appendItems({ threadId, items: [marked(`${threadId}.after`)] });
    await store.shutdownThread(threadId);
    const audit = await auditThread(cluster.url, tenantId, threadId, [`${threadId}.first`, `${threadId}.after`]);
    expectSound(audit, 'rejected batch');
    expect(audit.markers.filter((m) => m.includes('.rejected.'))).toEqual([]);
    expect(audit.seqs).toEqual([0, 1, 2]);
  });

  it('lock timeout (lock_timeout via the URL): the locked thread’s append is rejected whole, the other thread in the same batch commits', async () => {
    const url = `${cluster.url}?options=${encodeURIComponent('-c lock_timeout=150')}`;
    const service = await open({ url, maxConnections: 2, groupCommit: { lingerMs: 30, retryDeadlineMs: 2000 } });
    const tenantId = randomUUID();
    const store = service.forTenant(tenantId);
    const locked = await newThread(store);
    const free = await newThread(store);
    const release = await lockThreadRow(tenantId, locked);
    const lockedMarkers = Array.from({ length: 10 }, (_, i) => `${locked}.x.${i}`);
    const freeMarkers = Array.from({ length: 10 }, (_, i) => `${free}.y.${i}`);
    const [a, b] = await Promise.all([
      store.appendItems({ threadId: locked, items: lockedMarkers.map(marked) }).then(() => 'ok', (e: unknown) => (isThreadStoreError(e) ? e.code : String(e))),
      store.appendItems({ threadId: free, items: freeMarkers.map(marked) }).then(() => 'ok', (e: unknown) => (isThreadStoreError(e) ? e.code : String(e))),
    ]);
    await release();
    expect(b).toBe('ok');
    expect(a).not.toBe('ok');
    expect(cluster.log()).toMatch(/canceling statement due to lock timeout/);
    const lockedAudit = await auditThread(cluster.url, tenantId, locked, [`${locked}.first`]);
    expectSound(lockedAudit, 'locked thread');
    expect(lockedAudit.markers).toEqual([`${locked}.first`]);
    const freeAudit = await auditThread(cluster.url, tenantId, free, [`${free}.first`, ...freeMarkers]);
    expectSound(freeAudit, 'free thread');
    // The locked thread continues without a gap once the lock is gone.
    await store.appendItems({ threadId: locked, items: [marked(`${locked}.later`)] });
    expect((await auditThread(cluster.url, tenantId, locked, [`${locked}.later`])).seqs).toEqual([0, 1, 2]);
    await store.shutdownThread(locked);
    await store.shutdownThread(free);
  });

  // Regression test: when the server stayed down past retryDeadlineMs, wasCommitted() used to throw
  // out of execute(), leaving the batch's append promises pending forever and the rejection
  // unhandled. Now the batch is rejected with a typed error and its writers close.
  it('server down longer than retryDeadlineMs: the append is rejected with a typed error, not left pending', async () => {
    const service = await open({ maxConnections: 2, groupCommit: { retryDeadlineMs: 800 } });
    const tenantId = randomUUID();
    const store = service.forTenant(tenantId);
    const threadId = await newThread(store);
    await cluster.stop();
    try {
      const outcome = await Promise.race([
        store.appendItems({ threadId, items: [marked(`${threadId}.down`)] }).then(
          () => 'resolved',
          (e: unknown) => (isThreadStoreError(e) ? 'typed error' : 'untyped error'),
        ),
        new Promise((r) => setTimeout(() => r('still pending'), 5000)),
      ]);
      expect(outcome).toBe('typed error');
    } finally {
      await cluster.start();
    }
  });

  for (const maxConnections of [1, 2]) {
    it(`pool of ${maxConnections}: 400 concurrent calls of every kind wait their turn and all succeed`, async () => {
      const service = await open({ maxConnections });
      const tenantId = randomUUID();
      const store = service.forTenant(tenantId);
      const threads: string[] = [];
      for (let i = 0; i < 8; i++) threads.push(await newThread(store));
      const acked = new Map(threads.map((t) => [t, [`${t}.first`]]));
      let n = 0;
      const call = (i: number): Promise<unknown> => {
        const threadId = threads[i % threads.length]!;
        switch (i % 8) {
          case 0:
          case 1: {
            const m = `${threadId}.c${n++}`;
            return store.appendItems({ threadId, items: [marked(m)] }).then(() => acked.get(threadId)!.push(m));
          }
          case 2:
            return store.readThread({ threadId, includeHistory: true });
          case 3:
            return store.listThreads({ pageSize: 5 });
          case 4:
            return store.searchThreads({ searchTerm: 'first' });
          case 5:
            return store.listItems({ threadId, pageSize: 10 });
          case 6:
            return store.reconstructHistory({ threadId });
          default:
            return store.forkThread({ sourceThreadId: threadId, newThreadId: randomUUID() });
        }
      };
      const started = Date.now();
      const results = await Promise.allSettled(Array.from({ length: 400 }, (_, i) => call(i)));
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String(r.reason));
      expect(failures).toEqual([]);
      expect(Date.now() - started).toBeLessThan(60_000);
      for (const t of threads) {
        await store.shutdownThread(t);
        expectSound(await auditThread(cluster.url, tenantId, t, acked.get(t)!), t);
      }
    });
  }
});
