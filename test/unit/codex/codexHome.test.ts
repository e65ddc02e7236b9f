import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  assertCodexHome,
  isCodexHome,
  parseRolloutFileName,
  readRolloutHead,
  scanCodexHome,
} from '../../../src/codex/index.js';
import { InvalidRequestError } from '../../../src/model/errors.js';
import { makeTempDir, SAMPLE_HOME } from './helpers.js';

const REVERTED = '01a20db4-2949-7ec3-a928-5a9d22637266';
const SEGMENT = '01a20db4-2ee8-7552-8b29-89967ab0b030';

describe('parseRolloutFileName', () => {
  it('parses the plain form, reading the timestamp as UTC', () => {
    const parsed = parseRolloutFileName('rollout-2026-11-24T13-17-14-01a20db4-1043-78d3-8e6e-3373c24f660e.jsonl');
    expect(parsed).toEqual({
      threadId: '01a20db4-1043-78d3-8e6e-3373c24f660e',
      segmentId: null,
      fileTimestamp: new Date('2026-11-24T13:17:14Z'),
      timestampText: '2026-11-24T13-17-14',
      compressed: false,
    });
  });

  it('parses the revert segment form and .zst', () => {
    const parsed = parseRolloutFileName(`rollout-2026-11-24T13-17-22-${REVERTED}_${SEGMENT}.jsonl.zst`);
    expect(parsed).toMatchObject({ threadId: REVERTED, segmentId: SEGMENT, compressed: true });
    expect(parsed!.fileTimestamp.toISOString()).toBe('2026-11-24T13:17:22.000Z');
  });

  it.each([
    'rollout-2026-11-24T13-17-14-01a20db4-1043-78d3-8e6e-3373c24f660e.json',
    'rollout-2026-11-24T13-17-14-01a20db4-1043-78d3-8e6e-3373c24f660e.jsonl.gz',
    'session-2026-11-24T13-17-14-01a20db4-1043-78d3-8e6e-3373c24f660e.jsonl',
    'rollout-2026-11-24T13-17-1401a20db4-1043-78d3-8e6e-3373c24f660e.jsonl',
    'rollout-2026-11-24T13:17:14-01a20db4-1043-78d3-8e6e-3373c24f660e.jsonl',
    'rollout-2026-13-24T13-17-14-01a20db4-1043-78d3-8e6e-3373c24f660e.jsonl',
    'rollout-2026-02-30T13-17-14-01a20db4-1043-78d3-8e6e-3373c24f660e.jsonl',
    'rollout-2026-11-24T13-17-14-not-a-uuid.jsonl',
    `rollout-2026-11-24T13-17-14-${REVERTED}_nope.jsonl`,
    `rollout-2026-11-24T13-17-14-${REVERTED}_${SEGMENT}_${SEGMENT}.jsonl`,
    'rollout-.jsonl',
  ])('rejects %s', (name) => {
    expect(parseRolloutFileName(name)).toBeNull();
  });
});

