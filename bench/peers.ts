// Peer benchmark (issues #9, #13): the same workload through pg-thread-store, @mastra/pg and
// @langchain/langgraph-checkpoint-postgres (the versions of bench/package.json: the current major of
// each, as a user installs them today), plus raw-SQL baselines, on ONE database in ONE run:
//   1. append 10,000 × 1 KB messages to one thread, and across 64 threads concurrently (each
//      thread appends its messages one call after the other, waiting for each — a chat turn that
//      persists what it produced before going on); 1 message per call, and 100 per call. The
//      64-thread rows run twice: every thread in one tenant, and one tenant per thread (a platform
//      keeps one tenant per customer; Mastra gets the same threads under 64 resourceIds);
//   2. load the newest 50 messages of a 10,000-message thread;
//   3. list the 50 most recent threads of one tenant that has 10,000 threads (created interleaved
//      with 1,000 threads of 9 other tenants, so the tenant filter matters).
// Every measurement: a warm-up, then repeated runs; median and spread (p90−p10, or max−min below 5
// runs). Ratios are printed first, ours ÷ Mastra in the first column: >1 means pg-thread-store is
// faster. The raw-SQL append baseline is the physical floor: the same rows into a bare table (same
// payload, primary key only), autocommitted, 1 INSERT per message or 1 unnest INSERT per 100.
//
// LangGraph stores the whole message list at every step, so a thread of n messages writes O(n²)
// bytes: its single-thread append is capped (--langgraph-cap, default 1,000 messages) and the time
// for 10,000 is extrapolated from the measured per-step cost (linear in the list length); its
// 64-thread run is capped at --langgraph-cap-concurrent (default 50) messages per thread, which
// flatters it (its lists stay short). See bench/lib/peers/langgraph.ts for how its listing is
// emulated.
//
// Usage: npm run bench -- peers [--json] [--quick] [--runs 3] [--threads 1,64] [--langgraph-cap 1000]
//                                [--langgraph-cap-concurrent 50] [--only append,load,list]
// Uses DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres) and a database
// created for the run and dropped after it; results go to bench/results/peers.json.
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { openThreadStore } from '../src/store/openThreadStore.js';
import {
  benchArgs,
  benchCommand,
  createBenchDatabase,
  formatNumber,
  formatRatio,
  measure,
  packageVersions,
  printResult,
  renderTable,
  summarize,
  type BenchResult,
  type Measurement,
} from './lib/harness.js';
import { benchText } from './lib/text.js';
import { langGraphAppender, langGraphLister, langGraphReader, LangGraphConversation, openLangGraph } from './lib/peers/langgraph.js';
import { mastraAppender, mastraLister, mastraReader, openMastra } from './lib/peers/mastra.js';
import { rawAppender, rawLister, rawReader, setupRawSchema } from './lib/peers/rawSql.js';
import { threadStoreAppender, threadStoreLister, threadStoreReader } from './lib/peers/threadStore.js';
import type { AppendSystem, BenchMessage, ListOrder, ListSystem, ReadSystem } from './lib/peers/types.js';

const args = benchArgs();
const json = args.flag('--json');
const quick = args.flag('--quick');

const MESSAGES = quick ? 1_000 : 10_000;
const MESSAGE_CHARS = 1024;
const THREADS = args.numbers('--threads', [1, 64]);
const RUNS = args.number('--runs', 3);
const LANGGRAPH_CAP = args.number('--langgraph-cap', quick ? 200 : 1_000);
/** Per-thread cap of LangGraph's concurrent runs (64 × 50 = 3,200 steps; each step rewrites its thread's list). */
const LANGGRAPH_CAP_CONCURRENT = args.number('--langgraph-cap-concurrent', 50);
const LAST = 50;
/** Run only some workloads: --only append,load,list. */
const ONLY = new Set((args.option('--only') ?? 'append,load,list').split(','));
const LIST_THREADS = quick ? 1_000 : 10_000;
const NOISE_TENANTS = 9;
/** Threads of the other tenants, created interleaved with the listed tenant's. */
const NOISE_THREADS = Math.floor(LIST_THREADS / 10);
const PAGE = 50;
const POOL = 10;
const SETUP_CONCURRENCY = 64;

const log = (text: string) => {
  if (!json) process.stderr.write(`${text}\n`);
};

