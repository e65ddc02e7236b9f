// Tenant isolation as a property (fast-check), run as the application role: random sequences of
// create, append, read, list, search, fork, archive, unarchive, delete and metadata updates over
// three tenants that draw thread ids from ONE shared pool, so the same id keeps existing in one
// tenant and not in another. A model says what each tenant holds; every call must agree with it:
// reads return only the caller's rows (every text carries its tenant's marker, and no response
// contains another tenant's marker), an id that exists only in another tenant is ThreadNotFound for
// every operation, and after each sequence the full state of every tenant matches the model. Raw
// SQL as the app role without the tenant setting then sees 0 rows and cannot insert.
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createParams, listAll, message } from '../contract/helpers.js';
import { asAppRole, schemaRelations, sqlStateOf } from './helpers.js';

const TENANTS = 3;
const POOL = 6;
const OPS_PER_RUN = 400;
const RUNS = 3;

type OpKind = 'create' | 'append' | 'read' | 'list' | 'search' | 'fork' | 'archive' | 'unarchive' | 'delete' | 'update';
interface Op {
  kind: OpKind;
  tenant: number;
  a: number;
  b: number;
}

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.oneof(
    { weight: 4, arbitrary: fc.constant<OpKind>('create') },
    { weight: 3, arbitrary: fc.constant<OpKind>('append') },
    { weight: 3, arbitrary: fc.constant<OpKind>('read') },
    { weight: 2, arbitrary: fc.constant<OpKind>('list') },
    { weight: 2, arbitrary: fc.constant<OpKind>('search') },
    { weight: 2, arbitrary: fc.constant<OpKind>('fork') },
    { weight: 1, arbitrary: fc.constant<OpKind>('archive') },
    { weight: 1, arbitrary: fc.constant<OpKind>('unarchive') },
    { weight: 1, arbitrary: fc.constant<OpKind>('delete') },
    { weight: 2, arbitrary: fc.constant<OpKind>('update') },
  ),
  tenant: fc.nat(TENANTS - 1),
  a: fc.nat(POOL - 1),
  b: fc.nat(POOL - 1),
});

interface ModelThread {
  archived: boolean;
  /** User messages in its history (inherited ones included for forks). */
  messages: number;
  fork: boolean;
  name: string | null;
}

interface Tally {
  ops: number;
  crossTenantNotFound: number;
  byKind: Record<string, number>;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? `uncoded: ${(error as Error).message}`;
  }
}

