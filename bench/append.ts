// Append benchmark (issues #5, #13): 1, 8 and 64 concurrent LiveThreads, each appending 1 KB
// items one append at a time (await, then the next — as a session does), through the group-commit
// writer; the 8- and 64-thread runs twice: every thread in one tenant, and one tenant per thread.
// Reports items/s, MB/s, ack latency (p50/p99) and the writer's average batch, against ceilings
// measured in the same run on the same database with the same rows:
//   raw_bare       — the physical floor: the same rows (the library's encoding of the same lines) in
//                    autocommitted unnest INSERTs of the library's average batch size, from one
//                    connection, into a bare table with every column of thread_items and only a
//                    primary key (bench/lib/bareTable.ts) — ratio_vs_bare = library ÷ this;
//   raw_batched    — the same batches into thread_store.thread_items itself (all its indexes, row-
//                    level security on, as the application role): what the library's table costs;
//   raw_concurrent — one connection per thread, each inserting its own row per statement into
//                    thread_items (what the threads would do without group commit).
// ratio_vs_raw = library ÷ the better of raw_batched and raw_concurrent. Each shape runs ROUNDS
// rounds of (library, raw_bare, raw_batched, raw_concurrent) phases of DURATION_MS each,
// interleaved; medians are reported.
//
// Usage: npm run bench -- append [--json] [--duration-ms 3000] [--rounds 3] [--threads 1,8,64]
// Uses the server of DATABASE_URL (see lib/harness.ts for the default) and a database created for
// the run and dropped after it; the results are also saved to bench/results/append.json.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openThreadStore, type ThreadStoreService } from '../src/store/openThreadStore.js';
import type { RolloutLine } from '../src/model/rolloutLine.js';
import { LiveThread } from '../src/live/LiveThread.js';
import { insertItemsSql, itemArrays, type ItemRow } from '../src/store/postgres/itemRows.js';
import { tenantScopeValue } from '../src/db/tenantPipeline.js';
import { bareBatchWriter, bareRows, createBareTable } from './lib/bareTable.js';
import { benchArgs, createBenchDatabase, percentile, printResult, type BenchResult } from './lib/harness.js';
import { LatencyRecorder, nowMs, round, runFor } from './lib/latency.js';

const args = benchArgs();
const json = args.flag('--json');
const DURATION_MS = args.number('--duration-ms', 3000);
const ROUNDS = args.number('--rounds', 3);
const WARMUP_MS = Math.min(1000, DURATION_MS / 3);
const THREADS = args.numbers('--threads', [1, 8, 64]);
const ITEM_BYTES = 1024;
const APP_ROLE = 'thread_store_app';

// ---- the rows ------------------------------------------------------------------------------------

const WORDS = 'the parser returns null when the benchmark is empty so we should check the length before we index into the array and add a test for it'.split(' ');
let wordSeed = 1;
function text(chars: number): string {
  let out = '';
  while (out.length < chars) {
    wordSeed = (wordSeed * 1103515245 + 12345) & 0x7fffffff;
    out += `${WORDS[wordSeed % WORDS.length]} `;
  }
  return out.slice(0, chars);
}

const TIMESTAMP = new Date().toISOString();
/** An assistant message whose stored JSON line (with its timestamp) is ITEM_BYTES long. */
function item(): RolloutLine {
  const shell = { timestamp: TIMESTAMP, type: 'response_item', payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: '' }] } };
  const body = text(ITEM_BYTES - Buffer.byteLength(JSON.stringify(shell)));
  return { type: 'response_item', payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: body }] } };
}

// ---- the ceilings ----------------------------------------------------------------------------------

const ITEMS_INSERT = insertItemsSql(1);

/** A connection as the application role whose session scope is `tenants` (one autocommit round trip per statement). */
async function appClient(url: string, tenants: readonly string[]): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`SET ROLE ${APP_ROLE}`);
  await client.query(`SELECT set_config('thread_store.tenant_id', $1, false)`, [tenantScopeValue(tenants.length === 1 ? tenants[0]! : tenants)]);
  return client;
}

/** The threads of a raw phase: `threads` of them, in one tenant or one tenant each. */
function rawThreads(threads: number, tenantPerThread: boolean): { tenant: string; thread: string; seq: number }[] {
  const tenant = randomUUID();
  return Array.from({ length: threads }, () => ({ tenant: tenantPerThread ? randomUUID() : tenant, thread: randomUUID(), seq: 0 }));
}

