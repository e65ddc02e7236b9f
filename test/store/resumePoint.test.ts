// The resume point on the threads row (src/store/postgres/resumePoint.ts) through every path that
// writes checkpoints other than live appends (those are in reconstructHistory.test.ts): an import
// of the real app-compact thread, its re-import after Codex appended the compaction turn, a fork
// that becomes standalone when its base is deleted, and the backfill of migration 0008. Each time
// the one-statement resume (fastResume) answers, starting at the compaction turn's first line, and
// agrees with reconstruction from every line.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCodexHome } from '../../src/codex/import/index.js';
import type { Database } from '../../src/db/database.js';
import { reconstructHistory } from '../../src/history/index.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { fastResume } from '../../src/store/postgres/reconstructHistory.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { readLines, sampleFileFor } from '../helpers/sample.js';
import { event, message, turnLines } from '../contract/helpers.js';

// app-compact: 5 turns, then a turn whose line 50 is task_started and line 55 the `compacted` line
// with replacement_history and window ids, then 2 more turns (80 lines, session_meta at 0).
const COMPACT = '01a20db4-26e8-75f0-968a-c177fae5649a';
const TURN_START = 50;
const CHECKPOINT = 55;

let test: TestDatabase;
let owner: Database;
let service: PostgresThreadStoreService;
let home: string;
let file: string;
const tenant = randomUUID();

interface ResumePoint {
  checkpoint: number | null;
  start: number;
  before: number;
}

async function resumePoints(): Promise<Map<string, ResumePoint>> {
  return owner.withSession(async (s) => {
    const { rows } = await s.query<{ id: string; checkpoint: number | null; start: number; before: number }>(
      `SELECT id, resume_checkpoint_seq AS checkpoint, resume_seq AS start, compactions_before_resume AS before
         FROM thread_store.threads WHERE tenant_id = $1`,
      [tenant],
    );
    return new Map(rows.map((r) => [r.id, { checkpoint: r.checkpoint === null ? null : Number(r.checkpoint), start: Number(r.start), before: Number(r.before) }]));
  });
}

/** fastResume must answer, and agree with reconstruction from every stored line. */
async function expectFastResumeAgrees(threadId: string): Promise<{ checkpointSeq: number | null; itemsRead: number }> {
  const fast = await fastResume(service.database, tenant, threadId, false);
  expect(fast).not.toBeNull();
  const { items } = await service.forTenant(tenant).loadHistory({ threadId });
  const { baseCheckpointIndex: _a, ...full } = reconstructHistory(items);
  const { baseCheckpointIndex: _b, itemsRead, checkpointSeq, ...answered } = fast!;
  expect(answered).toEqual(full);
  return { checkpointSeq, itemsRead };
}

beforeAll(async () => {
  test = await createTestDatabase();
  owner = await test.openOwner();
  service = await test.openStore();
  home = await mkdtemp(join(tmpdir(), 'ts-resume-point-'));
  const dir = join(home, 'sessions', '2026', '11', '24');
  await mkdir(dir, { recursive: true });
  file = join(dir, basename(sampleFileFor(COMPACT)));
}, 60_000);

afterAll(async () => {
  await service?.close();
  await test?.drop();
  await rm(home, { recursive: true, force: true });
});

