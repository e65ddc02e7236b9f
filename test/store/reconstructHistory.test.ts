// O(tail) resume on PostgreSQL: reconstruction that starts from the newest surviving checkpoint
// row equals reconstruction from the full item list (property), and a 100k-item thread with a
// checkpoint 100 lines from the end is resumed by reading a few hundred rows, not 100k. The resume
// point kept on the threads row matches the lines however they were batched, and the one-statement
// path (fastResume) answers most resumes, with the same result.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advanceLineage,
  compactedLineageFields,
  reconstructHistory,
  restoreLineage,
  SUMMARY_PREFIX,
} from '../../src/history/index.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import { fastResume } from '../../src/store/postgres/reconstructHistory.js';
import { useTestStore } from '../helpers/database.js';
import { V7, assistantMsg, event, item, rollback, turnContext, userMsg } from '../unit/history/builders.js';

const ctx = useTestStore({ owner: true });
const tenant = randomUUID();

type Action = { kind: 'turn'; mid: boolean } | { kind: 'compact' } | { kind: 'legacy' } | { kind: 'rollback'; n: number };
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('turn' as const), mid: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'legacy' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rollback' as const), n: fc.integer({ min: 1, max: 3 }) }) },
);

/** Lines as Codex writes them; each checkpoint replaces history with the reconstruction so far. */
function generate(actions: Action[]): RolloutLine[] {
  const lines: RolloutLine[] = [item(userMsg('<environment_context>\n  <cwd>/w</cwd>\n</environment_context>'))];
  const checkpoint = (k: number): RolloutLine => {
    const now = reconstructHistory(lines);
    const lineage = advanceLineage(restoreLineage(now.windowLineage, V7.a));
    return { type: 'compacted', payload: { message: '', replacement_history: [...now.history, userMsg(`${SUMMARY_PREFIX}\ns${k}`)], ...compactedLineageFields(lineage) } };
  };
  actions.forEach((a, k) => {
    const turn = `t${k}`;
    if (a.kind === 'turn') {
      lines.push(event('task_started', { turn_id: turn }), turnContext(turn, `m${k % 3}`), item(userMsg(`u${k}`)), event('user_message', { message: `u${k}` }));
      if (a.mid) lines.push(checkpoint(k), turnContext(turn, `m${k % 3}`, { after: true }));
      lines.push(item(assistantMsg(`a${k}`)), event('task_complete', { turn_id: turn }));
    } else if (a.kind === 'compact') {
      lines.push(event('task_started', { turn_id: turn }), turnContext(turn, 'm1'), checkpoint(k), event('task_complete', { turn_id: turn }));
    } else if (a.kind === 'legacy') {
      lines.push(event('task_started', { turn_id: turn }), turnContext(turn, 'm1'), { type: 'compacted', payload: { message: `legacy ${k}` } }, event('task_complete', { turn_id: turn }));
    } else {
      lines.push(rollback(a.n));
    }
  });
  return lines;
}

