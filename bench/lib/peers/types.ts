// The shape every system in the peer benchmark (bench/peers.ts) is driven through: the same
// messages in, the same three workloads (append, load the last N, list a tenant's recent threads).

export interface BenchMessage {
  id: string;
  role: 'user' | 'assistant';
  text: string;
}

/** One conversation a system appends to. */
export interface AppendThread {
  id: string;
  /** Store `messages` durably (resolves after commit); one call = one write request of the system. */
  append(messages: BenchMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface AppendSystem {
  /** Short key used in results (`store`, `mastra`, ...). */
  key: string;
  /** What exactly is called, for the table. */
  label: string;
  /** Messages per append call. */
  batch: number;
  /** Threads longer than this are cut (LangGraph rewrites the whole list per step). */
  maxThreadLength?: number;
  openThread(tenantId: string): Promise<AppendThread>;
  /**
   * Finish the work the system deferred past the acknowledgements of a run (pg-thread-store: folding
   * the run's text into its search index), so it neither hides nor lands on the next system's run.
   */
  settle?(): Promise<void>;
}

export interface ReadSystem {
  key: string;
  label: string;
  /** Load the newest `n` messages of a thread; returns how many came back. */
  loadLast(threadId: string, n: number): Promise<number>;
}

export type ListOrder = 'created' | 'updated';

export interface ListSystem {
  key: string;
  label: string;
  orders: ListOrder[];
  /** Create one listable thread of `tenantId` (with one user message). */
  createListedThread(tenantId: string, index: number): Promise<void>;
  /** The `n` most recent threads of `tenantId`; returns how many came back. */
  listRecent(tenantId: string, n: number, order: ListOrder): Promise<number>;
}
