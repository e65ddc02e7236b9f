// A CODEX_HOME laid out by a hostile or careless hand (issue 15, points 6, 2 and 4 for files): every
// entry under sessions/ and archived_sessions/ that is not imported is reported once, with its path
// and the real reason — a folder named like a rollout, a FIFO (never opened), a dangling symlink,
// symlinks looping to each other, a folder linked back up the tree or linked twice (each folder is
// read once), a corrupt .zst, a stray file; a rollout whose file name and session_meta spell the
// thread id in upper case is imported under the lower-case id and stays resumable; a line nested
// deeper than the JSON limit is reported as a skipped line and the rest of its thread kept.
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCodexHome, SIDECAR_FILE, type ImportSummary } from '../../src/codex/import/index.js';
import { LiveThread } from '../../src/live/LiveThread.js';
import { MAX_JSON_DEPTH } from '../../src/model/jsonValue.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { sampleFileFor } from '../helpers/sample.js';

const GOOD = '01a20db4-1043-78d3-8e6e-3373c24f660e';
const OUTSIDE = '01a20db4-1338-7183-9666-e400261da2ff';
const DEEP = '01a20db4-2011-7992-a2f3-beeb56a74052';
const UPPER = '01a20db4-1e3b-7923-9f53-23837db4b2a5';
const rolloutName = (id: string, suffix = '.jsonl') => `rollout-2026-11-24T13-17-40-${id}${suffix}`;

let test: TestDatabase;
let service: PostgresThreadStoreService;
let home: string;
let outside: string;
let summary: ImportSummary;
const tenantId = randomUUID();
const day = () => join(home, 'sessions', '2026', '11', '24');
/** Path → the reason it must be reported with (each exactly once). */
const expected = new Map<string, RegExp>();

async function lines(threadId: string): Promise<string[]> {
  return (await readFile(sampleFileFor(threadId), 'utf8')).split('\n').filter((l) => l !== '');
}

beforeAll(async () => {
  test = await createTestDatabase();
  service = await test.openStore();
  home = await mkdtemp(join(tmpdir(), 'ts-hostile-home-'));
  outside = await mkdtemp(join(tmpdir(), 'ts-hostile-outside-'));
  await mkdir(day(), { recursive: true });
  await mkdir(join(home, 'archived_sessions'));
  await copyFile(sampleFileFor(GOOD), join(day(), basename(sampleFileFor(GOOD))));

  // A folder named like a rollout file.
  const folder = join(day(), rolloutName(randomUUID()));
  await mkdir(folder);
  expected.set(folder, /folder.*named like a rollout file/);
  // A FIFO: opening it would block the import forever.
  const fifo = join(day(), rolloutName(randomUUID()));
  execFileSync('mkfifo', [fifo]);
  expected.set(fifo, /named pipe \(FIFO\)/);
  // A dangling symlink.
  const dangling = join(day(), rolloutName(randomUUID()));
  await symlink('/nonexistent/rollout.jsonl', dangling);
  expected.set(dangling, /dangling symbolic link.*\/nonexistent\/rollout\.jsonl/);
  // Two links pointing at each other.
  const [loopA, loopB] = [join(day(), rolloutName(randomUUID())), join(day(), rolloutName(randomUUID()))];
  await symlink(loopB, loopA);
  await symlink(loopA, loopB);
  expected.set(loopA, /symbolic link loop/);
  expected.set(loopB, /symbolic link loop/);
  // A folder linked back up the tree, and the day folder linked again from archived_sessions.
  const back = join(home, 'sessions', '2026', '11', 'back');
  await symlink('..', back);
  expected.set(back, /the same folder as .*sessions.*read once/);
  const mirror = join(home, 'archived_sessions', 'mirror');
  await symlink(day(), mirror);
  expected.set(mirror, /the same folder as .*24.*read once/);
  // A folder outside the tree, linked twice: read (and its thread imported) once.
  await copyFile(sampleFileFor(OUTSIDE), join(outside, basename(sampleFileFor(OUTSIDE))));
  await symlink(outside, join(home, 'sessions', '2026', '12'));
  const secondLink = join(home, 'sessions', '2026', '13');
  await symlink(outside, secondLink);
  expected.set(secondLink, /the same folder as .*2026\/12.*read once/);
  // A corrupt .zst.
  const zst = join(day(), rolloutName(randomUUID(), '.jsonl.zst'));
  await writeFile(zst, Buffer.from('this is not zstd at all, just bytes'));
  expected.set(zst, /compressed stream/);
  // A stray file.
  const stray = join(day(), 'notes.txt');
  await writeFile(stray, 'hello');
  expected.set(stray, /not a rollout file/);

  // A line nested far deeper than the JSON limit, in an otherwise good thread.
  const deep = await lines(DEEP);
  const nested = `${'['.repeat(5000)}"bottom"${']'.repeat(5000)}`; // as text: JSON.stringify could not write it
  deep.splice(3, 0, `{"timestamp":"2026-11-24T13:17:18.500Z","type":"event_msg","payload":{"type":"tool_output","value":${nested}}}`);
  await writeFile(join(day(), basename(sampleFileFor(DEEP))), `${deep.join('\n')}\n`);

  // Upper-case ids in the file name and in session_meta.
  const upper = (await lines(UPPER)).map((l) => l.replaceAll(UPPER, UPPER.toUpperCase()));
  await writeFile(join(day(), basename(sampleFileFor(UPPER)).replace(UPPER, UPPER.toUpperCase())), `${upper.join('\n')}\n`);

  // Our own sidecar, tampered with: facts nested far too deep for the good thread.
  const deepFacts = `{"name":${'['.repeat(5000)}1${']'.repeat(5000)}}`;
  await writeFile(join(home, SIDECAR_FILE), `{"v":1,"id":"${GOOD}","updated_at_ms":${Date.now() + 60_000},"facts":${deepFacts}}\n`);

  summary = await importCodexHome({ store: service.forTenant(tenantId), codexHome: home });
}, 120_000);