/** `count` rows over `threads`, round robin from `first`. */
function rowsFor(threads: { tenant: string; thread: string; seq: number }[], count: number, first: number): ItemRow[] {
  const rows: ItemRow[] = [];
  for (let k = 0; k < count; k += 1) {
    const t = threads[(first + k) % threads.length]!;
    rows.push(...bareRows(t.tenant, t.thread, t.seq++, [item()]));
  }
  return rows;
}

/** Sequential autocommitted inserts of `batch` rows into the bare table, for DURATION_MS. */
async function rawBare(url: string, threads: number, tenantPerThread: boolean, batch: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const write = bareBatchWriter(threads, tenantPerThread);
  let rows = 0;
  try {
    const warmUntil = nowMs() + WARMUP_MS;
    while (nowMs() < warmUntil) await write(client, batch, item);
    const elapsed = await runFor(1, DURATION_MS, async (_i, until) => {
      while (nowMs() < until) {
        // rows are built inside the loop, as the library builds its batch per transaction
        await write(client, batch, item);
        rows += batch;
      }
    });
    return (rows / elapsed) * 1000;
  } finally {
    await client.end();
  }
}

/** Sequential multi-row inserts of `batch` rows into thread_items (app role, RLS), for DURATION_MS. */
async function rawBatched(url: string, threads: number, tenantPerThread: boolean, batch: number): Promise<number> {
  const ids = rawThreads(threads, tenantPerThread);
  const client = await appClient(url, [...new Set(ids.map((t) => t.tenant))]);
  let rows = 0;
  let first = 0;
  try {
    const warmUntil = nowMs() + WARMUP_MS;
    while (nowMs() < warmUntil) {
      await client.query(ITEMS_INSERT, itemArrays(rowsFor(ids, batch, first)));
      first += batch;
    }
    const elapsed = await runFor(1, DURATION_MS, async (_i, until) => {
      while (nowMs() < until) {
        await client.query(ITEMS_INSERT, itemArrays(rowsFor(ids, batch, first)));
        first += batch;
        rows += batch;
      }
    });
    return (rows / elapsed) * 1000;
  } finally {
    await client.end();
  }
}

