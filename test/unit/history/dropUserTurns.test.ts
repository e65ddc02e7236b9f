// Codex `drop_last_n_user_turns` and the legacy `build_compacted_history` it works with.
import { describe, expect, it } from 'vitest';
import {
  SUMMARY_PREFIX,
  approxTokenCount,
  buildCompactedHistory,
  collectUserMessages,
  dropLastNUserTurns,
  truncateMiddleToTokens,
} from '../../../src/history/index.js';
import { assistantMsg, developerMsg, envContext, userMsg } from './builders.js';

const dev = developerMsg('<permissions instructions>\nsandbox\n</permissions instructions>');
const env = envContext();
const u1 = userMsg('one');
const a1 = assistantMsg('r1');
const u2 = userMsg('two');
const a2 = assistantMsg('r2');
const u3 = userMsg('three');
const a3 = assistantMsg('r3');
const history = [dev, env, u1, a1, u2, a2, u3, a3];

describe('dropLastNUserTurns', () => {
  it('n = 0 is a no-op', () => {
    expect(dropLastNUserTurns(history, 0)).toEqual(history);
  });

  it('cuts at the n-th user message from the end', () => {
    expect(dropLastNUserTurns(history, 1)).toEqual([dev, env, u1, a1, u2, a2]);
    expect(dropLastNUserTurns(history, 2)).toEqual([dev, env, u1, a1]);
  });

  it('n >= count cuts at the first user message and keeps the context prefix before it', () => {
    expect(dropLastNUserTurns(history, 3)).toEqual([dev, env]);
    expect(dropLastNUserTurns(history, 99)).toEqual([dev, env]);
  });

  it('contextual user messages (environment context) are not user turns', () => {
    const withMidEnv = [u1, a1, env, u2, a2];
    expect(dropLastNUserTurns(withMidEnv, 1)).toEqual([u1, a1, env]);
  });

  it('no user message at all is a no-op', () => {
    expect(dropLastNUserTurns([dev, env, a1], 2)).toEqual([dev, env, a1]);
  });

  it('a compaction summary is not a user turn', () => {
    const summary = userMsg(`${SUMMARY_PREFIX}\nwhat happened`);
    expect(dropLastNUserTurns([u1, u2, summary, u3, a3], 1)).toEqual([u1, u2, summary]);
    expect(dropLastNUserTurns([u1, u2, summary, u3, a3], 2)).toEqual([u1]);
  });

  it('optionally trims the context updates injected just before the cut turn (newer Codex)', () => {
    const h = [dev, env, u1, a1, dev, env, u2, a2];
    expect(dropLastNUserTurns(h, 1)).toEqual([dev, env, u1, a1, dev, env]);
    expect(dropLastNUserTurns(h, 1, { trimPreTurnContextUpdates: true })).toEqual([dev, env, u1, a1]);
  });

  it('returns a new array and leaves the input alone', () => {
    const input = [...history];
    const out = dropLastNUserTurns(input, 1);
    expect(out).not.toBe(input);
    expect(input).toEqual(history);
  });
});

describe('legacy compacted history', () => {
  it('collects the real user messages only', () => {
    expect(collectUserMessages([dev, env, u1, a1, userMsg(`${SUMMARY_PREFIX}\nold`), u2])).toEqual(['one', 'two']);
  });

  it('is the prior user messages followed by the summary, each as a user message', () => {
    expect(buildCompactedHistory([], ['one', 'two'], 'SUMMARY')).toEqual([userMsg('one'), userMsg('two'), userMsg('SUMMARY')]);
  });

  it('uses a placeholder for an empty summary', () => {
    expect(buildCompactedHistory([], [], '')).toEqual([userMsg('(no summary available)')]);
  });

  it('keeps the newest messages within the token budget and middle-truncates the one that overflows', () => {
    const big = 'word '.repeat(200);
    const out = buildCompactedHistory([], ['dropped entirely', big, 'newest'], 'S', 16);
    expect(out).toHaveLength(3);
    const truncated = (out[0] as ReturnType<typeof userMsg>).content[0].text;
    expect(truncated).toContain('tokens truncated');
    expect(truncated).not.toBe(big);
    expect(out[1]).toEqual(userMsg('newest'));
  });

  it('approximates tokens and truncates like Codex (4 bytes per token, UTF-8 safe)', () => {
    expect(approxTokenCount('abcde')).toBe(2);
    expect(truncateMiddleToTokens('abcdef', 0)).toBe('…2 tokens truncated…');
    expect(truncateMiddleToTokens('😀😀😀😀😀😀😀😀😀😀\nsecond line with text\n', 8)).toBe(
      '😀😀😀😀…8 tokens truncated… line with text\n',
    );
    expect(truncateMiddleToTokens('short', 100)).toBe('short');
  });
});
