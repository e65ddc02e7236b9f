// Owns the drizzle view of thread_items, for types only. The table itself is created by the
// hand-written migration drizzle/0001_thread_items_partitioned.sql because drizzle-kit cannot
// express PARTITION BY HASH; this file is deliberately not in drizzle.config.ts's schema list.
import { bigint, integer, jsonb, text, uuid } from 'drizzle-orm/pg-core';
import { threadStoreSchema } from './threads.js';

export const THREAD_ITEM_PARTITIONS = 16;

export const threadItems = threadStoreSchema.table('thread_items', {
  tenantId: uuid('tenant_id').notNull(),
  threadId: uuid('thread_id').notNull(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  type: text('type').notNull(),
  subtype: text('subtype'),
  turnId: text('turn_id'),
  /** The line's `timestamp` string, verbatim. */
  ts: text('ts').notNull(),
  /** The payload; null when the line holds something JSONB cannot (then raw_line has it). */
  payload: jsonb('payload'),
  /** Top-level keys other than timestamp/type/payload (`ordinal`, `metadata`, ...), or null. */
  extra: jsonb('extra'),
  /** The whole line as JSON text, only when JSONB would reject or alter it (\u0000, lone surrogates). */
  rawLine: text('raw_line'),
  byteSize: integer('byte_size').notNull(),
});

export type ThreadItemRow = typeof threadItems.$inferSelect;