afterAll(async () => {
  await service?.close();
  await test?.drop();
  await rm(home, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('import of a hostile CODEX_HOME layout', () => {
  it('imports every readable thread once, with no spurious duplicate warnings', () => {
    expect(summary.threads).toMatchObject({ total: 4, imported: 4, failed: 0, conflict: 0 });
    expect(summary.problems.filter((p) => /duplicate/.test(p.reason))).toEqual([]);
    expect(summary.interrupted).toBe(false);
  });

  it('reports every entry it does not import exactly once, with its path and the real reason', () => {
    const byFile = new Map<string, string[]>();
    for (const p of summary.problems.filter((q) => q.kind === 'file')) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p.reason]);
    for (const [path, reason] of expected) {
      expect(byFile.get(path), path).toHaveLength(1);
      expect(byFile.get(path)![0], path).toMatch(reason);
    }
    expect([...byFile.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(summary.skippedFiles).toBe(expected.size);
    // The corrupt .zst is not blamed on a missing session_meta.
    expect(byFile.get([...expected.keys()].find((p) => p.endsWith('.zst'))!)![0]).not.toMatch(/session_meta/);
  });

  it('reports a sidecar entry whose facts nest too deep and imports the thread without it', async () => {
    const problems = summary.problems.filter((p) => p.file === join(home, SIDECAR_FILE));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'warning', line: 1 });
    expect(problems[0]!.reason).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
    expect((await service.forTenant(tenantId).readThread({ threadId: GOOD })).threadId).toBe(GOOD);
  });

  it(`reports a line nested deeper than ${MAX_JSON_DEPTH} levels as a skipped line and keeps the rest of the thread`, async () => {
    const problems = summary.problems.filter((p) => p.threadId === DEEP);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'line', line: 4 });
    expect(problems[0]!.reason).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
    const history = await service.forTenant(tenantId).loadHistory({ threadId: DEEP });
    expect(history.items).toHaveLength((await lines(DEEP)).length);
  });

  it('imports a thread whose ids are upper case under the lower-case id; it resumes and takes appends', async () => {
    const store = service.forTenant(tenantId);
    const thread = await store.readThread({ threadId: UPPER.toUpperCase() });
    expect(thread.threadId).toBe(UPPER);
    const before = thread.itemCount;
    const live = await LiveThread.resume(store, { threadId: UPPER.toUpperCase(), metadata: { modelProvider: thread.modelProvider } }, { logger: { warn: () => {} } });
    expect(live.threadId).toBe(UPPER);
    await live.append([{ type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'after import' }] } }]);
    await live.shutdown();
    const after = await store.readThread({ threadId: UPPER });
    expect(after.itemCount).toBe(before + 1);
    // Resume saw the thread's own session_meta (same id, other case): metadata stays the thread's.
    expect(after.preview).toBe(thread.preview);
  });
});
