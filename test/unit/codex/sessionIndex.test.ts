import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatSessionIndexLine, readSessionIndex } from '../../../src/codex/index.js';
import { InvalidRequestError } from '../../../src/model/errors.js';
import { makeTempDir, SAMPLE_HOME } from './helpers.js';

const A = '01a20db4-1e3b-7923-9f53-23837db4b2a5';
const B = '0197c3a1-2b4d-7e5f-8a9b-0c1d2e3f4a5b';
const C = '0197c3a1-2b4d-7e5f-8a9b-0c1d2e3f4a5c';

describe('readSessionIndex', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('reads the sample: 7 lines, 6 named threads, the last rename wins', async () => {
    const index = await readSessionIndex(join(SAMPLE_HOME, 'session_index.jsonl'));
    expect(index.problems).toEqual([]);
    expect(index.entries).toBe(7);
    expect(index.names.size).toBe(6);
    expect(index.names.get(A)).toEqual({
      id: A,
      name: 'Unicode 🚀 thread (renamed)',
      updatedAt: '2026-11-24T13:17:18.219480878Z',
      lineNumber: 2,
    });
    expect(index.names.get('01a20db4-46fe-7092-afbf-74d7bbf8b11a')?.name).toBe('fix timeout');
    expect(index.names.get('01a20db4-31a3-7a31-bb3b-b5e538506885')?.name).toBe('Archived but named 📦');
  });

  it('last non-empty trimmed name wins; empty names are no name; bad lines are reported with file:line', async () => {
    const path = join(tmp.dir, 'session_index.jsonl');
    const lines = [
      formatSessionIndexLine({ id: B, thread_name: 'first', updated_at: '2025-01-01T00:00:00Z' }), // 1
      formatSessionIndexLine({ id: C, thread_name: '  spaced\u2028name  ', updated_at: '2025-01-01T00:00:00Z' }), // 2
      '{"id":"nope","thread_name":"x","updated_at":"t"}\n', // 3 bad id
      'garbage\n', // 4
      '\n', // 5
      formatSessionIndexLine({ id: B, thread_name: 'second', updated_at: '2025-01-02T00:00:00Z' }), // 6
      formatSessionIndexLine({ id: B, thread_name: '   ', updated_at: '2025-01-03T00:00:00Z' }), // 7 cleared
      '{"id":"0197c3a1-2b4d-7e5f-8a9b-0c1d2e3f4a5b","thread_name":"trunc', // 8 truncated
    ];
    writeFileSync(path, lines.join(''));
    const index = await readSessionIndex(path);
    expect(index.names.get(B)).toMatchObject({ name: 'second', lineNumber: 6 });
    expect(index.names.get(C)).toMatchObject({ name: 'spaced\u2028name', lineNumber: 2 });
    expect(index.latest.get(B)).toMatchObject({ thread_name: '   ', lineNumber: 7 });
    expect(index.entries).toBe(4);
    expect(index.problems.map((p) => [p.file, p.line])).toEqual([
      [path, 3],
      [path, 4],
      [path, 8],
    ]);
    expect(index.problems[2]!.reason).toMatch(/truncated last line/);
  });

  it('reads a missing file as empty', async () => {
    const index = await readSessionIndex(join(tmp.dir, 'session_index.jsonl'));
    expect(index.names.size).toBe(0);
    expect(index.problems).toEqual([]);
  });
});

describe('formatSessionIndexLine', () => {
  it('reproduces the sample file byte for byte', () => {
    const text = readFileSync(join(SAMPLE_HOME, 'session_index.jsonl'), 'utf8');
    const rebuilt = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => formatSessionIndexLine(JSON.parse(l) as { id: string; thread_name: string; updated_at: string }))
      .join('');
    expect(rebuilt).toBe(text);
  });

  it('writes Dates as RFC 3339 UTC, a cleared name as "", and validates the id', () => {
    expect(formatSessionIndexLine({ id: B, thread_name: null, updated_at: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)) })).toBe(
      `{"id":"${B}","thread_name":"","updated_at":"2025-01-02T03:04:05.006Z"}\n`,
    );
    expect(() => formatSessionIndexLine({ id: 'x', thread_name: 'a', updated_at: 't' })).toThrow(InvalidRequestError);
    expect(formatSessionIndexLine({ id: B, thread_name: 'a\nb"\u2028', updated_at: 't' })).toBe(
      `{"id":"${B}","thread_name":"a\\nb\\"\u2028","updated_at":"t"}\n`,
    );
  });
});