/** One connection per thread, each inserting its own single row per statement, for DURATION_MS. */
async function rawConcurrent(url: string, threads: number, tenantPerThread: boolean): Promise<number> {
  const ids = rawThreads(threads, tenantPerThread);
  const clients = await Promise.all(ids.map((t) => appClient(url, [t.tenant])));
  let rows = 0;
  const one = (i: number) => clients[i]!.query(ITEMS_INSERT, itemArrays(rowsFor([ids[i]!], 1, 0)));
  try {
    await runFor(threads, WARMUP_MS, async (i, until) => {
      while (nowMs() < until) await one(i);
    });
    const elapsed = await runFor(threads, DURATION_MS, async (i, until) => {
      while (nowMs() < until) {
        await one(i);
        rows += 1;
      }
    });
    return (rows / elapsed) * 1000;
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

// ---- the library -----------------------------------------------------------------------------------

interface LibraryPhase {
  itemsPerS: number;
  /** Items/s counting the time to fold the phase's text into the search index afterwards. */
  itemsPerSFolded: number;
  latencies: LatencyRecorder;
  avgBatch: number;
}

async function openLiveThreads(service: ThreadStoreService, n: number, tenantPerThread: boolean): Promise<LiveThread[]> {
  const tenant = randomUUID();
  const threads = await Promise.all(
    Array.from({ length: n }, async () => {
      const store = service.forTenant(tenantPerThread ? randomUUID() : tenant);
      const thread = await LiveThread.create(store, { threadId: randomUUID(), source: 'exec', originator: 'bench', cliVersion: '0.169.0', metadata: { cwd: '/bench', modelProvider: 'openai' } });
      await thread.persist();
      return thread;
    }),
  );
  await runFor(n, WARMUP_MS, async (i, until) => {
    while (nowMs() < until) await threads[i]!.append([item()]);
  });
  // Every round starts with the search index caught up (libraryPhase folds after each phase too):
  // otherwise the warm-up's text joins the first round's and its fold lands inside that round only.
  await service.flushSearchIndex();
  return threads;
}

/** Every thread appends one item at a time (awaiting each ack) for DURATION_MS. */
async function libraryPhase(service: ThreadStoreService, threads: readonly LiveThread[], latencies: LatencyRecorder): Promise<LibraryPhase> {
  const before = service.writerStats();
  let items = 0;
  const elapsed = await runFor(threads.length, DURATION_MS, async (i, until) => {
    while (nowMs() < until) {
      const line = item();
      await latencies.time(() => threads[i]!.append([line]));
      items += 1;
    }
  });
  const after = service.writerStats();
  const batches = after.batches - before.batches;
  // The search index folds behind the acknowledgements: finish it before the ceilings run.
  const f0 = nowMs();
  await service.flushSearchIndex();
  const foldMs = nowMs() - f0;
  return {
    itemsPerS: (items / elapsed) * 1000,
    itemsPerSFolded: (items / (elapsed + foldMs)) * 1000,
    latencies,
    avgBatch: batches === 0 ? 0 : (after.items - before.items) / batches,
  };
}

const median = (values: readonly number[]): number => percentile([...values].sort((a, b) => a - b), 50);

async function main(): Promise<void> {
  const bench = await createBenchDatabase('append');
  const service = await openThreadStore({ url: bench.url, maxConnections: 8 });
  await createBareTable(bench.raw);
  const results: BenchResult[] = [];
  try {
    const shapes = THREADS.flatMap((n) => (n === 1 ? [{ n, perThread: false }] : [{ n, perThread: false }, { n, perThread: true }]));
    for (const { n, perThread } of shapes) {
      const threads = await openLiveThreads(service, n, perThread);
      const latencies = new LatencyRecorder();
      const lib: number[] = [];
      const libFolded: number[] = [];
      const batches: number[] = [];
      const bare: number[] = [];
      const batched: number[] = [];
      const concurrent: number[] = [];
      // Phases interleave, round after round, so load from elsewhere on the machine and the
      // growing table affect the library and the raw ceilings alike; medians are reported.
      for (let round = 0; round < ROUNDS; round += 1) {
        const phase = await libraryPhase(service, threads, latencies);
        lib.push(phase.itemsPerS);
        libFolded.push(phase.itemsPerSFolded);
        batches.push(phase.avgBatch);
        const batch = Math.max(1, Math.round(phase.avgBatch));
        bare.push(await rawBare(bench.url, n, perThread, batch));
        batched.push(await rawBatched(bench.url, n, perThread, batch));
        concurrent.push(await rawConcurrent(bench.url, n, perThread));
      }
      await Promise.all(threads.map((t) => t.shutdown()));
      const libRate = median(lib);
      const ceiling = Math.max(median(batched), median(concurrent));
      const lat = latencies.summary();
      const result: BenchResult = {
        bench: 'append',
        threads: n,
        tenants: perThread ? n : 1,
        items_per_s: round(libRate, 0),
        items_per_s_search_folded: round(median(libFolded), 0),
        mb_per_s: round((libRate * ITEM_BYTES) / (1024 * 1024), 2),
        p50_ms: round(lat.p50, 2),
        p99_ms: round(lat.p99, 2),
        avg_batch: round(median(batches), 1),
        raw_bare_items_per_s: round(median(bare), 0),
        ratio_vs_bare: round(libRate / median(bare), 3),
        raw_batched_items_per_s: round(median(batched), 0),
        raw_concurrent_items_per_s: round(median(concurrent), 0),
        ratio_vs_raw: round(libRate / ceiling, 3),
        ratio_per_round: lib.map((l, i) => round(l / Math.max(batched[i]!, concurrent[i]!), 2)).join(' '),
        ratio_vs_bare_per_round: lib.map((l, i) => round(l / bare[i]!, 2)).join(' '),
        item_bytes: ITEM_BYTES,
        duration_ms: DURATION_MS,
        rounds: ROUNDS,
      };
      results.push(result);
      printResult(result, json, ['threads', 'tenants', 'items_per_s', 'items_per_s_search_folded', 'p50_ms', 'p99_ms', 'avg_batch', 'raw_bare_items_per_s', 'ratio_vs_bare', 'raw_batched_items_per_s', 'raw_concurrent_items_per_s', 'ratio_vs_raw']);
    }
  } finally {
    await service.close();
    await bench.drop(results);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
