// Codex history reconstruction (§8.5): one test per §8.6 compatibility row and per pure §13
// "Compaction & windows" statement, the synthetic fixtures (expected values derived step by step
// from the algorithm, see the comments), and the real Codex 0.169 compaction thread.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RolloutLine } from '../../../src/model/rolloutLine.js';
import { isUuidV7 } from '../../../src/model/ids.js';
import {
  SUMMARY_PREFIX,
  analyzeCheckpointSuffix,
  reconstructHistory,
  restoreLineage,
  rollbackReachesBefore,
} from '../../../src/history/index.js';
import {
  SNIPPETS,
  V4,
  V7,
  assistantMsg,
  compacted,
  developerMsg,
  envContext,
  event,
  item,
  readLines,
  rollback,
  sampleRollout,
  sessionMeta,
  turnContext,
  userMsg,
  userTurn,
} from './builders.js';

const SYNTHETIC = join(SNIPPETS, 'synthetic-rollout-2025-07-01T10-00-00-0197c3a1-2b4d-7e5f-8a9b-0c1d2e3f4a5b.jsonl');
const LEGACY = join(SNIPPETS, 'synthetic-legacy-shapes.jsonl');
const APP_COMPACT = '01a20db4-26e8-75f0-968a-c177fae5649a';

const payloads = (lines: RolloutLine[]) => lines.filter((l) => l.type === 'response_item').map((l) => l.payload);

describe('§8.6 backward compatibility', () => {
  it('`compacted` with only `message`: rebuilds from user messages + summary, clears the reference context, window number = count of compacted items', () => {
    const items = [
      sessionMeta(V4),
      ...userTurn('t1', 'first question', 'first answer'),
      ...userTurn('t2', 'second question', 'second answer'),
      compacted({ message: 'SUMMARY of both turns' }),
      ...userTurn('t3', 'after', 'reply'),
    ];
    const r = reconstructHistory(items);
    expect(r.history).toEqual([
      userMsg('first question'),
      userMsg('second question'),
      userMsg('SUMMARY of both turns'),
      userMsg('after'),
      assistantMsg('reply'),
    ]);
    expect(r.sawLegacyCompaction).toBe(true);
    expect(r.referenceContext).toBeNull();
    expect(r.windowLineage).toEqual({ windowNumber: 1, firstWindowId: null, previousWindowId: null, windowId: null });
    expect(r.baseCheckpointIndex).toBeNull();
  });

  it('`compacted` with numeric `window_id`: the number becomes window_number, ids are unknown, so restore mints a fresh UUIDv7 current = first with previous null', () => {
    const r = reconstructHistory([compacted({ replacement_history: [userMsg('kept')], window_id: 3 })]);
    expect(r.windowLineage).toEqual({ windowNumber: 3, firstWindowId: null, previousWindowId: null, windowId: null });
    const restored = restoreLineage(r.windowLineage);
    expect(restored.windowNumber).toBe(3);
    expect(isUuidV7(restored.windowId)).toBe(true);
    expect(restored.firstWindowId).toBe(restored.windowId);
    expect(restored.previousWindowId).toBeNull();
  });

  it('`compacted` with string ids that are not UUIDv7: ignored (treated as None)', () => {
    const r = reconstructHistory([
      compacted({ replacement_history: [], window_number: 2, first_window_id: V4, previous_window_id: 'nope', window_id: V7.b }),
    ]);
    expect(r.windowLineage).toEqual({ windowNumber: 2, firstWindowId: null, previousWindowId: null, windowId: V7.b });
    expect(restoreLineage(r.windowLineage)).toEqual({ windowNumber: 2, firstWindowId: V7.b, previousWindowId: null, windowId: V7.b });
  });

  it('`compacted` with full lineage: restored exactly', () => {
    const lineage = { window_number: 2, first_window_id: V7.a, previous_window_id: V7.b, window_id: V7.c };
    const r = reconstructHistory([...userTurn('t1', 'q', 'a'), compacted({ replacement_history: [userMsg('q')], ...lineage })]);
    expect(r.windowLineage).toEqual({ windowNumber: 2, firstWindowId: V7.a, previousWindowId: V7.b, windowId: V7.c });
    expect(restoreLineage(r.windowLineage, V7.a)).toEqual(r.windowLineage);
  });

  it('`ghost_snapshot` items are stripped at load time', () => {
    const r = reconstructHistory([
      item(userMsg('q')),
      item({ type: 'ghost_snapshot', ghost_commit: { id: 'abc', parent: null, preexisting_untracked_files: [] } }),
      item(assistantMsg('a')),
    ]);
    expect(r.history).toEqual([userMsg('q'), assistantMsg('a')]);
  });

  it('`task_started`/`turn_started` and `task_complete`/`turn_complete` are accepted as aliases', () => {
    const build = (started: string, completed: string) => [
      ...userTurn('t1', 'one', 'r1', { started, completed, model: 'm1' }),
      ...userTurn('t2', 'two', 'r2', { started, completed, model: 'm2' }),
      rollback(1),
    ];
    const oldNames = reconstructHistory(build('task_started', 'task_complete'));
    const newNames = reconstructHistory(build('turn_started', 'turn_complete'));
    expect(newNames).toEqual(oldNames);
    // The rollback dropped turn t2, so the surviving settings come from t1 in both spellings.
    expect(newNames.previousTurnSettings).toEqual({ model: 'm1' });
    expect(newNames.history).toEqual([userMsg('one'), assistantMsg('r1')]);
  });

  it('`<token_budget>` developer text in history is still classified as contextual (not a user turn)', () => {
    const budget = developerMsg('<token_budget>\nYou have 100 tokens left in this context window.\n</token_budget>');
    // A rollback of one turn must remove the user turn, not stop at the token-budget message.
    const r = reconstructHistory([item(userMsg('one')), item(assistantMsg('r1')), item(userMsg('two')), item(budget), rollback(1)]);
    expect(r.history).toEqual([userMsg('one'), assistantMsg('r1')]);
  });
});

