// What an import derives from the rollouts alone (state_5.sqlite ignored) matches Codex's index for
// every fact a rollout carries, and the stored shape of the hard cases is right: the reverted
// thread's cut-off tail is kept but never read as history, forks read through their base,
// compaction checkpoints keep their window ids. Known, documented differences without the state DB:
// git info set only through Codex's metadata API (app-git-patched, app-tools' branch), and
// updated/recency times (file mtimes instead of Codex's timestamps).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { importCodexHome } from '../../src/codex/import/index.js';
import { DETACHED_SEQ_BASE, readManifest } from '../../src/codex/import/manifest.js';
import type { StoredThread } from '../../src/model/thread.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { codexThreads, SAMPLE_HOME } from './helpers.js';

let test: TestDatabase;
let service: PostgresThreadStoreService;
let owner: Database;
const tenant = randomUUID();
const withState = randomUUID();
const REVERTED = '01a20db4-2949-7ec3-a928-5a9d22637266';
const SQLITE_ONLY_GIT = new Set(['01a20db4-2fd2-73b2-8469-9ee3a6083c36', '01a20db4-23a9-7e93-8931-27af7e75631e']);

async function allThreads(tenantId: string): Promise<StoredThread[]> {
  const store = service.forTenant(tenantId);
  const out: StoredThread[] = [];
  for (const archived of [false, true]) out.push(...(await store.listThreads({ archived, pageSize: 1000 })).items);
  return out;
}

beforeAll(async () => {
  test = await createTestDatabase();
  service = await test.openStore();
  owner = await test.openOwner();
  const s = await importCodexHome({ store: service.forTenant(tenant), codexHome: SAMPLE_HOME, useStateDb: false });
  expect(s.stateDb).toBeNull();
  expect(s.threads.imported).toBe(25);
  await importCodexHome({ store: service.forTenant(withState), codexHome: SAMPLE_HOME });
}, 120_000);

afterAll(async () => {
  await service.close();
  await test.drop();
});

