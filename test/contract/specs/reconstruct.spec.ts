// reconstructHistory: the store's answer equals Codex's reconstruction over the whole history
// (spec §8.5), whether the store reads from a checkpoint or from the start.
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ThreadNotFoundError } from '../../../src/model/errors.js';
import type { RolloutLine, StoredRolloutLine } from '../../../src/model/rolloutLine.js';
import { reconstructHistory } from '../../../src/history/reconstructHistory.js';
import type { ThreadStore } from '../../../src/store/ThreadStore.js';
import type { ContractContext } from '../harness.js';
import { FIXTURE } from '../fixtures.js';
import { event, expectError, importFixture, makeThread, message, newId, turnLines } from '../helpers.js';

const APP_COMPACT = '01a20db4-26e8-75f0-968a-c177fae5649a';

async function expectFullEquivalent(store: ThreadStore, threadId: string, includeArchived = false): Promise<{ items: StoredRolloutLine[] }> {
  const { items } = await store.loadHistory({ threadId, includeArchived });
  const result = await store.reconstructHistory({ threadId, includeArchived });
  const { itemsRead, checkpointSeq, ...rest } = result;
  expect(rest).toEqual(JSON.parse(JSON.stringify(reconstructHistory(items))));
  expect(itemsRead).toBeGreaterThan(0);
  expect(itemsRead).toBeLessThanOrEqual(items.length);
  if (checkpointSeq !== null) {
    expect(items[checkpointSeq]!.type).toBe('compacted');
    expect(checkpointSeq).toBeLessThan(items.length);
  }
  return { items };
}

function compacted(replacement: unknown[], windowNumber: number): RolloutLine {
  const id = newId();
  return { type: 'compacted', payload: { message: 'summary', replacement_history: replacement, window_number: windowNumber, first_window_id: id, previous_window_id: null, window_id: id } };
}

export function reconstructSpec(ctx: ContractContext): void {
  describe('reconstructHistory', () => {
    it('equals the full reconstruction of real rollouts, reading from the newest surviving checkpoint', async () => {
      const store = ctx.store();
      const compact = await importFixture(store, APP_COMPACT);
      const { items } = await expectFullEquivalent(store, compact.threadId);
      const result = await store.reconstructHistory({ threadId: compact.threadId });
      const newestCheckpoint = items.map((l, i) => (l.type === 'compacted' ? i : -1)).filter((i) => i >= 0).at(-1)!;
      expect(result.baseCheckpointIndex).toBe(newestCheckpoint);
      expect(result.checkpointSeq).toBe(newestCheckpoint);
      expect(result.itemsRead).toBeLessThan(items.length);
      expect(result.history.length).toBeGreaterThan(0);

      for (const fixture of [FIXTURE.interruptFail, FIXTURE.execResume]) {
        const { threadId } = await importFixture(store, fixture);
        await expectFullEquivalent(store, threadId);
      }
    });

    it('ignores a checkpoint that a later rollback removed', async () => {
      const store = ctx.store();
      const t1 = newId();
      const t2 = newId();
      const lines = [
        ...turnLines(t1, 'first question'),
        event('task_started', { turn_id: t2 }),
        message('user', 'second question'),
        compacted([message('user', 'first question').payload, message('assistant', 'summary of everything').payload], 1),
        message('assistant', 'second answer'),
        event('task_complete', { turn_id: t2 }),
        event('thread_rolled_back', { num_turns: 1 }),
        ...turnLines(newId(), 'third question'),
      ];
      const threadId = await makeThread(store, { lines });
      await expectFullEquivalent(store, threadId);
      const result = await store.reconstructHistory({ threadId });
      expect(JSON.stringify(result.history)).not.toContain('summary of everything');
    });

    it('reconstructs forks from their full inherited history', async () => {
      const store = ctx.store();
      const source = await importFixture(store, APP_COMPACT);
      const forkId = newId();
      await store.forkThread({ sourceThreadId: source.threadId, newThreadId: forkId });
      await expectFullEquivalent(store, forkId);
    });

    it('unknown → ThreadNotFound; archived needs includeArchived', async () => {
      const store = ctx.store();
      await expectError(store.reconstructHistory({ threadId: newId() }), ThreadNotFoundError);
      const threadId = await makeThread(store);
      await store.archiveThread({ threadId });
      await expectError(store.reconstructHistory({ threadId }), InvalidRequestError, /is archived/);
      await expectFullEquivalent(store, threadId, true);
    });
  });
}
