// Every analytics view (drizzle/0004_analytics_views.sql), on the real Codex sample loaded through
// the store into two tenants: tenant A with its threads spread over three UTC days, tenant B as
// recorded. Expected numbers come from test/analytics/expected.ts (computed from the appended
// lines). Queries run as the application role inside a tenant transaction, so the tests also
// prove that the views obey row-level security. Runs on DATABASE_URL's server and on PGlite.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  dailyActiveThreads,
  dailyCompactions,
  dailyItems,
  dailyThreads,
  dailyTokens,
  tenantOverview,
  tenantReport,
  threadLineage,
  threadsByModel,
  threadsBySource,
  threadWindows,
} from '../../src/analytics/index.js';
import type { Database, SqlExecutor } from '../../src/db/database.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import {
  expectedDailyActiveThreads,
  expectedDailyCompactions,
  expectedDailyItems,
  expectedDailyThreads,
  expectedDailyTokens,
  expectedLineage,
  expectedOverview,
  expectedThreadsByModel,
  expectedThreadsBySource,
  expectedWindows,
} from './expected.js';
import { loadSample, sampleThreads, type SampleClock, type SampleThread } from './sampleTenant.js';

// Fixed ids on a database of the file's own; fresh ones on the Citus suite's shared database, which
// a rerun against the same cluster finds already holding the sample's threads.
const TENANT_A = inject('citusUrl') ? `0194f3a0-0000-7000-8000-${randomBytes(6).toString('hex')}` : '0194f3a0-0000-7000-8000-00000000000a';
const TENANT_B = inject('citusUrl') ? `0194f3a0-0000-7000-8001-${randomBytes(6).toString('hex')}` : '0194f3a0-0000-7000-8000-00000000000b';

const VIEWS = [
  'analytics_tenant_overview',
  'analytics_daily_threads',
  'analytics_daily_active_threads',
  'analytics_daily_items',
  'analytics_daily_tokens',
  'analytics_threads_by_model',
  'analytics_threads_by_source',
  'analytics_thread_lineage',
  'analytics_thread_windows',
  'analytics_daily_compactions',
];

let test: TestDatabase;
let service: PostgresThreadStoreService;
let owner: Database;
const sample: Record<string, SampleThread[]> = {
  [TENANT_A]: sampleThreads((i) => i % 3),
  [TENANT_B]: sampleThreads(),
};
/** Size of the session_meta line the store wrote at seq 0, per tenant and thread. */
const metaBytes: Record<string, Map<string, number>> = {};

/** Run `fn` as the application role in `tenantId`'s transaction (RLS applies). */
const asTenant = <T>(tenantId: string, fn: (tx: SqlExecutor) => Promise<T>) => service.database.transaction(fn, { tenantId });