describe('§13 compaction & windows', () => {
  it('numeric window_id loads as window_number = n with window_id None, unless window_number is also present', () => {
    expect(reconstructHistory([compacted({ replacement_history: [], window_id: 7 })]).windowLineage.windowNumber).toBe(7);
    const both = reconstructHistory([compacted({ replacement_history: [], window_number: 5, window_id: 3 })]);
    expect(both.windowLineage).toEqual({ windowNumber: 5, firstWindowId: null, previousWindowId: null, windowId: null });
  });

  it('a `compacted` with only `message` has all window fields None and no replacement history', () => {
    const r = reconstructHistory([compacted({ message: 'S' })]);
    expect(r.baseCheckpointIndex).toBeNull();
    expect(r.windowLineage).toEqual({ windowNumber: 1, firstWindowId: null, previousWindowId: null, windowId: null });
  });

  it('reconstruction starts from the newest surviving replacement_history verbatim and replays only later items', () => {
    const older = [userMsg('older base')];
    const newer = [userMsg('q1'), { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'S' }], extra: 1 }];
    const items = [
      ...userTurn('t1', 'q1', 'a1'),
      compacted({ replacement_history: older, window_number: 1, first_window_id: V7.a, window_id: V7.b }),
      ...userTurn('t2', 'q2', 'a2'),
      compacted({ replacement_history: newer, window_number: 2, first_window_id: V7.a, previous_window_id: V7.b, window_id: V7.c }),
      ...userTurn('t3', 'q3', 'a3'),
    ];
    const r = reconstructHistory(items);
    expect(r.baseCheckpointIndex).toBe(13);
    expect(r.history).toEqual([...newer, userMsg('q3'), assistantMsg('a3')]);
    // Verbatim: the very objects of the checkpoint, unknown fields included.
    expect(r.history[1]).toBe(newer[1]);
    expect(r.windowLineage).toEqual({ windowNumber: 2, firstWindowId: V7.a, previousWindowId: V7.b, windowId: V7.c });
  });

  it('thread_rolled_back{n} drops the newest n user turns; a checkpoint inside a dropped turn is ignored', () => {
    const items = [
      ...userTurn('t1', 'q1', 'a1', { model: 'm1' }),
      ...userTurn('t2', 'q2', 'a2', { model: 'm2' }),
      // t3 compacts mid-turn, then the user rolls t3 back.
      event('task_started', { turn_id: 't3' }),
      turnContext('t3', 'm3'),
      item(userMsg('q3')),
      compacted({ replacement_history: [userMsg('q1'), userMsg('q2'), userMsg('q3'), userMsg('S')], window_number: 1, first_window_id: V7.a, previous_window_id: V7.a, window_id: V7.b }),
      turnContext('t3', 'm3'),
      item(assistantMsg('a3')),
      event('task_complete', { turn_id: 't3' }),
      rollback(1),
    ];
    const r = reconstructHistory(items);
    expect(r.baseCheckpointIndex).toBeNull();
    expect(r.history).toEqual([userMsg('q1'), assistantMsg('a1'), userMsg('q2'), assistantMsg('a2')]);
    expect(r.windowLineage).toEqual({ windowNumber: 1, firstWindowId: null, previousWindowId: null, windowId: null });
    expect(r.previousTurnSettings).toEqual({ model: 'm2' });
  });

  it('drop_last_n_user_turns cuts at the first user message when n >= the number of user turns', () => {
    const r = reconstructHistory([item(envContext()), ...userTurn('t1', 'q1', 'a1'), rollback(5)]);
    expect(r.history).toEqual([envContext()]);
  });

  it('a legacy message-only compaction rebuilds history from prior user messages + summary and clears the reference context', () => {
    const items = [...userTurn('t1', 'q1', 'a1'), event('task_started', { turn_id: 't2' }), turnContext('t2'), compacted({ message: `${SUMMARY_PREFIX}\nS` }), event('task_complete', { turn_id: 't2' })];
    const r = reconstructHistory(items);
    expect(r.history).toEqual([userMsg('q1'), userMsg(`${SUMMARY_PREFIX}\nS`)]);
    expect(r.referenceContext).toBeNull();
    expect(r.sawLegacyCompaction).toBe(true);
  });

  it('window restore uses the newest surviving compaction, else the count of all compacted items', () => {
    const withWindow = reconstructHistory([
      compacted({ message: 'S' }),
      compacted({ replacement_history: [], window_number: 4, first_window_id: V7.a, previous_window_id: V7.b, window_id: V7.c }),
    ]);
    expect(withWindow.windowLineage).toEqual({ windowNumber: 4, firstWindowId: V7.a, previousWindowId: V7.b, windowId: V7.c });
    const legacyOnly = reconstructHistory([compacted({ message: 'S1' }), compacted({ message: 'S2' })]);
    expect(legacyOnly.windowLineage.windowNumber).toBe(2);
  });

  it('the session-meta initial window is used when no compaction survives and none is legacy', () => {
    const meta = sessionMeta(V4, { context_window: { window_id: V7.a } });
    const r = reconstructHistory([meta, ...userTurn('t1', 'q', 'a')]);
    expect(r.windowLineage).toEqual({ windowNumber: 0, firstWindowId: V7.a, previousWindowId: null, windowId: V7.a });
    // A surviving legacy compaction means windows advanced without ids: fall back to the count.
    const legacy = reconstructHistory([meta, ...userTurn('t1', 'q', 'a'), compacted({ message: 'S' })]);
    expect(legacy.windowLineage).toEqual({ windowNumber: 1, firstWindowId: null, previousWindowId: null, windowId: null });
    // A session-meta id that is not a UUIDv7 is ignored like any other window id.
    const badMeta = reconstructHistory([sessionMeta(V4, { context_window: { window_id: V4 } })]);
    expect(badMeta.windowLineage).toEqual({ windowNumber: 0, firstWindowId: null, previousWindowId: null, windowId: null });
  });

  it('non-UUIDv7 window ids in rollouts are ignored during reconstruction', () => {
    const r = reconstructHistory([compacted({ replacement_history: [], window_number: 1, first_window_id: V4, window_id: V4 })]);
    expect(r.windowLineage).toEqual({ windowNumber: 1, firstWindowId: null, previousWindowId: null, windowId: null });
  });

  it('mid-turn compaction persists `compacted` then `turn_context`: that turn_context is the reference context afterwards', () => {
    const ctxAfter = turnContext('t2', 'gpt-5.5', { marker: 'after-compaction' });
    const items = [
      ...userTurn('t1', 'q1', 'a1'),
      event('task_started', { turn_id: 't2' }),
      turnContext('t2'),
      item(userMsg('q2')),
      compacted({ replacement_history: [userMsg('q1'), userMsg('q2'), userMsg('S')], window_number: 1, first_window_id: V7.a, previous_window_id: V7.a, window_id: V7.b }),
      ctxAfter,
      item(assistantMsg('a2')),
      event('task_complete', { turn_id: 't2' }),
    ];
    const r = reconstructHistory(items);
    expect(r.referenceContext).toBe(ctxAfter.payload);
    // Without the trailing turn_context the compaction clears the baseline.
    const cleared = reconstructHistory(items.filter((l) => l !== ctxAfter));
    expect(cleared.referenceContext).toBeNull();
  });
});

