// @langchain/langgraph-checkpoint-postgres in the peer benchmark, used the way a LangGraph agent
// persists a conversation: the `messages` channel holds the whole list, and every step puts a new
// checkpoint whose channel_values.messages is the list so far (PostgresSaver writes a new blob of
// the whole channel for every new version). A real graph step also calls putWrites for the task's
// writes first; we call only put, which favours LangGraph.
//
// LangGraph has no "list a tenant's threads" call. Emulated with its native filter: one checkpoint
// per thread whose metadata carries { tenant }, then PostgresSaver.list({}, { filter: { tenant },
// limit }) — newest checkpoints first (checkpoint ids are time-ordered uuid6), a sequential scan with
// `metadata @> filter` because the checkpoints table has no index for it. With several checkpoints
// per thread the same call would need a larger limit and de-duplication by thread_id.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { AIMessage, HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { emptyCheckpoint, uuid6, type Checkpoint, type CheckpointMetadata } from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type { AppendSystem, BenchMessage, ListSystem, ReadSystem } from './types.js';

export interface LangGraphHandle {
  saver: PostgresSaver;
  pool: pg.Pool;
}

export async function openLangGraph(url: string, maxConnections: number): Promise<LangGraphHandle> {
  const pool = new pg.Pool({ connectionString: url, max: maxConnections });
  const saver = new PostgresSaver(pool, undefined, { schema: 'langgraph' });
  await saver.setup();
  return { saver, pool };
}

const toLangChain = (m: BenchMessage): BaseMessage => (m.role === 'user' ? new HumanMessage({ content: m.text, id: m.id }) : new AIMessage({ content: m.text, id: m.id }));

/** A conversation as a LangGraph graph keeps it: the whole message list, re-put at every step. */
export class LangGraphConversation {
  private messages: BaseMessage[] = [];
  private parentId: string | undefined;
  private version = 0;
  /** Duration of every put, in ms (the cost grows with the list). */
  readonly stepMs: number[] = [];

  constructor(
    private readonly saver: PostgresSaver,
    readonly threadId: string,
    private readonly metadata: Record<string, unknown> = {},
  ) {}

  async step(newMessages: BenchMessage[]): Promise<void> {
    const t0 = performance.now();
    this.messages = [...this.messages, ...newMessages.map(toLangChain)]; // the add_messages reducer returns a new list
    this.version += 1;
    const checkpoint: Checkpoint = {
      ...emptyCheckpoint(),
      id: uuid6(-1),
      ts: new Date().toISOString(),
      channel_values: { messages: this.messages },
      channel_versions: { messages: this.version },
      versions_seen: {},
    };
    const config = { configurable: { thread_id: this.threadId, checkpoint_ns: '', ...(this.parentId ? { checkpoint_id: this.parentId } : {}) } };
    const metadata = { source: 'loop', step: this.version - 1, parents: {}, ...this.metadata } as CheckpointMetadata;
    const next = await this.saver.put(config, checkpoint, metadata, { messages: this.version });
    this.parentId = next.configurable?.checkpoint_id as string | undefined;
    this.stepMs.push(performance.now() - t0);
  }
}

export function langGraphAppender(handle: LangGraphHandle, maxThreadLength: number, conversations: LangGraphConversation[]): AppendSystem {
  return {
    key: 'langgraph',
    label: '@langchain/langgraph-checkpoint-postgres PostgresSaver.put per step (whole message list)',
    batch: 1,
    maxThreadLength,
    async openThread() {
      const conversation = new LangGraphConversation(handle.saver, randomUUID());
      conversations.push(conversation);
      return { id: conversation.threadId, append: (messages) => conversation.step(messages), close: async () => {} };
    },
  };
}

export function langGraphReader(handle: LangGraphHandle): ReadSystem {
  return {
    key: 'langgraph',
    label: '@langchain/langgraph-checkpoint-postgres PostgresSaver.getTuple, last 50 of channel_values.messages',
    async loadLast(threadId, n) {
      const tuple = await handle.saver.getTuple({ configurable: { thread_id: threadId } });
      const messages = (tuple?.checkpoint.channel_values.messages ?? []) as BaseMessage[];
      return messages.slice(-n).length;
    },
  };
}

export function langGraphLister(handle: LangGraphHandle): ListSystem {
  return {
    key: 'langgraph',
    label: '@langchain/langgraph-checkpoint-postgres PostgresSaver.list({}, { filter: { tenant }, limit: 50 }) (emulated)',
    orders: ['updated'],
    async createListedThread(tenantId, index) {
      const conversation = new LangGraphConversation(handle.saver, randomUUID(), { tenant: tenantId });
      await conversation.step([{ id: randomUUID(), role: 'user', text: `question ${index}` }]);
    },
    async listRecent(tenantId, n) {
      const threads = new Set<string>();
      for await (const tuple of handle.saver.list({ configurable: {} }, { filter: { tenant: tenantId }, limit: n })) {
        threads.add(String(tuple.config.configurable?.thread_id));
      }
      return threads.size;
    },
  };
}