const byKey = <T>(rows: T[], key: (r: T) => string) => [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
const strip = <T extends { tenantId: string }>(rows: T[]) => rows.map(({ tenantId: _t, ...rest }) => rest);

beforeAll(async () => {
  test = await createTestDatabase();
  const clock: SampleClock = { now: new Date().toISOString() };
  service = await test.openStore({ now: () => clock.now });
  for (const tenant of [TENANT_A, TENANT_B]) await loadSample(service.forTenant(tenant), clock, sample[tenant]!);
  owner = await test.openOwner();
  const { rows } = await owner.transaction((tx) =>
    tx.query<{ tenant_id: string; thread_id: string; type: string; byte_size: number }>(
      'SELECT tenant_id, thread_id, type, byte_size FROM thread_store.thread_items WHERE seq = 0',
    ),
  );
  for (const r of rows) {
    expect(r.type).toBe('session_meta');
    (metaBytes[r.tenant_id] ??= new Map()).set(r.thread_id, Number(r.byte_size));
  }
}, 180_000);

afterAll(async () => {
  await service?.close();
  await test?.drop();
});

describe('analytics views on the Codex sample', () => {
  it('the sample spans three days in tenant A and one in tenant B', () => {
    expect(expectedDailyThreads(sample[TENANT_A]!).map((d) => d.day)).toEqual(['2026-11-24', '2026-11-25', '2026-11-26']);
    expect(expectedDailyThreads(sample[TENANT_B]!).map((d) => d.day)).toEqual(['2026-11-24']);
    expect(sample[TENANT_A]!.length).toBe(25);
  });

  for (const tenant of [TENANT_A, TENANT_B]) {
    const name = tenant === TENANT_A ? 'A' : 'B';

    it(`analytics_tenant_overview: totals of tenant ${name}`, async () => {
      const rows = await asTenant(tenant, (tx) => tenantOverview(tx));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ tenantId: tenant, ...expectedOverview(sample[tenant]!, metaBytes[tenant]!) });
    });

    it(`analytics_daily_threads: threads created per day, forks, sub-agents, archived (tenant ${name})`, async () => {
      const rows = await asTenant(tenant, (tx) => dailyThreads(tx));
      expect(rows.every((r) => r.tenantId === tenant)).toBe(true);
      expect(strip(rows)).toEqual(expectedDailyThreads(sample[tenant]!));
    });

    it(`analytics_daily_active_threads: threads that started a turn, per day (tenant ${name})`, async () => {
      const rows = await asTenant(tenant, (tx) => dailyActiveThreads(tx));
      expect(strip(rows)).toEqual(expectedDailyActiveThreads(sample[tenant]!));
    });

    it(`analytics_daily_items: items, bytes, messages, tool calls per day (tenant ${name})`, async () => {
      const rows = await asTenant(tenant, (tx) => dailyItems(tx));
      expect(strip(rows)).toEqual(expectedDailyItems(sample[tenant]!, metaBytes[tenant]!));
    });

    it(`analytics_daily_tokens: token_count deltas equal the token_usage_record sums (tenant ${name})`, async () => {
      const rows = await asTenant(tenant, (tx) => dailyTokens(tx));
      expect(strip(rows)).toEqual(expectedDailyTokens(sample[tenant]!));
    });

    it(`analytics_threads_by_model: threads, items, tokens by provider and model (tenant ${name})`, async () => {
      const rows = await asTenant(tenant, (tx) => threadsByModel(tx));
      const key = (r: { modelProvider: string; model: string | null }) => `${r.modelProvider}/${r.model}`;
      expect(byKey(strip(rows), key)).toEqual(byKey(expectedThreadsByModel(sample[tenant]!), key));
    });

    it(`analytics_threads_by_source: threads by source kind, thread source, originator (tenant ${name})`, async () => {
      const rows = await asTenant(tenant, (tx) => threadsBySource(tx));
      const key = (r: { source: string; threadSource: string | null; originator: string | null }) => JSON.stringify([r.source, r.threadSource, r.originator]);
      expect(byKey(strip(rows), key)).toEqual(byKey(expectedThreadsBySource(sample[tenant]!), key));
    });

    it(`analytics_thread_lineage: fork and sub-agent counts per thread (tenant ${name})`, async () => {
      const rows = await asTenant(tenant, (tx) => threadLineage(tx));
      const got = byKey(
        rows.map(({ tenantId: _t, agentRole: _r, ...r }) => r),
        (r) => r.threadId,
      );
      expect(got).toEqual(byKey(expectedLineage(sample[tenant]!), (r) => r.threadId));
      const parents = await asTenant(tenant, (tx) => threadLineage(tx, { onlyWithChildren: true }));
      expect(parents.map((p) => p.forks + p.subagents)).toEqual([...parents.map((p) => p.forks + p.subagents)].sort((a, b) => b - a));
      expect(parents.every((p) => p.forks + p.subagents > 0)).toBe(true);
    });

    it(`analytics_thread_windows: compactions and window numbers per thread (tenant ${name})`, async () => {
      const rows = await asTenant(tenant, (tx) => threadWindows(tx));
      const got = byKey(
        rows.map(({ tenantId: _t, legacyCompactions: _l, ...r }) => r),
        (r) => r.threadId,
      );
      const expected = byKey(expectedWindows(sample[tenant]!), (r) => r.threadId);
      expect(got).toEqual(expected);
      expect(expected.filter((w) => w.compactions > 0)).toHaveLength(1);
      expect(expected.find((w) => w.compactions > 0)?.currentWindowNumber).toBe(1);
    });

    it(`analytics_daily_compactions: compactions per day (tenant ${name})`, async () => {
      const rows = await asTenant(tenant, (tx) => dailyCompactions(tx));
      expect(strip(rows)).toEqual(expectedDailyCompactions(sample[tenant]!));
    });
  }

  it('day ranges are inclusive and validated', async () => {
    const rows = await asTenant(TENANT_A, (tx) => dailyThreads(tx, { from: '2026-11-25', to: '2026-11-25' }));
    expect(rows.map((r) => r.day)).toEqual(['2026-11-25']);
    expect(rows[0]!.threads).toBe(expectedDailyThreads(sample[TENANT_A]!)[1]!.threads);
    await expect(asTenant(TENANT_A, (tx) => dailyThreads(tx, { from: '2026-02-30' }))).rejects.toMatchObject({ code: 'InvalidRequest' });
  });

  it('tenantReport merges the per-day views into one row per day', async () => {
    const report = await tenantReport(service.database, TENANT_A);
    expect(report.days.map((d) => d.day)).toEqual(['2026-11-24', '2026-11-25', '2026-11-26']);
    const tokens = expectedDailyTokens(sample[TENANT_A]!);
    expect(report.days.map((d) => d.totalTokens)).toEqual(tokens.map((t) => t.totalTokens));
    expect(report.days.map((d) => d.activeThreads)).toEqual(expectedDailyActiveThreads(sample[TENANT_A]!).map((d) => d.activeThreads));
    expect(report.overview.threads).toBe(25);
    expect(report.mostCompacted).toHaveLength(1);
    expect(report.topParents.length).toBeGreaterThan(0);
  });
});