describe('scanCodexHome on the real sample', () => {
  it('finds 26 rollout files, the revert segment and 2 archived ones, plus the index and the state db', async () => {
    const scan = await scanCodexHome(SAMPLE_HOME);
    expect(scan.rollouts).toHaveLength(26);
    expect(scan.skipped).toEqual([]);
    expect(scan.sessionIndexPath).toBe(join(SAMPLE_HOME, 'session_index.jsonl'));
    expect(scan.stateDbPath).toBe(join(SAMPLE_HOME, 'state_5.sqlite'));
    expect(scan.stateDbVersion).toBe(5);

    const archived = scan.rollouts.filter((r) => r.archived);
    expect(archived.map((r) => r.threadId).sort()).toEqual([
      '01a20db4-30c5-7a82-ac7f-9e2112f26290',
      '01a20db4-31a3-7a31-bb3b-b5e538506885',
    ]);
    for (const r of archived) expect(r.relativePath).toMatch(/^archived_sessions\/rollout-[^/]+\.jsonl$/);

    const segments = scan.rollouts.filter((r) => r.segmentId !== null);
    expect(segments).toHaveLength(1);
    expect(segments[0]).toMatchObject({ threadId: REVERTED, segmentId: SEGMENT, historyFileId: SEGMENT, archived: false });
    const reverted = scan.rollouts.filter((r) => r.threadId === REVERTED);
    expect(reverted.map((r) => r.segmentId)).toEqual([null, SEGMENT]); // base file first

    // 25 distinct threads; app-empty (never materialized) has no file.
    expect(new Set(scan.rollouts.map((r) => r.threadId)).size).toBe(25);
    for (const r of scan.rollouts) {
      expect(r.compressed).toBe(false);
      expect(r.size).toBeGreaterThan(0);
      expect(r.mtimeMs).toBeGreaterThan(0);
      if (!r.archived) expect(r.relativePath).toMatch(/^sessions\/2026\/11\/24\/rollout-/);
      // The name's timestamp matches the session_meta's creation second (the writer ran in UTC).
      const head = await readRolloutHead(r.path);
      expect(head!.meta.id).toBe(r.threadId);
      if (r.segmentId === null) {
        expect(r.fileTimestamp.toISOString().slice(0, 19)).toBe(head!.meta.timestamp!.slice(0, 19));
      }
    }
    const times = scan.rollouts.map((r) => r.fileTimestamp.getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('isCodexHome accepts the sample', async () => {
    expect(await isCodexHome(SAMPLE_HOME)).toBe(true);
    await expect(assertCodexHome(SAMPLE_HOME)).resolves.toBeUndefined();
  });
});

describe('scanCodexHome edge cases', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('throws InvalidRequestError naming the path for a directory that is not a CODEX_HOME', async () => {
    mkdirSync(join(tmp.dir, 'src'));
    writeFileSync(join(tmp.dir, 'README.md'), 'hi');
    expect(await isCodexHome(tmp.dir)).toBe(false);
    const error = await scanCodexHome(tmp.dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).path).toBe(tmp.dir);
    expect((error as Error).message).toContain(tmp.dir);
    expect((error as Error).message).toMatch(/not a CODEX_HOME/);
  });

  it('hints at a .codex folder inside', async () => {
    mkdirSync(join(tmp.dir, '.codex', 'sessions'), { recursive: true });
    await expect(assertCodexHome(tmp.dir)).rejects.toThrow(/did you mean .*\.codex/);
    expect(await isCodexHome(join(tmp.dir, '.codex'))).toBe(true);
  });

  it('rejects a missing directory and a file', async () => {
    await expect(scanCodexHome(join(tmp.dir, 'nope'))).rejects.toThrow(/does not exist/);
    writeFileSync(join(tmp.dir, 'file'), '');
    await expect(scanCodexHome(join(tmp.dir, 'file'))).rejects.toThrow(/not a directory/);
  });

  it('lists plain over .zst, keeps .zst-only files; reports the shadowed .zst, unparseable rollout names and other files', async () => {
    const day = join(tmp.dir, 'sessions', '2025', '01', '02');
    mkdirSync(day, { recursive: true });
    mkdirSync(join(tmp.dir, 'archived_sessions'));
    const a = 'rollout-2025-01-02T10-00-00-0197c3a1-2b4d-7e5f-8a9b-0c1d2e3f4a5b.jsonl';
    const b = 'rollout-2025-01-02T09-00-00-0197c3a1-2b4d-7e5f-8a9b-0c1d2e3f4a5c.jsonl.zst';
    writeFileSync(join(day, a), '{}\n');
    writeFileSync(join(day, `${a}.zst`), 'x');
    writeFileSync(join(day, b), 'x');
    writeFileSync(join(day, 'rollout-garbage.jsonl'), '');
    writeFileSync(join(day, 'notes.txt'), '');
    copyFileSync(join(SAMPLE_HOME, 'session_index.jsonl'), join(tmp.dir, 'session_index.jsonl'));
    writeFileSync(join(tmp.dir, 'state_3.sqlite'), '');
    const scan = await scanCodexHome(tmp.dir);
    expect(scan.rollouts.map((r) => [r.relativePath, r.compressed, r.alsoCompressed])).toEqual([
      [`sessions/2025/01/02/${b}`, true, false],
      [`sessions/2025/01/02/${a}`, false, true],
    ]);
    expect(scan.skipped).toEqual([
      { path: join(day, 'notes.txt'), reason: expect.stringMatching(/not a rollout file/) },
      { path: join(day, 'rollout-garbage.jsonl'), reason: expect.stringMatching(/file name is not rollout-/) },
      { path: join(day, `${a}.zst`), reason: expect.stringMatching(/plain file wins/) },
    ]);
    expect(scan.stateDbPath).toBe(join(tmp.dir, 'state_3.sqlite'));
    expect(scan.stateDbVersion).toBe(3);
  });

  it('honours sqliteHome and returns nulls when the index and db are absent', async () => {
    mkdirSync(join(tmp.dir, 'home', 'sessions'), { recursive: true });
    mkdirSync(join(tmp.dir, 'sqlite'));
    let scan = await scanCodexHome(join(tmp.dir, 'home'));
    expect(scan).toMatchObject({ rollouts: [], sessionIndexPath: null, stateDbPath: null, stateDbVersion: null });
    writeFileSync(join(tmp.dir, 'sqlite', 'state_5.sqlite'), '');
    scan = await scanCodexHome(join(tmp.dir, 'home'), { sqliteHome: join(tmp.dir, 'sqlite') });
    expect(scan.stateDbPath).toBe(join(tmp.dir, 'sqlite', 'state_5.sqlite'));
  });
});
