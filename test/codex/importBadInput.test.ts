// Bad input never stops an import: a folder that is not a CODEX_HOME is refused with a clear
// message; an unreadable file, garbled lines, a truncated last line, a rollout without a
// session_meta and duplicate thread ids are each reported naming the file (and line), and every
// other thread is imported.
import { randomUUID } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCodexHome, type ImportSummary } from '../../src/codex/import/index.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { sampleFileFor } from '../helpers/sample.js';

const GOOD = '01a20db4-1043-78d3-8e6e-3373c24f660e';
const GARBLED = '01a20db4-2011-7992-a2f3-beeb56a74052';
const TRUNCATED = '01a20db4-1338-7183-9666-e400261da2ff';
const NO_META = '01a20db4-2257-7ba0-bbde-2ccb56f9ad2d';
const DUPLICATE = '01a20db4-3315-7403-8a1d-6ea797264461';
const UNREADABLE = '01a20db4-aaaa-7aaa-8aaa-aaaaaaaaaaaa';

let test: TestDatabase;
let service: PostgresThreadStoreService;
let home: string;
let summary: ImportSummary;
const day = () => join(home, 'sessions', '2026', '11', '24');

async function lines(threadId: string): Promise<string[]> {
  return (await readFile(sampleFileFor(threadId), 'utf8')).split('\n').filter((l) => l !== '');
}

beforeAll(async () => {
  test = await createTestDatabase();
  service = await test.openStore();
  home = await mkdtemp(join(tmpdir(), 'ts-bad-home-'));
  await mkdir(day(), { recursive: true });
  await mkdir(join(home, 'archived_sessions'));
  await copyFile(sampleFileFor(GOOD), join(day(), basename(sampleFileFor(GOOD))));

  const garbled = await lines(GARBLED);
  garbled[4] = '{"timestamp":"2026-11-24T13:17:18.400Z","type":"response_item","payload":{"type":"mess';
  garbled[6] = 'not json at all';
  await writeFile(join(day(), basename(sampleFileFor(GARBLED))), `${garbled.join('\n')}\n`);

  const truncated = await lines(TRUNCATED);
  const last = truncated.pop()!;
  await writeFile(join(day(), basename(sampleFileFor(TRUNCATED))), `${truncated.join('\n')}\n${last.slice(0, 40)}`);

  const noMeta = await lines(NO_META);
  await writeFile(join(day(), basename(sampleFileFor(NO_META))), `${noMeta.slice(1).join('\n')}\n`);

  const dup = sampleFileFor(DUPLICATE);
  await copyFile(dup, join(day(), basename(dup)));
  await copyFile(dup, join(home, 'archived_sessions', basename(dup)));
  await utimes(join(home, 'archived_sessions', basename(dup)), new Date(2026, 0, 1), new Date(2026, 0, 1));

  const unreadable = join(day(), `rollout-2026-11-24T13-17-30-${UNREADABLE}.jsonl`);
  if (process.getuid?.() === 0) {
    // root reads any file: a path whose read fails (EIO) stands in for a permission problem.
    await symlink('/proc/self/mem', unreadable);
  } else {
    await writeFile(unreadable, 'x\n');
    await chmod(unreadable, 0o000);
  }
  await writeFile(join(home, 'session_index.jsonl'), `{"id":"${GOOD}","thread_name":"good one","updated_at":"2026-11-24T13:17:18Z"}\n{oops\n`);

  summary = await importCodexHome({ store: service.forTenant(randomUUID()), codexHome: home });
}, 120_000);

afterAll(async () => {
  await service.close();
  await test.drop();
  await rm(home, { recursive: true, force: true });
});

const problemFor = (file: string) => summary.problems.filter((p) => p.file.endsWith(file));

describe('import of a damaged CODEX_HOME', () => {
  it('imports every thread it can read', () => {
    expect(summary.threads.imported).toBe(4); // good, garbled, truncated, duplicate
    expect(summary.threads.failed).toBe(0);
    expect(summary.interrupted).toBe(false);
  });

  it('reports garbled lines with file:line and keeps the rest of the file', () => {
    const problems = problemFor(basename(sampleFileFor(GARBLED)));
    expect(problems.map((p) => [p.kind, p.line])).toEqual([
      ['line', 5],
      ['line', 7],
    ]);
    expect(problems[0]!.reason).toMatch(/not valid JSON/);
    expect(summary.skippedLinesByReason['not valid JSON']).toBe(2);
  });

  it('reports a truncated last line and keeps the lines before it', () => {
    const problems = problemFor(basename(sampleFileFor(TRUNCATED)));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'line', line: 41 });
    expect(problems[0]!.reason).toMatch(/^truncated last line/);
    expect(summary.skippedLinesByReason['truncated last line']).toBe(1);
  });

  it('skips a rollout without a session_meta, naming the file', () => {
    const problems = problemFor(basename(sampleFileFor(NO_META)));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'file' });
    expect(problems[0]!.reason).toMatch(/no session_meta/);
  });

  it('keeps one copy of a duplicated thread id and names the skipped copy', () => {
    const problems = summary.problems.filter((p) => p.reason.includes('duplicate'));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.file).toBe(join(home, 'archived_sessions', basename(sampleFileFor(DUPLICATE))));
    expect(problems[0]!.reason).toContain(join(day(), basename(sampleFileFor(DUPLICATE))));
  });

  it('reports an unreadable file by name', () => {
    const problems = problemFor(`${UNREADABLE}.jsonl`);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.kind).toBe('file');
    expect(problems[0]!.reason).toMatch(/cannot read|no session_meta/);
  });

  it('reports a garbled session_index.jsonl line and still uses the others', async () => {
    expect(summary.problems.some((p) => p.file.endsWith('session_index.jsonl') && p.line === 2)).toBe(true);
    const thread = await service.forTenant(summary.tenantId).readThread({ threadId: GOOD });
    expect(thread.name).toBe('good one');
  });

  it('refuses a folder that is not a CODEX_HOME, naming it', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'ts-not-home-'));
    try {
      await expect(importCodexHome({ store: service.forTenant(randomUUID()), codexHome: empty })).rejects.toThrow(/not a CODEX_HOME/);
      await expect(importCodexHome({ store: service.forTenant(randomUUID()), codexHome: join(empty, 'missing') })).rejects.toThrow(/does not exist/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
