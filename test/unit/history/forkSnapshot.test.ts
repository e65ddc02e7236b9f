// §9 / §13 "Fork / resume": the pure ForkSnapshot rules over rollout lines.
import { describe, expect, it } from 'vitest';
import type { RolloutLine } from '../../../src/model/rolloutLine.js';
import {
  TURN_ABORTED_MARKER_TEXT,
  interruptedSnapshot,
  isContextualUserText,
  isRealUserMessage,
  reconstructHistory,
  snapshotTurnState,
  truncateBeforeNthUserMessage,
  userMessagePositions,
} from '../../../src/history/index.js';
import { assistantMsg, envContext, event, item, rollback, sampleRollout, sessionMeta, turnContext, userMsg, userTurn, V4 } from './builders.js';

const head: RolloutLine[] = [sessionMeta(V4), item(envContext())];
const t1 = userTurn('t1', 'one', 'r1');
const t2 = userTurn('t2', 'two', 'r2');
const t3 = userTurn('t3', 'three', 'r3');
const finished = [...head, ...t1, ...t2, ...t3];
// Turn t4 started and its user message arrived, but it never completed.
const unfinished = [...finished, event('task_started', { turn_id: 't4' }), turnContext('t4'), item(userMsg('four')), item(assistantMsg('partial'))];

describe('TruncateBeforeNthUserMessage', () => {
  it('cuts strictly before the 0-based n-th user message', () => {
    expect(truncateBeforeNthUserMessage(finished, 0)).toEqual(finished.slice(0, head.length + 2));
    const cut = truncateBeforeNthUserMessage(finished, 1);
    expect(cut).toEqual(finished.slice(0, head.length + t1.length + 2));
    expect(reconstructHistory(cut).history).toEqual([envContext(), userMsg('one'), assistantMsg('r1')]);
  });

  it('environment context is not a user message', () => {
    expect(userMessagePositions(finished)).toEqual([4, 10, 16]);
  });

  it('honours prior rollbacks: the rolled-back user messages are not counted', () => {
    // After rolling back t3, a new t3' follows; the 2nd surviving user message is now "three again".
    const t3b = userTurn('t3b', 'three again', 'r3b');
    const items = [...finished, rollback(1), ...t3b];
    expect(userMessagePositions(items)).toEqual([4, 10, finished.length + 1 + 2]);
    expect(truncateBeforeNthUserMessage(items, 2)).toEqual(items.slice(0, finished.length + 1 + 2));
  });

  it('out of range at a turn boundary keeps the full history', () => {
    expect(truncateBeforeNthUserMessage(finished, 3)).toEqual(finished);
    expect(truncateBeforeNthUserMessage(finished, 100)).toEqual(finished);
  });

  it('out of range while mid-turn drops the unfinished turn from its start event', () => {
    expect(snapshotTurnState(unfinished)).toEqual({ endsMidTurn: true, activeTurnId: 't4', activeTurnStartIndex: finished.length });
    expect(truncateBeforeNthUserMessage(unfinished, 4)).toEqual(finished);
    // In range, the ordinary cut applies even mid-turn.
    expect(truncateBeforeNthUserMessage(unfinished, 3)).toEqual(unfinished.slice(0, finished.length + 2));
  });

  it('without turn events, a trailing user message with no completion is mid-turn and is cut', () => {
    const bare = [item(userMsg('one')), item(assistantMsg('r1')), item(userMsg('two'))];
    expect(snapshotTurnState(bare).endsMidTurn).toBe(true);
    expect(truncateBeforeNthUserMessage(bare, 5)).toEqual(bare.slice(0, 2));
  });
});

describe('Interrupted', () => {
  it('appends the <turn_aborted> marker and an interrupted turn_aborted event only when the source ended mid-turn', () => {
    const forked = interruptedSnapshot(unfinished);
    expect(forked.slice(0, unfinished.length)).toEqual(unfinished);
    expect(forked.slice(unfinished.length)).toEqual([
      item({ type: 'message', role: 'user', content: [{ type: 'input_text', text: TURN_ABORTED_MARKER_TEXT }] }),
      event('turn_aborted', { turn_id: 't4', reason: 'interrupted' }),
    ]);
    expect(interruptedSnapshot(finished)).toEqual(finished);
  });

  it('uses the exact marker a real Codex interrupt writes, which is injected context, not a user turn', () => {
    const real = sampleRollout('01a20db4-3795-76a1-8e72-4698a8cc7847');
    const realMarker = real.find(
      (l) => l.type === 'response_item' && JSON.stringify(l.payload).includes('<turn_aborted>'),
    )!.payload as { content: { text: string }[] };
    expect(realMarker.content[0]!.text).toBe(TURN_ABORTED_MARKER_TEXT);
    expect(isContextualUserText(TURN_ABORTED_MARKER_TEXT)).toBe(true);
  });

  it('a turn that was aborted, failed or completed is not mid-turn', () => {
    const aborted = [...t1, event('task_started', { turn_id: 't2' }), item(userMsg('two')), event('turn_aborted', { turn_id: 't2', reason: 'interrupted' })];
    const failed = [...t1, event('task_started', { turn_id: 't2' }), item(userMsg('two')), event('error', { message: 'boom' })];
    expect(snapshotTurnState(aborted).endsMidTurn).toBe(false);
    expect(snapshotTurnState(failed).endsMidTurn).toBe(false);
    expect(interruptedSnapshot(aborted)).toEqual(aborted);
  });

  it('the real interrupted/failed sample thread ends at a turn boundary', () => {
    const real = sampleRollout('01a20db4-3795-76a1-8e72-4698a8cc7847');
    expect(snapshotTurnState(real).endsMidTurn).toBe(false);
    // Cutting before its 2nd user message ("Run the full benchmark suite…") keeps only turn 1.
    const cut = truncateBeforeNthUserMessage(real, 1);
    expect(reconstructHistory(cut).history.filter(isRealUserMessage)).toHaveLength(1);
  });
});
