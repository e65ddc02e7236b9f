// Owns the shape of a thread_items row: the one column list every insert names, the column arrays
// of one `unnest` insert (one statement for any number of rows, of any threads and tenants), and
// the row as read statements select it. The columns are the drizzle schema's
// (src/db/schema/items.ts): checked by the compiler, and their order and types by
// test/db/schemaDrift.test.ts.
import { routedJoin, type RoutedInsert, type ThreadItemRowRecord } from '../../db/schema/columns.js';
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

/**
 * `INSERT INTO <table> (ITEM_COLUMNS) SELECT … FROM unnest(…)`: eleven parameters starting at
 * `$first`, filled by `itemArrays`. The JSON columns (payload, extra, raw_line) travel as ONE text
 * each, the rows' JSON joined by U+001E and split by the server: JSON text never holds a raw U+001E
 * (JSON.stringify escapes every control character), and this spares both sides the quoting of an
 * array literal — measured 3,200 1 KB payloads in 71 ms instead of 120 ms as jsonb[]. An empty
 * element is NULL (no JSON text is empty).
 */
export function insertItemsSql(first: number, table = 'thread_store.thread_items', options: { routed?: RoutedInsert } = {}): string {
  const $ = (i: number) => `$${first + i}`;
  // routed: the rows of one tenant in the form Citus routes to its shard (see RoutedInsert).
  const routed = options.routed;
  return `INSERT INTO ${table} (${ITEM_COLUMNS})
          SELECT ${routed ? 'a' : 'r'}.tenant_id, r.thread_id, r.seq, r.type, r.subtype, r.turn_id, r.ts,
                 nullif(r.payload, '')::jsonb, nullif(r.extra, '')::jsonb, nullif(r.raw_line, ''), r.byte_size
            FROM unnest(${$(0)}::uuid[], ${$(1)}::uuid[], ${$(2)}::bigint[], ${$(3)}::text[], ${$(4)}::text[], ${$(5)}::text[], ${$(6)}::text[],
                        string_to_array(${$(7)}::text, E'\x1e'), string_to_array(${$(8)}::text, E'\x1e'), string_to_array(${$(9)}::text, E'\x1e'),
                        ${$(10)}::int[])
              AS r(tenant_id, thread_id, seq, type, subtype, turn_id, ts, payload, extra, raw_line, byte_size)${routed ? `
            ${routedJoin('r', routed)}` : ''}`;
}

/**
 * insertItemsSql for the rows of ONE tenant ($12) on a distributed database, in the form Citus
 * routes whole to the tenant's shard (anchored on its threads rows): the append batch and fork use it.
 */
export const INSERT_ITEMS_ROUTED = insertItemsSql(1, 'thread_store.thread_items', { routed: { tenant: '$12::uuid', anchor: 'threads' } });

/** The eleven parameters of insertItemsSql, in column order. */
export function itemArrays(rows: readonly ItemRow[]): unknown[] {
  const n = rows.length;
  const tenants = new Array<string>(n);
  const threads = new Array<string>(n);
  const seqs = new Array<number>(n);
  const types = new Array<string>(n);
  const subtypes = new Array<string | null>(n);
  const turns = new Array<string | null>(n);
  const tss = new Array<string>(n);
  const payloads = new Array<string>(n);
  const extras = new Array<string>(n);
  const raws = new Array<string>(n);
  const sizes = new Array<number>(n);
  rows.forEach(({ tenantId, threadId, seq, turnId, item }, i) => {
    tenants[i] = tenantId;
    threads[i] = threadId;
    seqs[i] = seq;
    types[i] = item.type;
    subtypes[i] = item.subtype;
    turns[i] = turnId;
    tss[i] = item.line.timestamp;
    payloads[i] = item.payloadJson ?? '';
    extras[i] = item.extraJson ?? '';
    raws[i] = item.rawLine ?? '';
    sizes[i] = item.byteSize;
  });
  return [tenants, threads, seqs, types, subtypes, turns, tss, payloads.join(RS), extras.join(RS), raws.join(RS), sizes];
}

const RS = '\u001e';

/**
 * A thread_items row as the read statements select it (decodeLine rebuilds the line from it), typed
 * by the drizzle schema. `seq` comes back as a number (int8 parser) or NULL in the header row of a
 * one-statement read.
 */
export type SelectedItemRow = Pick<ThreadItemRowRecord, 'ts' | 'type' | 'payload' | 'extra' | 'raw_line'> & {
  seq: number | string | null;
  turn_id?: string | null;
};
