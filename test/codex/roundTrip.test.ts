// Import → export → import is a fixed point, for both real samples (Codex 0.169 and 0.171). The
// exported rollout lines are JSON-equal to the imported ones (jsonb reorders keys, so the comparison
// is JSON-level; byte lengths happen to be equal too), the reverted thread comes back as its two
// files, forks stay copy-free, Codex's SQLite state comes back row for row (state_5.sqlite's
// threads and spawn edges, thread_history_1.sqlite's turn/item projection), and importing the export
// into another tenant gives identical rows. Documented intentional differences:
//  * session_index.jsonl keeps only the effective (last) name per thread, not the rename history;
//  * export adds thread_store_metadata.jsonl (our sidecar; Codex ignores unknown files);
//  * state_5.sqlite: rollout_path points into the export; backfill_state, thread_read_receipts
//    (which turns the user has seen: UI state, not a fact of the thread) and config.toml are not
//    carried over;
//  * file mtimes are set to the thread's updated_at;
//  * the import manifest's source-file fingerprints (mtimes) differ between the two imports.
import Sqlite from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { exportCodexHome } from '../../src/codex/export/index.js';
import { importCodexHome } from '../../src/codex/import/index.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dumpTenant, jsonEqual, jsonLines, listFiles, SAMPLE_HOME, SAMPLES } from './helpers.js';

let test: TestDatabase;
let service: PostgresThreadStoreService;
let owner: Database;
let dir: string;
const tenantA = randomUUID();

beforeAll(async () => {
  test = await createTestDatabase();
  service = await test.openStore();
  owner = await test.openOwner();
  dir = await mkdtemp(join(tmpdir(), 'ts-roundtrip-'));
  const first = await importCodexHome({ store: service.forTenant(tenantA), codexHome: SAMPLE_HOME });
  expect(first.threads.imported).toBe(25);
  expect(first.problems).toEqual([]);
}, 120_000);

type Row = Record<string, unknown>;

/** Rows of a Codex SQLite table, sorted by `key`. */
function sqliteRows(path: string, table: string, key: string): Row[] {
  const db = new Sqlite(path, { readonly: true });
  try {
    return db.prepare(`SELECT * FROM ${table} ORDER BY ${key}`).all() as Row[];
  } finally {
    db.close();
  }
}

