// readThread / loadHistory (spec §2.1, §13 "read_thread(include_archived=false) on an archived thread").
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ThreadNotFoundError } from '../../../src/model/errors.js';
import type { ContractContext } from '../harness.js';
import { FIXTURE } from '../fixtures.js';
import { createParams, expectError, importFixture, json, makeThread, newId } from '../helpers.js';

export function readSpec(ctx: ContractContext): void {
  describe('readThread / loadHistory', () => {
    it('unknown ids → ThreadNotFound "thread <id> not found"', async () => {
      const store = ctx.store();
      const threadId = newId();
      const error = await expectError(store.readThread({ threadId }), ThreadNotFoundError, `thread ${threadId} not found`);
      expect(error.threadId).toBe(threadId);
      await expectError(store.loadHistory({ threadId }), ThreadNotFoundError, `thread ${threadId} not found`);
    });

    it('a live but unmaterialized thread is not found', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await expectError(store.readThread({ threadId, includeHistory: true }), ThreadNotFoundError);
      await expectError(store.loadHistory({ threadId }), ThreadNotFoundError);
    });

    it('rejects malformed ids as InvalidRequest', async () => {
      const store = ctx.store();
      await expectError(store.readThread({ threadId: 'not-a-uuid' }), InvalidRequestError);
      await expectError(store.loadHistory({ threadId: '' }), InvalidRequestError);
    });

    it('includeHistory attaches {threadId, items} equal to loadHistory', async () => {
      const store = ctx.store();
      const { threadId, lines } = await importFixture(store, FIXTURE.execResume);
      const plain = await store.readThread({ threadId });
      expect(plain.history).toBeUndefined();
      const withHistory = await store.readThread({ threadId, includeHistory: true });
      const history = await store.loadHistory({ threadId });
      expect(withHistory.history).toEqual(history);
      expect(history.items.slice(1)).toEqual(json(lines));
      const { history: _h, ...summary } = withHistory;
      expect(summary).toEqual(plain);
    });

    it('archived threads need includeArchived', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      await store.archiveThread({ threadId });
      await expectError(store.readThread({ threadId }), InvalidRequestError, `thread ${threadId} is archived`);
      await expectError(store.loadHistory({ threadId }), InvalidRequestError, /is archived/);
      await expectError(store.readThread({ threadId, includeArchived: false, includeHistory: true }), InvalidRequestError, /is archived/);
      expect((await store.readThread({ threadId, includeArchived: true })).archivedAt).not.toBeNull();
      expect((await store.loadHistory({ threadId, includeArchived: true })).items.length).toBeGreaterThan(1);
    });

    it('returns copies: mutating a result does not change the store', async () => {
      const store = ctx.store();
      const threadId = await makeThread(store);
      const thread = await store.readThread({ threadId, includeHistory: true });
      const snapshot = json(thread);
      thread.preview = 'mutated';
      (thread.history!.items[1]!.payload as Record<string, unknown>).role = 'mutated';
      thread.history!.items.push(thread.history!.items[0]!);
      expect(await store.readThread({ threadId, includeHistory: true })).toEqual(snapshot);
    });
  });
}
