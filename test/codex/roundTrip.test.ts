// Import → export → import is a fixed point. The exported rollout lines are JSON-equal to the
// imported ones (jsonb reorders keys, so the comparison is JSON-level; byte lengths happen to be
// equal too), the reverted thread comes back as its two files, forks stay copy-free, and importing
// the export into another tenant gives identical rows. Documented intentional differences:
//  * session_index.jsonl keeps only the effective (last) name per thread, not the rename history;
//  * export adds thread_store_metadata.jsonl (our sidecar; Codex ignores unknown files);
//  * no state_5.sqlite / thread_history_1.sqlite / config.toml is written (Codex rebuilds its
//    SQLite from the rollouts; the sidecar carries what only SQLite had, for our own re-import);
//  * file mtimes are set to the thread's updated_at;
//  * the import manifest's source-file fingerprints (mtimes) differ between the two imports.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { exportCodexHome } from '../../src/codex/export/index.js';
import { importCodexHome } from '../../src/codex/import/index.js';
import type { ThreadStoreService } from '../../src/store/openThreadStore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dumpTenant, jsonEqual, jsonLines, listFiles, SAMPLE_HOME } from './helpers.js';

let test: TestDatabase;
let service: ThreadStoreService;
let owner: Database;
let dir: string;
const tenantA = randomUUID();
const tenantB = randomUUID();

beforeAll(async () => {
  test = await createTestDatabase();
  service = await test.openStore();
  owner = await test.openOwner();
  dir = await mkdtemp(join(tmpdir(), 'ts-roundtrip-'));
  const first = await importCodexHome({ db: service.database, tenantId: tenantA, codexHome: SAMPLE_HOME });
  expect(first.threads.imported).toBe(25);
  expect(first.problems).toEqual([]);
}, 120_000);

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

describe('import → export → import', () => {
  let exported: string;

  beforeAll(async () => {
    exported = join(dir, 'export1');
    const summary = await exportCodexHome({ db: service.database, tenantId: tenantA, outDir: exported });
    expect(summary.problems).toEqual([]);
    expect(summary.threads).toBe(25);
  }, 120_000);

  it('writes the same rollout files (paths), including the revert segment and the archived ones', () => {
    const original = listFiles(SAMPLE_HOME).filter((f) => f.startsWith('sessions/') || f.startsWith('archived_sessions/'));
    const ours = listFiles(exported).filter((f) => f.startsWith('sessions/') || f.startsWith('archived_sessions/'));
    expect(ours).toEqual(original);
    expect(listFiles(exported).filter((f) => !ours.includes(f))).toEqual(['session_index.jsonl', 'thread_store_metadata.jsonl']);
  });

  it('writes every rollout line JSON-equal to the original, in the same order', () => {
    let lines = 0;
    for (const file of listFiles(SAMPLE_HOME).filter((f) => f.endsWith('.jsonl') && f.includes('sessions/'))) {
      const a = jsonLines(join(SAMPLE_HOME, file));
      const b = jsonLines(join(exported, file));
      expect(b.length, file).toBe(a.length);
      for (const [i, line] of a.entries()) expect(jsonEqual(b[i], line), `${file}:${i + 1}`).toBe(true);
      lines += a.length;
    }
    expect(lines).toBe(930);
  });

  it('keeps byte lengths, so history_base.end_byte_offset values stay valid', async () => {
    for (const file of listFiles(SAMPLE_HOME).filter((f) => f.endsWith('.jsonl') && f.includes('sessions/'))) {
      const a = await readFile(join(SAMPLE_HOME, file));
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
    expect(last(exported)).toEqual(last(SAMPLE_HOME));
  });

  it('importing the export into another tenant gives identical rows', async () => {
    const second = await importCodexHome({ db: service.database, tenantId: tenantB, codexHome: exported });
    expect(second.problems).toEqual([]);
    expect(second.threads.imported).toBe(25);
    const a = withoutFingerprints(await dumpTenant(owner, tenantA));
    const b = withoutFingerprints(await dumpTenant(owner, tenantB));
    expect(b.items).toEqual(a.items);
    expect(b.checkpoints).toEqual(a.checkpoints);
    expect(b.edges).toEqual(a.edges);
    expect(b.threads).toEqual(a.threads);
  }, 120_000);

  it('exporting the re-imported tenant gives byte-identical files (a fixed point)', async () => {
    const again = join(dir, 'export2');
    await exportCodexHome({ db: service.database, tenantId: tenantB, outDir: again });
    for (const file of listFiles(exported)) {
      expect((await readFile(join(again, file))).equals(await readFile(join(exported, file))), file).toBe(true);
    }
  }, 120_000);
});

describe('idempotency', () => {
  it('importing the same home twice changes nothing', async () => {
    const before = await dumpTenant(owner, tenantA);
    const again = await importCodexHome({ db: service.database, tenantId: tenantA, codexHome: SAMPLE_HOME });
    expect(again.threads.unchanged).toBe(25);
    expect(again.items).toBe(0);
    expect(await dumpTenant(owner, tenantA)).toEqual(before);
  });

  it('an interrupted import resumes and ends with the same rows as an uninterrupted one', async () => {
    const tenant = randomUUID();
    const controller = new AbortController();
    let seen = 0;
    const partial = await importCodexHome({
      db: service.database,
      tenantId: tenant,
      codexHome: SAMPLE_HOME,
      signal: controller.signal,
      onThread: () => {
        seen += 1;
        if (seen === 7) controller.abort();
      },
    });
    expect(partial.interrupted).toBe(true);
    expect(partial.threads.imported).toBeLessThan(25);
    const resumed = await importCodexHome({ db: service.database, tenantId: tenant, codexHome: SAMPLE_HOME });
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
    const summary = await exportCodexHome({ db: service.database, tenantId: tenantA, outDir: out, threadIds: ['01a20db4-35c3-78b1-8e26-6f958c55473e'] });
    expect(summary.threads).toBe(3); // fork-of-fork, fork-full, app-unicode-named
    expect(summary.basesAdded).toBe(2);
    expect(listFiles(out).filter((f) => f.startsWith('sessions/'))).toHaveLength(3);
  });

  it('refuses to overwrite existing files unless asked', async () => {
    const out = join(dir, 'selected');
    const summary = await exportCodexHome({ db: service.database, tenantId: tenantA, outDir: out, threadIds: ['01a20db4-1043-78d3-8e6e-3373c24f660e'] });
    expect(summary.problems).toHaveLength(0);
    const again = await exportCodexHome({ db: service.database, tenantId: tenantA, outDir: out, threadIds: ['01a20db4-1043-78d3-8e6e-3373c24f660e'] });
    expect(again.problems[0]!.reason).toMatch(/already exists/);
    const forced = await exportCodexHome({ db: service.database, tenantId: tenantA, outDir: out, threadIds: ['01a20db4-1043-78d3-8e6e-3373c24f660e'], overwrite: true });
    expect(forced.problems).toEqual([]);
  });
});
