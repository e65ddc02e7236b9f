// Every line Codex 0.169 wrote parses and re-serializes JSON-equal; unknown variants pass
// through; malformed lines are InvalidRequest naming the field path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKnownRolloutType, parseRolloutLine, parseRolloutLineText, rolloutLineSchemas, serializeRolloutLine } from '../../src/model/rolloutLine.js';
import { walkForProblem } from '../../src/model/jsonValue.js';
import { formatIssuePath, parseOrThrow } from '../../src/model/validate.js';
import { readCompacted } from '../../src/model/compacted.js';
import { readLines, sampleRolloutFiles } from '../helpers/sample.js';
import { readFileSync } from 'node:fs';

describe('rollout line model', () => {
  it('parses every line of every sample rollout and re-serializes it JSON-equal', () => {
    let count = 0;
    for (const file of sampleRolloutFiles()) {
      const texts = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
      texts.forEach((text, i) => {
        const line = parseRolloutLineText(text, `${file}:${i + 1}`);
        expect(JSON.parse(serializeRolloutLine(line))).toEqual(JSON.parse(text));
        count++;
      });
    }
    expect(count).toBe(930);
  });

  it('keeps unknown variants and unknown top-level keys', () => {
    const line = { timestamp: 't', type: 'security_risk_score', payload: [1, { a: null }], ordinal: 3, future: { x: 1 } };
    expect(parseRolloutLine(line)).toBe(line);
    expect(JSON.parse(serializeRolloutLine(line))).toEqual(line);
  });

  it.each([
    [{ type: 'session_meta', payload: { id: 'not-a-uuid' } }, 'items[2].payload.id'],
    [{ type: 'compacted', payload: { message: 5 } }, 'items[2].payload.message'],
    [{ type: 'event_msg', payload: {} }, 'items[2].payload.type'],
    [{ payload: {} }, 'items[2].type'],
    [{ type: 'event_msg' }, 'items[2].payload'],
    [{ type: 'x', payload: 1, timestamp: 12 }, 'items[2].timestamp'],
  ])('rejects %j with InvalidRequest at %s', (value, path) => {
    expect(() => parseRolloutLine(value, 'items[2]')).toThrow(expect.objectContaining({ code: 'InvalidRequest', path }));
  });

  it('answers exactly as its schemas do (its quick checks never accept what they refuse), for any line-like value', () => {
    // parseRolloutLine spelled out with zod and the full JSON walk only: the reference.
    const reference = (value: unknown, where: string): void => {
      parseOrThrow(rolloutLineSchemas.envelope, value, where);
      const problem = walkForProblem(value, 1000);
      if (problem) throw Object.assign(new Error(problem.reason), { path: formatIssuePath(where, problem.path) });
      const line = value as { type: string; payload: unknown };
      if (isKnownRolloutType(line.type)) parseOrThrow(rolloutLineSchemas.payloads[line.type], line.payload, `${where}.payload`);
    };
    const outcome = (f: () => void) => {
      try {
        f();
        return 'ok';
      } catch (error) {
        return (error as { path?: string }).path ?? 'json';
      }
    };
    const field = fc.oneof(fc.constant(undefined), fc.constant(null), fc.constant(''), fc.string(), fc.integer(), fc.constant([]), fc.constant({}));
    const type = fc.oneof(field, fc.constantFrom('response_item', 'event_msg', 'session_meta', 'compacted', 'turn_context', 'future_kind'));
    const payload = fc.oneof(field, fc.record({ type: field }, { requiredKeys: [] }), fc.record({ type: field, id: field, message: field }, { requiredKeys: [] }), fc.constant({ big: 1n }));
    const line = fc.oneof(
      fc.record({ timestamp: field, type, payload, extra: field }, { requiredKeys: [] }),
      field,
      fc.constant([{ type: 'x', payload: 1 }]),
    );
    fc.assert(
      fc.property(line, (value) => {
        expect(outcome(() => parseRolloutLine(value, 'items[0]'))).toBe(outcome(() => reference(value, 'items[0]')));
      }),
      { numRuns: 3000 },
    );
  });

  it('names file:line for a line that is not JSON', () => {
    expect(() => parseRolloutLineText('{"type":', 'rollout.jsonl:7')).toThrow(expect.objectContaining({ code: 'InvalidRequest', path: 'rollout.jsonl:7' }));
  });
});

describe('compacted payloads', () => {
  it('reads the real compaction with its UUIDv7 lineage', () => {
    const file = sampleRolloutFiles().find((f) => f.includes('01a20db4-26e8'))!;
    const compacted = readLines(file).find((l) => l.type === 'compacted')!;
    const c = readCompacted(compacted.payload);
    expect(c.windowNumber).toBe(1);
    expect(c.windowId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(c.firstWindowId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(c.previousWindowId).toBe(c.firstWindowId);
    expect(c.replacementHistory?.length).toBeGreaterThan(0);
  });

  it('reads legacy shapes: numeric window_id becomes the number, message-only has nothing', () => {
    expect(readCompacted({ message: '', replacement_history: [], window_id: 3 })).toMatchObject({ windowNumber: 3, windowId: null });
    expect(readCompacted({ message: '', window_id: 3, window_number: 5 })).toMatchObject({ windowNumber: 5, windowId: null });
    expect(readCompacted({ message: 'sum' })).toMatchObject({ windowNumber: null, windowId: null, legacyMessageOnly: true, replacementHistory: null });
    expect(readCompacted({ message: '', window_id: '0197c3a1-2b4d-4e5f-8a9b-0c1d2e3f4a5b' }).windowId).toBeNull();
  });
});