describe('import without state_5.sqlite', () => {
  it('derives what Codex derives from the rollouts', async () => {
    const ours = new Map((await allThreads(tenant)).map((t) => [t.threadId, t]));
    const mismatches: string[] = [];
    for (const row of codexThreads()) {
      const t = ours.get(row.id)!;
      const cmp = (field: string, a: unknown, b: unknown) => {
        if (JSON.stringify(a) !== JSON.stringify(b)) mismatches.push(`${row.id} ${field}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      };
      cmp('name', t.name, row.name);
      cmp('preview (fork lineage included)', t.preview, row.preview);
      cmp('title', t.title, row.title);
      cmp('cwd', t.cwd, row.cwd);
      cmp('provider', t.modelProvider, row.model_provider);
      cmp('model', t.model, row.model);
      cmp('tokens', t.tokensUsed, row.tokens_used);
      cmp('archived', t.archivedAt !== null, row.archived === 1);
      cmp('created (s)', Math.floor(Date.parse(t.createdAt) / 1000), Math.floor(row.created_at_ms / 1000));
      if (!SQLITE_ONLY_GIT.has(row.id)) {
        cmp('git sha', t.gitInfo?.sha ?? null, row.git_sha);
        cmp('git branch', t.gitInfo?.branch ?? null, row.git_branch);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('misses only the git facts Codex keeps in SQLite alone', async () => {
    const ours = new Map((await allThreads(tenant)).map((t) => [t.threadId, t]));
    expect(ours.get('01a20db4-2fd2-73b2-8469-9ee3a6083c36')!.gitInfo).toBeNull();
    expect(ours.get('01a20db4-23a9-7e93-8931-27af7e75631e')!.gitInfo?.branch).toBe('main');
    const state = new Map((await allThreads(withState)).map((t) => [t.threadId, t]));
    expect(state.get('01a20db4-2fd2-73b2-8469-9ee3a6083c36')!.gitInfo).toEqual({
      sha: 'f00dfacecafebeef0123456789abcdef01234567',
      branch: 'release/2024.06',
      originUrl: 'git@github.com:example-org/gamma-data.git',
    });
    expect(state.get('01a20db4-23a9-7e93-8931-27af7e75631e')!.gitInfo?.branch).toBe('feature/sparkle-✨');
  });
});

describe('stored shape', () => {
  it("reads the reverted thread as the first file's prefix plus the segment", async () => {
    const { items } = await service.forTenant(tenant).loadHistory({ threadId: REVERTED });
    expect(items.map((l) => l.ordinal)).toEqual([...Array(43).keys()]);
    const metas = items.filter((l) => l.type === 'session_meta');
    expect(metas).toHaveLength(2);
    expect((metas[1]!.payload as { history_base: { thread_id: string; end_ordinal_exclusive: number } }).history_base).toMatchObject({ thread_id: REVERTED, end_ordinal_exclusive: 23 });
  });

  it("keeps the first file's cut-off tail at detached seqs, recorded in the manifest", async () => {
    const rows = await owner.transaction(
      async (tx) =>
        (await tx.query<{ seq: number; ordinal: number; searched: boolean }>(
          `SELECT seq, (extra->>'ordinal')::int AS ordinal,
                  EXISTS (SELECT 1 FROM thread_store.thread_search d WHERE d.tenant_id = i.tenant_id AND d.thread_id = i.thread_id
                            AND i.seq BETWEEN d.first_seq AND d.last_seq) AS searched
             FROM thread_store.thread_items i WHERE tenant_id = $1 AND thread_id = $2 AND seq < 0 ORDER BY seq`,
          [tenant, REVERTED],
        )).rows,
      { tenantId: tenant },
    );
    expect(rows.map((r) => r.ordinal)).toEqual([...Array(18).keys()].map((i) => 23 + i));
    // Cut-off lines are not history: no search document covers them.
    expect(rows.every((r) => !r.searched)).toBe(true);
    expect(Number(rows[0]!.seq)).toBe(DETACHED_SEQ_BASE);
    const thread = await service.forTenant(tenant).readThread({ threadId: REVERTED });
    const manifest = readManifest(thread.extra, REVERTED)!;
    expect(manifest.files.map((f) => [f.fileId, f.current, f.runs])).toEqual([
      [REVERTED, false, [[0, 22], [DETACHED_SEQ_BASE, DETACHED_SEQ_BASE + 17]]],
      ['01a20db4-2ee8-7552-8b29-89967ab0b030', true, [[23, 42]]],
    ]);
    expect(thread.itemCount).toBe(43);
  });

  it('links forks copy-free to their base at the ordinal history_base names', async () => {
    const store = service.forTenant(tenant);
    const forkNoTurns = await store.loadHistory({ threadId: '01a20db4-3587-7033-9eb6-86490c8fa6f7' });
    // own session_meta, the 80 base lines (ordinals 0..79), own settings line (ordinal 81)
    expect(forkNoTurns.items).toHaveLength(82);
    expect(forkNoTurns.items.slice(1, 81).map((l) => l.ordinal)).toEqual([...Array(80).keys()]);
    const ofReverted = await store.loadHistory({ threadId: '01a20db4-36cb-7d81-b566-ceb735e82d1b' });
    // base = the reverted thread's current history (43 lines) + own 11 lines
    expect(ofReverted.items).toHaveLength(54);
    const rows = await owner.transaction(
      async (tx) =>
        (await tx.query<{ id: string; history_base_thread_id: string; history_base_seq: number }>(
          `SELECT id, history_base_thread_id, history_base_seq FROM thread_store.threads WHERE tenant_id = $1 AND history_base_thread_id IS NOT NULL ORDER BY id`,
          [tenant],
        )).rows.map((r) => [r.id, r.history_base_thread_id, Number(r.history_base_seq)]),
      { tenantId: tenant },
    );
    expect(rows).toEqual([
      ['01a20db4-1bf0-74e2-8805-133a0322438f', '01a20db4-1338-7183-9666-e400261da2ff', 40],
      ['01a20db4-33ae-7c91-ad18-775d8484d60c', '01a20db4-1e3b-7923-9f53-23837db4b2a5', 40],
      ['01a20db4-345f-7fb0-a51b-e7a28008df06', '01a20db4-26e8-75f0-968a-c177fae5649a', 22],
      ['01a20db4-3587-7033-9eb6-86490c8fa6f7', '01a20db4-26e8-75f0-968a-c177fae5649a', 79],
      ['01a20db4-35c3-78b1-8e26-6f958c55473e', '01a20db4-33ae-7c91-ad18-775d8484d60c', 51],
      ['01a20db4-36cb-7d81-b566-ceb735e82d1b', REVERTED, 42],
    ]);
  });

  it('records the compaction checkpoint with its window ids', async () => {
    const rows = await owner.transaction(
      async (tx) => (await tx.query('SELECT thread_id, seq, window_number, window_id, first_window_id FROM thread_store.thread_checkpoints WHERE tenant_id = $1', [tenant])).rows,
      { tenantId: tenant },
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ thread_id: '01a20db4-26e8-75f0-968a-c177fae5649a', window_number: 1, window_id: '01a20db4-28c2-72b1-8a35-cef260999666' });
  });

  it('records the sub-agent spawn edge (closed, per state_5.sqlite; open without it)', async () => {
    const edges = async (t: string) =>
      owner.transaction(async (tx) => (await tx.query('SELECT parent_thread_id, child_thread_id, status FROM thread_store.thread_spawn_edges WHERE tenant_id = $1', [t])).rows, { tenantId: t });
    expect(await edges(withState)).toEqual([{ parent_thread_id: '01a20db4-413e-7820-abef-902d136cb232', child_thread_id: '01a20db4-4203-7432-a159-ee6a004b5fbb', status: 'closed' }]);
    expect((await edges(tenant))[0]).toMatchObject({ status: 'open' });
  });
});
