// Owns drizzle's query builder on our connections: `run(tx, (db) => db.select()…)` builds a query
// from the schema and runs it on `tx` (a tenant transaction, a session), so it runs inside our
// transactions, with our tenant scope and our error mapping. Used where the builder reads better
// than SQL — small reads and writes of one table (tenants, archive); the hot paths keep their
// hand-written, prepared SQL (typed by the same schema, src/db/schema/columns.ts).
import { DrizzleQueryError } from 'drizzle-orm';
import { drizzle, type PgRemoteDatabase } from 'drizzle-orm/pg-proxy';
import { InternalError } from '../model/errors.js';
import type { SqlExecutor } from './database.js';

function builder(tx: SqlExecutor): PgRemoteDatabase {
  return drizzle(async (text, params, method) => {
    const { rows } = await tx.query(text, params);
    // drizzle reads selected values by position (it selects each column once, under its own name).
    return { rows: method === 'execute' ? rows : rows.map((row) => Object.values(row)) };
  });
}

/**
 * Build a query with drizzle and run it on `tx`. A failure comes out as the driver's own error
 * (the transaction maps it, db/errors.ts): drizzle's wrapper would carry the bound parameters —
 * user text — in its message.
 */
export async function run<T>(tx: SqlExecutor, build: (db: PgRemoteDatabase) => PromiseLike<T>): Promise<T> {
  try {
    return await build(builder(tx));
  } catch (error) {
    if (!(error instanceof DrizzleQueryError)) throw error;
    throw error.cause ?? new InternalError('a query failed (no driver error given)');
  }
}
