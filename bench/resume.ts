// Resume benchmark (issue #6): threads of 1k / 10k / 100k items with a compaction checkpoint 100
// lines from the end. Measures ThreadStore.reconstructHistory (O(tail)) against, in the same run on
// the same database, (a) reading the same tail rows with one raw prepared SQL statement (both seq
// bounds given; interleaved call by call with resume) and (b) a raw full scan of the thread. Resume
// should stay flat as the thread grows; the full scan should not. `ms` is resume as the connecting
// owner, like the raw reads (the tenant is set all the same; RLS does not bind an owner that is a
// superuser); `ms_rls` is resume as the application role with row-level security on.
import { randomUUID } from 'node:crypto';
import { openThreadStore } from '../src/store/openThreadStore.js';
import { advanceLineage, compactedLineageFields, initialLineage, SUMMARY_PREFIX } from '../src/history/index.js';
import type { RolloutLine } from '../src/model/rolloutLine.js';
import { createBenchDatabase, measure, measureInterleaved, printResult, type BenchResult } from './lib/harness.js';

const SIZES = [1_000, 10_000, 100_000];
const TAIL = 100;
const json = process.argv.includes('--json');

const userMsg = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const filler = (i: number): RolloutLine => ({ type: 'response_item', payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `reply ${i} `.repeat(20) }] } });

async function main(): Promise<void> {
  const bench = await createBenchDatabase('resume');
  const service = await openThreadStore({ url: bench.url, role: null });
  const tenant = randomUUID();
  const store = service.forTenant(tenant);
  // The same reads as the application role, with row-level security on (reported beside).
  const rlsService = await openThreadStore({ url: bench.url });
  const rlsStore = rlsService.forTenant(tenant);
  const results: BenchResult[] = [];
  try {
    // Load every thread first, then measure: the writes (WAL, checkpoints, autovacuum of fresh
    // rows) must not overlap any measurement.
    const threads: { size: number; threadId: string }[] = [];
    for (const size of SIZES) {
      const threadId = randomUUID();
      threads.push({ size, threadId });
      await store.createThread({ threadId, source: 'cli', originator: 'bench', metadata: { cwd: '/w', modelProvider: 'p' } });
      const body = size - TAIL - 8;
      await store.appendItems({ threadId, items: [{ type: 'event_msg', payload: { type: 'task_started', turn_id: 't0' } }, { type: 'turn_context', payload: { turn_id: 't0', model: 'm', cwd: '/w' } }, { type: 'response_item', payload: userMsg('start') }] });
      for (let at = 0; at < body; at += 5000) {
        await store.appendItems({ threadId, items: Array.from({ length: Math.min(5000, body - at) }, (_, i) => filler(at + i)) });
      }
      const lineage = advanceLineage(initialLineage());
      await store.appendItems({
        threadId,
        items: [
          { type: 'event_msg', payload: { type: 'task_complete', turn_id: 't0' } },
          { type: 'event_msg', payload: { type: 'task_started', turn_id: 't1' } },
          { type: 'turn_context', payload: { turn_id: 't1', model: 'm', cwd: '/w' } },
          { type: 'compacted', payload: { message: 's', replacement_history: [userMsg('start'), userMsg(`${SUMMARY_PREFIX}\nsummary`)], ...compactedLineageFields(lineage) } },
          { type: 'turn_context', payload: { turn_id: 't1', model: 'm', cwd: '/w' } },
          { type: 'response_item', payload: userMsg('next') },
          ...Array.from({ length: TAIL - 3 }, (_, i) => filler(i)),
        ],
      });
      await store.shutdownThread(threadId);
    }
    // The tables as a running database keeps them (autovacuum would get there; the bench should
    // not depend on when): statistics for the planner, the fresh rows vacuumed, their WAL flushed.
    await bench.raw.query('VACUUM (ANALYZE) thread_store.threads, thread_store.thread_items, thread_store.thread_checkpoints');
    await bench.raw.query('CHECKPOINT');
    for (const { size, threadId } of threads) {
      const check = await store.reconstructHistory({ threadId });
      // The raw read gets the same rows resume reads (from the compaction turn's first line to the
      // end), with both bounds given, which is the best plan a hand-written query gets.
      const { rows: bounds } = await bench.raw.query<{ from: string; to: string }>('SELECT resume_seq AS from, last_seq AS to FROM thread_store.threads WHERE id = $1', [threadId]);
      const [from, to] = [Number(bounds[0]!.from), Number(bounds[0]!.to)];
      if (to - from + 1 !== check.itemsRead) throw new Error(`resume read ${check.itemsRead} rows, expected ${to - from + 1}`);

      // Resume and the raw tail reads alternate call by call (see measureInterleaved). The ratio is
      // against the stronger raw read, a prepared statement (planned once per connection, as
      // resume's own statement is); the unprepared one is reported beside it.
      const tailSql = 'SELECT seq, ts, type, payload, extra, raw_line FROM thread_store.thread_items WHERE tenant_id = $1 AND thread_id = $2 AND seq BETWEEN $3 AND $4 ORDER BY seq';
      const { resume, resumeRls, rawTail, rawTailUnprepared } = await measureInterleaved(
        {
          resume: () => store.reconstructHistory({ threadId }),
          resumeRls: () => rlsStore.reconstructHistory({ threadId }),
          rawTail: () => bench.raw.query({ name: 'bench_raw_tail', text: tailSql, values: [tenant, threadId, from, to] }),
          rawTailUnprepared: () => bench.raw.query(tailSql, [tenant, threadId, from, to]),
        },
        { warmup: 20, runs: 300 },
      );
      const rawFull = await measure(() => bench.raw.query(`SELECT seq, ts, type, payload, extra FROM thread_store.thread_items WHERE tenant_id = $1 AND thread_id = $2 ORDER BY seq`, [tenant, threadId]), { runs: size >= 100_000 ? 5 : 15 });
      const result: BenchResult = {
        bench: 'resume',
        items: size,
        ms: resume.median,
        spread_ms: resume.spread,
        raw_tail_ms: rawTail.median,
        raw_tail_unprepared_ms: rawTailUnprepared.median,
        raw_full_scan_ms: rawFull.median,
        ratio_vs_raw: resume.median / rawTail.median,
        ms_rls: resumeRls.median,
        ratio_rls_vs_raw: resumeRls.median / rawTail.median,
        ratio_vs_full_scan: resume.median / rawFull.median,
        items_read: check.itemsRead,
      };
      results.push(result);
      printResult(result, json, ['items', 'ms', 'raw_tail_ms', 'ratio_vs_raw', 'raw_tail_unprepared_ms', 'ms_rls', 'raw_full_scan_ms', 'items_read']);
    }
  } finally {
    await rlsService.close();
    await service.close();
    await bench.drop(results);
  }
}

await main();
