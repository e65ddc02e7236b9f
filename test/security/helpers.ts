// Owns what the security tests share: raw SQL as the application role (with or without a tenant
// setting) through the owner's connection, the SQLSTATE of a failed statement, every relation of
import { tenantScopeSteps } from '../../src/db/tenantPipeline.js';
// the schema, and a seeded tenant whose rows fill every table (threads, items in partitions,
// checkpoints, spawn edges, writer claims, tenant clock, tenants row).
import { expect } from 'vitest';
import type { Database, SqlExecutor } from '../../src/db/database.js';
import { TABLES_WITHOUT_TENANT_DATA } from '../../src/db/schema/threads.js';
import { advanceLineage, compactedLineageFields, initialLineage, SUMMARY_PREFIX } from '../../src/history/index.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { createTenant } from '../../src/admin/index.js';
import { createParams, message, newId, turnLines } from '../contract/helpers.js';

export const APP_ROLE = 'thread_store_app';

/**
 * Run `fn` on one connection as thread_store_app inside a transaction that is always rolled back.
 * With `tenantId`, the transaction carries that tenant (as the store sets it); without, it is a
 * connection that "forgot" the tenant.
 */
export async function asAppRole<T>(owner: Database, fn: (s: SqlExecutor) => Promise<T>, tenantId?: string): Promise<T> {
  const layout = await owner.layout();
  return owner.withSession(async (s) => {
    await s.query('BEGIN');
    try {
      await s.query(`SET LOCAL ROLE ${APP_ROLE}`);
      // The store's own scope prologue (on Citus a set_config would not reach the workers).
      if (tenantId !== undefined) for (const step of tenantScopeSteps(tenantId, layout)) await s.query(step.statement.text, [...step.params]);
      return await fn(s);
    } finally {
      await s.query('ROLLBACK');
    }
  });
}

/** The SQLSTATE a promise rejects with (searching `cause`), or 'ok' when it resolves. */
export async function sqlStateOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    for (let e: unknown = error, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    }
    return `no SQLSTATE: ${(error as Error).message}`;
  }
}

export interface Relation {
  name: string;
  kind: 'table' | 'partition' | 'view';
}

/** Every table, partition and view of schema thread_store. */
export async function schemaRelations(owner: Database): Promise<Relation[]> {
  return owner.withSession(async (s) => {
    const { rows } = await s.query<{ name: string; relkind: string; part: boolean }>(
      `SELECT c.relname AS name, c.relkind::text AS relkind, c.relispartition AS part FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'thread_store' AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY 1`,
    );
    // The tables that hold no tenant data (process heartbeats) are not tenant relations.
    return rows
      .filter((r) => !TABLES_WITHOUT_TENANT_DATA.includes(r.name))
      .map((r) => ({ name: r.name, kind: r.relkind === 'v' || r.relkind === 'm' ? 'view' : r.part ? 'partition' : 'table' }));
  });
}

/** Owner-side row count of a relation per tenant column (superuser bypasses RLS; PGlite's owner too). */
export async function ownerCount(owner: Database, relation: string, where = 'true', params: unknown[] = []): Promise<number> {
  return owner.withSession(async (s) => Number((await s.query<{ n: unknown }>(`SELECT count(*) AS n FROM thread_store.${relation} WHERE ${where}`, params)).rows[0]!.n));
}

const userMsg = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });

/** Rows in every table for `tenantId`; returns the ids it made. `marker` is in every text. */
export async function seedTenant(owner: Database, store: ThreadStore, marker: string): Promise<{ threads: string[]; live: string }> {
  await createTenant(owner, { name: `tenant ${marker} ${newId()}`, id: store.tenantId });
  const parent = newId();
  await store.createThread(createParams(parent, { metadata: { cwd: `/work/${marker}`, modelProvider: 'openai' } }));
  const lineage = advanceLineage(initialLineage());
  const compacted: RolloutLine = {
    type: 'compacted',
    payload: { message: `summary ${marker}`, replacement_history: [userMsg(`${SUMMARY_PREFIX}\n${marker}`)], ...compactedLineageFields(lineage) },
  };
  await store.appendItems({ threadId: parent, items: [...turnLines(newId(), `hello ${marker}`), compacted, message('user', `after ${marker}`)] }, { metadataPatch: { preview: `hello ${marker}`, title: `title ${marker}` } });
  await store.shutdownThread(parent);
  const child = newId();
  await store.createThread(createParams(child, { parentThreadId: parent, metadata: { cwd: `/work/${marker}`, modelProvider: 'openai' } }));
  await store.appendItems({ threadId: child, items: turnLines(newId(), `child ${marker}`) }, { metadataPatch: { preview: `child ${marker}` } });
  await store.shutdownThread(child);
  const fork = newId();
  await store.forkThread({ sourceThreadId: parent, newThreadId: fork });
  // Kept live: its claim stays in thread_writers.
  const live = newId();
  await store.createThread(createParams(live, { metadata: { cwd: `/work/${marker}`, modelProvider: 'openai' } }));
  await store.appendItems({ threadId: live, items: turnLines(newId(), `live ${marker}`) }, { metadataPatch: { preview: `live ${marker}` } });
  return { threads: [parent, child, fork, live], live };
}

/** Assert a row count for a tenant in each base table is positive (the seed reached every table). */
export async function expectEveryTableSeeded(owner: Database, tenantId: string): Promise<void> {
  for (const table of ['threads', 'thread_items', 'thread_checkpoints', 'thread_spawn_edges', 'thread_writers', 'tenant_clocks']) {
    expect(await ownerCount(owner, table, 'tenant_id = $1', [tenantId]), table).toBeGreaterThan(0);
  }
  expect(await ownerCount(owner, 'tenants', 'id = $1', [tenantId])).toBe(1);
}
