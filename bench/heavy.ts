// Heavier messages than the peers bench's 1 KB prose: 64 threads (one tenant each) appending 8 KB
// of code-like text (quotes, backslashes, a newline every ~60 characters — an assistant message with
// a code block) 10 messages per call, through pg-thread-store's LiveThread (with and without search
// documents), @mastra/pg's saveMessages and the bare-table floor, same database, same run,
// interleaved run by run. Reports
// msg/s (median and spread) and, for pg-thread-store, the rate with its search index folded. The
// shape where content search costs most: a burst holds more than search.maxPendingBytes (32 MB) of
// text, so a fold runs inside it.
//
// Usage: npm run bench -- heavy [--json] [--runs 3] [--chars 8192] [--batch 10] [--messages 5000]
import { randomUUID } from 'node:crypto';
import { openThreadStore } from '../src/store/openThreadStore.js';
import { benchArgs, benchCommand, createBenchDatabase, formatNumber, formatRatio, printResult, renderTable, summarize, type BenchResult } from './lib/harness.js';
import { mastraAppender, openMastra } from './lib/peers/mastra.js';
import { rawAppender, setupRawSchema } from './lib/peers/rawSql.js';
import { threadStoreAppender } from './lib/peers/threadStore.js';
import type { AppendSystem, BenchMessage } from './lib/peers/types.js';
import { benchText } from './lib/text.js';

const args = benchArgs();
const json = args.flag('--json');
const RUNS = args.number('--runs', 3);
const CHARS = args.number('--chars', 8192);
const BATCH = args.number('--batch', 10);
const MESSAGES = args.number('--messages', 5000);
const THREADS = 64;
const POOL = 10;

/** `chars` characters of code: `  const xN = "<words>"; // \\ note` lines. */
function codeText(chars: number, seed: number): string {
  let out = '';
  for (let k = 0; out.length < chars; k++) out += `  const x${k} = "${benchText(40, seed * 1000 + k)}"; // \\ note\n`;
  return out.slice(0, chars);
}

let seed = 0;
function messages(count: number): BenchMessage[] {
  return Array.from({ length: count }, () => {
    const i = seed++;
    return { id: randomUUID(), role: i % 2 === 0 ? 'user' : 'assistant', text: codeText(CHARS, i) };
  });
}

/** One run: THREADS new threads, each appending its share BATCH per call; ms to the last ack, and to the end of settle. */
async function run(system: AppendSystem, tenants: string[]): Promise<{ rate: number; settledRate: number }> {
  const handles = await Promise.all(tenants.map((t) => system.openThread(t)));
  const per = Math.floor(MESSAGES / THREADS);
  const work = handles.map(() => messages(per));
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  await Promise.all(
    handles.map(async (h, i) => {
      for (let k = 0; k < per; k += BATCH) await h.append(work[i]!.slice(k, k + BATCH));
    }),
  );
  const ms = performance.now() - t0;
  await Promise.all(handles.map((h) => h.close()));
  const s0 = performance.now();
  await system.settle?.();
  const settleMs = performance.now() - s0;
  return { rate: (per * THREADS) / (ms / 1000), settledRate: (per * THREADS) / ((ms + settleMs) / 1000) };
}

async function main(): Promise<void> {
  const bench = await createBenchDatabase('heavy');
  const service = await openThreadStore({ url: bench.url, role: null, maxConnections: POOL });
  // The same store without search documents (search.documents: false): what content search costs.
  const withoutDocuments = await openThreadStore({ url: bench.url, role: null, maxConnections: POOL, search: { documents: false } });
  const mastra = await openMastra(bench.url, POOL);
  await setupRawSchema(bench.raw);
  const results: BenchResult[] = [];
  try {
    const noDocuments = threadStoreAppender(withoutDocuments, BATCH);
    const systems = [
      threadStoreAppender(service, BATCH),
      { ...noDocuments, key: `store-nodocs-batch${BATCH}`, label: `${noDocuments.label}, search.documents false` },
      mastraAppender(mastra, BATCH),
      rawAppender(bench.raw, BATCH),
    ];
    const rates = new Map<string, number[]>(systems.map((s) => [s.key, []]));
    const settled = new Map<string, number[]>(systems.map((s) => [s.key, []]));
    const tenants = Array.from({ length: THREADS }, () => randomUUID());
    for (const s of systems) await run(s, tenants); // warm-up
    for (let r = 0; r < RUNS; r++) {
      for (const s of systems) {
        const m = await run(s, tenants);
        rates.get(s.key)!.push(m.rate);
        settled.get(s.key)!.push(m.settledRate);
      }
    }
    for (const s of systems) {
      const m = summarize(rates.get(s.key)!);
      const row: BenchResult = {
        bench: 'heavy',
        workload: 'append',
        system: s.key,
        label: s.label,
        threads: THREADS,
        tenants: THREADS,
        batch: BATCH,
        message_chars: CHARS,
        messages: Math.floor(MESSAGES / THREADS) * THREADS,
        runs: RUNS,
        msgs_per_s: m.median,
        spread_msgs_per_s: m.spread,
        ...(s.key === `store-batch${BATCH}` ? { msgs_per_s_search_folded: summarize(settled.get(s.key)!).median } : {}),
      };
      results.push(row);
      if (json) printResult(row, true, ['system', 'batch', 'message_chars', 'msgs_per_s', 'spread_msgs_per_s', 'msgs_per_s_search_folded']);
    }
  } finally {
    await service.close();
    await withoutDocuments.close();
    await mastra.close();
    await bench.drop(results, { parameters: { threads: THREADS, batch: BATCH, message_chars: CHARS, messages: MESSAGES, runs: RUNS, pool: POOL } });
  }
  if (!json) {
    const by = (key: string) => results.find((r) => r.system === key)!;
    const store = by(`store-batch${BATCH}`);
    const ratio = (key: string) => formatRatio((store.msgs_per_s as number) / (by(key).msgs_per_s as number));
    let out = `\nheavy — ${THREADS} threads (one tenant each), ${BATCH} messages of ${formatNumber(CHARS)} code-like characters per call\n\n`;
    const ratioOf = (ours: string, key: string) => formatRatio((by(ours).msgs_per_s as number) / (by(key).msgs_per_s as number));
    out += renderTable(
      ['pg-thread-store ÷', 'Mastra', 'raw SQL'],
      [
        ['append', ratio(`mastra-batch${BATCH}`), ratio(`raw-batch${BATCH}`)],
        ['append, search.documents false', ratioOf(`store-nodocs-batch${BATCH}`, `mastra-batch${BATCH}`), ratioOf(`store-nodocs-batch${BATCH}`, `raw-batch${BATCH}`)],
      ],
    );
    out += '\n';
    out += renderTable(
      ['system', 'median', 'spread', 'notes'],
      results.map((r) => [
        String(r.system),
        `${formatNumber(r.msgs_per_s as number)} msg/s`,
        `±${formatNumber(r.spread_msgs_per_s as number)}`,
        typeof r.msgs_per_s_search_folded === 'number' ? `${formatNumber(r.msgs_per_s_search_folded)} msg/s with its search index folded` : '',
      ]),
    );
    out += `\ncommand: ${benchCommand('heavy')}\n`;
    process.stdout.write(out);
  }
}

await main();
process.exit(0);