/** The rollout_path of a state row, relative to its CODEX_HOME (the sample's rows name /home/ada/…/codex-home). */
function relativeRollout(path: unknown): string {
  const p = String(path);
  return p.slice(p.search(/\/(archived_)?sessions\//) + 1);
}

/** A state_5.sqlite `threads` row with its rollout path made relative and its source as a JSON value. */
function comparableThread(row: Row): Row {
  const source = String(row.source);
  return { ...row, rollout_path: relativeRollout(row.rollout_path), source: source.startsWith('{') ? JSON.parse(source) : source };
}

afterAll(async () => {
  await service.close();
  await test.drop();
  await rm(dir, { recursive: true, force: true });
});

/** Drop the parts of a dump that describe where the files came from, not what they hold. */
function withoutFingerprints(dump: Record<string, unknown[]>): Record<string, unknown[]> {
  const threads = (dump.threads as Record<string, unknown>[]).map((t) => {
    const extra = structuredClone(t.extra) as { codexImport?: { factsHash?: string; files?: { mtimeMs?: number }[] } };
    // Provenance: where the facts and files came from (state_5.sqlite vs our sidecar; file mtimes).
    if (extra.codexImport) delete extra.codexImport.factsHash;
    for (const f of extra.codexImport?.files ?? []) delete f.mtimeMs;
    return { ...t, extra };
  });
  return { ...dump, threads };
}

describe.each(SAMPLES)('import → export → import of the Codex $version sample', ({ version, home }) => {
  let exported: string;
  const tenant = version === '0.169' ? tenantA : randomUUID();
  const tenantB = randomUUID();

  beforeAll(async () => {
    if (tenant !== tenantA) {
      const first = await importCodexHome({ store: service.forTenant(tenant), codexHome: home });
      expect(first.threads.imported).toBe(25);
      expect(first.problems).toEqual([]);
    }
    exported = join(dir, `export-${version}`);
    const summary = await exportCodexHome({ store: service.forTenant(tenant), outDir: exported });
    expect(summary.problems).toEqual([]);
    expect(summary.threads).toBe(25);
    expect(summary.sqlite).toMatchObject({ stateDbCreated: true, historyDbCreated: true, threads: 25, turns: 81, items: 186 });
  }, 120_000);

  it('writes the same rollout files (paths), including the revert segment and the archived ones, and Codex\'s SQLite files', () => {
    const original = listFiles(home).filter((f) => f.startsWith('sessions/') || f.startsWith('archived_sessions/'));
    const ours = listFiles(exported).filter((f) => f.startsWith('sessions/') || f.startsWith('archived_sessions/'));
    expect(ours).toEqual(original);
    expect(listFiles(exported).filter((f) => !ours.includes(f))).toEqual(['session_index.jsonl', 'state_5.sqlite', 'thread_history_1.sqlite', 'thread_store_metadata.jsonl']);
  });

  it("writes state_5.sqlite's threads and spawn edges as the original has them (rollout_path: the export's files)", () => {
    const original = sqliteRows(join(home, 'state_5.sqlite'), 'threads', 'id');
    const ours = sqliteRows(join(exported, 'state_5.sqlite'), 'threads', 'id');
    expect(ours).toHaveLength(25);
    for (const row of ours) expect(String(row.rollout_path).startsWith(resolve(exported) + '/'), String(row.id)).toBe(true);
    expect(ours.map(comparableThread)).toEqual(original.map(comparableThread));
    const edges = (p: string) => sqliteRows(join(p, 'state_5.sqlite'), 'thread_spawn_edges', 'child_thread_id');
    expect(edges(exported)).toEqual(edges(home));
  });

  it("writes thread_history_1.sqlite's projection as the original has it (byte lengths are equal, so offsets are too)", () => {
    for (const [table, key] of [
      ['thread_turns', 'thread_id, rollout_ordinal'],
      ['thread_items', 'thread_id, rollout_ordinal'],
      ['thread_history_projection_state', 'thread_id'],
    ] as const) {
      const p = (h: string) => sqliteRows(join(h, 'thread_history_1.sqlite'), table, key);
      expect(p(exported), table).toEqual(p(home));
    }
  });

  it('writes every rollout line JSON-equal to the original, in the same order', () => {
    let lines = 0;
    for (const file of listFiles(home).filter((f) => f.endsWith('.jsonl') && f.includes('sessions/'))) {
      const a = jsonLines(join(home, file));
      const b = jsonLines(join(exported, file));
      expect(b.length, file).toBe(a.length);
      for (const [i, line] of a.entries()) expect(jsonEqual(b[i], line), `${file}:${i + 1}`).toBe(true);
      lines += a.length;
    }
    expect(lines).toBe(930);
  });

  it('keeps byte lengths, so history_base.end_byte_offset values stay valid', async () => {
    for (const file of listFiles(home).filter((f) => f.endsWith('.jsonl') && f.includes('sessions/'))) {
      const a = await readFile(join(home, file));
      const b = await readFile(join(exported, file));
      expect(b.length, file).toBe(a.length);
    }
  });

  it('writes the effective names to session_index.jsonl', () => {
    const last = (home: string) => {
      const names = new Map<string, string>();
      for (const e of jsonLines(join(home, 'session_index.jsonl')) as { id: string; thread_name: string }[]) names.set(e.id, e.thread_name);
      return names;
    };
    expect(last(exported)).toEqual(last(home));
  });

  it('importing the export into another tenant gives identical rows', async () => {
    const second = await importCodexHome({ store: service.forTenant(tenantB), codexHome: exported });
    expect(second.problems).toEqual([]);
    expect(second.threads.imported).toBe(25);
    const a = withoutFingerprints(await dumpTenant(owner, tenant));
    const b = withoutFingerprints(await dumpTenant(owner, tenantB));
    expect(b.items).toEqual(a.items);
    expect(b.checkpoints).toEqual(a.checkpoints);
    expect(b.edges).toEqual(a.edges);
    expect(b.threads).toEqual(a.threads);
  }, 120_000);

  it('exporting the re-imported tenant gives byte-identical files and the same SQLite rows (a fixed point)', async () => {
    const again = join(dir, `export2-${version}`);
    await exportCodexHome({ store: service.forTenant(tenantB), outDir: again });
    for (const file of listFiles(exported).filter((f) => !f.endsWith('.sqlite'))) {
      expect((await readFile(join(again, file))).equals(await readFile(join(exported, file))), file).toBe(true);
    }
    const threads = (h: string) => sqliteRows(join(h, 'state_5.sqlite'), 'threads', 'id').map(comparableThread);
    expect(threads(again)).toEqual(threads(exported));
    const items = (h: string) => sqliteRows(join(h, 'thread_history_1.sqlite'), 'thread_items', 'thread_id, rollout_ordinal');
    expect(items(again)).toEqual(items(exported));
  }, 120_000);
});

describe('idempotency', () => {
  it('importing the same home twice changes nothing', async () => {
    const before = await dumpTenant(owner, tenantA);
    const again = await importCodexHome({ store: service.forTenant(tenantA), codexHome: SAMPLE_HOME });
    expect(again.threads.unchanged).toBe(25);
    expect(again.items).toBe(0);
    expect(await dumpTenant(owner, tenantA)).toEqual(before);
  });

  it('an interrupted import resumes and ends with the same rows as an uninterrupted one', async () => {
    const tenant = randomUUID();
    const controller = new AbortController();
    let seen = 0;
    const partial = await importCodexHome({
      store: service.forTenant(tenant),
      codexHome: SAMPLE_HOME,
      signal: controller.signal,
      onThread: () => {
        seen += 1;
        if (seen === 7) controller.abort();
      },
    });
    expect(partial.interrupted).toBe(true);
    expect(partial.threads.imported).toBeLessThan(25);
    const resumed = await importCodexHome({ store: service.forTenant(tenant), codexHome: SAMPLE_HOME });
    expect(resumed.threads.unchanged).toBe(partial.threads.imported);
    expect(resumed.threads.imported).toBe(25 - partial.threads.imported);
    const a = await dumpTenant(owner, tenantA);
    const b = await dumpTenant(owner, tenant);
    expect(b).toEqual(a);
  }, 120_000);
});

describe('export of selected threads', () => {
  it('adds the fork bases a requested fork reads through', async () => {
    const out = join(dir, 'selected');
    const summary = await exportCodexHome({ store: service.forTenant(tenantA), outDir: out, threadIds: ['01a20db4-35c3-78b1-8e26-6f958c55473e'] });
    expect(summary.threads).toBe(3); // fork-of-fork, fork-full, app-unicode-named
    expect(summary.basesAdded).toBe(2);
    expect(listFiles(out).filter((f) => f.startsWith('sessions/'))).toHaveLength(3);
  });

  it('refuses to overwrite existing files unless asked', async () => {
    const out = join(dir, 'selected');
    const summary = await exportCodexHome({ store: service.forTenant(tenantA), outDir: out, threadIds: ['01a20db4-1043-78d3-8e6e-3373c24f660e'] });
    expect(summary.problems).toHaveLength(0);
    const again = await exportCodexHome({ store: service.forTenant(tenantA), outDir: out, threadIds: ['01a20db4-1043-78d3-8e6e-3373c24f660e'] });
    expect(again.problems[0]!.reason).toMatch(/already exists/);
    const forced = await exportCodexHome({ store: service.forTenant(tenantA), outDir: out, threadIds: ['01a20db4-1043-78d3-8e6e-3373c24f660e'], overwrite: true });
    expect(forced.problems).toEqual([]);
  });

  it("updates the Codex SQLite files of a CODEX_HOME in place: its threads' rows replaced, every other row kept", async () => {
    const out = join(dir, 'selected');
    // The earlier exports created the files with 3 + 1 threads; mark a row as the user's own state.
    const state = new Sqlite(join(out, 'state_5.sqlite'));
    state.prepare("UPDATE threads SET title = 'changed by Codex' WHERE id = '01a20db4-1043-78d3-8e6e-3373c24f660e'").run();
    state.prepare("INSERT INTO thread_read_receipts (thread_id, first_unread_turn, revision, last_published_turn) VALUES ('01a20db4-1043-78d3-8e6e-3373c24f660e', NULL, 'r1', NULL)").run();
    state.close();
    const summary = await exportCodexHome({ store: service.forTenant(tenantA), outDir: out, threadIds: ['01a20db4-1043-78d3-8e6e-3373c24f660e'], overwrite: true });
    expect(summary.problems).toEqual([]);
    expect(summary.sqlite).toMatchObject({ stateDbCreated: false, historyDbCreated: false, threads: 1 });
    const rows = sqliteRows(join(out, 'state_5.sqlite'), 'threads', 'id');
    expect(rows.map((r) => r.id)).toEqual(['01a20db4-1043-78d3-8e6e-3373c24f660e', '01a20db4-1e3b-7923-9f53-23837db4b2a5', '01a20db4-33ae-7c91-ad18-775d8484d60c', '01a20db4-35c3-78b1-8e26-6f958c55473e']);
    expect(rows[0]!.title).not.toBe('changed by Codex');
    expect(sqliteRows(join(out, 'state_5.sqlite'), 'thread_read_receipts', 'thread_id')).toHaveLength(1);
    expect(sqliteRows(join(out, 'thread_history_1.sqlite'), 'thread_turns', 'thread_id').filter((t) => t.thread_id === '01a20db4-1043-78d3-8e6e-3373c24f660e')).toHaveLength(1);
  });

  it('an interrupted export leaves no Codex database behind (a half-filled index would hide threads)', async () => {
    const out = join(dir, 'interrupted');
    const controller = new AbortController();
    const summary = await exportCodexHome({
      store: service.forTenant(tenantA),
      outDir: out,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.threadsDone === 3) controller.abort();
      },
    });
    expect(summary.interrupted).toBe(true);
    expect(summary.threads).toBe(3);
    const files = listFiles(out);
    expect(files.filter((f) => f.includes('sessions/')).length).toBeGreaterThan(0);
    expect(files.filter((f) => f.includes('.sqlite'))).toEqual([]);
  });

  it('refuses to touch a state_5.sqlite that is not Codex\'s, writing nothing', async () => {
    const target = await mkdtemp(join(dir, 'foreign-'));
    const foreign = new Sqlite(join(target, 'state_5.sqlite'));
    foreign.exec('CREATE TABLE unrelated (x)');
    foreign.close();
    const error = await exportCodexHome({ store: service.forTenant(tenantA), outDir: target, threadIds: ['01a20db4-1043-78d3-8e6e-3373c24f660e'] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'InvalidRequest' });
    expect(listFiles(target)).toEqual(['state_5.sqlite']);
  });
});
