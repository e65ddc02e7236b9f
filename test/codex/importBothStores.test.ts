// Import and export reach a store only through its import/export port (src/store/transfer.ts), so
// they run against either store: each real sample imported into the in-memory store and into
// PostgreSQL gives the same threads (records, archived or not, forks with their inherited history)
// and the same lines, page by page; and exporting both gives the same CODEX_HOME files, line for line.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportCodexHome } from '../../src/codex/export/index.js';
import { importCodexHome } from '../../src/codex/import/index.js';
import type { StoredThread } from '../../src/model/thread.js';
import { InMemoryThreadStoreService } from '../../src/store/memory/InMemoryThreadStore.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { useTestStore } from '../helpers/database.js';
import { SAMPLES } from './helpers.js';

const pg = useTestStore();
const memory = new InMemoryThreadStoreService();
const dirs: string[] = [];

afterAll(async () => {
  await memory.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function allThreads(store: ThreadStore, archived: boolean): Promise<StoredThread[]> {
  const out: StoredThread[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listThreads({ archived, sortKey: 'created_at', pageSize: 7, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

async function allItems(store: ThreadStore, threadId: string) {
  const out = [];
  let cursor: string | null = null;
  do {
    const page = await store.listItems({ threadId, includeArchived: true, sortDirection: 'asc', pageSize: 50, cursor });
    out.push(...page.items.map((i) => ({ seq: i.seq, turnId: i.turnId, line: i.line })));
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Every file under `dir` (relative path → parsed JSON lines, or raw text for other files). */
async function exportedFiles(dir: string): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.jsonl')) {
        const text = await readFile(path, 'utf8');
        out.set(relative(dir, path), text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown));
      } else out.set(relative(dir, path), 'present');
    }
  };
  await walk(dir);
  return out;
}

describe.each(SAMPLES)('the $version sample imported into both stores', ({ home }) => {
  const tenant = randomUUID();
  let inMemory: ThreadStore;
  let inPostgres: ThreadStore;

  it('imports the same threads with the same outcome', async () => {
    inMemory = memory.forTenant(tenant);
    inPostgres = pg.service.forTenant(tenant);
    const a = await importCodexHome({ store: inMemory, codexHome: home });
    const b = await importCodexHome({ store: inPostgres, codexHome: home });
    const counts = (s: typeof a) => ({ threads: s.threads, items: s.items, detachedItems: s.detachedItems, skippedLines: s.skippedLines, files: s.files });
    expect(a.threads.imported).toBeGreaterThan(20);
    expect(counts(a)).toEqual(counts(b));
    // A second import changes nothing in either.
    expect((await importCodexHome({ store: inMemory, codexHome: home })).threads.unchanged).toBe(a.threads.total);
    expect((await importCodexHome({ store: inPostgres, codexHome: home })).threads.unchanged).toBe(a.threads.total);
  });

  it('lists the same threads, active and archived, page by page', async () => {
    for (const archived of [false, true]) {
      const [m, p] = [await allThreads(inMemory, archived), await allThreads(inPostgres, archived)];
      expect(m.length).toBeGreaterThan(0);
      expect(m).toEqual(p);
    }
  });

  it('reads every thread with the same record, history and items', async () => {
    const ids = (await inPostgres.listThreads({ pageSize: 1000 })).items.map((t) => t.threadId);
    const archived = (await inPostgres.listThreads({ pageSize: 1000, archived: true })).items.map((t) => t.threadId);
    let forks = 0;
    for (const threadId of [...ids, ...archived]) {
      const m = await inMemory.readThread({ threadId, includeArchived: true, includeHistory: true });
      const p = await inPostgres.readThread({ threadId, includeArchived: true, includeHistory: true });
      expect(m, threadId).toEqual(p);
      expect(m.history!.items.length).toBeGreaterThan(0);
      if (m.history!.items[0]?.payload && (m.history!.items[0].payload as { history_base?: unknown }).history_base) forks += 1;
      expect(await allItems(inMemory, threadId), threadId).toEqual(await allItems(inPostgres, threadId));
      // Cursors are opaque (each store spells its own); the turns are the same.
      const turns = (store: ThreadStore) => store.listTurns({ threadId, includeArchived: true, pageSize: 1000, itemsView: 'full' }).then((p) => p.turns);
      expect(await turns(inMemory), threadId).toEqual(await turns(inPostgres));
    }
    // The samples have copy-free forks (history_base): their inherited lines came through the port too.
    expect(forks).toBeGreaterThan(0);
  });

  it('exports the same CODEX_HOME from both stores, line for line', async () => {
    const [a, b] = [await mkdtemp(join(tmpdir(), 'ts-both-memory-')), await mkdtemp(join(tmpdir(), 'ts-both-pg-'))];
    dirs.push(a, b);
    const sa = await exportCodexHome({ store: inMemory, outDir: a });
    const sb = await exportCodexHome({ store: inPostgres, outDir: b });
    expect(sa.problems).toEqual([]);
    expect({ ...sa, outDir: '', durationMs: 0, sqlite: null }).toEqual({ ...sb, outDir: '', durationMs: 0, sqlite: null });
    const [fa, fb] = [await exportedFiles(a), await exportedFiles(b)];
    expect([...fa.keys()].sort()).toEqual([...fb.keys()].sort());
    for (const [path, lines] of fa) expect(lines, path).toEqual(fb.get(path));
  });
});
