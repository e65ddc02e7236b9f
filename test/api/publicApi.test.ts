// The public API in layers (issue 16): the root exports the store, LiveThread, ThreadManager, the
// errors and the model — nothing else at runtime; operator and analytics calls take the same handles
// the application has (the service, a tenant's store); the in-memory service is a ThreadStoreService;
// openThreadStore takes an existing pg.Pool and hands its connections back as they were.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as root from '../../src/index.js';
import * as admin from '../../src/api/admin.js';
import * as analytics from '../../src/api/analytics.js';
import * as codex from '../../src/api/codex.js';
import * as history from '../../src/api/history.js';
import * as memory from '../../src/api/memory.js';
import type { ThreadStoreService } from '../../src/index.js';
import { createTestDatabase, useTestStore, type TestDatabase } from '../helpers/database.js';
import { createParams, makeThread, message } from '../contract/helpers.js';
import { SAMPLE_HOME } from '../codex/helpers.js';

describe('the root', () => {
  it('exports exactly the store, LiveThread, ThreadManager, the errors and the model helpers at runtime', () => {
    expect(Object.keys(root).sort()).toEqual(
      [
        'ConflictError',
        'DEFAULT_DATA_DIR',
        'InternalError',
        'InvalidRequestError',
        'LiveThread',
        'MAX_JSON_DEPTH',
        'MAX_PAGE_SIZE',
        'ResourceExhaustedError',
        'ThreadManager',
        'ThreadNotFoundError',
        'ThreadStoreError',
        'UnsupportedError',
        'isThreadStoreError',
        'isUuid',
        'isUuidV7',
        'jsonValueProblem',
        'newUuidV7',
        'normalizeId',
        'openThreadStore',
      ].sort(),
    );
  });

  it('subpaths hold the rest', () => {
    expect(Object.keys(admin)).toEqual(expect.arrayContaining(['migrate', 'schemaStatus', 'setupRoles', 'securityReport', 'createTenant', 'listTenants', 'setTenantQuota', 'tenantUsage', 'purgeTenant']));
    expect(Object.keys(analytics)).toEqual(expect.arrayContaining(['tenantReport', 'dailyThreads', 'tenantOverview']));
    expect(Object.keys(codex)).toEqual(expect.arrayContaining(['importCodexHome', 'exportCodexHome', 'toCodexThread', 'codexTurns']));
    expect(Object.keys(history)).toEqual(expect.arrayContaining(['reconstructHistory', 'compactedLineageFields', 'deriveMetadataFromItems', 'isPersistedRolloutItem']));
    expect(Object.keys(memory)).toEqual(['InMemoryThreadStoreService']);
  });
});

describe('the in-memory service', () => {
  it('is a ThreadStoreService: LiveThread, import, quotas, usage and purge work on it; what needs PostgreSQL is Unsupported', async () => {
    const service: ThreadStoreService = new memory.InMemoryThreadStoreService();
    expect(service.kind).toBe('memory');
    const tenant = randomUUID();
    const store = service.forTenant(tenant);
    const live = await root.LiveThread.create(store, createParams(root.newUuidV7()));
    await live.append([message('user', 'hello')]);
    await live.shutdown();
    expect(service.writerStats()).toMatchObject({ batches: 1, items: 1 });
    const summary = await codex.importCodexHome({ store, codexHome: SAMPLE_HOME });
    expect(summary.threads.imported).toBe(25);
    expect(await admin.setTenantQuota(service, tenant, { maxThreads: 26 })).toEqual({ maxThreads: 26, maxItemBytes: null });
    const usage = await admin.tenantUsage(service, tenant);
    expect(usage).toMatchObject({ tenantId: tenant, threads: 26, maxThreads: 26 });
    await expect(store.createThread(createParams(root.newUuidV7()))).rejects.toMatchObject({ code: 'ResourceExhausted', path: 'tenant.maxThreads' });
    await expect(admin.createTenant(service, { name: 'acme' })).rejects.toMatchObject({ code: 'Unsupported' });
    await expect(analytics.tenantReport(store)).rejects.toMatchObject({ code: 'Unsupported' });
    expect((await admin.purgeTenant(service, tenant)).complete).toBe(true);
    expect((await store.listThreads({})).items).toEqual([]);
    await service.close();
  });
});

describe('on PostgreSQL', () => {
  const ctx = useTestStore();

  it('operator and analytics calls take the service and the tenant store', async () => {
    const tenant = randomUUID();
    const store = ctx.service.forTenant(tenant);
    await makeThread(store);
    expect(await admin.setTenantQuota(ctx.service, tenant, { maxItemBytes: 10_000_000 })).toEqual({ maxThreads: null, maxItemBytes: 10_000_000 });
    expect(await admin.tenantUsage(ctx.service, tenant)).toMatchObject({ tenantId: tenant, threads: 1, maxItemBytes: 10_000_000 });
    const report = await analytics.tenantReport(store);
    expect(report.overview.threads).toBe(1);
    expect((await analytics.tenantOverview(store)).map((r) => r.tenantId)).toEqual([tenant]);
    // The service reads without a tenant: as the application role that is nothing at all.
    expect(await analytics.tenantOverview(ctx.service)).toEqual([]);
    await expect(analytics.dailyThreads(store, { from: 'yesterday' })).rejects.toMatchObject({ code: 'InvalidRequest', path: 'filter.from' });
  });
});

describe('openThreadStore on an existing pg.Pool', () => {
  let test: TestDatabase;
  let pool: pg.Pool | null = null;
  const serverUrl = inject('serverUrl');
  beforeAll(async () => {
    test = await createTestDatabase();
    if (test.url) pool = new pg.Pool({ connectionString: test.url, max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await test.drop();
  });

  it.skipIf(!serverUrl)('serves the store through the caller’s pool, leaves it open, and hands each connection back with its own parsing and role', async () => {
    const service = await root.openThreadStore({ pool: pool!, role: 'thread_store_app' });
    expect(service.kind).toBe('postgres');
    const store = service.forTenant(randomUUID());
    const threadId = await makeThread(store);
    const thread = await store.readThread({ threadId });
    expect(thread.itemCount).toBeGreaterThan(0);
    expect(typeof thread.itemCount).toBe('number');
    await service.close();
    // The pool is the caller's: still open, its int8 still text, its sessions still its own login.
    const { rows } = await pool!.query<{ n: unknown; who: string }>('SELECT 5::bigint AS n, current_user AS who');
    expect(rows[0]).toEqual({ n: '5', who: new URL(test.url!).username || 'postgres' });
  });
});