describe('tenant isolation property (application role)', () => {
  let test: TestDatabase;
  let owner: Database;
  let service: PostgresThreadStoreService;
  const tally: Tally = { ops: 0, crossTenantNotFound: 0, byKind: {} };
  const allTenants: string[] = [];

  beforeAll(async () => {
    test = await createTestDatabase();
    owner = await test.openOwner();
    service = await test.openStore();
  });

  afterAll(async () => {
    await service?.close();
    await test?.drop();
  });

  async function runSequence(ops: Op[]): Promise<void> {
    const tenants = Array.from({ length: TENANTS }, () => randomUUID());
    allTenants.push(...tenants);
    const markers = tenants.map(() => `mk${randomBytes(6).toString('hex')}`);
    const pool = Array.from({ length: POOL }, () => randomUUID());
    const stores: ThreadStore[] = tenants.map((t) => service.forTenant(t));
    const model: Map<string, ModelThread>[] = tenants.map(() => new Map());
    let counter = 0;

    /** No response of tenant `t` may mention another tenant's marker or cwd. */
    const assertOnlyOwn = (t: number, value: unknown, what: string) => {
      const text = JSON.stringify(value);
      markers.forEach((m, other) => {
        if (other !== t) expect(text.includes(m), `${what}: tenant ${t} saw tenant ${other}'s data`).toBe(false);
      });
    };
    const cwd = (t: number) => `/tenants/${markers[t]}`;
    const meta = (t: number) => ({ cwd: cwd(t), modelProvider: 'openai' });
    const userText = (t: number) => `${markers[t]} needle ${++counter}`;
    const existsElsewhere = (t: number, id: string) => model.some((m, other) => other !== t && m.has(id));

    for (const op of ops) {
      const t = op.tenant;
      const store = stores[t]!;
      const id = pool[op.a]!;
      const mine = model[t]!;
      const thread = mine.get(id);
      tally.ops++;
      tally.byKind[op.kind] = (tally.byKind[op.kind] ?? 0) + 1;
      const missing = async (call: Promise<unknown>) => {
        expect(await codeOf(call), `${op.kind} of a thread tenant ${t} does not have`).toBe('ThreadNotFound');
        if (existsElsewhere(t, id)) tally.crossTenantNotFound++;
      };

      switch (op.kind) {
        case 'create': {
          if (thread) {
            expect(await codeOf(store.createThread(createParams(id, { metadata: meta(t) })))).toBe('InvalidRequest');
            break;
          }
          await store.createThread(createParams(id, { metadata: meta(t) }));
          const text = userText(t);
          await store.appendItems({ threadId: id, items: [message('user', text)] }, { metadataPatch: { preview: text } });
          await store.shutdownThread(id);
          mine.set(id, { archived: false, messages: 1, fork: false, name: null });
          break;
        }
        case 'append': {
          if (!thread) {
            await missing(store.resumeThread({ threadId: id, includeArchived: true, metadata: meta(t) }));
            await missing(store.appendItems({ threadId: id, items: [message('user', 'intruder')] }));
            break;
          }
          await store.resumeThread({ threadId: id, includeArchived: true, metadata: meta(t) });
          await store.appendItems({ threadId: id, items: [message('user', userText(t))] });
          await store.shutdownThread(id);
          thread.messages++;
          break;
        }
        case 'read': {
          if (!thread) {
            await missing(store.readThread({ threadId: id, includeArchived: true, includeHistory: true }));
            await missing(store.loadHistory({ threadId: id, includeArchived: true }));
            await missing(store.listItems({ threadId: id, includeArchived: true }));
            break;
          }
          const read = await store.readThread({ threadId: id, includeArchived: true, includeHistory: true });
          assertOnlyOwn(t, read, 'readThread');
          expect(read.cwd).toBe(cwd(t));
          expect(read.name).toBe(thread.name);
          expect(read.archivedAt !== null).toBe(thread.archived);
          const users = read.history!.items.filter((l) => JSON.stringify(l.payload).includes(`${markers[t]} needle`) && l.type === 'response_item');
          expect(users).toHaveLength(thread.messages);
          const items = await store.listItems({ threadId: id, includeArchived: true, pageSize: 50 });
          assertOnlyOwn(t, items, 'listItems');
          break;
        }
        case 'list': {
          const active = await listAll(store, { pageSize: 3 });
          const archived = await listAll(store, { archived: true, pageSize: 3 });
          assertOnlyOwn(t, [active, archived], 'listThreads');
          const expectIds = (archivedFlag: boolean) => [...mine].filter(([, m]) => m.archived === archivedFlag).map(([k]) => k).sort();
          expect(active.map((x) => x.threadId).sort()).toEqual(expectIds(false));
          expect(archived.map((x) => x.threadId).sort()).toEqual(expectIds(true));
          const filtered = await listAll(store, { cwdFilters: [cwd((t + 1) % TENANTS)] });
          expect(filtered).toEqual([]);
          break;
        }
        case 'search': {
          const page = await store.searchThreads({ searchTerm: 'needle', pageSize: 100 });
          assertOnlyOwn(t, page, 'searchThreads');
          const found = new Set(page.items.map((h) => h.thread.threadId));
          for (const f of found) expect(mine.get(f)?.archived, 'search found a thread the tenant does not have active').toBe(false);
          for (const [k, m] of mine) if (!m.archived && !m.fork) expect(found.has(k), 'search missed an own thread').toBe(true);
          const foreign = await store.searchThreads({ searchTerm: markers[(t + 1) % TENANTS]!, pageSize: 100 });
          expect(foreign.items).toEqual([]);
          break;
        }
        case 'fork': {
          const target = pool[op.b]!;
          const call = store.forkThread({ sourceThreadId: id, newThreadId: target, includeArchived: true });
          if (!thread) {
            await missing(call);
            break;
          }
          if (mine.has(target)) {
            expect(await codeOf(call)).toBe('InvalidRequest');
            break;
          }
          const forked = await call;
          assertOnlyOwn(t, forked, 'forkThread');
          expect(forked.threadId).toBe(target);
          mine.set(target, { archived: false, messages: thread.messages, fork: true, name: thread.name });
          break;
        }
        case 'archive': {
          if (!thread) {
            await missing(store.archiveThread({ threadId: id }));
            break;
          }
          const code = await codeOf(store.archiveThread({ threadId: id }));
          expect(code).toBe(thread.archived ? 'InvalidRequest' : 'ok');
          thread.archived = true;
          break;
        }
        case 'unarchive': {
          if (!thread) {
            await missing(store.unarchiveThread({ threadId: id }));
            break;
          }
          const code = await codeOf(store.unarchiveThread({ threadId: id }));
          expect(code).toBe(thread.archived ? 'ok' : 'InvalidRequest');
          thread.archived = false;
          break;
        }
        case 'delete': {
          if (!thread) {
            await missing(store.deleteThread({ threadId: id }));
            break;
          }
          await store.deleteThread({ threadId: id });
          mine.delete(id);
          break;
        }
        case 'update': {
          const name = `${markers[t]} name ${++counter}`;
          if (!thread) {
            await missing(store.updateThreadMetadata({ threadId: id, patch: { name }, includeArchived: true }));
            break;
          }
          const updated = await store.updateThreadMetadata({ threadId: id, patch: { name }, includeArchived: true });
          assertOnlyOwn(t, updated, 'updateThreadMetadata');
          expect(updated.name).toBe(name);
          thread.name = name;
          break;
        }
      }
    }

    // The whole state of every tenant, after the sequence: exactly the model, nothing foreign.
    for (let t = 0; t < TENANTS; t++) {
      const store = stores[t]!;
      const all = [...(await listAll(store, { pageSize: 50 })), ...(await listAll(store, { archived: true, pageSize: 50 }))];
      expect(all.map((x) => x.threadId).sort()).toEqual([...model[t]!.keys()].sort());
      for (const x of all) {
        const read = await store.readThread({ threadId: x.threadId, includeArchived: true, includeHistory: true });
        assertOnlyOwn(t, read, 'final read');
      }
    }
  }

  it(`${RUNS} runs × ${OPS_PER_RUN} random operations over ${TENANTS} tenants with a shared id pool: every call agrees with the model`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), async (ops) => {
        await runSequence(ops);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(tally.ops).toBeGreaterThanOrEqual(1000);
    // The property is only meaningful if many calls really aimed at another tenant's thread.
    expect(tally.crossTenantNotFound).toBeGreaterThanOrEqual(50);
    for (const kind of ['create', 'append', 'read', 'list', 'search', 'fork', 'archive', 'unarchive', 'delete', 'update']) {
      expect(tally.byKind[kind] ?? 0, kind).toBeGreaterThan(10);
    }
  });

  it('afterwards, raw SQL as the app role without the tenant setting sees 0 rows everywhere and cannot insert', async () => {
    expect(allTenants.length).toBe(TENANTS * RUNS);
    for (const r of await schemaRelations(owner)) {
      const n = await asAppRole(owner, async (s) => Number((await s.query<{ n: unknown }>(`SELECT count(*) AS n FROM thread_store.${r.name}`)).rows[0]!.n));
      expect(n, r.name).toBe(0);
    }
    const insert = asAppRole(owner, (s) =>
      s.query(`INSERT INTO thread_store.threads (tenant_id, id, created_at, updated_at, recency_at) VALUES ($1, $2, now(), now(), now())`, [allTenants[0], randomUUID()]),
    );
    expect(await sqlStateOf(insert)).toBe('42501');
    // ...while each tenant, with its setting, sees exactly its own rows.
    for (const tenant of allTenants.slice(0, TENANTS)) {
      const foreign = await asAppRole(owner, async (s) => Number((await s.query<{ n: unknown }>('SELECT count(*) AS n FROM thread_store.thread_items WHERE tenant_id <> $1', [tenant])).rows[0]!.n), tenant);
      expect(foreign).toBe(0);
    }
    process.stdout.write(`[isolation] ${tally.ops} operations, ${tally.crossTenantNotFound} cross-tenant attempts → ThreadNotFound, by kind ${JSON.stringify(tally.byKind)}\n`);
  });

  it('appends of every tenant travel in shared group-commit batches, and every row stays in its own tenant (property)', async () => {
    let appends = 0;
    const batchesBefore = service.writerStats().batches;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.subarray([0, 1, 2, 3, 4, 5], { minLength: 2 }), { minLength: 4, maxLength: 12 }), async (bursts) => {
        const tenants = Array.from({ length: TENANTS }, () => randomUUID());
        const markers = tenants.map(() => `mk${randomBytes(6).toString('hex')}`);
        const stores = tenants.map((t) => service.forTenant(t));
        // Two live threads per tenant; each burst appends to several of them at once.
        const threads = Array.from({ length: 2 * TENANTS }, (_, i) => ({ tenant: i % TENANTS, id: randomUUID(), texts: [] as string[] }));
        for (const th of threads) await stores[th.tenant]!.createThread(createParams(th.id, { metadata: { cwd: `/t/${markers[th.tenant]}`, modelProvider: 'openai' } }));
        let n = 0;
        for (const burst of bursts) {
          await Promise.all(
            burst.map(async (i) => {
              const th = threads[i]!;
              const text = `${markers[th.tenant]} burst ${++n}`;
              th.texts.push(text);
              appends++;
              await stores[th.tenant]!.appendItems({ threadId: th.id, items: [message('user', text)] });
            }),
          );
        }
        for (const th of threads) {
          const store = stores[th.tenant]!;
          if (th.texts.length > 0) {
            const page = await store.listItems({ threadId: th.id, sortDirection: 'asc', pageSize: 100 });
            const said = page.items.flatMap((item) =>
              item.line.type === 'response_item' ? [(item.line.payload as { content: { text: string }[] }).content[0]!.text] : [],
            );
            expect(said).toEqual(th.texts);
            expect(said.map((text) => markers.findIndex((m) => text.startsWith(m)))).toEqual(th.texts.map(() => th.tenant));
          }
          await store.shutdownThread(th.id);
        }
        // Row by row, as the application role with each tenant's setting: only that tenant's rows.
        for (const [t, tenant] of tenants.entries()) {
          const rows = await asAppRole(
            owner,
            async (s) => (await s.query<{ tenant_id: string; thread_id: string }>('SELECT DISTINCT tenant_id::text, thread_id::text FROM thread_store.thread_items')).rows,
            tenant,
          );
          expect(rows.every((r) => r.tenant_id === tenant)).toBe(true);
          expect(rows.map((r) => r.thread_id).sort()).toEqual(threads.filter((th) => th.tenant === t && th.texts.length > 0).map((th) => th.id).sort());
        }
      }),
      { numRuns: 6 },
    );
    // The bursts were grouped: fewer group-commit batches than appends (each burst mixes tenants).
    expect(service.writerStats().batches - batchesBefore).toBeLessThan(appends);
  });
});
