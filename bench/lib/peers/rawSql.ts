// The raw-SQL baselines of the peer benchmark, on the same database in the same run:
//  - appends into a bare table (thread_id, seq, jsonb body; primary key only): the floor any
//    design pays to make a message durable, one autocommitted INSERT per call or one unnest INSERT
//    per batch;
//  - appends into pg-thread-store's own thread_items (same rows, same indexes, including the
//    trigram index of message text), batched: what the library's SQL costs without the library;
//  - the newest 50 items of a thread and the newest 50 threads of a tenant with keyset queries on
//    pg-thread-store's tables (same indexes), through a bare pg pool; the thread listing is ordered
//    as the partial indexes are declared (`DESC NULLS LAST`), so PostgreSQL walks the index and
//    stops after 51 rows — listThreads' `ORDER BY … DESC` does not match them (see bench/README.md).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { encodeLine } from '../../../src/store/shared/preparedItem.js';
import { toRolloutLine } from './threadStore.js';
import type { AppendSystem, BenchMessage, ListOrder, ListSystem, ReadSystem } from './types.js';

export async function setupRawSchema(pool: pg.Pool): Promise<void> {
  await pool.query('CREATE SCHEMA IF NOT EXISTS raw');
  await pool.query(`CREATE TABLE IF NOT EXISTS raw.messages (
    thread_id uuid NOT NULL, seq bigint NOT NULL, role text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), body jsonb NOT NULL,
    PRIMARY KEY (thread_id, seq))`);
}

const bodyOf = (m: BenchMessage) => JSON.stringify({ timestamp: new Date().toISOString(), ...toRolloutLine(m) });

export function rawAppender(pool: pg.Pool, batch: number): AppendSystem {
  return {
    key: batch === 1 ? 'raw' : `raw-batch${batch}`,
    label: batch === 1 ? 'raw SQL: one autocommitted INSERT per message (bare table)' : `raw SQL: one unnest INSERT per ${batch} messages (bare table)`,
    batch,
    async openThread() {
      const id = randomUUID();
      let seq = 0;
      return {
        id,
        async append(messages) {
          if (messages.length === 1) {
            const m = messages[0]!;
            await pool.query('INSERT INTO raw.messages (thread_id, seq, role, body) VALUES ($1, $2, $3, $4::jsonb)', [id, seq++, m.role, bodyOf(m)]);
            return;
          }
          const seqs = messages.map(() => seq++);
          await pool.query('INSERT INTO raw.messages (thread_id, seq, role, body) SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::jsonb[])', [
            id,
            seqs,
            messages.map((m) => m.role),
            messages.map(bodyOf),
          ]);
        },
        close: async () => {},
      };
    },
  };
}

/** Batched inserts of the library's own rows into thread_store.thread_items (all its indexes). */
export function rawItemsAppender(pool: pg.Pool, batch: number): AppendSystem {
  return {
    key: `raw-items-batch${batch}`,
    label: `raw SQL: one unnest INSERT per ${batch} messages into pg-thread-store's thread_items`,
    batch,
    async openThread(tenantId) {
      const id = randomUUID();
      let seq = 0;
      return {
        id,
        async append(messages) {
          const rows = messages.map((m) => encodeLine({ timestamp: new Date().toISOString(), ...toRolloutLine(m) }));
          await pool.query(
            `INSERT INTO thread_store.thread_items (tenant_id, thread_id, seq, type, subtype, ts, payload, byte_size, search_text)
             SELECT $1, $2, * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::int[], $9::text[])`,
            [
              tenantId,
              id,
              rows.map(() => seq++),
              rows.map((r) => r.type),
              rows.map((r) => r.subtype),
              rows.map((r) => r.line.timestamp),
              rows.map((r) => r.payloadJson),
              rows.map((r) => r.byteSize),
              rows.map((r) => r.searchText),
            ],
          );
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
