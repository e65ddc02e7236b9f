// O(tail) resume on PostgreSQL: reconstruction that starts from the newest surviving checkpoint
// row equals reconstruction from the full item list (property), and a 100k-item thread with a
// checkpoint 100 lines from the end is resumed by reading a few hundred rows, not 100k.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceLineage,
  compactedLineageFields,
  reconstructHistory,
  restoreLineage,
  SUMMARY_PREFIX,
} from '../../src/history/index.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import type { Database } from '../../src/db/database.js';
import type { ThreadStoreService } from '../../src/store/openThreadStore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { V7, assistantMsg, event, item, rollback, turnContext, userMsg } from '../unit/history/builders.js';

let test: TestDatabase;
let owner: Database;
let service: ThreadStoreService;
const tenant = randomUUID();

beforeAll(async () => {
  test = await createTestDatabase();
  owner = await test.openOwner();
  service = await test.openStore();
});
afterAll(async () => {
  await service.close();
  await test.drop();
});

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

async function storeThread(lines: RolloutLine[]): Promise<string> {
  const store = service.forTenant(tenant);
  const threadId = randomUUID();
  await store.createThread({ threadId, source: 'cli', originator: 't', initialWindowId: V7.a, metadata: { cwd: '/w', modelProvider: 'p' } });
  await store.appendItems({ threadId, items: lines });
  await store.shutdownThread(threadId);
  return threadId;
}

describe('reconstructHistory on PostgreSQL', () => {
  it('from the checkpoint path equals reconstruction from the full item list (property)', async () => {
    const store = service.forTenant(tenant);
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 25 }), async (actions) => {
        const threadId = await storeThread(generate(actions));
        const { items } = await store.loadHistory({ threadId });
        const { itemsRead, checkpointSeq, baseCheckpointIndex: _b, ...fromStore } = await store.reconstructHistory({ threadId });
        const { baseCheckpointIndex: _c, ...full } = reconstructHistory(items);
        expect(fromStore).toEqual(full);
        expect(itemsRead).toBeLessThanOrEqual(items.length);
        if (checkpointSeq !== null) expect(items[checkpointSeq]!.type).toBe('compacted');
      }),
      { numRuns: 100 },
    );
  });

  it('reads only the tail of a 100k-item thread with a checkpoint 100 lines from the end', async () => {
    const store = service.forTenant(tenant);
    const threadId = await storeThread([event('task_started', { turn_id: 't0' }), turnContext('t0', 'm'), item(userMsg('hello'))]);
    // 100k filler lines written in SQL (the store's own appends are covered elsewhere).
    await owner.transaction(
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
