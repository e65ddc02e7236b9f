// Property tests over random Codex-like threads: user turns (some compacting mid-turn), manual
// compaction turns, legacy message-only compactions and rollbacks. Every checkpoint carries the
// history reconstructed at that moment and a lineage advanced from the reconstructed window, the
// way Codex writes them.
//   1. Reading from the newest surviving checkpoint (found with `rollbackReachesBefore`) gives the
//      same history and window as reading everything.
//   2. The reconstruction equals a turn-stack model of the semantics: a rollback of n restores the
//      history from before the n-th newest surviving user turn, dropping everything after it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RolloutLine } from '../../../src/model/rolloutLine.js';
import { readCompacted } from '../../../src/model/compacted.js';
import {
  SUMMARY_PREFIX,
  advanceLineage,
  analyzeCheckpointSuffix,
  compactedLineageFields,
  rebuildAfterLegacyCompaction,
  reconstructHistory,
  restoreLineage,
  rollbackReachesBefore,
  type HistoryReconstruction,
  type ReconstructedWindow,
} from '../../../src/history/index.js';
import { V4, V7, assistantMsg, developerMsg, envContext, event, item, rollback, sessionMeta, turnContext, userMsg } from './builders.js';

type Action =
  | { kind: 'turn'; model: string; midCompaction: boolean }
  | { kind: 'compactTurn' }
  | { kind: 'legacy' }
  | { kind: 'rollback'; n: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('turn' as const),
      model: fc.constantFrom('m1', 'm2', 'm3'),
      midCompaction: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'compactTurn' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'legacy' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rollback' as const), n: fc.integer({ min: 1, max: 3 }) }) },
);

/** A surviving segment of the model: what a rollback pops and what metadata it carries. */
interface ModelSegment {
  kind: 'user' | 'checkpoint' | 'legacy';
  /** History before the segment started (restored when a rollback drops it). */
  before: unknown[];
  model?: string;
  /** Reference context the segment leaves behind (null: a compaction cleared it). */
  reference: Record<string, unknown> | null;
  /** A replacement-history checkpoint is inside (mid-turn or manual compaction). */
  checkpointWindow?: ReconstructedWindow;
}

interface Generated {
  lines: RolloutLine[];
  expected: {
    history: unknown[];
    segments: ModelSegment[];
    compactedLines: number;
  };
}

const summary = (k: number) => userMsg(`${SUMMARY_PREFIX}\nsummary ${k}`);

function generate(actions: readonly Action[]): Generated {
  const header = [item(developerMsg('<permissions instructions>\nsandbox\n</permissions instructions>')), item(envContext())];
  const lines: RolloutLine[] = [sessionMeta(V4, { context_window: { window_id: V7.a } }), ...header];
  const headerHistory = header.map((l) => l.payload);
  let history: unknown[] = [...headerHistory];
  let segments: ModelSegment[] = [];
  let compactedLines = 0;
  let k = 0;

  // A checkpoint as Codex writes it: the history reconstructed right now (+ its summary) and the
  // lineage advanced from the reconstructed window.
  const checkpoint = (): { line: RolloutLine; window: ReconstructedWindow; replacement: unknown[] } => {
    const now = reconstructHistory(lines);
    const lineage = advanceLineage(restoreLineage(now.windowLineage, V7.a));
    const replacement = [...now.history, summary(k)];
    compactedLines += 1;
    return {
      line: { type: 'compacted', payload: { message: '', replacement_history: replacement, ...compactedLineageFields(lineage) } },
      window: lineage,
      replacement,
    };
  };

  for (const action of actions) {
    k += 1;
    const turnId = `turn-${k}`;
    switch (action.kind) {
      case 'turn': {
        const before = history;
        const ctx = turnContext(turnId, action.model, { k });
        lines.push(event('task_started', { turn_id: turnId }), ctx, item(userMsg(`u${k}`)), event('user_message', { message: `u${k}` }));
        history = [...history, userMsg(`u${k}`)];
        let reference = ctx.payload as Record<string, unknown>;
        let checkpointWindow: ReconstructedWindow | undefined;
        if (action.midCompaction) {
          const cp = checkpoint();
          const after = turnContext(turnId, action.model, { k, afterCompaction: true });
          lines.push(cp.line, after);
          history = [...history, summary(k)];
          reference = after.payload as Record<string, unknown>;
          checkpointWindow = cp.window;
        }
        lines.push(item(assistantMsg(`a${k}`)), event('task_complete', { turn_id: turnId }));
        history = [...history, assistantMsg(`a${k}`)];
        segments = [...segments, { kind: 'user', before, model: action.model, reference, checkpointWindow }];
        break;
      }
      case 'compactTurn': {
        const before = history;
        lines.push(event('task_started', { turn_id: turnId }), turnContext(turnId, 'm1', { k }));
        const cp = checkpoint();
        lines.push(cp.line, event('task_complete', { turn_id: turnId }));
        history = [...history, summary(k)];
        segments = [...segments, { kind: 'checkpoint', before, reference: null, checkpointWindow: cp.window }];
        break;
      }
      case 'legacy': {
        const before = history;
        lines.push(
          event('task_started', { turn_id: turnId }),
          turnContext(turnId, 'm1', { k }),
          { type: 'compacted', payload: { message: `legacy summary ${k}` } },
          event('task_complete', { turn_id: turnId }),
        );
        compactedLines += 1;
        history = rebuildAfterLegacyCompaction(history, `legacy summary ${k}`);
        segments = [...segments, { kind: 'legacy', before, reference: null }];
        break;
      }
      case 'rollback': {
        lines.push(rollback(action.n));
        const userIndices = segments.flatMap((s, i) => (s.kind === 'user' ? [i] : []));
        if (action.n <= userIndices.length) {
          const cut = userIndices[userIndices.length - action.n]!;
          history = segments[cut]!.before;
          segments = segments.slice(0, cut);
        } else {
          // More turns than exist: everything after the session prefix goes, compactions included.
          history = [...headerHistory];
          segments = [];
        }
        break;
      }
    }
  }
  return { lines, expected: { history, segments, compactedLines } };
}