describe('synthetic fixtures', () => {
  it('synthetic rollout: the rollback removes turn 2 together with its compaction', () => {
    const lines = readLines(SYNTHETIC);
    const r = reconstructHistory(lines);
    // Reverse scan: line 21 `thread_rolled_back{1}` makes 1 turn pending; segment turn-2 (lines
    // 14-20: user "/compact", the `compacted` checkpoint at 18) counts as a user turn and is skipped,
    // so its checkpoint and window 1 never become the base. Turn-1 (2-13) survives and supplies the
    // settings (gpt-5.5) and its turn_context as the reference. No base → replay from line 0:
    // developer message, turn-1's items, "/compact"; the rolled-back `compacted` is ignored; the
    // rollback then cuts at the last user message ("/compact").
    expect(r.baseCheckpointIndex).toBeNull();
    expect(r.history).toEqual([1, 4, 6, 8, 9, 10].map((i) => lines[i]!.payload));
    expect(r.previousTurnSettings).toEqual({ model: 'gpt-5.5' });
    expect(r.referenceContext).toBe(lines[3]!.payload);
    expect(r.sawLegacyCompaction).toBe(false);
    // No surviving compaction and none is legacy: the initial window of session_meta.context_window.
    expect(r.windowLineage).toEqual({
      windowNumber: 0,
      firstWindowId: '0197c3a1-2b4e-7123-8456-789abcdef012',
      previousWindowId: null,
      windowId: '0197c3a1-2b4e-7123-8456-789abcdef012',
    });
    // The checkpoint's suffix is not enough: its turn is rolled back.
    expect(rollbackReachesBefore(lines.slice(19))).toBe(1);
    expect(analyzeCheckpointSuffix(lines.slice(18))).toMatchObject({ checkpointSurvives: false, selfContained: false });
  });

  it('synthetic rollout, Codex literal replay: the rolled-back checkpoint is applied, then the rollback trims it', () => {
    const lines = readLines(SYNTHETIC);
    const r = reconstructHistory(lines, { rolledBackCheckpoints: 'replay' });
    // Replay reaches the `compacted` at line 18 and replaces the history with its two user messages;
    // the summary there does not start with Codex's full SUMMARY_PREFIX, so both count as user turns
    // and the rollback of 1 cuts before the second one.
    const replacement = (lines[18]!.payload as { replacement_history: unknown[] }).replacement_history;
    expect(r.history).toEqual([replacement[0]]);
  });

  it('legacy shapes: a message-only compaction and a numeric window_id', () => {
    const [meta, messageOnly, numeric] = readLines(LEGACY) as [RolloutLine, RolloutLine, RolloutLine];
    // Old session_meta (no session_id, no context_window) + a turn, then the message-only record:
    // history = the earlier user message + the summary; window number = 1 compacted line.
    const a = reconstructHistory([meta, ...userTurn('t1', 'hello', 'hi'), messageOnly]);
    expect(a.history).toEqual([userMsg('hello'), userMsg('Legacy summary without replacement history')]);
    expect(a.windowLineage).toEqual({ windowNumber: 1, firstWindowId: null, previousWindowId: null, windowId: null });
    expect(a.referenceContext).toBeNull();
    // The numeric record is a replacement-history checkpoint (empty history) in window 3.
    const b = reconstructHistory([numeric]);
    expect(b.baseCheckpointIndex).toBe(0);
    expect(b.history).toEqual([]);
    expect(b.windowLineage).toEqual({ windowNumber: 3, firstWindowId: null, previousWindowId: null, windowId: null });
  });
});

