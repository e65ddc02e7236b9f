// Owns how SQL written by hand stays tied to the drizzle schema (the one source of truth): row
// types derived from the tables, and the column lists and `unnest` casts every INSERT names, read
// from the tables at module load — so no statement retypes a column name or its type.
//
// pg (and PGlite) return rows keyed by SQL column name (snake_case), drizzle's `$inferSelect` is
// keyed by property (camelCase): `PgRow` maps deliberately through each column's declared SQL name,
// so a hand-written `SELECT *` is typed exactly as the table says (and a renamed column breaks the
// build, not a query at runtime).
import { getTableColumns, getTableName, type Table } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import type { tenants, threadCheckpoints, threads } from './threads.js';
import type { threadItems } from './items.js';

type ColumnsOf<T extends Table> = T['_']['columns'];

/** A row of `T` as pg returns it: SQL column names, types from the drizzle schema. */
export type PgRow<T extends Table> = {
  [K in keyof ColumnsOf<T> as ColumnsOf<T>[K]['_']['name']]: T['$inferSelect'][K & keyof T['$inferSelect']];
};

/** A property (camelCase) of table `T`. */
export type ColumnKey<T extends Table> = keyof T['$inferSelect'] & string;

/** A row to insert as the store sends it: timestamps as Date or ISO-8601 text (PostgreSQL parses and rounds both). */
export type AsSent<R> = { [K in keyof R]: Date extends NonNullable<R[K]> ? R[K] | string : R[K] };

/** `thread_store.threads` as `SELECT *` returns it. */
export type ThreadRowRecord = PgRow<typeof threads>;
/** A `threads` row to insert (camelCase; columns with defaults optional). */
export type ThreadInsert = AsSent<typeof threads.$inferInsert>;
/** A `thread_checkpoints` row to insert. */
export type CheckpointInsert = AsSent<typeof threadCheckpoints.$inferInsert>;
/** `thread_store.thread_items` as `SELECT *` returns it. */
export type ThreadItemRowRecord = PgRow<typeof threadItems>;
/** `thread_store.tenants` as `SELECT *` returns it. */
export type TenantRowRecord = PgRow<typeof tenants>;

/** `schema.table`, as statements name it. */
export function qualifiedName(table: PgTable): string {
  const { schema } = getTableConfig(table);
  return schema ? `${schema}.${getTableName(table)}` : getTableName(table);
}

/** Every property of `table`, in declaration order. */
export function columnKeys<T extends PgTable>(table: T): ColumnKey<T>[] {
  return Object.keys(getTableColumns(table)) as ColumnKey<T>[];
}

/** The SQL name of `key`. */
export function columnName<T extends PgTable>(table: T, key: ColumnKey<T>): string {
  const column = getTableColumns(table)[key];
  if (!column) throw new Error(`${getTableName(table)} has no column ${key}`);
  return column.name;
}

/** SQL names of `keys`, in that order. */
export function columnNames<T extends PgTable>(table: T, keys: readonly ColumnKey<T>[]): string[] {
  return keys.map((k) => columnName(table, k));
}

/** The type to cast a parameter array of `key` to in `unnest($n::<type>[])`. */
export function arrayElementType<T extends PgTable>(table: T, key: ColumnKey<T>): string {
  const column = getTableColumns(table)[key];
  if (!column) throw new Error(`${getTableName(table)} has no column ${key}`);
  const type = column.getSQLType();
  if (type.startsWith('timestamp') && type.includes('with time zone')) return 'timestamptz';
  if (type === 'integer') return 'int';
  return type;
}

/**
 * `INSERT INTO <table> (<keys>) SELECT * FROM unnest($first::<type>[], …)`: one statement for any
 * number of rows, one array parameter per column, starting at `$first`.
 */
export function unnestInsertSql<T extends PgTable>(table: T, keys: readonly ColumnKey<T>[], first = 1, options: { routed?: RoutedInsert } = {}): string {
  const arrays = keys.map((k, i) => `$${first + i}::${arrayElementType(table, k)}[]`).join(', ');
  const names = columnNames(table, keys);
  const into = `INSERT INTO ${qualifiedName(table)} (${names.join(', ')})`;
  if (!options.routed) return `${into} SELECT * FROM unnest(${arrays})`;
  const select = names.map((n) => (n === 'tenant_id' ? 'a.tenant_id' : `u.${n}`)).join(', ');
  return `${into} SELECT ${select} FROM unnest(${arrays}) AS u(${names.join(', ')}) ${routedJoin('u', options.routed)}`;
}

/**
 * An `INSERT … SELECT … FROM unnest(…)` of ONE tenant's rows in the form a Citus coordinator routes
 * to that tenant's shard: the rows go through a join with a co-located table of the tenant (the
 * anchor), whose tenant_id is what the insert writes, and the anchor is named with the tenant as a
 * value. From unnest alone Citus would pull the rows through the coordinator and COPY them to the
 * shard, which row-level security forbids. The anchor is `threads` (joined on the row's thread: the
 * threads row must exist) or `tenant_clocks` (one row per tenant: see ensureRoutingAnchor).
 */
export interface RoutedInsert {
  /** The SQL of the tenant value, e.g. `$12::uuid`. */
  tenant: string;
  anchor: 'threads' | 'tenant_clocks';
}

export function routedJoin(alias: string, routed: RoutedInsert): string {
  return routed.anchor === 'threads'
    ? `JOIN thread_store.threads a ON a.tenant_id = ${alias}.tenant_id AND a.id = ${alias}.thread_id WHERE a.tenant_id = ${routed.tenant}`
    : `JOIN thread_store.tenant_clocks a ON a.tenant_id = ${alias}.tenant_id WHERE a.tenant_id = ${routed.tenant}`;
}

/** The parameter arrays of unnestInsertSql for `rows`, in the order of `keys`. */
export function unnestArrays<T extends PgTable, R extends Partial<Record<ColumnKey<T>, unknown>>>(keys: readonly ColumnKey<T>[], rows: readonly R[]): unknown[][] {
  return keys.map((k) => rows.map((r) => (r as Record<string, unknown>)[k] ?? null));
}

/** `row` (as pg returns it) keyed by property instead of SQL name: the inverse of PgRow's mapping. */
export function fromPgRow<T extends PgTable>(table: T, row: PgRow<T>): T['$inferSelect'] {
  const out: Record<string, unknown> = {};
  const source = row as Record<string, unknown>;
  for (const [key, column] of Object.entries(getTableColumns(table))) out[key] = source[column.name];
  return out as T['$inferSelect'];
}
