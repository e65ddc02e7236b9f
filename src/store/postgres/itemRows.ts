// Owns the write-side shape of a thread_items row: the one column list every insert names, and the
// column arrays of one `unnest` insert (one statement for any number of rows, of any threads and
// tenants). The columns are the drizzle schema's (src/db/schema/items.ts): checked by the compiler,
// and their order and types by test/db/schemaDrift.test.ts.
import type { ThreadItemRowRecord } from '../../db/schema/columns.js';
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
export const ITEM_COLUMN_NAMES = ['tenant_id', 'thread_id', 'seq', 'type', 'subtype', 'turn_id', 'ts', 'payload', 'extra', 'raw_line', 'byte_size'] as const satisfies readonly (keyof ThreadItemRowRecord)[];
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
