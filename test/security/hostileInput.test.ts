// Hostile input, as the application role: SQL-injection strings and LIKE wildcards in search
// terms, names, cwd filters, providers and cursors; forged and garbled cursors (fast-check);
// U+0000 and lone surrogates; a 50 MB item; a 100k-item append; unknown item types; invalid UUIDs;
// metadata patches and items of the wrong types (fast-check). Every call ends in a typed error
// (ThreadStoreError with a stable code, never Internal) or in lossless storage; a refused append
// stores nothing of itself; the store keeps working afterwards.
import { createHash, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { isThreadStoreError } from '../../src/model/errors.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import type { PostgresThreadStoreService } from '../../src/store/openThreadStore.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { createTenant } from '../../src/admin/index.js';
import { LiveThread } from '../../src/live/LiveThread.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createParams, listAll, message, newId } from '../contract/helpers.js';
import { ownerCount } from './helpers.js';

const INJECTIONS = [
  `'; DROP TABLE thread_store.threads; --`,
  `' OR '1'='1`,
  `") OR true; --`,
  `$1`,
  `\\'; SELECT pg_sleep(5); --`,
  `%' UNION SELECT * FROM thread_store.thread_items --`,
];
const WILDCARDS = ['%', '_', '\\', '%%', '\\%', '[a-z]*', '.*'];

/** The code of a failure (a typed error is required), or 'ok'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (!isThreadStoreError(error)) throw new Error(`untyped error: ${String(error)}`, { cause: error });
    return error.code;
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('hostile input (application role)', () => {
  let test: TestDatabase;
  let owner: Database;
  let service: PostgresThreadStoreService;
  let store: ThreadStore;
  const tenantId = randomUUID();
  const named = new Map<string, string>();

  async function thread(items: RolloutLine[], cwd = '/w/plain'): Promise<string> {
    const id = newId();
    await store.createThread(createParams(id, { metadata: { cwd, modelProvider: 'openai' } }));
    await store.appendItems({ threadId: id, items }, { metadataPatch: { preview: `preview ${id}` } });
    await store.shutdownThread(id);
    return id;
  }
  const itemCount = (threadId: string) => ownerCount(owner, 'thread_items', 'tenant_id = $1 AND thread_id = $2', [tenantId, threadId]);

  beforeAll(async () => {
    test = await createTestDatabase();
    owner = await test.openOwner();
    service = await test.openStore({ limits: { maxItemBytes: 64 * 1024 * 1024 } });
    store = service.forTenant(tenantId);
    // One thread per hostile name; its text contains the name too (content search).
    for (const name of [...INJECTIONS, ...WILDCARDS, 'plain name']) {
      const id = await thread([message('user', `text with ${name} inside`)], `/w/${name}`);
      await store.updateThreadMetadata({ threadId: id, patch: { name } });
      named.set(name, id);
    }
  });

  afterAll(async () => {
    await service?.close();
    await test?.drop();
  });

  it('injection strings and LIKE wildcards in names, search terms, cwd filters and providers are data, matched literally', async () => {
    for (const [name, id] of named) {
      const read = await store.readThread({ threadId: id });
      expect(read.name).toBe(name);
      expect(read.cwd).toBe(`/w/${name}`);
      // content/name search: a literal, case-insensitive substring match
      const hits = (await store.searchThreads({ searchTerm: name, pageSize: 100 })).items.map((h) => h.thread.threadId);
      const expected = [...named].filter(([n]) => n.toLowerCase().includes(name.toLowerCase()) || `text with ${n} inside`.toLowerCase().includes(name.toLowerCase())).map(([, i]) => i);
      expect(hits.sort(), `search ${JSON.stringify(name)}`).toEqual(expected.sort());
      // listThreads searchTerm: literal, case-sensitive (name/title/preview)
      const listed = await listAll(store, { searchTerm: name });
      expect(listed.map((t) => t.threadId).sort()).toEqual([...named].filter(([n]) => n.includes(name)).map(([, i]) => i).sort());
      // cwd filter: equality, wildcards are not wildcards
      expect((await listAll(store, { cwdFilters: [`/w/${name}`] })).map((t) => t.threadId)).toEqual([id]);
      expect(await listAll(store, { modelProviders: [name] })).toEqual([]);
    }
    expect((await listAll(store, { cwdFilters: ['%', '_', '/w/%x', '/w/__', '/w/plain%'] })).map((t) => t.threadId)).toEqual([]);
    expect(await ownerCount(owner, 'threads')).toBeGreaterThanOrEqual(named.size);
  });

  it('forged and garbled cursors are InvalidRequest for every listing (fast-check, 600 cursors)', async () => {
    const someThread = named.get('plain name')!;
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'undefined', 'utf8').toString('base64url');
    const forged = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.base64String({ maxLength: 60 }),
      fc.anything().map(b64),
      fc.record({ k: fc.constantFrom('threads', 'search', 'turns', 'items', 'x'), s: fc.constantFrom('created_at', 'updated_at', 'nope'), ts: fc.oneof(fc.string(), fc.constantFrom(...INJECTIONS), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constant('+275760-09-13T00:00:00.000Z'), fc.constant('0')), id: fc.oneof(fc.uuid(), fc.constant('-'.repeat(36)), fc.constantFrom(...INJECTIONS)) }).map(b64),
      fc.record({ k: fc.constantFrom('turns', 'items'), a: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(Number.MAX_SAFE_INTEGER)), d: fc.constantFrom('asc', 'desc', 'sideways') }).map(b64),
    );
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(forged, async (cursor) => {
        const results = [
          await outcome(store.listThreads({ cursor })),
          await outcome(store.searchThreads({ searchTerm: 'text', cursor })),
          await outcome(store.listTurns({ threadId: someThread, cursor })),
          await outcome(store.listItems({ threadId: someThread, cursor })),
        ];
        for (const r of results) {
          expect(['ok', 'InvalidRequest']).toContain(r);
          seen.set(r, (seen.get(r) ?? 0) + 1);
        }
      }),
      { numRuns: 150 },
    );
    expect(seen.get('InvalidRequest')).toBeGreaterThan(400);
  });

  it('U+0000 and lone surrogates in items are stored losslessly; in names, cwd and params they are InvalidRequest naming the field', async () => {
    const weird = ['nul\u0000nul', 'lone \ud800 high', 'lone \udfff low', 'pair \ud83d\ude00 ok', '\u0000', 'rev \udc00\ud800'];
    const items: RolloutLine[] = weird.flatMap((w) => [
      message('user', w),
      { type: 'event_msg', payload: { type: 'user_message', message: w, [`key ${w}`]: w } },
      { type: 'future_item_type', payload: { w }, [`top ${w}`]: w } as RolloutLine,
    ]);
    const id = await thread(items);
    const history = (await store.loadHistory({ threadId: id })).items.slice(1);
    expect(history.map(({ timestamp: _t, ...rest }) => rest)).toEqual(items);
    // searching for them is InvalidRequest on every store (PostgreSQL would refuse U+0000 and
    // silently search for U+FFFD instead of a lone surrogate)
    expect(await outcome(store.searchThreads({ searchTerm: '\u0000' }))).toBe('InvalidRequest');
    expect(await outcome(store.searchThreads({ searchTerm: '\ud800' }))).toBe('InvalidRequest');

    for (const bad of ['a\u0000b', 'x\ud800', '\udc00']) {
      const before = await store.readThread({ threadId: id });
      for (const patch of [{ name: bad }, { title: bad }, { cwd: bad }, { gitInfo: { branch: bad } }]) {
        const error = await store.updateThreadMetadata({ threadId: id, patch }).catch((e: unknown) => e);
        expect(isThreadStoreError(error) && error.code).toBe('InvalidRequest');
        expect((error as { path?: string }).path).toMatch(/^patch\.(name|title|cwd|gitInfo\.branch)$/);
      }
      expect(await store.readThread({ threadId: id })).toEqual(before);
      const created = newId();
      const error = await store.createThread(createParams(created, { metadata: { cwd: bad, modelProvider: 'openai' } })).catch((e: unknown) => e);
      expect((error as { path?: string }).path).toBe('metadata.cwd');
      expect(await outcome(store.readThread({ threadId: created }))).toBe('ThreadNotFound');
      expect(await outcome(store.appendItems({ threadId: created, items: [message('user', 'x')] }))).toBe('ThreadNotFound');
      expect(await outcome(createTenant(owner, { name: bad }))).toBe('InvalidRequest');
      expect(await outcome(store.listThreads({ cwdFilters: [bad] }))).toMatch(/^(ok|InvalidRequest)$/);
    }
  });

  it('a first user message with U+0000 or a lone surrogate (LiveThread derives preview/title from it) is stored losslessly and the thread keeps working', async () => {
    for (const text of ['pasted \u0000 bytes', 'half \ud83d a pair']) {
      const threadId = newId();
      const live = await LiveThread.create(store, createParams(threadId));
      const lines: RolloutLine[] = [
        { type: 'event_msg', payload: { type: 'user_message', message: text } },
        message('user', text),
      ];
      await live.append(lines);
      await live.append([message('assistant', 'a normal reply')]);
      await live.append([message('user', 'a normal follow-up')]);
      await live.shutdown();
      const read = await store.readThread({ threadId, includeHistory: true });
      expect(read.history!.items.slice(1, 3).map(({ timestamp: _t, ...rest }) => rest)).toEqual(lines);
      expect(read.history!.items).toHaveLength(5);
      // The derived display text cannot hold the character; it shows U+FFFD instead.
      expect(read.preview).toBe(text.replace('\u0000', '\ufffd').toWellFormed());
    }
  });

  it('an item over maxItemBytes is ResourceExhausted naming it, and nothing of that append is stored', async () => {
    const small = await test.openStore({ limits: { maxItemBytes: 8 * 1024 * 1024 } });
    try {
      const s = small.forTenant(tenantId);
      const id = newId();
      await s.createThread(createParams(id));
      await s.appendItems({ threadId: id, items: [message('user', 'first')] });
      const before = await itemCount(id);
      const big = message('assistant', 'x'.repeat(9 * 1024 * 1024));
      const error = await s.appendItems({ threadId: id, items: [message('user', 'kept?'), big, message('user', 'after')] }).catch((e: unknown) => e);
      expect(isThreadStoreError(error) && error.code).toBe('ResourceExhausted');
      expect((error as { path?: string }).path).toBe('items[1]');
      expect(await itemCount(id)).toBe(before);
      // the thread keeps working, seq stays contiguous
      await s.appendItems({ threadId: id, items: [message('user', 'next')] });
      await s.shutdownThread(id);
      const stored = (await s.loadHistory({ threadId: id })).items;
      expect(stored.map((l) => JSON.stringify(l.payload)).filter((p) => p.includes('kept?'))).toEqual([]);
      expect(stored).toHaveLength(before + 1);
    } finally {
      await small.close();
    }
  });

  it('a 50 MB item (under the configured 64 MB limit) is stored and read back byte for byte', async () => {
    // A tool output (the realistic huge item); 50 MiB + U+0000, so it takes the raw JSON text path.
    // (A 50 MB *message* works too but also feeds 50 MB to the trigram index: ~9 s, see SECURITY.md.)
    const text = `${'0123456789abcdef'.repeat(50 * 1024 * 64)}\u0000tail`;
    const output: RolloutLine = { type: 'response_item', payload: { type: 'function_call_output', call_id: 'call_1', output: text } };
    const id = await thread([message('user', 'small'), output]);
    const history = (await store.loadHistory({ threadId: id })).items;
    const back = (history[2]!.payload as { output: string }).output;
    expect(back.length).toBe(text.length);
    expect(sha(back)).toBe(sha(text));
  }, 120_000);

  it('a 100k-item append is stored whole; one item more is ResourceExhausted and stores nothing', async () => {
    const id = newId();
    await store.createThread(createParams(id));
    const over = Array.from({ length: 100_001 }, (_, i) => ({ type: 'event_msg', payload: { type: 'agent_message', message: `m${i}` } }));
    const error = await store.appendItems({ threadId: id, items: over }).catch((e: unknown) => e);
    expect(isThreadStoreError(error) && error.code).toBe('ResourceExhausted');
    expect((error as { path?: string }).path).toBe('items');
    expect(await itemCount(id)).toBe(0);
    await store.appendItems({ threadId: id, items: over.slice(1) });
    await store.shutdownThread(id);
    expect(await itemCount(id)).toBe(100_001); // + session_meta
    const seqs = await owner.withSession(async (s) => (await s.query<{ lo: unknown; hi: unknown }>('SELECT min(seq) AS lo, max(seq) AS hi FROM thread_store.thread_items WHERE tenant_id = $1 AND thread_id = $2', [tenantId, id])).rows[0]!);
    expect([Number(seqs.lo), Number(seqs.hi)]).toEqual([0, 100_000]);
  }, 120_000);

  it('invalid UUIDs are InvalidRequest everywhere, tenant ids included', async () => {
    const bad = ['x', '', "1' OR '1'='1", `${randomUUID()} `, `${randomUUID()}'; --`, '00000000-0000-0000-0000-00000000000g', randomUUID().replace(/-/g, '')];
    for (const threadId of bad) {
      expect(await outcome(store.readThread({ threadId }))).toBe('InvalidRequest');
      expect(await outcome(store.deleteThread({ threadId }))).toBe('InvalidRequest');
      expect(await outcome(store.forkThread({ sourceThreadId: named.get('plain name')!, newThreadId: threadId }))).toBe('InvalidRequest');
      expect(await outcome(store.listThreads({ relationFilter: { kind: 'descendantsOf', threadId } }))).toBe('InvalidRequest');
      expect(await outcome(Promise.resolve().then(() => service.forTenant(threadId)))).toBe('InvalidRequest');
    }
  });

  it('metadata patches and items of the wrong types are InvalidRequest; a bad item anywhere stores nothing of the append (fast-check)', async () => {
    const id = named.get('plain name')!;
    const keys = ['name', 'title', 'preview', 'cwd', 'model', 'createdAt', 'updatedAt', 'advanceRecencyAt', 'source', 'tokenUsage', 'gitInfo', 'memoryMode', 'historyMode', 'permissionProfile', 'unknownKey'];
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...keys), fc.anything({ maxDepth: 2 }), { maxKeys: 3 }), async (patch) => {
        const r = await outcome(store.updateThreadMetadata({ threadId: id, patch: patch as never }));
        expect(['ok', 'InvalidRequest']).toContain(r);
      }),
      { numRuns: 150 },
    );
    for (const patch of [null, 5, 'x', [], { name: 5 }, { createdAt: 'yesterday' }, { source: '' }, { tokenUsage: 'lots' }]) {
      expect(await outcome(store.updateThreadMetadata({ threadId: id, patch: patch as never }))).toBe('InvalidRequest');
    }
    const live = newId();
    await store.createThread(createParams(live));
    await store.appendItems({ threadId: live, items: [message('user', 'base')] });
    const before = await itemCount(live);
    await fc.assert(
      fc.asyncProperty(fc.anything({ maxDepth: 2 }), fc.nat(3), async (garbage, at) => {
        const items = [message('user', 'a'), message('user', 'b'), message('user', 'c')];
        items.splice(at, 0, garbage as RolloutLine);
        const r = await outcome(store.appendItems({ threadId: live, items }));
        if (r === 'ok') return; // garbage that is a valid line (e.g. a future type) is stored as is
        expect(r).toBe('InvalidRequest');
      }),
      { numRuns: 100 },
    );
    const history = (await store.loadHistory({ threadId: live })).items;
    // Every stored append is whole: the a/b/c messages come in complete triples.
    const abc = history.filter((l) => l.type === 'response_item').map((l) => ((l.payload as { content: { text: string }[] }).content[0]!.text));
    expect(abc[0]).toBe('base');
    expect(abc.slice(1).join('')).toMatch(/^(abc)*$/);
    expect(await itemCount(live)).toBeGreaterThanOrEqual(before);
    for (const items of [null, 'x', {}, [null], [{ type: 5, payload: {} }], [{ type: 'x' }]]) {
      expect(await outcome(store.appendItems({ threadId: live, items: items as never }))).toBe('InvalidRequest');
    }
    await store.shutdownThread(live);
    // still alive and well
    expect((await store.readThread({ threadId: live })).threadId).toBe(live);
  });
});