describe('resume point kept on the threads row', () => {
  const original = () => readFile(sampleFileFor(COMPACT), 'utf8');

  it('an import without a compaction yet: no checkpoint, read from the start', async () => {
    const lines = (await original()).split('\n');
    await writeFile(file, `${lines.slice(0, TURN_START).join('\n')}\n`);
    const summary = await importCodexHome({ store: service.forTenant(tenant), codexHome: home, useStateDb: false });
    expect(summary.threads.imported).toBe(1);
    expect((await resumePoints()).get(COMPACT)).toEqual({ checkpoint: null, start: 0, before: 0 });
    expect(await expectFastResumeAgrees(COMPACT)).toEqual({ checkpointSeq: null, itemsRead: TURN_START });
  });

  it('re-imported after Codex wrote the compaction turn: starts at that turn', async () => {
    await writeFile(file, await original());
    const summary = await importCodexHome({ store: service.forTenant(tenant), codexHome: home, useStateDb: false });
    expect(summary.threads.updated).toBe(1);
    const stored = (await service.forTenant(tenant).loadHistory({ threadId: COMPACT })).items;
    const sample = readLines(sampleFileFor(COMPACT));
    // The row's seqs are the file's line numbers (0-based) here, so the fixture pins them.
    expect(stored).toHaveLength(sample.length);
    expect(stored[CHECKPOINT]!.type).toBe('compacted');
    expect(stored[TURN_START]!.payload).toMatchObject({ type: 'task_started' });
    expect((await resumePoints()).get(COMPACT)).toEqual({ checkpoint: CHECKPOINT, start: TURN_START, before: 0 });
    expect(await expectFastResumeAgrees(COMPACT)).toEqual({ checkpointSeq: CHECKPOINT, itemsRead: sample.length - TURN_START });
  });

  it('a fork gets its own resume point when its base is deleted', async () => {
    const store = service.forTenant(tenant);
    const fork = randomUUID();
    await store.forkThread({ sourceThreadId: COMPACT, newThreadId: fork });
    // While it reads through its base, resume takes the general path.
    expect(await fastResume(service.database, tenant, fork, false)).toBeNull();
    const before = await store.loadHistory({ threadId: fork });
    await store.deleteThread({ threadId: COMPACT });
    const items: RolloutLine[] = (await store.loadHistory({ threadId: fork })).items;
    expect(items).toEqual(before.items);
    const checkpoint = items.findLastIndex((l) => l.type === 'compacted');
    const start = items.findLastIndex((l, i) => i < checkpoint && (l.payload as { type?: string }).type === 'task_started');
    expect(checkpoint).toBeGreaterThan(CHECKPOINT);
    expect((await resumePoints()).get(fork)).toEqual({ checkpoint, start, before: 0 });
    expect((await expectFastResumeAgrees(fork)).checkpointSeq).toBe(checkpoint);
  });

  it("migration 0008's backfill computes what the write paths keep", async () => {
    // More threads with checkpoints, written live: the sample's turns, then n more compaction turns.
    const store = service.forTenant(tenant);
    const sample = readLines(sampleFileFor(COMPACT)).slice(1);
    const compactionTurn = (turnId: string): RolloutLine[] => [
      event('task_started', { turn_id: turnId }),
      { type: 'turn_context', payload: { turn_id: turnId, model: 'm', cwd: '/w' } },
      { type: 'compacted', payload: { message: 's', replacement_history: [message('user', `summary ${turnId}`).payload] } },
      event('task_complete', { turn_id: turnId }),
    ];
    for (let n = 0; n < 3; n++) {
      const threadId = randomUUID();
      await store.createThread({ threadId, source: 'cli', originator: 't', metadata: { cwd: '/w', modelProvider: 'p' } });
      await store.appendItems({ threadId, items: sample.slice(0, 62) });
      for (let k = 0; k < n; k++) await store.appendItems({ threadId, items: [...turnLines(randomUUID(), `q${k}`), ...compactionTurn(randomUUID())] });
      await store.shutdownThread(threadId);
    }
    const kept = await resumePoints();
    expect([...kept.values()].filter((p) => p.checkpoint !== null).length).toBeGreaterThanOrEqual(4);
    expect([...kept.values()].some((p) => p.before > 0)).toBe(true);

    const migration = await readFile(new URL('../../drizzle/0008_resume_point.sql', import.meta.url), 'utf8');
    const backfill = migration.split('--> statement-breakpoint').map((s) => s.trim()).find((s) => /^(--[^\n]*\n)*UPDATE/.test(s));
    expect(backfill).toBeDefined();
    await owner.withSession(async (s) => {
      await s.query(`UPDATE thread_store.threads SET resume_checkpoint_seq = NULL, resume_seq = 0, compactions_before_resume = 0 WHERE tenant_id = $1`, [tenant]);
      await s.query(backfill!);
    });
    expect(await resumePoints()).toEqual(kept);
  });
});
