// Cross-tenant isolation: a thread of tenant A does not exist for tenant B in any method, even when
// B knows (guesses) its id; the same id can exist independently in both tenants.
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ThreadNotFoundError } from '../../../src/model/errors.js';
import type { ContractContext } from '../harness.js';
import { FIXTURE } from '../fixtures.js';
import { createParams, expectError, ids, importFixture, listAll, makeThread, message, newId } from '../helpers.js';

export function tenantIsolationSpec(ctx: ContractContext): void {
  describe('tenant isolation', () => {
    it('a thread of tenant A is ThreadNotFound for tenant B in every method', async () => {
      const a = ctx.store();
      const b = ctx.store();
      const { threadId } = await importFixture(a, FIXTURE.interruptFail, { deriveMetadata: true });
      const child = await makeThread(a, { create: { parentThreadId: threadId } });
      const archived = await makeThread(a);
      await a.archiveThread({ threadId: archived });
      const before = await a.readThread({ threadId, includeHistory: true });
      const meta = { modelProvider: 'openai' };

      await expectError(b.readThread({ threadId, includeArchived: true }), ThreadNotFoundError);
      await expectError(b.readThread({ threadId: archived, includeArchived: true }), ThreadNotFoundError);
      await expectError(b.loadHistory({ threadId, includeArchived: true }), ThreadNotFoundError);
      await expectError(b.resumeThread({ threadId, includeArchived: true, metadata: meta }), ThreadNotFoundError);
      await expectError(b.appendItems({ threadId, items: [message('user', 'intruder')] }), ThreadNotFoundError);
      await expectError(b.persistThread(threadId), ThreadNotFoundError);
      await expectError(b.flushThread(threadId), ThreadNotFoundError);
      await expectError(b.shutdownThread(threadId), ThreadNotFoundError);
      await expectError(b.updateThreadMetadata({ threadId, patch: { name: 'pwned' }, includeArchived: true }), ThreadNotFoundError);
      await expectError(b.updateThreadMetadata({ threadId, patch: {}, includeArchived: true }), ThreadNotFoundError);
      await expectError(b.archiveThread({ threadId }), ThreadNotFoundError);
      await expectError(b.unarchiveThread({ threadId: archived }), ThreadNotFoundError);
      await expectError(b.deleteThread({ threadId }), ThreadNotFoundError);
      await expectError(b.deleteThread({ threadId: archived }), ThreadNotFoundError);
      await expectError(b.forkThread({ sourceThreadId: threadId, newThreadId: newId(), includeArchived: true }), ThreadNotFoundError);
      await expectError(b.listTurns({ threadId, includeArchived: true }), ThreadNotFoundError);
      await expectError(b.listItems({ threadId, includeArchived: true }), ThreadNotFoundError);
      await b.discardThread(threadId); // idempotent no-op for B

      expect(await listAll(b)).toEqual([]);
      expect(await listAll(b, { archived: true })).toEqual([]);
      expect(await listAll(b, { relationFilter: { kind: 'directChildrenOf', threadId } })).toEqual([]);
      expect(await listAll(b, { relationFilter: { kind: 'descendantsOf', threadId } })).toEqual([]);
      expect((await b.searchThreads({ searchTerm: 'stream' })).items).toEqual([]);
      expect((await b.searchThreads({ searchTerm: 'a', archived: true })).items).toEqual([]);

      // A is untouched
      expect(await a.readThread({ threadId, includeHistory: true })).toEqual(before);
      expect(ids(await listAll(a, { relationFilter: { kind: 'directChildrenOf', threadId } }))).toEqual([child]);
      expect((await a.searchThreads({ searchTerm: 'stream' })).items.map((h) => h.thread.threadId)).toContain(threadId);
    });

    it('cursors of tenant A reveal nothing of A in tenant B', async () => {
      const a = ctx.store();
      const b = ctx.store();
      await makeThread(a);
      await makeThread(a);
      const threadsCursor = (await a.listThreads({ pageSize: 1 })).nextCursor;
      expect(threadsCursor).not.toBeNull();
      expect((await b.listThreads({ pageSize: 10, cursor: threadsCursor })).items).toEqual([]);
    });

    it('the same thread id lives independently in two tenants', async () => {
      const a = ctx.store();
      const b = ctx.store();
      const threadId = newId();
      await a.createThread(createParams(threadId, { metadata: { cwd: '/a', modelProvider: 'mockA' } }));
      // A's live writer does not block B
      await b.createThread(createParams(threadId, { metadata: { cwd: '/b', modelProvider: 'mockB' } }));
      await a.appendItems({ threadId, items: [message('user', 'from A')] }, { metadataPatch: { preview: 'from A' } });
      await b.appendItems({ threadId, items: [message('user', 'from B'), message('assistant', 'reply B')] }, { metadataPatch: { preview: 'from B' } });
      await b.shutdownThread(threadId);
      await expectError(b.appendItems({ threadId, items: [message('user', 'late')] }), ThreadNotFoundError);
      await a.appendItems({ threadId, items: [message('assistant', 'A still live')] });
      await a.shutdownThread(threadId);

      expect(await a.readThread({ threadId })).toMatchObject({ cwd: '/a', modelProvider: 'mockA', preview: 'from A', itemCount: 3 });
      expect(await b.readThread({ threadId })).toMatchObject({ cwd: '/b', modelProvider: 'mockB', preview: 'from B', itemCount: 3 });
      await b.archiveThread({ threadId });
      expect((await a.readThread({ threadId })).archivedAt).toBeNull();
      await b.deleteThread({ threadId });
      expect((await a.loadHistory({ threadId })).items).toHaveLength(3);
      await expectError(b.readThread({ threadId, includeArchived: true }), ThreadNotFoundError);
    });

    it('forTenant rejects a malformed tenant id', async () => {
      let caught: unknown;
      try {
        await ctx.service.forTenant('not-a-tenant').listThreads();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidRequestError);
    });
  });
}
