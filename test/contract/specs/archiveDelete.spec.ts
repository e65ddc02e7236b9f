// archiveThread / unarchiveThread / deleteThread (spec §2.1, §11 "Idempotency", §13).
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ThreadNotFoundError } from '../../../src/model/errors.js';
import type { ContractContext } from '../harness.js';
import { createParams, expectError, ids, listAll, makeThread, message, ms, newId } from '../helpers.js';

export function archiveDeleteSpec(ctx: ContractContext): void {
  describe('archive / unarchive', () => {
    it('archive sets archivedAt and moves the thread to the archived listing', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const other = await makeThread(store);
      const before = await store.readThread({ threadId });
      const t0 = Date.now();
      await store.archiveThread({ threadId });
      const archived = await store.readThread({ threadId, includeArchived: true });
      expect(archived.archivedAt).not.toBeNull();
      expect(ms(archived.archivedAt!)).toBeGreaterThanOrEqual(t0 - 1000);
      expect(ms(archived.archivedAt!)).toBeLessThanOrEqual(Date.now() + 1000);
      expect({ ...archived, archivedAt: null }).toEqual(before);
      expect(ids(await listAll(store))).toEqual([other]);
      expect(ids(await listAll(store, { archived: true }))).toEqual([threadId]);
    });

    it('archive: unknown → ThreadNotFound; twice → InvalidRequest "already archived"', async () => {
      const store = ctx.store();
      await expectError(store.archiveThread({ threadId: newId() }), ThreadNotFoundError);
      const threadId = await makeThread(store);
      await store.archiveThread({ threadId });
      await expectError(store.archiveThread({ threadId }), InvalidRequestError, /already archived/);
      await expectError(store.archiveThread({ threadId: 'x' }), InvalidRequestError);
    });

    it('unarchive clears archivedAt, bumps updatedAt and returns the thread', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const before = await store.readThread({ threadId });
      await store.archiveThread({ threadId });
      await new Promise((r) => setTimeout(r, 5));
      const restored = await store.unarchiveThread({ threadId });
      expect(restored.archivedAt).toBeNull();
      expect(ms(restored.updatedAt)).toBeGreaterThan(ms(before.updatedAt));
      expect(restored).toEqual(await store.readThread({ threadId }));
      expect({ ...restored, updatedAt: before.updatedAt }).toEqual(before);
      expect(ids(await listAll(store))).toEqual([threadId]);
      expect(await listAll(store, { archived: true })).toEqual([]);
    });

    it('unarchive: unknown → ThreadNotFound; active → InvalidRequest "not archived"', async () => {
      const store = ctx.store();
      await expectError(store.unarchiveThread({ threadId: newId() }), ThreadNotFoundError);
      const threadId = await makeThread(store);
      await expectError(store.unarchiveThread({ threadId }), InvalidRequestError, /not archived/);
    });
  });

  describe('deleteThread', () => {
    it('unknown → ThreadNotFound "thread <id> not found"', async () => {
      const store = ctx.store();
      const threadId = newId();
      await expectError(store.deleteThread({ threadId }), ThreadNotFoundError, `thread ${threadId} not found`);
      await store.createThread(createParams(threadId)); // live but never materialized: nothing to delete
      await expectError(store.deleteThread({ threadId }), ThreadNotFoundError);
    });

    it('removes the thread, its history, its live writer; the id can be used again', async () => {
      const store = ctx.store();
      const keep = await makeThread(store);
      const threadId = await makeThread(store, { keepLive: true });
      await store.deleteThread({ threadId });
      await expectError(store.readThread({ threadId, includeArchived: true }), ThreadNotFoundError);
      await expectError(store.loadHistory({ threadId, includeArchived: true }), ThreadNotFoundError);
      await expectError(store.listTurns({ threadId }), ThreadNotFoundError);
      await expectError(store.listItems({ threadId }), ThreadNotFoundError);
      await expectError(store.updateThreadMetadata({ threadId, patch: { name: 'x' } }), ThreadNotFoundError);
      await expectError(store.appendItems({ threadId, items: [message('user', 'ghost')] }), ThreadNotFoundError);
      await expectError(store.deleteThread({ threadId }), ThreadNotFoundError);
      expect(ids(await listAll(store))).toEqual([keep]);
      expect((await store.searchThreads({ searchTerm: threadId })).items.map((h) => h.thread.threadId)).toEqual([]);
      await store.createThread(createParams(threadId));
      await store.appendItems({ threadId, items: [message('user', 'reborn')] });
      expect((await store.loadHistory({ threadId })).items).toHaveLength(2);
    });

    it('deletes archived threads too', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      await store.archiveThread({ threadId });
      await store.deleteThread({ threadId });
      expect(await listAll(store, { archived: true })).toEqual([]);
    });

    it('removes spawn edges in both directions; children stay readable', async () => {
      const store = ctx.store();
      const root = await makeThread(store);
      const child = await makeThread(store, { create: { parentThreadId: root } });
      const grandchild = await makeThread(store, { create: { parentThreadId: child } });
      await store.deleteThread({ threadId: child });
      expect(await listAll(store, { relationFilter: { kind: 'descendantsOf', threadId: root } })).toEqual([]);
      expect((await store.readThread({ threadId: grandchild })).parentThreadId).toBe(child);
      expect(await listAll(store, { relationFilter: { kind: 'directChildrenOf', threadId: child } })).toEqual([]);
      const other = await makeThread(store, { create: { parentThreadId: root } });
      expect(ids(await listAll(store, { relationFilter: { kind: 'directChildrenOf', threadId: root } }))).toEqual([other]);
    });
  });
}
