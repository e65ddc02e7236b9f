import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  archivedPathFor,
  formatRolloutLine,
  formatRolloutTimestamp,
  parseRolloutFileName,
  readRolloutFile,
  rolloutFileName,
  scanCodexHome,
  sessionsPathFor,
  writeRolloutFile,
} from '../../../src/codex/index.js';
import { ConflictError, InvalidRequestError } from '../../../src/model/errors.js';
import type { RolloutLine } from '../../../src/model/rolloutLine.js';
import { makeTempDir, SAMPLE_HOME, sampleRolloutFiles } from './helpers.js';

const T = '01a20db4-2949-7ec3-a928-5a9d22637266';
const S = '01a20db4-2ee8-7552-8b29-89967ab0b030';
// 2026-11-24 23:30:05.789 UTC = 2026-11-25 00:30:05 in Paris (CET, UTC+1).
const CREATED = new Date('2026-11-24T23:30:05.789Z');

describe('rollout file names and paths', () => {
  it('formats names in UTC by default and they parse back to the creation second', () => {
    const name = rolloutFileName(CREATED, T);
    expect(name).toBe(`rollout-2026-11-24T23-30-05-${T}.jsonl`);
    expect(parseRolloutFileName(name)!.fileTimestamp.toISOString()).toBe('2026-11-24T23:30:05.000Z');
    expect(rolloutFileName(CREATED, T, S)).toBe(`rollout-2026-11-24T23-30-05-${T}_${S}.jsonl`);
    expect(rolloutFileName(CREATED, T, null, { compressed: true })).toBe(`rollout-2026-11-24T23-30-05-${T}.jsonl.zst`);
  });

  it('reproduces every sample file name from its session_meta timestamp (the sample was written in UTC)', async () => {
    const scan = await scanCodexHome(SAMPLE_HOME);
    for (const r of scan.rollouts) {
      const name = r.relativePath.split('/').at(-1)!;
      expect(rolloutFileName(r.fileTimestamp, r.threadId, r.segmentId)).toBe(name);
      const expected = r.archived
        ? archivedPathFor(r.fileTimestamp, r.threadId, r.segmentId, { codexHome: SAMPLE_HOME })
        : sessionsPathFor(r.fileTimestamp, r.threadId, r.segmentId, { codexHome: SAMPLE_HOME });
      expect(expected).toBe(r.path);
    }
  });

  it('takes a time zone for both the name and the date folders', () => {
    expect(sessionsPathFor(CREATED, T)).toBe(join('sessions', '2026', '11', '24', `rollout-2026-11-24T23-30-05-${T}.jsonl`));
    expect(sessionsPathFor(CREATED, T, null, { timeZone: 'Europe/Paris' })).toBe(
      join('sessions', '2026', '11', '25', `rollout-2026-11-25T00-30-05-${T}.jsonl`),
    );
    expect(rolloutFileName(CREATED, T, null, { timeZone: 'America/New_York' })).toBe(
      `rollout-2026-11-24T18-30-05-${T}.jsonl`,
    );
    expect(archivedPathFor(CREATED, T, S, { codexHome: '/h' })).toBe(
      join('/h', 'archived_sessions', `rollout-2026-11-24T23-30-05-${T}_${S}.jsonl`),
    );
    const local = rolloutFileName(CREATED, T, null, { timeZone: 'local' });
    expect(parseRolloutFileName(local)?.threadId).toBe(T);
  });

  it('validates ids, dates and zones', () => {
    expect(() => rolloutFileName(CREATED, 'nope')).toThrow(InvalidRequestError);
    expect(() => rolloutFileName(CREATED, T, 'nope')).toThrow(InvalidRequestError);
    expect(() => rolloutFileName(new Date(Number.NaN), T)).toThrow(InvalidRequestError);
    expect(() => rolloutFileName(CREATED, T, null, { timeZone: 'Mars/Olympus' })).toThrow(InvalidRequestError);
  });

  it('formats line timestamps like Codex', () => {
    expect(formatRolloutTimestamp(CREATED)).toBe('2026-11-24T23:30:05.789Z');
  });
});

describe('writeRolloutFile', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('rewrites every sample rollout byte for byte from its parsed lines, with matching offsets', async () => {
    for (const file of sampleRolloutFiles()) {
      const reader = readRolloutFile(file);
      const offsets: [number, number][] = [];
      const target = join(tmp.dir, 'out', file.split('/').at(-1)!);
      async function* lines(): AsyncGenerator<RolloutLine> {
        for await (const record of reader) {
          offsets.push([record.byteOffset, record.endByteOffset]);
          yield record.line;
        }
      }
      const written: [number, number][] = [];
      const result = await writeRolloutFile(target, lines(), {
        onLine: ({ byteOffset, endByteOffset }) => written.push([byteOffset, endByteOffset]),
      });
      expect(readFileSync(target).equals(readFileSync(file)), file).toBe(true);
      expect(result.bytes).toBe(readFileSync(file).length);
      expect(written).toEqual(offsets);
    }
  });

  it('refuses to overwrite unless asked, and leaves no temp files behind', async () => {
    const path = join(tmp.dir, 'sessions', '2025', '01', '01', 'r.jsonl');
    const line: RolloutLine = { timestamp: '2025-01-01T00:00:00.000Z', type: 'event_msg', payload: { type: 'x', s: 'a\u2028b' } };
    await writeRolloutFile(path, [line]);
    await expect(writeRolloutFile(path, [line, line])).rejects.toThrow(ConflictError);
    expect(readFileSync(path, 'utf8')).toBe(formatRolloutLine(line));
    const result = await writeRolloutFile(path, [line, line], { overwrite: true });
    expect(result.lines).toBe(2);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(3);
    expect(readdirSync(join(tmp.dir, 'sessions', '2025', '01', '01'))).toEqual(['r.jsonl']);
  });

  it('validates lines and removes the partial file on error', async () => {
    const path = join(tmp.dir, 'bad.jsonl');
    const good: RolloutLine = { timestamp: 't', type: 'event_msg', payload: { type: 'x' } };
    await expect(writeRolloutFile(path, [good, { type: 'event_msg', payload: { type: 'x' } }])).rejects.toThrow(
      /lines\[1\]\.timestamp/,
    );
    await expect(
      writeRolloutFile(path, [{ timestamp: 't', type: 'session_meta', payload: { id: 'nope' } }]),
    ).rejects.toThrow(InvalidRequestError);
    expect(readdirSync(tmp.dir)).toEqual([]);
    writeFileSync(join(tmp.dir, 'keep'), '');
    await writeRolloutFile(path, [{ type: 'x', payload: 1 }], { validate: false });
    expect(readFileSync(path, 'utf8')).toBe('{"type":"x","payload":1}\n');
  });
});