let messageSeed = 0;
function messages(count: number): BenchMessage[] {
  return Array.from({ length: count }, () => {
    const i = messageSeed++;
    return { id: randomUUID(), role: i % 2 === 0 ? 'user' : 'assistant', text: benchText(MESSAGE_CHARS, i) };
  });
}

/** Split `total` messages over `threads` threads (each at most `cap`). */
function split(total: number, threads: number, cap = Number.POSITIVE_INFINITY): number[] {
  return Array.from({ length: threads }, (_, i) => Math.min(cap, Math.floor(total / threads) + (i < total % threads ? 1 : 0)));
}

interface AppendOutcome {
  ms: number;
  /** Time the system then needed to finish its deferred work (settle), 0 when it defers nothing. */
  settleMs: number;
  messages: number;
  threadIds: string[];
}

/** The tenant of thread `i` of a run. */
type TenantOf = (i: number) => string;

/** One timed run: `threads` new threads, each appending its share one call after the other. */
async function appendRun(system: AppendSystem, tenantOf: TenantOf, threads: number, total: number): Promise<AppendOutcome> {
  const handles = await Promise.all(Array.from({ length: threads }, (_, i) => system.openThread(tenantOf(i))));
  const work = split(total, threads, system.maxThreadLength).map((n) => messages(n));
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  await Promise.all(
    handles.map(async (h, i) => {
      const mine = work[i]!;
      for (let k = 0; k < mine.length; k += system.batch) await h.append(mine.slice(k, k + system.batch));
    }),
  );
  const ms = performance.now() - t0;
  await Promise.all(handles.map((h) => h.close()));
  const s0 = performance.now();
  await system.settle?.();
  return { ms, settleMs: performance.now() - s0, messages: work.reduce((n, w) => n + w.length, 0), threadIds: handles.map((h) => h.id) };
}

interface AppendMeasurement {
  throughput: Measurement;
  /** Including the deferred work: messages ÷ (run + settle time). */
  settled: Measurement;
  messagesPerRun: number;
  lastThreadIds: string[];
}

async function measureAppend(system: AppendSystem, tenantOf: TenantOf, threads: number): Promise<AppendMeasurement> {
  const full = Math.min(MESSAGES, threads * (system.maxThreadLength ?? MESSAGES));
  await appendRun(system, tenantOf, threads, Math.max(threads * system.batch, Math.floor(full / 10)));
  const rates: number[] = [];
  const settled: number[] = [];
  let last: AppendOutcome | null = null;
  for (let r = 0; r < RUNS; r++) {
    last = await appendRun(system, tenantOf, threads, MESSAGES);
    rates.push(last.messages / (last.ms / 1000));
    settled.push(last.messages / ((last.ms + last.settleMs) / 1000));
  }
  return { throughput: summarize(rates), settled: summarize(settled), messagesPerRun: last!.messages, lastThreadIds: last!.threadIds };
}

/** Least squares fit of per-step time against list length, summed to `steps` steps. */
function extrapolateSteps(stepMs: number[], steps: number): { a: number; b: number; totalMs: number } {
  const n = stepMs.length;
  const xs = stepMs.map((_, i) => i + 1);
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = stepMs.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (stepMs[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const b = sxx === 0 ? 0 : sxy / sxx;
  const a = my - b * mx;
  return { a, b, totalMs: a * steps + (b * steps * (steps + 1)) / 2 };
}

async function inBatches(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) await fn(i);
    }),
  );
}

