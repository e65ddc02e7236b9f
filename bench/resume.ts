// Resume benchmark (issue #6): threads of 1k / 10k / 100k items with a compaction checkpoint 100
// lines from the end. Measures ThreadStore.reconstructHistory (O(tail)) against, in the same run on
// the same database, (a) reading the same tail rows with one raw SQL statement and (b) a raw full
// scan of the thread. Resume should stay flat as the thread grows; the full scan should not.
import { randomUUID } from 'node:crypto';
import { openThreadStore } from '../src/store/openThreadStore.js';
import { advanceLineage, compactedLineageFields, initialLineage, SUMMARY_PREFIX } from '../src/history/index.js';
import type { RolloutLine } from '../src/model/rolloutLine.js';
import { createBenchDatabase, measure, printResult, type BenchResult } from './lib/harness.js';

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
  const results: BenchResult[] = [];
  try {
    for (const size of SIZES) {
      const threadId = randomUUID();
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
      const check = await store.reconstructHistory({ threadId });
      const cpSeq = check.checkpointSeq!;

      const resume = await measure(() => store.reconstructHistory({ threadId }));
      const rawTail = await measure(() =>
        bench.raw.query(`SELECT seq, ts, type, payload, extra FROM thread_store.thread_items WHERE tenant_id = $1 AND thread_id = $2 AND seq >= $3 ORDER BY seq`, [tenant, threadId, cpSeq]),
      );
      const rawFull = await measure(() => bench.raw.query(`SELECT seq, ts, type, payload, extra FROM thread_store.thread_items WHERE tenant_id = $1 AND thread_id = $2 ORDER BY seq`, [tenant, threadId]), { runs: size >= 100_000 ? 5 : 15 });
      const result: BenchResult = {
        bench: 'resume',
        items: size,
        ms: resume.median,
        spread_ms: resume.spread,
        raw_tail_ms: rawTail.median,
        raw_full_scan_ms: rawFull.median,
        ratio_vs_raw: resume.median / rawTail.median,
        ratio_vs_full_scan: resume.median / rawFull.median,
        items_read: check.itemsRead,
      };
      results.push(result);
      printResult(result, json, ['items', 'ms', 'raw_tail_ms', 'ratio_vs_raw', 'raw_full_scan_ms', 'items_read']);
    }
  } finally {
    await service.close();
    await bench.drop(results);
  }
}

await main();
