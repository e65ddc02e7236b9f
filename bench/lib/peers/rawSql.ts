// The raw-SQL baselines of the peer benchmark, on the same database in the same run:
//  - appends into a bare table: the same rows pg-thread-store stores (every column of its
//    thread_items, created LIKE it, the same encoded lines) with only a primary key — the floor
//    any design pays to make a message durable — one autocommitted INSERT per call (1 row, or one
//    unnest INSERT of the call's rows), through the same column arrays as the library's insert;
//  - the newest 50 items of a thread and the newest 50 threads of a tenant with keyset queries on
//    pg-thread-store's tables (same indexes), through a bare pg pool; the thread listing is ordered
//    as the partial indexes are declared (`DESC NULLS LAST`), so PostgreSQL walks the index.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { bareRows, createBareTable, insertBare } from '../bareTable.js';
import { toRolloutLine } from './threadStore.js';
import type { AppendSystem, ListOrder, ListSystem, ReadSystem } from './types.js';

export const setupRawSchema = createBareTable;

export function rawAppender(pool: pg.Pool, batch: number): AppendSystem {
  return {
    key: batch === 1 ? 'raw' : `raw-batch${batch}`,
    label: batch === 1 ? 'raw SQL: one autocommitted INSERT per message (bare table)' : `raw SQL: one unnest INSERT per ${batch} messages (bare table)`,
    batch,
    async openThread(tenantId) {
      const id = randomUUID();
      let seq = 0;
      return {
        id,
        async append(messages) {
          const rows = bareRows(tenantId, id, seq, messages.map(toRolloutLine));
          seq += rows.length;
          await insertBare(pool, rows);
        },
        close: async () => {},
      };
    },
  };
}

export function rawReader(pool: pg.Pool, tenantId: string): ReadSystem {
  return {
    key: 'raw',
    label: 'raw SQL: SELECT … FROM thread_items WHERE tenant_id, thread_id ORDER BY seq DESC LIMIT 50',
    async loadLast(threadId, n) {
      const { rows } = await pool.query(
        'SELECT seq, ts, type, payload, extra, raw_line FROM thread_store.thread_items WHERE tenant_id = $1 AND thread_id = $2 ORDER BY seq DESC LIMIT $3',
        [tenantId, threadId, n],
      );
      return rows.length;
    },
  };
}

export function rawLister(pool: pg.Pool): ListSystem {
  const column = (order: ListOrder) => (order === 'created' ? 'created_at' : 'updated_at');
  return {
    key: 'raw',
    label: 'raw SQL: keyset query on thread_store.threads, ordered as its partial index is declared (DESC NULLS LAST)',
    orders: ['created', 'updated'],
    async createListedThread() {
      throw new Error('the raw baseline lists the threads pg-thread-store created');
    },
    async listRecent(tenantId, n, order) {
      const c = column(order);
      const { rows } = await pool.query(
        `SELECT * FROM thread_store.threads WHERE tenant_id = $1 AND archived_at IS NULL AND preview <> '' ORDER BY ${c} DESC NULLS LAST, id DESC NULLS LAST LIMIT $2`,
        [tenantId, n + 1],
      );
      return Math.min(rows.length, n);
    },
  };
}