async function main(): Promise<void> {
  const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
  const started = performance.now();
  const bench = await createBenchDatabase('peers');
  const service = await openThreadStore({ url: bench.url, role: null, maxConnections: POOL });
  const mastra = await openMastra(bench.url, POOL);
  const langgraph = await openLangGraph(bench.url, POOL);
  await setupRawSchema(bench.raw);
  const tenant = randomUUID();
  const results: BenchResult[] = [];
  const push = (r: BenchResult, columns: string[]) => {
    results.push(r);
    if (json) printResult(r, true, columns);
  };

  try {
    // ---- 1. append -------------------------------------------------------------------------------
    const conversations: LangGraphConversation[] = [];
    const appenders: AppendSystem[] = [
      threadStoreAppender(service, 1),
      threadStoreAppender(service, 100),
      mastraAppender(mastra, 1),
      mastraAppender(mastra, 100),
      langGraphAppender(langgraph, LANGGRAPH_CAP, conversations),
      rawAppender(bench.raw, 1),
      rawAppender(bench.raw, 100),
    ];
    const tenThousand: Record<string, string> = {};
    const perThreadTenants = Array.from({ length: Math.max(...THREADS) }, () => randomUUID());
    const shapes = THREADS.flatMap((threads) => (threads === 1 ? [{ threads, tenants: 1 }] : [{ threads, tenants: 1 }, { threads, tenants: threads }]));
    for (const { threads, tenants } of ONLY.has('append') ? shapes : []) {
      const tenantOf: TenantOf = tenants === 1 ? () => tenant : (i) => perThreadTenants[i]!;
      for (const base of appenders) {
        const system = base.key === 'langgraph' && threads > 1 ? { ...base, maxThreadLength: LANGGRAPH_CAP_CONCURRENT } : base;
        const t0 = performance.now();
        conversations.length = 0;
        const m = await measureAppend(system, tenantOf, threads);
        const capped = system.maxThreadLength !== undefined && m.messagesPerRun < MESSAGES;
        const row: BenchResult = {
          bench: 'peers',
          workload: 'append',
          system: system.key,
          label: system.label,
          threads,
          tenants,
          batch: system.batch,
          messages: m.messagesPerRun,
          runs: RUNS,
          msgs_per_s: m.throughput.median,
          spread_msgs_per_s: m.throughput.spread,
          // pg-thread-store only: with the search index folded before the clock stops.
          ...(system.settle ? { msgs_per_s_search_folded: m.settled.median } : {}),
          capped_at: capped ? (system.maxThreadLength ?? null) : null,
        };
        if (capped && threads === 1) {
          const steps = conversations.at(-1)?.stepMs ?? [];
          const fit = extrapolateSteps(steps, MESSAGES);
          row.extrapolated_ms_for_full = fit.totalMs;
          row.extrapolated_msgs_per_s = MESSAGES / (fit.totalMs / 1000);
          row.step_ms_first = steps.slice(0, 10).reduce((s, x) => s + x, 0) / Math.min(10, steps.length);
          row.step_ms_last = steps.slice(-10).reduce((s, x) => s + x, 0) / Math.min(10, steps.length);
        }
        if (threads === 1 && system.batch === 1 && m.messagesPerRun === MESSAGES) tenThousand[system.key] = m.lastThreadIds[0]!;
        push(row, ['system', 'threads', 'tenants', 'batch', 'messages', 'msgs_per_s', 'spread_msgs_per_s', 'msgs_per_s_search_folded']);
        log(`append  ${system.key.padEnd(20)} threads=${String(threads).padStart(2)} tenants=${String(tenants).padStart(2)}  ${formatNumber(m.throughput.median).padStart(8)} msg/s  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }

    // ---- 2. load the newest 50 of a 10,000-message thread ----------------------------------------
    if (ONLY.has('load')) {
      const lgThread = new LangGraphConversation(langgraph.saver, randomUUID());
      await lgThread.step(messages(MESSAGES)); // the latest checkpoint of a thread that grew to 10,000 messages
      const storeThread = tenThousand.store ?? (await appendRun(threadStoreAppender(service, 100), () => tenant, 1, MESSAGES)).threadIds[0]!;
      const mastraThread = tenThousand.mastra ?? (await appendRun(mastraAppender(mastra, 100), () => tenant, 1, MESSAGES)).threadIds[0]!;
      await bench.raw.query('ANALYZE'); // as autovacuum would have by now: fresh statistics for every system's tables
      const readers: [ReadSystem, string][] = [
        [threadStoreReader(service, tenant), storeThread],
        [mastraReader(mastra), mastraThread],
        [langGraphReader(langgraph), lgThread.threadId],
        [rawReader(bench.raw, tenant), storeThread],
      ];
      for (const [reader, threadId] of readers) {
        const got = await reader.loadLast(threadId, LAST);
        if (got !== LAST) throw new Error(`${reader.key} returned ${got} messages, expected ${LAST}`);
        const m = await measure(() => reader.loadLast(threadId, LAST), { warmup: 5, runs: reader.key === 'langgraph' ? 10 : 30 });
        push(
          { bench: 'peers', workload: 'load_last_50', system: reader.key, label: reader.label, thread_messages: MESSAGES, ms: m.median, spread_ms: m.spread, runs: m.samples.length },
          ['system', 'thread_messages', 'ms', 'spread_ms'],
        );
        log(`load    ${reader.key.padEnd(20)} ${m.median.toFixed(2).padStart(8)} ms`);
      }
    }

    // ---- 3. list the 50 most recent threads of one tenant among 10,000 ----------------------------
    if (ONLY.has('list')) {
      const listTenant = randomUUID();
      const noise = Array.from({ length: NOISE_TENANTS }, () => randomUUID());
      const listers: ListSystem[] = [threadStoreLister(service), mastraLister(mastra), langGraphLister(langgraph)];
      for (const lister of listers) {
        const t0 = performance.now();
        // One thread in 11 belongs to another tenant, so the tenant's threads are interleaved with theirs.
        await inBatches(LIST_THREADS + NOISE_THREADS, SETUP_CONCURRENCY, (i) =>
          i % 11 === 10 ? lister.createListedThread(noise[i % NOISE_TENANTS]!, i) : lister.createListedThread(listTenant, i),
        );
        log(`list    ${lister.key.padEnd(20)} created ${LIST_THREADS + NOISE_THREADS} threads in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
      await bench.raw.query('ANALYZE');
      for (const lister of [...listers, rawLister(bench.raw)]) {
        for (const order of lister.orders) {
          const got = await lister.listRecent(listTenant, PAGE, order);
          if (got !== PAGE) throw new Error(`${lister.key} listed ${got} threads, expected ${PAGE}`);
          const m = await measure(() => lister.listRecent(listTenant, PAGE, order), { warmup: 5, runs: 30 });
          push(
            {
              bench: 'peers',
              workload: 'list_recent_50',
              system: lister.key,
              label: lister.label,
              order: order as ListOrder,
              tenant_threads: LIST_THREADS,
              total_threads: LIST_THREADS + NOISE_THREADS,
              ms: m.median,
              spread_ms: m.spread,
              runs: m.samples.length,
            },
            ['system', 'order', 'tenant_threads', 'ms', 'spread_ms'],
          );
          log(`list    ${lister.key.padEnd(20)} ${order.padEnd(8)} ${m.median.toFixed(2).padStart(8)} ms`);
        }
      }
    }
  } finally {
    await service.close();
    await mastra.close();
    await langgraph.pool.end();
  }

  addRatios(results);
  if (!json) process.stdout.write(report(results));
  await bench.drop(results, {
    load_average_1m_at_start: loadAtStart,
    versions: packageVersions(['@mastra/pg', '@mastra/core', '@langchain/langgraph-checkpoint-postgres', '@langchain/langgraph-checkpoint', '@langchain/core', 'pg']),
    parameters: { messages: MESSAGES, message_chars: MESSAGE_CHARS, threads: THREADS, runs: RUNS, langgraph_cap: LANGGRAPH_CAP, langgraph_cap_concurrent: LANGGRAPH_CAP_CONCURRENT, list_tenant_threads: LIST_THREADS, noise_threads: NOISE_THREADS, noise_tenants: NOISE_TENANTS, pool: POOL },
    wall_s: (performance.now() - started) / 1000,
  });
}

type Row = BenchResult & Record<string, string | number | null>;

const find = (results: BenchResult[], pred: (r: Row) => boolean) => results.find((r) => pred(r as Row)) as Row | undefined;

/** Put `store_vs_<system>` ratios on the pg-thread-store rows (>1: pg-thread-store faster). */
function addRatios(results: BenchResult[]): void {
  for (const r of results as Row[]) {
    if (r.workload === 'append' && r.system === 'store') {
      for (const o of results as Row[]) {
        if (o.workload !== 'append' || o.threads !== r.threads || o.tenants !== r.tenants || o === r) continue;
        const rate = (o.capped_at !== null && typeof o.extrapolated_msgs_per_s === 'number' ? o.extrapolated_msgs_per_s : o.msgs_per_s) as number;
        r[`vs_${o.system}`] = (r.msgs_per_s as number) / rate;
      }
    }
    if ((r.workload === 'load_last_50' || r.workload === 'list_recent_50') && r.system === 'store') {
      for (const o of results as Row[]) {
        if (o.workload !== r.workload || o.system === 'store') continue;
        if (r.workload === 'list_recent_50' && o.order !== r.order && o.system !== 'langgraph') continue;
        r[`vs_${o.system}`] = (o.ms as number) / (r.ms as number);
      }
    }
  }
}

function report(results: BenchResult[]): string {
  const rows = results as Row[];
  let out = `\npeers — pg-thread-store against @mastra/pg and LangGraph's PostgresSaver, same database, same run\n`;
  out += `ratios first: how many times faster pg-thread-store is (>1) or slower (<1)\n\n`;
  const ratioRows: string[][] = [];
  const rate = (system: string, threads: number, tenants: number) =>
    find(results, (r) => r.workload === 'append' && r.system === system && r.threads === threads && r.tenants === tenants);
  const shapes = THREADS.flatMap((threads) => (threads === 1 ? [{ threads, tenants: 1 }] : [{ threads, tenants: 1 }, { threads, tenants: threads }]));
  for (const batch of [1, 100]) {
    for (const { threads, tenants } of shapes) {
      const s = rate(batch === 1 ? 'store' : 'store-batch100', threads, tenants);
      if (!s) continue;
      const ratio = (other: string) => {
        const o = rate(other, threads, tenants);
        if (!o) return '';
        const theirs = (o.capped_at !== null && typeof o.extrapolated_msgs_per_s === 'number' ? o.extrapolated_msgs_per_s : o.msgs_per_s) as number;
        return formatRatio((s.msgs_per_s as number) / theirs);
      };
      ratioRows.push([
        `append, ${threads} thread${threads === 1 ? '' : 's'}${threads > 1 ? (tenants === 1 ? ', 1 tenant' : `, ${tenants} tenants`) : ''}, ${batch === 1 ? '1 msg' : '100 msgs'}/call`,
        ratio(batch === 1 ? 'mastra' : 'mastra-batch100'),
        batch === 1 ? ratio('langgraph') : '',
        ratio(batch === 1 ? 'raw' : 'raw-batch100'),
      ]);
    }
  }
  const load = find(results, (r) => r.workload === 'load_last_50' && r.system === 'store');
  if (load) ratioRows.push([`load newest ${LAST} of ${formatNumber(MESSAGES)}`, formatRatio(load.vs_mastra as number), formatRatio(load.vs_langgraph as number), formatRatio(load.vs_raw as number)]);
  for (const order of ['created', 'updated']) {
    const l = find(results, (r) => r.workload === 'list_recent_50' && r.system === 'store' && r.order === order);
    if (l) ratioRows.push([`list ${PAGE} newest by ${order}_at of ${formatNumber(LIST_THREADS)}`, formatRatio(l.vs_mastra as number), order === 'updated' ? formatRatio(l.vs_langgraph as number) : '', formatRatio(l.vs_raw as number)]);
  }
  out += renderTable(['pg-thread-store ÷', 'Mastra', 'LangGraph', 'raw SQL'], ratioRows);
  out += `\n(same call pattern for every system; append "raw SQL" = a bare table (same payload, primary key only) with 1 autocommitted INSERT per message or 1 unnest INSERT per 100; LangGraph's append ratio uses its rate extrapolated to a ${formatNumber(MESSAGES)}-message thread; <1 vs raw SQL = the library's overhead)\n\n`;

  const detail: string[][] = [];
  for (const r of rows) {
    if (r.workload === 'append') {
      const note = r.capped_at !== null ? ` (capped at ${r.capped_at}/thread${typeof r.extrapolated_msgs_per_s === 'number' ? `; ${formatNumber(r.extrapolated_msgs_per_s)} msg/s extrapolated to ${formatNumber(MESSAGES)}` : ''})` : '';
      const folded = typeof r.msgs_per_s_search_folded === 'number' ? `; ${formatNumber(r.msgs_per_s_search_folded)} msg/s with its search index folded` : '';
      detail.push([`append ${r.threads}× / ${r.tenants}t`, String(r.system), `${formatNumber(r.msgs_per_s as number)} msg/s`, `±${formatNumber(r.spread_msgs_per_s as number)}`, `${r.messages} msgs/run, ${r.batch}/call${note}${folded}`]);
    } else if (r.workload === 'load_last_50') {
      detail.push(['load last 50', String(r.system), `${(r.ms as number).toFixed(2)} ms`, `±${(r.spread_ms as number).toFixed(2)}`, `thread of ${r.thread_messages}`]);
    } else {
      detail.push([`list 50 (${r.order})`, String(r.system), `${(r.ms as number).toFixed(2)} ms`, `±${(r.spread_ms as number).toFixed(2)}`, `${r.tenant_threads} of ${r.total_threads} threads`]);
    }
  }
  out += renderTable(['workload', 'system', 'median', 'spread', 'notes'], detail);
  out += `\ncommand: ${benchCommand('peers')}\n`;
  return out;
}

await main();
process.exit(0);
