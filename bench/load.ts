// Load benchmark (issue #8): 200 concurrent live threads × 500 appends each (one item per append,
// awaited before the next, as a session does) through ONE store with a pool of 10 connections, as
// the application role. Every append goes through LiveThread (metadata derived and written with
// the items) unless --raw (store.appendItems only). Afterwards the stored rows are checked with
// raw SQL: every thread holds exactly session_meta + its 500 items, seq contiguous, no marker twice.
// Reports throughput and ack latency percentiles (p50/p90/p99/max; reported, not asserted) and
// the group-commit batches used. Exit code 1 on any error, loss or duplicate.
//
// Usage: node --import tsx bench/load.ts [--json] [--threads 200] [--appends 500] [--connections 10] [--raw]
// Uses the server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) and a
// database created for the run and dropped after it; results are saved to bench/results/load.json.
import { randomUUID } from 'node:crypto';
import { LiveThread } from '../src/live/LiveThread.js';
import type { RolloutLine } from '../src/model/rolloutLine.js';
import { openThreadStore } from '../src/store/openThreadStore.js';
import type { ThreadStore } from '../src/store/ThreadStore.js';
import { benchArgs, createBenchDatabase, printResult, type BenchResult } from './lib/harness.js';
import { LatencyRecorder, nowMs, round } from './lib/latency.js';

const args = benchArgs();
const json = args.flag('--json');
const THREADS = args.number('--threads', 200);
const APPENDS = args.number('--appends', 500);
const CONNECTIONS = args.number('--connections', 10);
const RAW = args.flag('--raw');

const line = (threadId: string, k: number): RolloutLine => ({
  type: 'response_item',
  payload: {
    type: 'message',
    role: k % 2 === 0 ? 'user' : 'assistant',
    content: [{ type: k % 2 === 0 ? 'input_text' : 'output_text', text: `${threadId}.${k} ${'lorem ipsum dolor sit amet '.repeat(6)}` }],
  },
});

interface Writer {
  append(items: RolloutLine[]): Promise<void>;
  shutdown(): Promise<void>;
}

async function openWriter(store: ThreadStore, threadId: string): Promise<Writer> {
  const params = { threadId, source: 'cli' as const, originator: 'load_bench', metadata: { cwd: '/bench/load', modelProvider: 'openai' } };
  if (RAW) {
    await store.createThread(params);
    return { append: (items) => store.appendItems({ threadId, items }), shutdown: () => store.shutdownThread(threadId) };
  }
  const live = await LiveThread.create(store, params);
  return { append: (items) => live.append(items), shutdown: () => live.shutdown() };
}

async function main(): Promise<void> {
  const bench = await createBenchDatabase('load');
  const results: BenchResult[] = [];
  let failed = false;
  try {
    const service = await openThreadStore({ url: bench.url, maxConnections: CONNECTIONS });
    const store = service.forTenant(randomUUID());
    const threadIds = Array.from({ length: THREADS }, () => randomUUID());
    const writers = await Promise.all(threadIds.map((id) => openWriter(store, id)));
    const latency = new LatencyRecorder();
    const errors: string[] = [];
    const batchesBefore = service.writerStats().batches;
    const t0 = nowMs();
    await Promise.all(
      writers.map(async (writer, w) => {
        for (let k = 0; k < APPENDS; k++) {
          try {
            await latency.time(() => writer.append([line(threadIds[w]!, k)]));
          } catch (error) {
            errors.push((error as Error).message);
            return;
          }
        }
      }),
    );
    const elapsedS = (nowMs() - t0) / 1000;
    const batches = service.writerStats().batches - batchesBefore;
    for (const writer of writers) await writer.shutdown();
    await service.close();

    // Nothing lost, nothing doubled: checked with raw SQL as the superuser (no RLS in the way).
    const { rows } = await bench.raw.query<{ n: string; lo: string; hi: string; distinct_texts: string }>(
      `SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi,
              count(DISTINCT payload->'content'->0->>'text') FILTER (WHERE type = 'response_item') AS distinct_texts
         FROM thread_store.thread_items GROUP BY thread_id`,
    );
    const expected = APPENDS + 1;
    const bad = rows.filter((r) => Number(r.n) !== expected || Number(r.lo) !== 0 || Number(r.hi) !== expected - 1 || Number(r.distinct_texts) !== APPENDS);
    const storedItems = rows.reduce((n, r) => n + Number(r.n) - 1, 0);
    const s = latency.summary();
    const result: BenchResult = {
      bench: 'load',
      mode: RAW ? 'store.appendItems' : 'LiveThread',
      threads: THREADS,
      appends_per_thread: APPENDS,
      connections: CONNECTIONS,
      acked: s.count,
      stored: storedItems,
      threads_stored: rows.length,
      errors: errors.length,
      bad_threads: bad.length + (THREADS - rows.length),
      seconds: round(elapsedS, 2),
      appends_per_s: round(s.count / elapsedS, 0),
      batches,
      mean_batch: round(s.count / Math.max(1, batches), 1),
      p50_ms: round(s.p50, 2),
      p90_ms: round(s.p90, 2),
      p99_ms: round(s.p99, 2),
      max_ms: round(s.max, 2),
    };
    results.push(result);
    printResult(result, json, ['mode', 'threads', 'appends_per_thread', 'connections', 'acked', 'stored', 'errors', 'bad_threads', 'seconds', 'appends_per_s', 'mean_batch', 'p50_ms', 'p99_ms', 'max_ms']);
    if (errors.length > 0) process.stderr.write(`load: ${errors.length} errors, first: ${errors[0]}\n`);
    failed = errors.length > 0 || result.bad_threads !== 0 || storedItems !== THREADS * APPENDS;
  } finally {
    await bench.drop(results);
  }
  if (failed) process.exitCode = 1;
}

await main();
