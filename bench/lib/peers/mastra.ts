// @mastra/pg in the peer benchmark, at the version a user installs today (the current major, 1.x;
// bench/package.json pins it): PostgresStore (schema `mastra`, its own tables and default indexes)
// and its memory domain — threads with resourceId = tenant, saveMessages of MastraDBMessage (format
// 2), listMessages for the newest messages (its default page answers the total count too, as an app
// using Mastra's pagination gets it) and listThreads filtered by resourceId for listing.
import { randomUUID } from 'node:crypto';
import { PostgresStore } from '@mastra/pg';
import type { AppendSystem, BenchMessage, ListSystem, ReadSystem } from './types.js';

export interface MastraHandle {
  store: PostgresStore;
  memory: Awaited<ReturnType<typeof memoryOf>>;
  close(): Promise<void>;
}

async function memoryOf(store: PostgresStore) {
  const memory = await store.getStore('memory');
  if (!memory) throw new Error('@mastra/pg has no memory domain');
  return memory;
}

export async function openMastra(url: string, maxConnections: number): Promise<MastraHandle> {
  const store = new PostgresStore({ id: 'pg-thread-store-bench', connectionString: url, schemaName: 'mastra', max: maxConnections });
  await store.init();
  const memory = await memoryOf(store);
  return { store, memory, close: () => store.close() };
}

type SaveArgs = Parameters<MastraHandle['memory']['saveMessages']>[0];
type DbMessage = SaveArgs['messages'][number];

function toDbMessage(m: BenchMessage, threadId: string, resourceId: string): DbMessage {
  return {
    id: m.id,
    threadId,
    resourceId,
    role: m.role,
    createdAt: new Date(),
    content: { format: 2, parts: [{ type: 'text', text: m.text }] },
  } as DbMessage;
}

async function saveThread(mastra: MastraHandle, id: string, resourceId: string, title: string): Promise<void> {
  const now = new Date();
  await mastra.memory.saveThread({ thread: { id, resourceId, title, metadata: {}, createdAt: now, updatedAt: now } });
}

export function mastraAppender(mastra: MastraHandle, batch: number): AppendSystem {
  return {
    key: batch === 1 ? 'mastra' : `mastra-batch${batch}`,
    label: batch === 1 ? '@mastra/pg memory.saveMessages, 1 message per call' : `@mastra/pg memory.saveMessages, ${batch} messages per call`,
    batch,
    async openThread(tenantId) {
      const id = randomUUID();
      await saveThread(mastra, id, tenantId, 'bench');
      return {
        id,
        append: async (messages) => {
          await mastra.memory.saveMessages({ messages: messages.map((m) => toDbMessage(m, id, tenantId)) });
        },
        close: async () => {},
      };
    },
  };
}

export function mastraReader(mastra: MastraHandle): ReadSystem {
  return {
    key: 'mastra',
    label: '@mastra/pg memory.listMessages({ threadId, perPage: 50, orderBy: createdAt DESC })',
    async loadLast(threadId, n) {
      const page = await mastra.memory.listMessages({ threadId, perPage: n, page: 0, orderBy: { field: 'createdAt', direction: 'DESC' } });
      return page.messages.length;
    },
  };
}

export function mastraLister(mastra: MastraHandle): ListSystem {
  return {
    key: 'mastra',
    label: '@mastra/pg memory.listThreads({ filter: { resourceId }, perPage: 50, orderBy })',
    orders: ['created', 'updated'],
    async createListedThread(tenantId, index) {
      const id = randomUUID();
      await saveThread(mastra, id, tenantId, `question ${index}`);
      await mastra.memory.saveMessages({ messages: [toDbMessage({ id: randomUUID(), role: 'user', text: `question ${index}` }, id, tenantId)] });
    },
    async listRecent(tenantId, n, order) {
      const page = await mastra.memory.listThreads({
        filter: { resourceId: tenantId },
        perPage: n,
        page: 0,
        orderBy: { field: order === 'created' ? 'createdAt' : 'updatedAt', direction: 'DESC' },
      });
      return page.threads.length;
    },
  };
}
