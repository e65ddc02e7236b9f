// Idle cost of live threads (issue #13): N live threads in N tenants, all idle — what does keeping
// them live cost the database? Each process keeps its claims alive with ONE heartbeat statement per
// beat (lease/3), whatever the number of threads or tenants; before, it was one transaction per
// tenant per beat (2,000 live threads in 2,000 tenants: 178 transactions/s).
//
// For N = 100, 1,000 and 10,000: open N LiveThreads, one per tenant (each claimed and materialized,
// its text folded into the search index), then measure for --window-ms while they sit idle:
// transactions per second as the store issued them (counted around its Database) and as the server
// committed them in the bench database (pg_stat_database.xact_commit). Also: the time to take N
// threads live and the process's memory with them. The lease is short (--lease-ms, default 3 s: a
// beat every second) so a window of a few seconds holds several beats.
//
// Usage: npm run bench -- idle [--json] [--counts 100,1000,10000] [--window-ms 6000] [--lease-ms 3000]
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { openPostgresDatabase, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { LiveThread } from '../src/live/LiveThread.js';
import { createService } from '../src/store/openThreadStore.js';
import { benchArgs, createBenchDatabase, printResult, type BenchResult } from './lib/harness.js';
import { round } from './lib/latency.js';

const args = benchArgs();
const json = args.flag('--json');
const COUNTS = args.numbers('--counts', [100, 1000, 10000]);
const WINDOW_MS = args.number('--window-ms', 6000);
const LEASE_MS = args.number('--lease-ms', 3000);
/** Threads taken live at once while opening (claims are one transaction each). */
const OPEN_CONCURRENCY = 32;

/** Counts the transactions and pipelines a store issues, by operation. */
function counting(db: Database): { db: Database; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const count = (op: string | undefined) => counts.set(op ?? 'transaction', (counts.get(op ?? 'transaction') ?? 0) + 1);
  const wrapped: Database = Object.assign(Object.create(db) as Database, {
    transaction: ((fn, options) => {
      count(options?.operation);
      return db.transaction(fn, options);
    }) as Database['transaction'],
    pipeline: ((scope, steps, operation) => {
      count(operation);
      return db.pipeline(scope, steps, operation);
    }) as Database['pipeline'],
  });
  return { db: wrapped, counts };
}

async function xactCommits(admin: pg.Pool, database: string): Promise<number> {
  // Stats reach the shared counters when a backend goes idle (at most once a second in PG 15).
  const { rows } = await admin.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1', [database]);
  return Number(rows[0]?.n ?? 0);
}

async function main(): Promise<void> {
  const bench = await createBenchDatabase('idle');
  const database = new URL(bench.url).pathname.slice(1);
  const results: BenchResult[] = [];
  try {
    const owner = openPostgresDatabase({ url: bench.url });
    await migrate(owner);
    await owner.close();
    const heapAfterGc = (): number => {
      (globalThis as { gc?: () => void }).gc?.();
      return process.memoryUsage().heapUsed;
    };
    for (const n of COUNTS) {
      const inner = openPostgresDatabase({ url: bench.url, maxConnections: 8 });
      await inner.useRole('thread_store_app');
      const { db, counts } = counting(inner);
      const service = createService(db, { leaseMs: LEASE_MS });
      // Heap after a full collection, before and after: RSS only grows (freed pages stay mapped), so
      // it cannot say what the live threads hold.
      const heapBefore = heapAfterGc();
      const t0 = performance.now();
      const threads: LiveThread[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: OPEN_CONCURRENCY }, async () => {
          for (let i = next++; i < n; i = next++) {
            const t = await LiveThread.create(service.forTenant(randomUUID()), { threadId: randomUUID(), source: 'exec', originator: 'bench', metadata: { cwd: '/bench', modelProvider: 'openai' } });
            await t.persist();
            threads.push(t);
          }
        }),
      );
      const openS = (performance.now() - t0) / 1000;
      await service.flushSearchIndex();
      // Let the creation's stats reach the server's counters, then watch the idle window.
      await new Promise((r) => setTimeout(r, 1500));
      counts.clear();
      const commitsBefore = await xactCommits(bench.raw, database);
      const w0 = performance.now();
      await new Promise((r) => setTimeout(r, WINDOW_MS));
      const windowS = (performance.now() - w0) / 1000;
      await new Promise((r) => setTimeout(r, 1100));
      const commitsAfter = await xactCommits(bench.raw, database);
      const issued = [...counts.values()].reduce((a, b) => a + b, 0);
      const result: BenchResult = {
        bench: 'idle',
        live_threads: n,
        tenants: n,
        lease_ms: LEASE_MS,
        beats_per_s: round(1000 / Math.max(50, Math.floor(LEASE_MS / 3)), 2),
        store_tx_per_s: round(issued / windowS, 2),
        store_ops: [...counts.entries()].map(([k, v]) => `${k}:${v}`).join(' '),
        // The two admin queries of this bench commit too: not counted.
        server_tx_per_s: round(Math.max(0, commitsAfter - commitsBefore - 1) / windowS, 2),
        open_s: round(openS, 1),
        heap_kb_per_thread: round((heapAfterGc() - heapBefore) / 1024 / n, 1),
        window_s: round(windowS, 1),
      };
      results.push(result);
      printResult(result, json, ['live_threads', 'tenants', 'beats_per_s', 'store_tx_per_s', 'server_tx_per_s', 'store_ops', 'open_s', 'heap_kb_per_thread']);
      await Promise.all(threads.map((t) => t.shutdown()));
      await service.close();
    }
  } finally {
    await bench.drop(results, { parameters: { counts: COUNTS, window_ms: WINDOW_MS, lease_ms: LEASE_MS } });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