describe('analytics views and row-level security', () => {
  it('every view is security_invoker and readable by the application role', async () => {
    const { rows } = await owner.transaction((tx) =>
      tx.query<{ relname: string; opts: string[] | null; app: boolean }>(
        `SELECT c.relname, c.reloptions AS opts, has_table_privilege('thread_store_app', c.oid, 'SELECT') AS app
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'thread_store' AND c.relkind = 'v' AND left(c.relname, 10) = 'analytics_' ORDER BY c.relname`,
      ),
    );
    expect(rows.map((r) => r.relname)).toEqual([...VIEWS].sort());
    for (const r of rows) {
      expect(r.opts ?? []).toContain('security_invoker=true');
      expect(r.app).toBe(true);
    }
  });

  it('in a tenant transaction every view shows only that tenant; without a tenant, nothing', async () => {
    for (const view of VIEWS) {
      const mine = await asTenant(TENANT_B, (tx) => tx.query<{ tenant_id: string }>(`SELECT DISTINCT tenant_id FROM thread_store.${view}`));
      expect(mine.rows.map((r) => r.tenant_id), view).toEqual([TENANT_B]);
      const none = await service.database.transaction((tx) => tx.query(`SELECT 1 FROM thread_store.${view}`));
      expect(none.rows, view).toHaveLength(0);
    }
  });

  it('the owner (superuser) sees every tenant: cross-tenant analytics', async () => {
    const rows = await owner.transaction((tx) => tenantOverview(tx));
    // On its own database only these two tenants exist; in the Citus suite (one shared, distributed
    // database) the other files' tenants are there too, and the view must still hold both of ours.
    const ids = rows.map((r) => r.tenantId);
    if (inject('citusUrl')) expect(ids.filter((id) => id === TENANT_A || id === TENANT_B)).toEqual([TENANT_A, TENANT_B].sort());
    else expect(ids).toEqual([TENANT_A, TENANT_B].sort());
    const a = await owner.transaction((tx) => dailyThreads(tx, { tenantId: TENANT_A }));
    expect(strip(a)).toEqual(expectedDailyThreads(sample[TENANT_A]!));
  });

  it('a malformed line timestamp yields a NULL day instead of failing the report', async () => {
    const { rows } = await owner.transaction((tx) =>
      tx.query<{ ts: string; day: string | null }>(
        `SELECT ts, thread_store.rollout_day(ts)::text AS day FROM unnest($1::text[]) AS ts`,
        [['2026-11-24T13:17:14.484Z', '2026-11-24T23:30:00-02:00', '2026-11-24T01:30:00+05:30', '2024-02-29T00:00:00Z', '2026-02-29T00:00:00Z', 'not a time', '2026-11-24T13:17:14']],
      ),
    );
    expect(rows.map((r) => r.day)).toEqual(['2026-11-24', '2026-11-25', '2026-11-23', '2024-02-29', null, null, null]);
  });
});
