// pg-thread-store in the peer benchmark: appends through LiveThread (the per-thread handle an agent
// holds; its appends of all threads share group-commit transactions), reads with
// ThreadStore.listItems (newest first) and lists with ThreadStore.listThreads (keyset pages).
import { randomUUID } from 'node:crypto';
import { LiveThread } from '../../../src/live/LiveThread.js';
import type { RolloutLine } from '../../../src/model/rolloutLine.js';
import type { ThreadStoreService } from '../../../src/store/openThreadStore.js';
import type { AppendSystem, BenchMessage, ListSystem, ReadSystem } from './types.js';

export function toRolloutLine(m: BenchMessage): RolloutLine {
  return {
    type: 'response_item',
    payload: { type: 'message', role: m.role, id: m.id, content: [{ type: m.role === 'user' ? 'input_text' : 'output_text', text: m.text }] },
  };
}

const createParams = (threadId: string) => ({
  threadId,
  source: 'cli' as const,
  originator: 'bench',
  metadata: { cwd: '/bench', modelProvider: 'openai' },
});

export function threadStoreAppender(service: ThreadStoreService, batch: number): AppendSystem {
  return {
    key: batch === 1 ? 'store' : `store-batch${batch}`,
    label: batch === 1 ? 'pg-thread-store LiveThread.append, 1 message per call' : `pg-thread-store LiveThread.append, ${batch} messages per call`,
    batch,
    settle: () => service.flushSearchIndex(),
    async openThread(tenantId) {
      const id = randomUUID();
      const live = await LiveThread.create(service.forTenant(tenantId), createParams(id));
      return {
        id,
        append: (messages) => live.append(messages.map(toRolloutLine)),
        close: () => live.shutdown(),
      };
    },
  };
}

export function threadStoreReader(service: ThreadStoreService, tenantId: string): ReadSystem {
  const store = service.forTenant(tenantId);
  return {
    key: 'store',
    label: 'pg-thread-store ThreadStore.listItems({ sortDirection: "desc", pageSize: 50 })',
    async loadLast(threadId, n) {
      const page = await store.listItems({ threadId, sortDirection: 'desc', pageSize: n });
      return page.items.length;
    },
  };
}

export function threadStoreLister(service: ThreadStoreService): ListSystem {
  return {
    key: 'store',
    label: 'pg-thread-store ThreadStore.listThreads({ sortKey, pageSize: 50 })',
    orders: ['created', 'updated'],
    async createListedThread(tenantId, index) {
      const id = randomUUID();
      const live = await LiveThread.create(service.forTenant(tenantId), createParams(id));
      await live.append([
        { type: 'event_msg', payload: { type: 'user_message', message: `question ${index}` } },
        toRolloutLine({ id: `m${index}`, role: 'user', text: `question ${index}` }),
      ]);
      await live.shutdown();
    },
    async listRecent(tenantId, n, order) {
      const page = await service.forTenant(tenantId).listThreads({ sortKey: order === 'created' ? 'created_at' : 'updated_at', pageSize: n });
      return page.items.length;
    },
  };
}