describe('real Codex 0.169 thread app-compact', () => {
  const lines = sampleRollout(APP_COMPACT);
  const checkpointIndex = lines.findIndex((l) => l.type === 'compacted');
  const checkpoint = lines[checkpointIndex]!.payload as Record<string, unknown>;

  it('reconstructs to the compacted replacement_history followed by the response items after it', () => {
    const r = reconstructHistory(lines);
    expect(checkpointIndex).toBe(55);
    expect(r.baseCheckpointIndex).toBe(checkpointIndex);
    expect(r.history).toEqual([...(checkpoint.replacement_history as unknown[]), ...payloads(lines.slice(checkpointIndex + 1))]);
    expect(r.history).toHaveLength(8 + 4);
    expect(r.windowLineage).toEqual({
      windowNumber: 1,
      firstWindowId: checkpoint.first_window_id,
      previousWindowId: checkpoint.previous_window_id,
      windowId: checkpoint.window_id,
    });
    expect(r.previousTurnSettings).toEqual({ model: 'mock-model', realtimeActive: false });
    expect(r.referenceContext).toBe(lines[72]!.payload);
    expect(r.sawLegacyCompaction).toBe(false);
  });

  it('reads the same from the checkpoint onwards, and says so', () => {
    const suffix = lines.slice(checkpointIndex);
    expect(analyzeCheckpointSuffix(suffix)).toEqual({
      rollbackTurnsBeyond: 0,
      checkpointSurvives: true,
      windowResolved: true,
      turnMetadataResolved: true,
      selfContained: true,
    });
    const full = reconstructHistory(lines);
    const part = reconstructHistory(suffix);
    expect({ ...part, baseCheckpointIndex: checkpointIndex }).toEqual(full);
  });
});

