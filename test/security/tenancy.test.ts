// Tenant operations (src/tenancy) and their CLI: create/list/resolve tenants (name ↔ UUID, the row
// written inside the tenant's own RLS transaction), quotas (max threads, max item bytes →
// ResourceExhausted, nothing of the refused write stored, other tenants in the same group-commit
// batch unaffected, concurrent materializations cannot overshoot), usage, and purge (batched,
// interrupted and resumed, other tenants untouched, live writers fenced off).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { isThreadStoreError } from '../../src/model/errors.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import {
  createTenant,
  getTenant,
  listTenants,
  purgeTenant,
  resolveTenant,
  resolveTenantRef,
  setTenantQuota,
  tenantIdForName,
  tenantUsage,
} from '../../src/admin/index.js';
import { main } from '../../src/cli/main.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createParams, makeThread, message, newId } from '../contract/helpers.js';
import { asAppRole, ownerCount, seedTenant } from './helpers.js';

const TABLES = ['threads', 'thread_items', 'thread_checkpoints', 'thread_spawn_edges', 'thread_writers', 'tenant_clocks'] as const;

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return isThreadStoreError(error) ? error.code : `untyped: ${String(error)}`;
  }
}

describe('tenant operations', () => {
  let test: TestDatabase;
  let owner: Database;
  let service: PostgresThreadStoreService;
  const unique = () => `t-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    test = await createTestDatabase();
    owner = await test.openOwner();
    // A short linger lets concurrent appends of several tenants share one batch.
    service = await test.openStore({ groupCommit: { lingerMs: 15 } });
  });

  afterAll(async () => {
    await service?.close();
    await test?.drop();
  });

  const counts = async (tenantId: string) => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await ownerCount(owner, t, 'tenant_id = $1', [tenantId])] as const)));

  it('creates tenants by name with a stable UUIDv5 id, inside the tenant’s own RLS context; names and ids are unique', async () => {
    const name = unique();
    // The application role can register tenants: the row is written in the tenant's transaction.
    const tenant = await createTenant(service.database, { name, maxThreads: 10 });
    expect(tenant).toMatchObject({ id: tenantIdForName(name), name, maxThreads: 10, maxItemBytes: null });
    expect(tenantIdForName(name)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await asAppRole(owner, async (s) => (await s.query('SELECT id FROM thread_store.tenants WHERE id = $1', [tenant.id])).rows.length, tenant.id)).toBe(1);
    expect(await asAppRole(owner, async (s) => (await s.query('SELECT id FROM thread_store.tenants')).rows.length)).toBe(0);
    expect(await asAppRole(owner, async (s) => (await s.query('SELECT id FROM thread_store.tenants')).rows.length, randomUUID())).toBe(0);

    expect(await code(createTenant(service.database, { name }))).toBe('Conflict');
    expect(await code(createTenant(service.database, { name: unique(), id: tenant.id }))).toBe('Conflict');
    for (const bad of ['', ' padded ', randomUUID(), 'tab\there', 'x'.repeat(201)]) {
      expect(await code(createTenant(service.database, { name: bad })), JSON.stringify(bad)).toBe('InvalidRequest');
    }
    expect(await code(createTenant(service.database, { name: unique(), maxThreads: -1 }))).toBe('InvalidRequest');

    // Resolve by name: the owner reads the registry, the app role goes through the default id.
    expect((await resolveTenant(owner, name)).id).toBe(tenant.id);
    expect((await resolveTenant(service.database, name)).id).toBe(tenant.id);
    expect((await resolveTenant(service.database, tenant.id)).name).toBe(name);
    const explicit = await createTenant(owner, { name: unique(), id: randomUUID() });
    expect((await resolveTenant(owner, explicit.name!)).id).toBe(explicit.id);
    expect(await code(resolveTenant(service.database, explicit.name!))).toBe('InvalidRequest'); // not by name under RLS, by design
    expect(await code(resolveTenant(owner, unique()))).toBe('InvalidRequest');

    const listed = await listTenants(owner);
    expect(listed.map((t) => t.id)).toEqual(expect.arrayContaining([tenant.id, explicit.id]));
    expect(await code(listTenants(service.database))).toBe('InvalidRequest');
  });

  it('one rule resolves a tenant reference for every caller: id, registered name → registered id, unregistered name → UUIDv5; ambiguity refused (issue 15.1)', async () => {
    const registered = await createTenant(owner, { name: unique(), id: randomUUID() });
    const loose = unique();
    const registryRows = await ownerCount(owner, 'tenants');
    // The owner reads the registry; the application role cannot, and is told so instead of getting the UUIDv5.
    expect(await resolveTenantRef(owner, registered.name!)).toMatchObject({ id: registered.id, via: 'registry', tenant: { id: registered.id } });
    const refused = await resolveTenantRef(service.database, registered.name!).catch((e: unknown) => e);
    expect(isThreadStoreError(refused) && refused.code).toBe('InvalidRequest');
    expect((refused as Error).message).toMatch(/registered under an id this database role cannot look up/);
    for (const db of [owner, service.database]) {
      expect(await resolveTenantRef(db, loose)).toEqual({ id: tenantIdForName(loose), name: loose, tenant: null, via: 'default-id' });
      expect(await resolveTenantRef(db, registered.id.toUpperCase())).toMatchObject({ id: registered.id, name: registered.name, via: 'id' });
      const byDefault = await createTenant(owner, { name: unique() });
      expect(await resolveTenantRef(db, byDefault.name!)).toMatchObject({ id: byDefault.id, via: 'registry' });
    }
    // The probe of the application role wrote nothing.
    expect(await ownerCount(owner, 'tenants')).toBe(registryRows + 2);
    // A name whose default id is taken by a tenant of another name is refused by both.
    const squatter = await createTenant(owner, { name: unique(), id: tenantIdForName('squatted name') });
    for (const db of [owner, service.database]) {
      expect(await code(resolveTenantRef(db, 'squatted name'))).toBe('InvalidRequest');
    }
    expect((await resolveTenant(owner, squatter.id)).name).toBe(squatter.name);
  });

  it('purge reports complete only when a final check finds nothing of the tenant; a tenant that keeps writing is a Conflict', async () => {
    const tenant = await createTenant(owner, { name: unique() });
    const store = service.forTenant(tenant.id);
    await makeThread(store);
    // A database handle that lets a writer slip a new thread in right before each final check.
    const sneaky = (writesLeft: number): Database =>
      new Proxy(owner, {
        get(target, prop, receiver) {
          if (prop !== 'transaction') return Reflect.get(target, prop, receiver);
          return async (fn: Parameters<Database['transaction']>[0], options?: Parameters<Database['transaction']>[1]) => {
            if (options?.operation === 'purgeTenant(verify)' && writesLeft-- > 0) await makeThread(store);
            return target.transaction(fn, options);
          };
        },
      });
    const once = await purgeTenant(sneaky(1), tenant.id);
    expect(once).toMatchObject({ complete: true, deleted: { threads: 2, tenants: 1 } });
    expect(await counts(tenant.id)).toEqual(Object.fromEntries(TABLES.map((t) => [t, 0])));

    await makeThread(store);
    const error = await purgeTenant(sneaky(99), tenant.id).catch((e: unknown) => e);
    expect(isThreadStoreError(error) && error.code).toBe('Conflict');
    expect((error as Error).message).toMatch(/still has rows in threads.*keeps writing/);
    expect((await purgeTenant(owner, tenant.id)).complete).toBe(true);
    expect(await counts(tenant.id)).toEqual(Object.fromEntries(TABLES.map((t) => [t, 0])));
  });

  it('max_threads: creating, materializing and forking past the quota is ResourceExhausted and stores nothing', async () => {
    const tenant = await createTenant(owner, { name: unique(), maxThreads: 2 });
    const store = service.forTenant(tenant.id);
    const first = await makeThread(store);
    await makeThread(store);
    const error = await store.createThread(createParams(newId())).catch((e: unknown) => e);
    expect(isThreadStoreError(error) && error.code).toBe('ResourceExhausted');
    expect((error as { path?: string }).path).toBe('tenant.maxThreads');
    expect(await code(store.forkThread({ sourceThreadId: first, newThreadId: newId() }))).toBe('ResourceExhausted');
    expect((await tenantUsage(owner, tenant.id)).threads).toBe(2);

    // Live threads opened while there was room race to materialize: exactly the room is granted.
    await setTenantQuota(owner, tenant.id, { maxThreads: 3 });
    const racers = [newId(), newId(), newId()];
    for (const id of racers) await store.createThread(createParams(id));
    const results = await Promise.all(racers.map((id) => code(store.appendItems({ threadId: id, items: [message('user', `race ${id}`)] }))));
    expect(results.sort()).toEqual(['ResourceExhausted', 'ResourceExhausted', 'ok']);
    expect((await tenantUsage(owner, tenant.id)).threads).toBe(3);
    for (const id of racers) await store.discardThread(id);

    // Deleting makes room again; removing the quota lifts it.
    await store.deleteThread({ threadId: first });
    await makeThread(store);
    await setTenantQuota(owner, tenant.id, { maxThreads: null });
    await makeThread(store);
    expect(await tenantUsage(owner, tenant.id)).toMatchObject({ threads: 4, maxThreads: null });
  });

  it('max_item_bytes: the append that would exceed it is refused whole; another tenant in the same batch commits', async () => {
    const tenant = await createTenant(owner, { name: unique() });
    const other = service.forTenant(randomUUID());
    const store = service.forTenant(tenant.id);
    const id = newId();
    await store.createThread(createParams(id));
    await store.appendItems({ threadId: id, items: [message('user', 'small start')] });
    const used = (await tenantUsage(owner, tenant.id)).itemBytes;
    await setTenantQuota(owner, tenant.id, { maxItemBytes: used + 2000 });
    const otherId = newId();
    await other.createThread(createParams(otherId));
    const itemsBefore = await ownerCount(owner, 'thread_items', 'tenant_id = $1', [tenant.id]);
    const [mine, theirs] = await Promise.all([
      code(store.appendItems({ threadId: id, items: [message('user', 'fits'), message('assistant', 'y'.repeat(5000))] })),
      code(other.appendItems({ threadId: otherId, items: [message('user', 'z'.repeat(5000))] })),
    ]);
    expect([mine, theirs]).toEqual(['ResourceExhausted', 'ok']);
    expect(await ownerCount(owner, 'thread_items', 'tenant_id = $1', [tenant.id])).toBe(itemsBefore);
    await store.appendItems({ threadId: id, items: [message('user', 'a few bytes')] });
    const usage = await tenantUsage(owner, tenant.id);
    expect(usage.itemBytes).toBeLessThanOrEqual(used + 2000);
    expect(usage).toMatchObject({ threads: 1, items: 3, maxItemBytes: used + 2000 });
    // seq stays contiguous after the refusal
    const seqs = (await store.loadHistory({ threadId: id })).items.length;
    expect(seqs).toBe(3);
    await store.shutdownThread(id);
    await other.shutdownThread(otherId);
  });

  it('purge deletes every row of one tenant in batches, resumes after an interruption, fences its live writer and leaves others alone', async () => {
    const a = await createTenant(owner, { name: unique() });
    const b = randomUUID();
    const storeA = service.forTenant(a.id);
    const seed = await seedTenant(owner, service.forTenant(b), 'bystander').then(async (bSeed) => ({ bSeed, aSeed: await seedTenantInto(storeA) }));
    const bBefore = await counts(b);
    const aBefore = await counts(a.id);
    expect(aBefore.thread_items).toBeGreaterThan(10);

    const controller = new AbortController();
    const progress: string[] = [];
    const partial = await purgeTenant(owner, a.id, {
      batchSize: 3,
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(`${p.table}:${p.deleted}`);
        if (progress.length === 3) controller.abort();
      },
    });
    expect(partial.complete).toBe(false);
    expect(partial.batches).toBe(3);
    const middle = await counts(a.id);
    expect(middle.thread_writers).toBe(0);
    expect(middle.thread_items).toBe(aBefore.thread_items);
    // The live writer was fenced off by the first batch.
    expect(await code(storeA.appendItems({ threadId: seed.aSeed.live, items: [message('user', 'still here?')] }))).toBe('Conflict');

    const rest = await purgeTenant(owner, a.id, { batchSize: 7 });
    expect(rest.complete).toBe(true);
    expect(await counts(a.id)).toEqual(Object.fromEntries(TABLES.map((t) => [t, 0])));
    expect(await getTenant(owner, a.id)).toBeNull();
    expect(rest.deleted.thread_items + partial.deleted.thread_items).toBe(aBefore.thread_items);
    expect(await counts(b)).toEqual(bBefore);
    for (const id of seed.bSeed.threads.slice(0, 3)) expect((await service.forTenant(b).readThread({ threadId: id })).threadId).toBe(id);
    // Idempotent: running it again deletes nothing.
    expect((await purgeTenant(owner, a.id)).batches).toBe(0);

    // keepTenant keeps the registration (name, quotas); the app role can purge its own tenant too.
    const c = await createTenant(owner, { name: unique(), maxThreads: 9 });
    await makeThread(service.forTenant(c.id));
    const kept = await purgeTenant(service.database, c.id, { keepTenant: true });
    expect(kept.deleted.threads).toBe(1);
    expect(await getTenant(owner, c.id)).toMatchObject({ maxThreads: 9 });
  });

  it('CLI: tenants create/list/show/quota/id, purge (refuses without --yes), setup-roles --check', async () => {
    const dataDir = test.url ? null : mkdtempSync(join(tmpdir(), 'thread-store-cli-'));
    const target = test.url ? ['--database-url', test.url] : ['--data-dir', dataDir!];
    const out: string[] = [];
    const err: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      return true;
    });
    const run = async (...args: string[]) => {
      out.length = 0;
      err.length = 0;
      const exit = await main(['node', 'thread-store', ...target, ...args]);
      return { exit, stdout: out.join(''), stderr: err.join('') };
    };
    const savedExitCode = process.exitCode;
    try {
      if (dataDir) expect((await run('migrate')).exit).toBe(0);
      const name = unique();
      const created = await run('tenants', 'create', name, '--max-threads', '5', '--json');
      expect(created.exit).toBe(0);
      const tenant = JSON.parse(created.stdout) as { id: string; maxThreads: number };
      expect(tenant).toMatchObject({ id: tenantIdForName(name), maxThreads: 5 });
      expect((await run('tenants', 'id', name)).stdout.trim()).toBe(tenant.id);
      expect((await run('tenants', 'create', name)).exit).toBe(1);
      const listed = await run('tenants', 'list', '--usage', '--json');
      expect(listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string }).map((t) => t.id)).toContain(tenant.id);
      expect((await run('tenants', 'quota', name, '--max-threads', 'none', '--max-item-bytes', '1000000', '--json')).stdout).toContain('"maxItemBytes":1000000');
      expect((await run('tenants', 'quota', name, '--max-threads', '-3')).exit).toBe(2);
      const shown = await run('tenants', 'show', name);
      expect(shown.stdout).toContain('item bytes: 0 of 1000000');
      const refused = await run('purge', name);
      expect(refused.exit).toBe(2);
      expect(refused.stderr).toMatch(/--yes/);
      const purged = await run('purge', name, '--yes', '--json');
      expect(purged.exit).toBe(0);
      expect(JSON.parse(purged.stdout)).toMatchObject({ tenantId: tenant.id, complete: true, deleted: { tenants: 1 } });
      const check = await run('setup-roles', '--check');
      expect(check.stdout).toContain('status: sound');
      expect(process.exitCode ?? 0).toBe(0);
      const dry = await run('setup-roles', '--dry-run', '--app-login', 'some_app');
      expect(dry.stdout).toContain('GRANT "thread_store_app" TO "some_app"');
      expect(dry.stdout).toContain('dry run');
    } finally {
      process.exitCode = savedExitCode;
      stdout.mockRestore();
      stderr.mockRestore();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** A tenant with enough rows for a multi-batch purge, and a thread kept live. */
async function seedTenantInto(store: import('../../src/store/ThreadStore.js').ThreadStore): Promise<{ live: string }> {
  for (let i = 0; i < 3; i++) await makeThread(store);
  const live = newId();
  await store.createThread(createParams(live));
  await store.appendItems({ threadId: live, items: [message('user', 'live one')] });
  return { live };
}