/** What the reconstruction should report, read off the model's surviving segments. */
function expectedReconstruction(g: Generated): Omit<HistoryReconstruction, 'baseCheckpointIndex'> {
  const { segments } = g.expected;
  const lastCheckpoint = segments.findLastIndex((s) => s.checkpointWindow !== undefined);
  const sawLegacyCompaction = segments.slice(lastCheckpoint + 1).some((s) => s.kind === 'legacy');
  const newestUser = segments.findLast((s) => s.kind === 'user');
  const newest = segments[segments.length - 1];
  const windowLineage =
    segments[lastCheckpoint]?.checkpointWindow ??
    (segments.some((s) => s.kind === 'legacy')
      ? { windowNumber: g.expected.compactedLines, firstWindowId: null, previousWindowId: null, windowId: null }
      : { windowNumber: 0, firstWindowId: V7.a, previousWindowId: null, windowId: V7.a });
  return {
    history: g.expected.history,
    windowLineage: { ...windowLineage },
    previousTurnSettings: newestUser ? { model: newestUser.model ?? null } : null,
    referenceContext: sawLegacyCompaction ? null : (newest?.reference ?? null),
    sawLegacyCompaction,
  };
}

const RUNS = { numRuns: 300 };

describe('reconstructHistory properties', () => {
  it('reading from the newest surviving checkpoint equals reading the whole rollout (history and window lineage)', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { maxLength: 30 }), (actions) => {
        const { lines } = generate(actions);
        const full = reconstructHistory(lines);
        const checkpoints = lines
          .map((l, i) => (l.type === 'compacted' && readCompacted(l.payload).replacementHistory !== null ? i : -1))
          .filter((i) => i >= 0)
          .reverse();
        const survivor = checkpoints.find((i) => rollbackReachesBefore(lines.slice(i + 1)) === 0);
        expect(full.baseCheckpointIndex).toBe(survivor ?? null);
        if (survivor === undefined) return;

        const suffix = lines.slice(survivor);
        const part = reconstructHistory(suffix);
        expect(part.baseCheckpointIndex).toBe(0);
        expect(part.history).toEqual(full.history);
        expect(part.windowLineage).toEqual(full.windowLineage);
        expect(part.sawLegacyCompaction).toBe(full.sawLegacyCompaction);

        const analysis = analyzeCheckpointSuffix(suffix);
        expect(analysis.checkpointSurvives).toBe(true);
        expect(analysis.windowResolved).toBe(true);
        if (analysis.turnMetadataResolved) {
          expect(part.previousTurnSettings).toEqual(full.previousTurnSettings);
          expect(part.referenceContext).toEqual(full.referenceContext);
        }
        if (analysis.selfContained) expect({ ...part, baseCheckpointIndex: survivor }).toEqual(full);
      }),
      RUNS,
    );
  });

  it('a checkpoint that a later rollback reaches is never the base', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { maxLength: 30 }), (actions) => {
        const { lines } = generate(actions);
        const base = reconstructHistory(lines).baseCheckpointIndex;
        if (base === null) return;
        expect(rollbackReachesBefore(lines.slice(base + 1))).toBe(0);
      }),
      RUNS,
    );
  });

  it('matches the turn-stack model: history, window, turn settings, reference context and legacy flag', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { maxLength: 30 }), (actions) => {
        const g = generate(actions);
        const { baseCheckpointIndex: _base, ...actual } = reconstructHistory(g.lines);
        expect(actual).toEqual(expectedReconstruction(g));
      }),
      RUNS,
    );
  });
});