describe('checkpoint suffix helpers', () => {
  const base = compacted({ replacement_history: [userMsg('q1')], window_number: 1, first_window_id: V7.a, previous_window_id: V7.a, window_id: V7.b });

  it('rollbackReachesBefore counts the user turns a later rollback needs beyond the lines it is given', () => {
    expect(rollbackReachesBefore([...userTurn('t2', 'q2', 'a2')])).toBe(0);
    expect(rollbackReachesBefore([...userTurn('t2', 'q2', 'a2'), rollback(1)])).toBe(0);
    expect(rollbackReachesBefore([...userTurn('t2', 'q2', 'a2'), rollback(2)])).toBe(1);
    expect(rollbackReachesBefore([event('task_complete', { turn_id: 't1' }), rollback(3)])).toBe(3);
  });

  it('a suffix whose only user turn is the checkpoint turn does not settle the turn metadata', () => {
    const analysis = analyzeCheckpointSuffix([base, event('task_complete', { turn_id: 't1' })]);
    expect(analysis).toMatchObject({ checkpointSurvives: true, windowResolved: true, turnMetadataResolved: false, selfContained: false });
  });

  it('refuses a suffix that does not start at a replacement-history checkpoint', () => {
    expect(() => analyzeCheckpointSuffix([compacted({ message: 'S' })])).toThrow(/replacement_history/);
    expect(() => analyzeCheckpointSuffix([])).toThrow(/replacement_history/);
  });

  it('inter-agent communication lines become model-input agent messages and open a user turn', () => {
    const r = reconstructHistory([
      item(userMsg('q1')),
      { type: 'inter_agent_communication', payload: { author: '/root/a', recipient: '/root', content: 'done', trigger_turn: true } },
      rollback(1),
    ]);
    expect(r.history).toEqual([userMsg('q1')]);
    const kept = reconstructHistory([
      { type: 'inter_agent_communication', payload: { author: '/root/a', recipient: '/root', content: 'done', trigger_turn: false } },
    ]);
    expect(kept.history).toEqual([
      { type: 'agent_message', author: '/root/a', recipient: '/root', content: [{ type: 'input_text', text: 'done' }] },
    ]);
  });
});
