// Owns the shape of a thread_items row: the one column list every insert names, the column arrays
// of one `unnest` insert (one statement for any number of rows, of any threads and tenants), and
// the row as read statements select it. The columns follow the drizzle view of the table
// (src/db/schema/items.ts).
import type { PreparedItem } from '../shared/preparedItem.js';

/** A line to store: where it goes and what it is. */
export interface ItemRow {
  tenantId: string;
  threadId: string;
  seq: number;
  turnId: string | null;
  item: PreparedItem;
}

/** Every column of thread_items, in insert order. */
export const ITEM_COLUMN_NAMES = ['tenant_id', 'thread_id', 'seq', 'type', 'subtype', 'turn_id', 'ts', 'payload', 'extra', 'raw_line', 'byte_size'] as const;
export const ITEM_COLUMNS = ITEM_COLUMN_NAMES.join(', ');

/** The column types of ITEM_COLUMNS, for unnest. */
const ITEM_ARRAY_TYPES = ['uuid', 'uuid', 'bigint', 'text', 'text', 'text', 'text', 'jsonb', 'jsonb', 'text', 'int'] as const;

/**
 * `INSERT INTO <table> (ITEM_COLUMNS) SELECT * FROM unnest($first::uuid[], …)`: eleven array
 * parameters starting at `$first`, filled by `itemArrays`.
 */
export function insertItemsSql(first: number, table = 'thread_store.thread_items'): string {
  const arrays = ITEM_ARRAY_TYPES.map((type, i) => `$${first + i}::${type}[]`).join(', ');
  return `INSERT INTO ${table} (${ITEM_COLUMNS}) SELECT * FROM unnest(${arrays})`;
}

/** The eleven arrays of insertItemsSql, in column order. */
export function itemArrays(rows: readonly ItemRow[]): unknown[][] {
  const cols: unknown[][] = ITEM_ARRAY_TYPES.map(() => new Array<unknown>(rows.length));
  rows.forEach(({ tenantId, threadId, seq, turnId, item }, i) => {
    cols[0]![i] = tenantId;
    cols[1]![i] = threadId;
    cols[2]![i] = seq;
    cols[3]![i] = item.type;
    cols[4]![i] = item.subtype;
    cols[5]![i] = turnId;
    cols[6]![i] = item.line.timestamp;
    cols[7]![i] = item.payloadJson;
    cols[8]![i] = item.extraJson;
    cols[9]![i] = item.rawLine;
    cols[10]![i] = item.byteSize;
  });
  return cols;
}

/**
 * A thread_items row as the read statements select it (decodeLine rebuilds the line from it). `seq`
 * comes back as a number (int8 parser) or NULL in the header row of a one-statement read.
 */
export interface SelectedItemRow {
  seq: number | string | null;
  turn_id?: string | null;
  ts: string;
  type: string;
  payload: unknown;
  extra: unknown;
  raw_line: string | null;
}