/** Stores `lines` as one thread, appended in batches cut at `cuts` (fractions of the length). */
async function storeThread(lines: RolloutLine[], cuts: number[] = []): Promise<string> {
  const store = ctx.service.forTenant(tenant);
  const threadId = randomUUID();
  await store.createThread({ threadId, source: 'cli', originator: 't', initialWindowId: V7.a, metadata: { cwd: '/w', modelProvider: 'p' } });
  const at = [...new Set(cuts.map((c) => Math.floor(c * lines.length)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...at, lines.length]) {
    if (to > from) await store.appendItems({ threadId, items: lines.slice(from, to) });
    from = Math.max(from, to);
  }
  await store.shutdownThread(threadId);
  return threadId;
}

/**
 * The resume point the threads row must hold, worked out from the lines themselves: the newest
 * `compacted` line with a replacement history, the `task_started` that opened its turn (every
 * generated checkpoint sits inside one), and the compactions before that.
 */
function expectedResumePoint(items: readonly RolloutLine[]): { checkpoint: number | null; start: number; before: number } {
  let checkpoint: number | null = null;
  items.forEach((l, i) => {
    if (l.type === 'compacted' && (l.payload as { replacement_history?: unknown }).replacement_history !== undefined) checkpoint = i;
  });
  if (checkpoint === null) return { checkpoint: null, start: 0, before: 0 };
  let start: number = checkpoint;
  while (start > 0 && !(items[start]!.type === 'event_msg' && (items[start]!.payload as { type?: string }).type === 'task_started')) start--;
  return { checkpoint, start, before: items.slice(0, start).filter((l) => l.type === 'compacted').length };
}

async function storedResumePoint(threadId: string): Promise<{ checkpoint: number | null; start: number; before: number }> {
  return ctx.owner.withSession(async (s) => {
    const { rows } = await s.query<{ checkpoint: number | null; start: number; before: number }>(
      `SELECT resume_checkpoint_seq AS checkpoint, resume_seq AS start, compactions_before_resume AS before
         FROM thread_store.threads WHERE tenant_id = $1 AND id = $2`,
      [tenant, threadId],
    );
    const r = rows[0]!;
    return { checkpoint: r.checkpoint === null ? null : Number(r.checkpoint), start: Number(r.start), before: Number(r.before) };
  });
}

describe('reconstructHistory on PostgreSQL', () => {
  it('from the checkpoint path equals reconstruction from the full item list (property)', async () => {
    const store = ctx.service.forTenant(tenant);
    let oneRoundTrip = 0;
    let withCheckpoint = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(actionArb, { minLength: 1, maxLength: 25 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
        async (actions, cuts) => {
          const threadId = await storeThread(generate(actions), cuts);
          const { items } = await store.loadHistory({ threadId });
          // The resume point kept on the row, however the lines were batched.
          expect(await storedResumePoint(threadId)).toEqual(expectedResumePoint(items));
          const { itemsRead, checkpointSeq, baseCheckpointIndex: _b, ...fromStore } = await store.reconstructHistory({ threadId });
          const { baseCheckpointIndex: _c, ...full } = reconstructHistory(items);
          expect(fromStore).toEqual(full);
          expect(itemsRead).toBeLessThanOrEqual(items.length);
          if (checkpointSeq !== null) expect(items[checkpointSeq]!.type).toBe('compacted');
          // The one-statement path, where it answers, answers the same.
          const fast = await fastResume(ctx.service.database, tenant, threadId, false);
          if (fast) {
            const { itemsRead: _r, checkpointSeq: _s, baseCheckpointIndex: _f, ...fastResult } = fast;
            expect(fastResult).toEqual(full);
            oneRoundTrip++;
            if (fast.checkpointSeq !== null) withCheckpoint++;
          }
        },
      ),
      { numRuns: 100 },
    );
    // It must be the common path, including threads with a checkpoint (not only tiny ones).
    expect(oneRoundTrip).toBeGreaterThan(30);
    expect(withCheckpoint).toBeGreaterThan(5);
  });

  it('reads only the tail of a 100k-item thread with a checkpoint 100 lines from the end', async () => {
    const store = ctx.service.forTenant(tenant);
    const threadId = await storeThread([event('task_started', { turn_id: 't0' }), turnContext('t0', 'm'), item(userMsg('hello'))]);
    // 100k filler lines written in SQL (the store's own appends are covered elsewhere).
    await ctx.owner.transaction(
      async (tx) => {
        await tx.query(
          `INSERT INTO thread_store.thread_items (tenant_id, thread_id, seq, type, subtype, turn_id, ts, payload, byte_size)
           SELECT $1, $2, 3 + g, 'response_item', 'message', 't0', '2026-01-01T00:00:00.000Z',
                  jsonb_build_object('type', 'message', 'role', 'assistant', 'content', jsonb_build_array(jsonb_build_object('type', 'output_text', 'text', 'filler ' || g))), 80
             FROM generate_series(1, 100000) g`,
          [tenant, threadId],
        );
        await tx.query('UPDATE thread_store.threads SET last_seq = 100003 WHERE tenant_id = $1 AND id = $2', [tenant, threadId]);
      },
      { tenantId: tenant },
    );
    await store.resumeThread({ threadId, metadata: { cwd: '/w', modelProvider: 'p' } });
    const tail: RolloutLine[] = [event('task_complete', { turn_id: 't0' }), event('task_started', { turn_id: 't1' }), turnContext('t1', 'm2')];
    const lineage = advanceLineage(restoreLineage({ windowNumber: 0, firstWindowId: V7.a, previousWindowId: null, windowId: V7.a }, V7.a));
    tail.push({ type: 'compacted', payload: { message: 's', replacement_history: [userMsg('hello'), userMsg(`${SUMMARY_PREFIX}\ns`)], ...compactedLineageFields(lineage) } });
    tail.push(turnContext('t1', 'm2'), item(userMsg('next')), event('user_message', { message: 'next' }));
    for (let i = 0; i < 95; i++) tail.push(item(assistantMsg(`reply ${i}`)));
    tail.push(event('task_complete', { turn_id: 't1' }));
    await store.appendItems({ threadId, items: tail });
    await store.shutdownThread(threadId);

    const result = await store.reconstructHistory({ threadId });
    expect(result.itemsRead).toBeLessThan(300);
    expect(result.checkpointSeq).toBe(100004 + 3);
    expect(result.windowLineage).toEqual({ windowNumber: 1, firstWindowId: V7.a, previousWindowId: V7.a, windowId: lineage.windowId });
    expect(result.history.slice(0, 3)).toEqual([userMsg('hello'), userMsg(`${SUMMARY_PREFIX}\ns`), userMsg('next')]);
    expect(result.history).toHaveLength(3 + 95);
  }, 120_000);
});
