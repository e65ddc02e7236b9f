// The physical floor of an append, shared by the benches: a bare table with every column of
// pg-thread-store's thread_items (created LIKE it) and only a primary key — no partitions, no other
// index, no row-level security — filled with the very rows the library stores (its encoding of the
// same lines, through the same column arrays and unnest insert), one autocommitted statement per
// batch, from one connection.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import { insertItemsSql, itemArrays, type ItemRow } from '../../src/store/postgres/itemRows.js';
import { encodeLine } from '../../src/store/shared/preparedItem.js';

export const BARE_TABLE = 'raw.bare_items';
export const BARE_INSERT = insertItemsSql(1, BARE_TABLE);

export async function createBareTable(pool: pg.Pool | pg.Client): Promise<void> {
  await pool.query('CREATE SCHEMA IF NOT EXISTS raw');
  await pool.query(`CREATE TABLE IF NOT EXISTS ${BARE_TABLE} (LIKE thread_store.thread_items INCLUDING DEFAULTS, PRIMARY KEY (tenant_id, thread_id, seq))`);
}

/** `lines` as the library encodes them (timestamp stamped now), at seqs from `seq`. */
export function bareRows(tenantId: string, threadId: string, seq: number, lines: readonly RolloutLine[]): ItemRow[] {
  return lines.map((line, i) => ({ tenantId, threadId, seq: seq + i, turnId: null, item: encodeLine({ timestamp: new Date().toISOString(), ...line }) }));
}

export function insertBare(db: pg.Pool | pg.Client, rows: readonly ItemRow[]): Promise<unknown> {
  return db.query(BARE_INSERT, itemArrays(rows));
}

/**
 * A writer of the bare table spreading rows over `threads` threads (of one tenant, or one tenant
 * per thread), `batch` rows per statement, round robin over the threads — the rows a group-commit
 * batch of that size would hold.
 */
export function bareBatchWriter(threads: number, tenantsPerThread: boolean): (db: pg.Pool | pg.Client, batch: number, line: () => RolloutLine) => Promise<void> {
  const tenant = randomUUID();
  const ids = Array.from({ length: threads }, () => ({ tenant: tenantsPerThread ? randomUUID() : tenant, thread: randomUUID(), seq: 0 }));
  let next = 0;
  return async (db, batch, line) => {
    const rows: ItemRow[] = [];
    for (let k = 0; k < batch; k++) {
      const t = ids[next++ % ids.length]!;
      rows.push(...bareRows(t.tenant, t.thread, t.seq++, [line()]));
    }
    await insertBare(db, rows);
  };
}
