// LiveThread's context-window lineage (issue #6): the initial window comes from the creation's
// initial window id, a compaction appended through the thread advances it, resume restores it
// from the store's reconstruction, and a rollback that drops the compaction restores the window
// before it.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compactedLineageFields, renderTokenBudgetForLineage } from '../../src/history/index.js';
import { isUuidV7, newUuidV7 } from '../../src/model/ids.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import { LiveThread } from '../../src/live/LiveThread.js';
import { useTestStore } from '../helpers/database.js';

const ctx = useTestStore();

const userMsg = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const turn = (id: string, text: string): RolloutLine[] => [
  { type: 'event_msg', payload: { type: 'task_started', turn_id: id } },
  { type: 'turn_context', payload: { turn_id: id, cwd: '/w', model: 'm', approval_policy: 'never' } },
  { type: 'response_item', payload: userMsg(text) },
  { type: 'event_msg', payload: { type: 'user_message', message: text } },
  { type: 'event_msg', payload: { type: 'task_complete', turn_id: id } },
];

describe('LiveThread window lineage', () => {
  it('starts at the initial window, advances on compaction, survives resume and is restored by rollback', async () => {
    const store = ctx.service.forTenant(randomUUID());
    const threadId = newUuidV7();
    const initialWindowId = newUuidV7();
    const metadata = { cwd: '/w', modelProvider: 'p' };
    const live = await LiveThread.create(store, { threadId, source: 'cli', originator: 't', initialWindowId, metadata });
    expect(live.windowLineage).toEqual({ windowNumber: 0, firstWindowId: initialWindowId, previousWindowId: null, windowId: initialWindowId });

    await live.append(turn('t1', 'first'));
    const next = live.advanceWindow();
    expect(next).toMatchObject({ windowNumber: 1, firstWindowId: initialWindowId, previousWindowId: initialWindowId });
    expect(isUuidV7(next.windowId) && next.windowId !== initialWindowId).toBe(true);
    await live.append([
      { type: 'event_msg', payload: { type: 'task_started', turn_id: 't2' } },
      { type: 'turn_context', payload: { turn_id: 't2', cwd: '/w', model: 'm' } },
      { type: 'compacted', payload: { message: 'summary', replacement_history: [userMsg('first')], ...compactedLineageFields(next) } },
      { type: 'event_msg', payload: { type: 'task_complete', turn_id: 't2' } },
      ...turn('t3', 'after compaction'),
    ]);
    expect(live.windowLineage).toEqual(next);
    expect(renderTokenBudgetForLineage(threadId, live.windowLineage, 1000)).toBe(
      `<token_budget>\nThread id ${threadId}.\nFirst context window id ${initialWindowId}.\nPrevious context window id ${initialWindowId}.\nCurrent context window id ${next.windowId}.\nYou have 1000 tokens left in this context window.\n</token_budget>`,
    );
    await live.shutdown();

    const resumed = await LiveThread.resume(store, { threadId, metadata });
    expect(resumed.windowLineage).toEqual(next);

    // Rolling back the compaction turn and the one after it drops the checkpoint: back to window 0.
    await resumed.append([{ type: 'event_msg', payload: { type: 'thread_rolled_back', num_turns: 2 } }]);
    expect(resumed.windowLineage.windowId).toBe(initialWindowId);
    expect(resumed.windowLineage.firstWindowId).toBe(initialWindowId);
    expect(resumed.windowLineage.previousWindowId).toBeNull();
    await resumed.shutdown();
  });

  it('mints an initial window id when the caller gives none, and records it in session_meta', async () => {
    const store = ctx.service.forTenant(randomUUID());
    const threadId = newUuidV7();
    const live = await LiveThread.create(store, { threadId, source: 'cli', originator: 't', metadata: { cwd: '/w', modelProvider: 'p' } });
    const { windowId } = live.windowLineage;
    expect(isUuidV7(windowId)).toBe(true);
    await live.append(turn('t1', 'hi'));
    await live.shutdown();
    const { items } = await store.loadHistory({ threadId });
    expect((items[0]!.payload as { context_window?: { window_id: string } }).context_window).toEqual({ window_id: windowId });
    const resumed = await LiveThread.resume(store, { threadId, metadata: { cwd: '/w', modelProvider: 'p' } });
    expect(resumed.windowLineage).toEqual({ windowNumber: 0, firstWindowId: windowId, previousWindowId: null, windowId });
    await resumed.shutdown();
  });
});
