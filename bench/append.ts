// Append benchmark (issue #5): 1, 8 and 64 concurrent LiveThreads, each appending 1 KB items one
// append at a time (await, then the next — as a session does), through the group-commit writer.
// Reports items/s, MB/s and ack latency (p50/p99), and the ratio to a raw ceiling measured in the
// same run on the same database, as the same application role (RLS on), with the same rows:
//   raw_batched    — one connection inserting the rows with a plain multi-row `unnest` INSERT into
//                    thread_store.thread_items, in batches of the size the writer ended up using
//                    (what group commit does, minus the library);
//   raw_concurrent — one connection per thread, each inserting its own row per statement (what the
//                    threads would do without group commit).
// ratio_vs_raw = library items/s ÷ the better of the two. Each thread count runs ROUNDS rounds of
// (library, raw_batched, raw_concurrent) phases of DURATION_MS each; medians are reported.
//
// Usage: tsx bench/append.ts [--json] [--duration-ms 3000] [--rounds 3] [--threads 1,8,64]
//        tsx bench/append.ts --profile [32]   (database time of one batch, broken down)
// Uses the server of DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test; see
// lib/harness.ts for the default) and a database created for the run and dropped after it; the
// results are also saved to bench/results/append.json.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openThreadStore } from '../src/store/openThreadStore.js';
import type { StoreRuntime } from '../src/store/postgres/StoreRuntime.js';
import type { ThreadStore } from '../src/store/ThreadStore.js';
import type { RolloutLine } from '../src/model/rolloutLine.js';
import { LiveThread } from '../src/live/LiveThread.js';
import { createBenchDatabase, percentile, printResult, type BenchResult } from './lib/harness.js';
import { LatencyRecorder, nowMs, round, runFor } from './lib/latency.js';


const argv = process.argv.slice(2);
const json = argv.includes('--json');
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const DURATION_MS = Number(option('--duration-ms') ?? 3000);
const ROUNDS = Number(option('--rounds') ?? 3);
const WARMUP_MS = Math.min(1000, DURATION_MS / 3);
const THREADS = (option('--threads') ?? '1,8,64').split(',').map(Number);
/** `--profile <batch>`: instead of the benchmark, break one batch's database time down. */
const PROFILE = argv.includes('--profile') ? Number(option('--profile') ?? 32) : undefined;
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

/** Column arrays of `rows` raw rows, shaped exactly like the library's (same payload, search text). */
interface RawRows {
  threadIds: string[];
  seqs: number[];
  types: string[];
  subtypes: string[];
  tss: string[];
  payloads: string[];
  sizes: number[];
  searches: string[];
}

function rawRows(threadIds: readonly string[], nextSeq: number[], count: number, firstThread: number): RawRows {
  const out: RawRows = { threadIds: [], seqs: [], types: [], subtypes: [], tss: [], payloads: [], sizes: [], searches: [] };
  for (let k = 0; k < count; k += 1) {
    const t = (firstThread + k) % threadIds.length;
    const line = item();
    const payload = line.payload as { content: { text: string }[] };
    out.threadIds.push(threadIds[t]!);
    out.seqs.push(nextSeq[t]!++);
    out.types.push('response_item');
    out.subtypes.push('message');
    out.tss.push(new Date().toISOString());
    out.payloads.push(JSON.stringify(line.payload));
    out.sizes.push(ITEM_BYTES);
    out.searches.push(payload.content[0]!.text);
  }
  return out;
}

const RAW_INSERT = `INSERT INTO thread_store.thread_items (tenant_id, thread_id, seq, type, subtype, turn_id, ts, payload, extra, raw_line, byte_size, search_text)
  SELECT $1, r.thread_id, r.seq, r.type, r.subtype, NULL, r.ts, r.payload::jsonb, NULL, NULL, r.byte_size, r.search_text
    FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[])
      AS r(thread_id, seq, type, subtype, ts, payload, byte_size, search_text)`;

async function rawClient(url: string, tenantId: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`SET ROLE ${APP_ROLE}`);
  // session-level tenant, so every statement is a single autocommit round trip
  await client.query(`SELECT set_config('thread_store.tenant_id', $1, false)`, [tenantId]);
  return client;
}

function insert(client: pg.Client, tenantId: string, rows: RawRows): Promise<unknown> {
  return client.query(RAW_INSERT, [tenantId, rows.threadIds, rows.seqs, rows.types, rows.subtypes, rows.tss, rows.payloads, rows.sizes, rows.searches]);
}

