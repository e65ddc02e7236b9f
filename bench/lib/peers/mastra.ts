// @mastra/pg in the peer benchmark: PostgresStore (schema `mastra`, its own tables and automatic
// indexes), threads with resourceId = tenant, saveMessages in the v2 message format, getMessages
// with selectBy.last, and getThreadsByResourceIdPaginated for listing (Mastra's native calls).
import { randomUUID } from 'node:crypto';
import { PostgresStore } from '@mastra/pg';
import type { AppendSystem, BenchMessage, ListSystem, ReadSystem } from './types.js';

type SaveArgs = Extract<Parameters<PostgresStore['saveMessages']>[0], { format: 'v2' }>;
type V2Message = SaveArgs['messages'][number];

export async function openMastra(url: string, maxConnections: number): Promise<PostgresStore> {
  const store = new PostgresStore({ connectionString: url, schemaName: 'mastra', max: maxConnections });
  await store.init();
  return store;
}

function toV2(m: BenchMessage, threadId: string, resourceId: string): V2Message {
  return {
    id: m.id,
    threadId,
    resourceId,
    role: m.role,
    createdAt: new Date(),
    content: { format: 2, parts: [{ type: 'text', text: m.text }] },
  } as V2Message;
}

async function saveThread(store: PostgresStore, id: string, resourceId: string, title: string): Promise<void> {
  const now = new Date();
  await store.saveThread({ thread: { id, resourceId, title, metadata: {}, createdAt: now, updatedAt: now } });
}

export function mastraAppender(store: PostgresStore, batch: number): AppendSystem {
  return {
    key: batch === 1 ? 'mastra' : `mastra-batch${batch}`,
    label: batch === 1 ? '@mastra/pg PostgresStore.saveMessages, 1 message per call' : `@mastra/pg PostgresStore.saveMessages, ${batch} messages per call`,
    batch,
    async openThread(tenantId) {
      const id = randomUUID();
      await saveThread(store, id, tenantId, 'bench');
      return {
        id,
        append: async (messages) => {
          await store.saveMessages({ format: 'v2', messages: messages.map((m) => toV2(m, id, tenantId)) });
        },
        close: async () => {},
      };
    },
  };
}

export function mastraReader(store: PostgresStore): ReadSystem {
  return {
    key: 'mastra',
    label: '@mastra/pg PostgresStore.getMessages({ selectBy: { last: 50 }, format: "v2" })',
    async loadLast(threadId, n) {
      const messages = await store.getMessages({ threadId, selectBy: { last: n }, format: 'v2' });
      return messages.length;
    },
  };
}

export function mastraLister(store: PostgresStore): ListSystem {
  return {
    key: 'mastra',
    label: '@mastra/pg PostgresStore.getThreadsByResourceIdPaginated({ perPage: 50, orderBy })',
    orders: ['created', 'updated'],
    async createListedThread(tenantId, index) {
      const id = randomUUID();
      await saveThread(store, id, tenantId, `question ${index}`);
      await store.saveMessages({ format: 'v2', messages: [toV2({ id: randomUUID(), role: 'user', text: `question ${index}` }, id, tenantId)] });
    },
    async listRecent(tenantId, n, order) {
      const page = await store.getThreadsByResourceIdPaginated({
        resourceId: tenantId,
        page: 0,
        perPage: n,
        orderBy: order === 'created' ? 'createdAt' : 'updatedAt',
        sortDirection: 'DESC',
      });
      return page.threads.length;
    },
  };
}
