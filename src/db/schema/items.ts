// Owns the drizzle definition of thread_items — every column, the primary key, the check and the
// indexes — as the source of its row types and of the one column list every insert names
// (src/store/postgres/itemRows.ts). The table itself is created by the hand-written migrations
// (0001 and later) because drizzle-kit cannot express PARTITION BY HASH, so this file is
// deliberately not in drizzle.config.ts's schema list; test/db/schemaDrift.test.ts holds the two
// together by comparing this declaration with the migrated catalog.
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { threadStoreSchema } from './threads.js';

/** Hash partitions of thread_items (thread_items_p00 … p15), by thread_id. */
export const THREAD_ITEM_PARTITIONS = 16;

export const threadItems = threadStoreSchema.table(
  'thread_items',
  {
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
  },
  (t) => [
    primaryKey({ name: 'thread_items_pkey', columns: [t.tenantId, t.threadId, t.seq] }),
    check('thread_items_payload_present', sql`payload IS NOT NULL OR raw_line IS NOT NULL`),
    // Turn projection (listTurns) reads a thread's rows by turn (0001).
    index('thread_items_turn_idx').on(t.tenantId, t.threadId, t.turnId, t.seq),
    // Analytics (0004): turn starts per UTC day, token counts; partial, so other lines never touch them.
    index('thread_items_turn_start_day_idx')
      .on(t.tenantId, sql`thread_store.rollout_day(ts)`, t.threadId)
      .where(sql`type = 'event_msg' AND subtype IN ('task_started', 'turn_started')`),
    index('thread_items_token_count_idx').on(t.tenantId, t.threadId, t.seq).where(sql`type = 'event_msg' AND subtype = 'token_count'`),
  ],
);
