// Re-importing a CODEX_HOME that changed: a thread whose rollout grew is replaced in one
// transaction (updated), untouched threads are skipped (unchanged), a thread that also changed in
// the database since its import is left alone (conflict), and a thread that exists in the tenant
// without having been imported is never overwritten.
import { randomUUID } from 'node:crypto';
import { appendFile, cp, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCodexHome } from '../../src/codex/import/index.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { sampleFileFor } from '../helpers/sample.js';
import { SAMPLE_HOME } from './helpers.js';

let test: TestDatabase;
let service: PostgresThreadStoreService;
let home: string;
const tenant = randomUUID();
const GROWN = '01a20db4-1043-78d3-8e6e-3373c24f660e';
const LIVE = '01a20db4-3315-7403-8a1d-6ea797264461';

beforeAll(async () => {
  test = await createTestDatabase();
  service = await test.openStore();
  home = await mkdtemp(join(tmpdir(), 'ts-reimport-'));
  await cp(SAMPLE_HOME, home, { recursive: true });
  const first = await importCodexHome({ store: service.forTenant(tenant), codexHome: home });
  expect(first.threads.imported).toBe(25);
}, 120_000);

afterAll(async () => {
  await service.close();
  await test.drop();
  await rm(home, { recursive: true, force: true });
});

const inHome = (threadId: string) => join(home, relative(SAMPLE_HOME, sampleFileFor(threadId)));

describe('re-import after changes', () => {
  it('replaces a grown thread, skips the rest, and protects threads changed in the database', async () => {
    // Codex appended a line to one thread...
    const line = { timestamp: '2026-11-24T13:17:40.000Z', ordinal: 16, type: 'event_msg', payload: { type: 'user_message', message: 'one more thing', images: [], local_images: [], text_elements: [] } };
    await appendFile(inHome(GROWN), `${JSON.stringify(line)}\n`);
    // ...and another thread got a live append in the store, and its file was touched.
    const store = service.forTenant(tenant);
    await store.resumeThread({ threadId: LIVE, metadata: { cwd: '/w', modelProvider: 'mockA' } });
    await store.appendItems({ threadId: LIVE, items: [{ type: 'event_msg', payload: { type: 'agent_message', message: 'appended in the store' } }] });
    await store.shutdownThread(LIVE);
    await utimes(inHome(LIVE), new Date(), new Date());

    const again = await importCodexHome({ store: service.forTenant(tenant), codexHome: home });
    expect(again.threads).toMatchObject({ updated: 1, unchanged: 23, conflict: 1, failed: 0 });
    expect(again.problems.find((p) => p.threadId === LIVE)?.reason).toMatch(/appended in the database since it was imported/);
    const { items } = await store.loadHistory({ threadId: GROWN });
    expect(items).toHaveLength(17);
    expect(items[16]!.payload).toMatchObject({ message: 'one more thing' });
    const live = await store.loadHistory({ threadId: LIVE });
    expect(live.items[live.items.length - 1]!.payload).toMatchObject({ message: 'appended in the store' });
  });

  it('never overwrites a thread that was created in the store', async () => {
    const other = randomUUID();
    const store = service.forTenant(other);
    await store.createThread({ threadId: GROWN, source: 'cli', originator: 'test', metadata: { cwd: '/w', modelProvider: 'p' } });
    await store.appendItems({ threadId: GROWN, items: [{ type: 'event_msg', payload: { type: 'user_message', message: 'mine' } }] });
    await store.shutdownThread(GROWN);
    const summary = await importCodexHome({ store: service.forTenant(other), codexHome: home });
    expect(summary.threads.conflict).toBe(1);
    expect(summary.problems.find((p) => p.threadId === GROWN)?.reason).toMatch(/not imported from a CODEX_HOME/);
    const { items } = await store.loadHistory({ threadId: GROWN });
    expect(items[1]!.payload).toMatchObject({ message: 'mine' });
  });
});
