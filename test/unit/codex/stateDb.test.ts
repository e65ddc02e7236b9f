import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateDb, readStateDb, scanCodexHome } from '../../../src/codex/index.js';
import { InvalidRequestError } from '../../../src/model/errors.js';
import { makeTempDir, SAMPLE_HOME } from './helpers.js';

const STATE_DB = join(SAMPLE_HOME, 'state_5.sqlite');

describe('readStateDb on the real sample', () => {
  it('reads 25 threads and 1 spawn edge, with ms timestamps, in place (no copy)', async () => {
    const before = statSync(STATE_DB).mtimeMs;
    const contents = await readStateDb(STATE_DB);
    expect(contents.copied).toBe(false);
    expect(contents.threads).toHaveLength(25);
    expect(contents.spawnEdges).toEqual([
      {
        parentThreadId: '01a20db4-413e-7820-abef-902d136cb232',
        childThreadId: '01a20db4-4203-7432-a159-ee6a004b5fbb',
        status: 'closed',
      },
    ]);
    expect(contents.tables).toContain('threads');
    expect(contents.threadColumns).toContain('created_at_ms');
    expect(statSync(STATE_DB).mtimeMs).toBe(before);
    expect(readdirSync(SAMPLE_HOME).filter((n) => n.startsWith('state_5.sqlite-'))).toEqual([]);

    const byId = new Map(contents.threads.map((t) => [t.id, t]));
    const exec = byId.get('01a20db4-1043-78d3-8e6e-3373c24f660e')!;
    expect(exec).toMatchObject({
      createdAtMs: 1795526234184,
      updatedAtMs: 1795526234490,
      recencyAtMs: 1795526234421,
      archived: false,
      archivedAtMs: null,
      source: 'exec',
      modelProvider: 'mockA',
      gitSha: '5e28c449b846df2eeb928c0df095c520a51aa8db',
      gitBranch: 'main',
      historyMode: 'paginated',
      memoryMode: 'enabled',
      originator: 'codex_exec',
      cliVersion: '0.169.0',
      tokensUsed: 4106,
      name: null,
      sandboxPolicy: '{"type":"disabled"}',
    });
    expect(exec.columns.created_at).toBe(1795526234);

    const archived = contents.threads.filter((t) => t.archived);
    expect(archived).toHaveLength(2);
    // archived_at is stored in seconds; it is normalized to ms.
    for (const t of archived) expect(t.archivedAtMs! % 1000).toBe(0);
    expect(byId.get('01a20db4-31a3-7a31-bb3b-b5e538506885')!.archivedAtMs).toBe(1795526243000);

    const child = byId.get('01a20db4-4203-7432-a159-ee6a004b5fbb')!;
    expect(child.source).toEqual({
      subagent: {
        thread_spawn: {
          parent_thread_id: '01a20db4-413e-7820-abef-902d136cb232',
          depth: 1,
          agent_path: null,
          agent_nickname: 'Popper',
          agent_role: null,
        },
      },
    });
    expect(child.sourceRaw.startsWith('{"subagent"')).toBe(true);
    expect(child.agentNickname).toBe('Popper');

    expect(contents.threads.filter((t) => t.name !== null).map((t) => t.name).sort()).toEqual([
      'Archived but named 📦',
      'Fork from turn 2',
      'Unicode 🚀 thread (renamed)',
      'Unicode 🚀 thread (renamed)',
      'Unicode 🚀 thread (renamed)',
      'fix timeout',
    ]);
    // The reverted thread's rollout_path is its latest segment file, on the writer's machine.
    expect(byId.get('01a20db4-2949-7ec3-a928-5a9d22637266')!.rolloutPath).toMatch(
      /^\/home\/ada\/codex-sample\/codex-home\/sessions\/2026\/11\/24\/rollout-.*_01a20db4-2ee8-7552-8b29-89967ab0b030\.jsonl$/,
    );
    // fork-no-turns has no user message of its own: empty title / first_user_message, while preview
    // is the first user message of the whole lineage.
    expect(byId.get('01a20db4-3587-7033-9eb6-86490c8fa6f7')).toMatchObject({
      title: '',
      firstUserMessage: '',
      preview: 'Can you debug the merge lint?',
    });
  });

  it('every thread row has a rollout file in the scan', async () => {
    const [scan, contents] = await Promise.all([scanCodexHome(SAMPLE_HOME), readStateDb(STATE_DB)]);
    const files = new Set(scan.rollouts.map((r) => r.relativePath));
    for (const t of contents.threads) {
      const rel = t.rolloutPath.replace(/^.*?\/(sessions|archived_sessions)\//, '$1/');
      expect(files.has(rel), rel).toBe(true);
      expect(t.archived).toBe(rel.startsWith('archived_sessions/'));
    }
  });
});

describe('readStateDb robustness', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  function createWalDb(dir: string): Database.Database {
    const db = new Database(join(dir, 'state_5.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec(`CREATE TABLE threads (id TEXT PRIMARY KEY, rollout_path TEXT NOT NULL, created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL, source TEXT NOT NULL, model_provider TEXT NOT NULL, cwd TEXT NOT NULL,
      title TEXT NOT NULL, sandbox_policy TEXT NOT NULL, approval_mode TEXT NOT NULL,
      tokens_used INTEGER NOT NULL DEFAULT 0, archived INTEGER NOT NULL DEFAULT 0, archived_at INTEGER,
      git_sha TEXT, git_branch TEXT, git_origin_url TEXT)`);
    db.exec(`CREATE TABLE thread_spawn_edges (parent_thread_id TEXT NOT NULL, child_thread_id TEXT NOT NULL PRIMARY KEY, status TEXT NOT NULL)`);
    db.prepare(`INSERT INTO threads VALUES ('t1', '/x/sessions/a.jsonl', 1700000000, 1700000005, 'cli', 'openai', '/w', 'hello', 'read-only', 'on-request', 7, 0, NULL, NULL, NULL, NULL)`).run();
    return db;
  }

  it('includes rows that are only in the -wal (Codex still running), reading in place or from a copy', async () => {
    const live = join(tmp.dir, 'live');
    const snap = join(tmp.dir, 'snap');
    mkdirSync(live);
    mkdirSync(snap);
    const writer = createWalDb(live);
    writer.prepare(`INSERT INTO threads VALUES ('t2', '/x/archived_sessions/b.jsonl', 1700000010, 1700000011, 'exec', 'openai', '/w', 'second', 'read-only', 'never', 0, 1, 1700000020, 'abc', 'main', NULL)`).run();
    writer.prepare(`INSERT INTO thread_spawn_edges VALUES ('t1', 't2', 'open')`).run();
    // Snapshot the files while the writer is open: the rows live in the -wal only.
    for (const suffix of ['', '-wal', '-shm']) {
      copyFileSync(join(live, `state_5.sqlite${suffix}`), join(snap, `state_5.sqlite${suffix}`));
    }
    writer.close();
    expect(statSync(join(snap, 'state_5.sqlite-wal')).size).toBeGreaterThan(0);

    for (const copy of ['auto', 'always'] as const) {
      const contents = await readStateDb(join(snap, 'state_5.sqlite'), { copy });
      expect(contents.copied).toBe(copy === 'always');
      expect(contents.threads.map((t) => t.id)).toEqual(['t1', 't2']);
      expect(contents.threads[0]).toMatchObject({
        createdAtMs: 1700000000000, // seconds-only (pre-0025) DB: converted to ms
        updatedAtMs: 1700000005000,
        recencyAtMs: null,
        tokensUsed: 7,
        // columns an old schema lacks read as null
        name: null,
        preview: null,
        firstUserMessage: null,
        memoryMode: null,
        historyMode: null,
      });
      expect(contents.threads[1]).toMatchObject({ archived: true, archivedAtMs: 1700000020000, gitSha: 'abc' });
      expect(contents.spawnEdges).toEqual([{ parentThreadId: 't1', childThreadId: 't2', status: 'open' }]);
    }
  });

  it('falls back to a temp copy when the in-place open fails (hot journal left by a crash)', async () => {
    const live = join(tmp.dir, 'live');
    const snap = join(tmp.dir, 'snap');
    mkdirSync(live);
    mkdirSync(snap);
    const writer = new Database(join(live, 'state_5.sqlite'));
    writer.pragma('journal_mode = DELETE');
    writer.exec('CREATE TABLE threads (id TEXT PRIMARY KEY, rollout_path TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, source TEXT NOT NULL, model_provider TEXT NOT NULL, cwd TEXT NOT NULL, title TEXT NOT NULL, sandbox_policy TEXT NOT NULL, approval_mode TEXT NOT NULL)');
    writer.prepare("INSERT INTO threads VALUES ('t1', '/r', 1, 1, 'cli', 'p', '/w', 't', 's', 'a')").run();
    writer.pragma('cache_size = 1');
    writer.exec('BEGIN');
    const insert = writer.prepare("INSERT INTO threads VALUES (?, '/r', 1, 1, 'cli', 'p', '/w', ?, 's', 'a')");
    for (let i = 0; i < 300; i += 1) insert.run(`big${i}`, 'x'.repeat(2000));
    // "Crash" mid-transaction: snapshot the db and its hot rollback journal.
    copyFileSync(join(live, 'state_5.sqlite'), join(snap, 'state_5.sqlite'));
    copyFileSync(join(live, 'state_5.sqlite-journal'), join(snap, 'state_5.sqlite-journal'));
    writer.exec('ROLLBACK');
    writer.close();

    await expect(readStateDb(join(snap, 'state_5.sqlite'), { copy: 'never' })).rejects.toThrow(InvalidRequestError);
    const contents = await readStateDb(join(snap, 'state_5.sqlite'));
    expect(contents.copied).toBe(true);
    expect(contents.threads.map((t) => t.id)).toEqual(['t1']);
    // The user's files are left untouched.
    expect(existsSync(join(snap, 'state_5.sqlite-journal'))).toBe(true);
  });

  it('tolerates missing tables and removes its temp copy on close', async () => {
    const path = join(tmp.dir, 'state_5.sqlite');
    const db = new Database(path);
    db.exec('CREATE TABLE something_else (x INTEGER)');
    db.close();
    const contents = await readStateDb(path);
    expect(contents).toMatchObject({ threads: [], spawnEdges: [], threadColumns: [] });
    const handle = await openStateDb(path, { copy: 'always' });
    expect(handle.copied).toBe(true);
    expect([...handle.iterateThreads()]).toEqual([]);
    await handle.close();
  });

  it('throws InvalidRequestError with the path for a missing or non-SQLite file', async () => {
    const missing = join(tmp.dir, 'state_5.sqlite');
    await expect(readStateDb(missing)).rejects.toThrow(InvalidRequestError);
    await expect(readStateDb(missing)).rejects.toThrow(missing);
    const junk = join(tmp.dir, 'junk.sqlite');
    copyFileSync(join(SAMPLE_HOME, 'session_index.jsonl'), junk);
    const error = await readStateDb(junk).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).path).toBe(junk);
    expect(existsSync(junk)).toBe(true);
  });
});
