// A failed turn's error, as the library's listTurns reports it (StoredTurn), carries what Codex's
// events carry: the message, `codexErrorInfo` and `additionalDetails` (it used to put
// codex_error_info into additionalDetails). Both stores, on the real app-interrupt-fail rollout.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InMemoryThreadStoreService } from '../../src/store/memory/index.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { createParamsFromMeta, FIXTURE, loadFixture } from '../contract/fixtures.js';
import { useTestStore } from '../helpers/database.js';

const pg = useTestStore();

async function failedTurnErrors(store: ThreadStore): Promise<unknown[]> {
  const { meta, lines } = loadFixture(FIXTURE.interruptFail);
  const params = createParamsFromMeta(meta);
  await store.createThread(params);
  await store.appendItems({ threadId: params.threadId, items: lines });
  await store.shutdownThread(params.threadId);
  const page = await store.listTurns({ threadId: params.threadId, sortDirection: 'asc', pageSize: 50, itemsView: 'notLoaded' });
  return page.turns.filter((t) => t.status === 'failed').map((t) => t.error);
}

const EXPECTED = [
  { message: 'stream disconnected before completion: The mock model crashed mid-stream.', codexErrorInfo: 'other', additionalDetails: null },
  { message: 'We’re currently experiencing high demand, which may cause temporary errors.', codexErrorInfo: 'internal_server_error', additionalDetails: null },
];

describe('StoredTurn.error of failed turns', () => {
  it('in memory', async () => {
    expect(await failedTurnErrors(new InMemoryThreadStoreService().forTenant(randomUUID()))).toEqual(EXPECTED);
  });

  it('in PostgreSQL', async () => {
    expect(await failedTurnErrors(pg.service.forTenant(randomUUID()))).toEqual(EXPECTED);
  });
});