/** Sequential multi-row inserts of `batch` rows spread over `threads` threads, for DURATION_MS. */
async function rawBatched(url: string, threads: number, batch: number): Promise<number> {
  const tenantId = randomUUID();
  const client = await rawClient(url, tenantId);
  const ids = Array.from({ length: threads }, () => randomUUID());
  const next = ids.map(() => 0);
  let rows = 0;
  let first = 0;
  try {
    const warmUntil = nowMs() + WARMUP_MS;
    while (nowMs() < warmUntil) {
      await insert(client, tenantId, rawRows(ids, next, batch, first));
      first += batch;
    }
    const elapsed = await runFor(1, DURATION_MS, async (_i, until) => {
      while (nowMs() < until) {
        // rows are built inside the loop, as the library builds its batch per transaction
        await insert(client, tenantId, rawRows(ids, next, batch, first));
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
async function rawConcurrent(url: string, threads: number): Promise<number> {
  const tenantId = randomUUID();
  const clients = await Promise.all(Array.from({ length: threads }, () => rawClient(url, tenantId)));
  const ids = clients.map(() => randomUUID());
  const next = ids.map(() => 0);
  let rows = 0;
  try {
    await runFor(threads, WARMUP_MS, async (i, until) => {
      while (nowMs() < until) await insert(clients[i]!, tenantId, rawRows(ids, next, 1, i));
    });
    const elapsed = await runFor(threads, DURATION_MS, async (i, until) => {
      while (nowMs() < until) {
        await insert(clients[i]!, tenantId, rawRows(ids, next, 1, i));
        rows += 1;
      }
    });
    return (rows / elapsed) * 1000;
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

// ---- the library -----------------------------------------------------------------------------------

/** The group-commit writer's counters (not part of the public API; read for batch sizes only). */
function writerStats(store: ThreadStore): { batches: number; items: number; retries: number } {
  return { ...(store as unknown as { runtime: StoreRuntime }).runtime.writer.stats };
}

interface LibraryPhase {
  itemsPerS: number;
  latencies: LatencyRecorder;
  avgBatch: number;
}

async function openLiveThreads(store: ThreadStore, n: number): Promise<LiveThread[]> {
  const threads = await Promise.all(
    Array.from({ length: n }, async () => {
      const thread = await LiveThread.create(store, { threadId: randomUUID(), source: 'exec', originator: 'bench', cliVersion: '0.169.0', metadata: { cwd: '/bench', modelProvider: 'openai' } });
      await thread.persist();
      return thread;
    }),
  );
  await runFor(n, WARMUP_MS, async (i, until) => {
    while (nowMs() < until) await threads[i]!.append([item()]);
  });
  return threads;
}

/** Every thread appends one item at a time (awaiting each ack) for DURATION_MS. */
async function libraryPhase(store: ThreadStore, threads: readonly LiveThread[], latencies: LatencyRecorder): Promise<LibraryPhase> {
  const before = writerStats(store);
  let items = 0;
  const elapsed = await runFor(threads.length, DURATION_MS, async (i, until) => {
    while (nowMs() < until) {
      const line = item();
      await latencies.time(() => threads[i]!.append([line]));
      items += 1;
    }
  });
  const after = writerStats(store);
  const batches = after.batches - before.batches;
  return { itemsPerS: (items / elapsed) * 1000, latencies, avgBatch: batches === 0 ? 0 : (after.items - before.items) / batches };
}

const median = (values: readonly number[]): number => percentile([...values].sort((a, b) => a - b), 50);

// ---- --profile: where a group-commit batch spends its database time --------------------------------

/** The writer's batch statement (mirrors src/store/postgres/appendBatch.ts), parts switchable. */
function libraryStatement(fence: boolean, bookkeeping: boolean): string {
  const insert = RAW_INSERT; // $1..$9; the fence takes $10, $11
  return `WITH ${fence ? `fence AS (
       UPDATE thread_store.thread_writers w SET heartbeat_at = now()
         FROM unnest($10::uuid[], $11::bigint[]) AS c(thread_id, epoch)
        WHERE w.tenant_id = $1 AND w.thread_id = c.thread_id AND w.epoch = c.epoch
        RETURNING w.thread_id), ` : ''}ins AS (${insert} RETURNING thread_id, seq, byte_size),
     agg AS (SELECT thread_id, max(seq) AS last_seq, count(*) AS n, sum(byte_size) AS bytes FROM ins GROUP BY thread_id)${bookkeeping ? `,
     upd AS (UPDATE thread_store.threads t SET last_seq = agg.last_seq, item_count = t.item_count + agg.n, byte_size = t.byte_size + agg.bytes
               FROM agg WHERE t.tenant_id = $1 AND t.id = agg.thread_id RETURNING t.id)` : ''}
     SELECT ${fence ? '(SELECT array_agg(thread_id) FROM fence)' : 'NULL'} AS fenced, (SELECT count(*) FROM ${bookkeeping ? 'upd' : 'agg'}) AS n`;
}

/**
 * Times, interleaved and repeated, the statements of one batch of `batch` rows (one per live
 * thread) in the variants that separate the library's costs: round trips of the transaction
 * (BEGIN, tenant set_config, COMMIT), the writer fence (thread_writers UPDATE) and the per-thread
 * bookkeeping (threads UPDATE), against the plain insert.
 */
async function profile(url: string, store: ThreadStore, tenantId: string, batch: number): Promise<void> {
  const threads = await openLiveThreads(store, batch);
  const client = await rawClient(url, tenantId);
  const { rows } = await client.query<{ id: string; last_seq: number; epoch: string }>(
    `SELECT t.id, t.last_seq, w.epoch FROM thread_store.threads t JOIN thread_store.thread_writers w ON w.thread_id = t.id WHERE t.id = ANY($1::uuid[])`,
    [threads.map((t) => t.threadId)],
  );
  const ids = rows.map((r) => r.id);
  const epochs = rows.map((r) => r.epoch);
  const next = rows.map((r) => Number(r.last_seq) + 1);
  const params = (withFence: boolean) => {
    const r = rawRows(ids, next, batch, 0);
    const base = [tenantId, r.threadIds, r.seqs, r.types, r.subtypes, r.tss, r.payloads, r.sizes, r.searches];
    return withFence ? [...base, ids, epochs] : base;
  };
  const inTx = async (text: string, values: unknown[]) => {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('thread_store.tenant_id', $1, true)`, [tenantId]);
    await client.query(text, values);
    await client.query('COMMIT');
  };
  const full = libraryStatement(true, true);
  const variants: [string, () => Promise<unknown>][] = [
    ['raw insert, autocommit (1 round trip)', () => client.query(RAW_INSERT, params(false))],
    ['raw insert in BEGIN/set_config/COMMIT', () => inTx(RAW_INSERT, params(false))],
    ['batch statement without fence', () => client.query(libraryStatement(false, true), params(false))],
    ['batch statement without bookkeeping', () => client.query(libraryStatement(true, false), params(true))],
    ['batch statement, autocommit', () => client.query(full, params(true))],
    ['library: BEGIN/set_config/statement/COMMIT', () => inTx(full, params(true))],
  ];
  const samples = variants.map(() => [] as number[]);
  for (let it = 0; it < 300; it += 1) {
    for (const [k, [, run]] of variants.entries()) {
      const t0 = nowMs();
      await run();
      samples[k]!.push(nowMs() - t0);
    }
  }
  const base = median(samples[0]!);
  for (const [k, [name]] of variants.entries()) {
    const m = median(samples[k]!);
    process.stdout.write(`profile batch=${batch}  ${name.padEnd(46)} median ${m.toFixed(2)} ms  (raw/this ${(base / m).toFixed(2)})\n`);
  }
  await client.end();
  await Promise.all(threads.map((t) => t.shutdown()));
}

async function main(): Promise<void> {
  const bench = await createBenchDatabase('append');
  if (PROFILE !== undefined) {
    const service = await openThreadStore({ url: bench.url, maxConnections: 8 });
    try {
      const tenantId = randomUUID();
      await profile(bench.url, service.forTenant(tenantId), tenantId, PROFILE);
    } finally {
      await service.close();
      await bench.drop([]);
    }
    return;
  }
  const service = await openThreadStore({ url: bench.url, maxConnections: 8 });
  const results: BenchResult[] = [];
  try {
    for (const n of THREADS) {
      const store = service.forTenant(randomUUID());
      const threads = await openLiveThreads(store, n);
      const latencies = new LatencyRecorder();
      const lib: number[] = [];
      const batches: number[] = [];
      const batched: number[] = [];
      const concurrent: number[] = [];
      // Phases interleave, round after round, so load from elsewhere on the machine and the
      // growing table affect the library and the raw ceiling alike; medians are reported.
      for (let round = 0; round < ROUNDS; round += 1) {
        const phase = await libraryPhase(store, threads, latencies);
        lib.push(phase.itemsPerS);
        batches.push(phase.avgBatch);
        batched.push(await rawBatched(bench.url, n, Math.max(1, Math.round(phase.avgBatch))));
        concurrent.push(await rawConcurrent(bench.url, n));
      }
      await Promise.all(threads.map((t) => t.shutdown()));
      const libRate = median(lib);
      const ceiling = Math.max(median(batched), median(concurrent));
      const lat = latencies.summary();
      const result: BenchResult = {
        bench: 'append',
        threads: n,
        items_per_s: round(libRate, 0),
        mb_per_s: round((libRate * ITEM_BYTES) / (1024 * 1024), 2),
        p50_ms: round(lat.p50, 2),
        p99_ms: round(lat.p99, 2),
        avg_batch: round(median(batches), 1),
        raw_batched_items_per_s: round(median(batched), 0),
        raw_concurrent_items_per_s: round(median(concurrent), 0),
        ratio_vs_raw: round(libRate / ceiling, 3),
        ratio_per_round: lib.map((l, i) => round(l / Math.max(batched[i]!, concurrent[i]!), 2)).join(' '),
        item_bytes: ITEM_BYTES,
        duration_ms: DURATION_MS,
        rounds: ROUNDS,
      };
      results.push(result);
      printResult(result, json, ['threads', 'items_per_s', 'mb_per_s', 'p50_ms', 'p99_ms', 'avg_batch', 'raw_batched_items_per_s', 'raw_concurrent_items_per_s', 'ratio_vs_raw', 'ratio_per_round']);
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
