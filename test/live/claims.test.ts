// Single writer across processes: a thread has at most one live writer. A second "process" — a
// second service on the same database (its own ownerId), or a real child process — gets Conflict
// while the claim is alive; a writer whose claim was taken over (its lease lapsed) can no longer
// append; a killed writer's thread is taken over once its lease has lapsed.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConflictError } from '../../src/model/errors.js';
import { newUuidV7 } from '../../src/model/ids.js';
import type { CreateThreadParams } from '../../src/model/params.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { LiveThread } from '../../src/live/LiveThread.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { expireClaimOwner, responseMessage, sleep, startChildWriter, storedItems } from './helpers.js';

const SERVER = inject('serverUrl') !== null;

let test: TestDatabase;
let one: PostgresThreadStoreService;
let two: PostgresThreadStoreService;

beforeAll(async () => {
  test = await createTestDatabase();
  one = await test.openStore({ leaseMs: 60_000 });
  two = await test.openStore({ leaseMs: 60_000 });
});

afterAll(async () => {
  await one?.close();
  await two?.close();
  await test?.drop();
});

const create = (threadId: string): CreateThreadParams => ({ threadId, source: 'exec', originator: 'claims-test', cliVersion: '0.169.0', metadata: { cwd: '/w', modelProvider: 'openai' } });
const resume = (threadId: string) => ({ threadId, metadata: { cwd: '/w', modelProvider: 'openai' } });
const item = (tag: string) => responseMessage('assistant', tag, tag);
const tags = (items: { line: { payload: unknown } }[]) => items.slice(1).map((i) => (i.line.payload as { id: string }).id);

describe('one live writer per thread across processes', () => {
  it('a second process cannot create or resume a thread another process is writing: Conflict', async () => {
    const tenant = randomUUID();
    const threadId = newUuidV7();
    const writer = await LiveThread.create(one.forTenant(tenant), create(threadId));
    // not materialized yet: the claim alone keeps the other process out
    await expect(LiveThread.create(two.forTenant(tenant), create(threadId))).rejects.toBeInstanceOf(ConflictError);
    await writer.append([item('a')]);
    await expect(LiveThread.resume(two.forTenant(tenant), resume(threadId))).rejects.toBeInstanceOf(ConflictError);
    await writer.append([item('b')]);
    await writer.shutdown();
    // released: now the other process may write
    const next = await LiveThread.resume(two.forTenant(tenant), resume(threadId));
    await next.append([item('c')]);
    await next.shutdown();
    expect(tags(await storedItems(one.forTenant(tenant), threadId))).toEqual(['a', 'b', 'c']);
  });

  it('two processes racing to resume the same thread: exactly one wins and writes', async () => {
    const tenant = randomUUID();
    const threadId = newUuidV7();
    const first = await LiveThread.create(one.forTenant(tenant), create(threadId));
    await first.append([item('base')]);
    await first.shutdown();
    for (let round = 0; round < 5; round += 1) {
      const results = await Promise.allSettled([LiveThread.resume(one.forTenant(tenant), resume(threadId)), LiveThread.resume(two.forTenant(tenant), resume(threadId))]);
      const won = results.filter((r): r is PromiseFulfilledResult<LiveThread> => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(ConflictError);
      await won[0]!.value.append([item(`round${round}`)]);
      await won[0]!.value.shutdown();
    }
    const items = await storedItems(one.forTenant(tenant), threadId);
    expect(items.map((i) => i.seq)).toEqual(items.map((_, i) => i));
    expect(tags(items)).toEqual(['base', 'round0', 'round1', 'round2', 'round3', 'round4']);
  });

  it('a stale writer whose claim was taken over cannot append (Conflict); the new writer continues gap-free', async () => {
    const tenant = randomUUID();
    const threadId = newUuidV7();
    const stale = await LiveThread.create(one.forTenant(tenant), create(threadId));
    await stale.append([item('before')]);
    // The first process stalls (no heartbeats): its claim looks expired.
    const stall = await expireClaimOwner(await test.openOwner(), tenant, threadId);
    const taker = await LiveThread.resume(two.forTenant(tenant), resume(threadId));
    await taker.append([item('taken-over')]);
    await expect(stale.append([item('stale')])).rejects.toBeInstanceOf(ConflictError);
    await expect(stale.append([item('stale-again')])).rejects.toBeInstanceOf(ConflictError);
    await taker.append([item('after')]);
    const items = await storedItems(two.forTenant(tenant), threadId);
    expect(items.map((i) => i.seq)).toEqual(items.map((_, i) => i));
    expect(tags(items)).toEqual(['before', 'taken-over', 'after']);
    await taker.shutdown();
    // The stalled process beats again: its other claims are alive again (the takeover stays).
    await stall.revive();
    await expect(stale.append([item('stale-revived')])).rejects.toBeInstanceOf(ConflictError);
  });

  describe.skipIf(!SERVER)('with real child processes (server only: processes cannot share the embedded PGlite)', () => {
    it('a child process trying to resume a thread this process writes gets Conflict', async () => {
      const tenant = randomUUID();
      const threadId = newUuidV7();
      const writer = await LiveThread.create(one.forTenant(tenant), create(threadId));
      await writer.append([item('parent')]);
      const child = startChildWriter({ url: test.url!, tenantId: tenant, threadId, mode: 'claim', tag: 'child', leaseMs: 60_000 });
      const line = await child.waitForLine((l) => l.startsWith('error') || l === 'claimed');
      await child.exited;
      expect(line).toMatch(/^error Conflict thread-store conflict: thread .* already has a live writer in another process$/);
      await writer.append([item('parent-2')]);
      await writer.shutdown();
      expect(tags(await storedItems(one.forTenant(tenant), threadId))).toEqual(['parent', 'parent-2']);
    });

    it('while a child process holds the thread this process gets Conflict; after the child is killed its lease lapses and this process takes over', async () => {
      const tenant = randomUUID();
      const threadId = newUuidV7();
      const first = await LiveThread.create(one.forTenant(tenant), create(threadId));
      await first.append([item('start')]);
      await first.shutdown();
      const leaseMs = 400;
      const child = startChildWriter({ url: test.url!, tenantId: tenant, threadId, mode: 'hold', tag: 'child', leaseMs });
      await child.waitForLine((l) => l === 'ready');
      await expect(LiveThread.resume(one.forTenant(tenant), resume(threadId))).rejects.toBeInstanceOf(ConflictError);
      // still alive and heartbeating after more than a lease: still Conflict
      await sleep(leaseMs * 2);
      await expect(LiveThread.resume(one.forTenant(tenant), resume(threadId))).rejects.toBeInstanceOf(ConflictError);
      child.kill('SIGKILL');
      await child.exited;
      // A takeover is judged with the claimer's lease: use the dead writer's.
      const shortLease = await test.openStore({ leaseMs });
      try {
        let thread: LiveThread | null = null;
        const deadline = Date.now() + 10_000;
        while (!thread) {
          try {
            thread = await LiveThread.resume(shortLease.forTenant(tenant), resume(threadId));
          } catch (error) {
            if (!(error instanceof ConflictError) || Date.now() > deadline) throw error;
            await sleep(50);
          }
        }
        await thread.append([item('after-takeover')]);
        await thread.shutdown();
      } finally {
        await shortLease.close();
      }
      const items = await storedItems(one.forTenant(tenant), threadId);
      expect(items.map((i) => i.seq)).toEqual(items.map((_, i) => i));
      expect(tags(items)).toEqual(['start', ...child.acked(), 'after-takeover']);
    });
  });
});
