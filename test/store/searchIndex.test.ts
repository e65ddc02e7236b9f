// Content search off the acknowledgement path (src/store/postgres/searchIndex.ts): an append only
// marks its thread for folding; the fold writes one document per thread per round, in the
// background. Proven here against PostgreSQL (or the embedded one): a committed line is found at
// once, folded or not, with the same snippet; folding writes the documents and moves search_seq to
// the thread's last line; a process that dies before folding loses nothing (the next searcher finds
// the text line by line and schedules the fold); deleting a thread takes its documents with it.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newUuidV7 } from '../../src/model/ids.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { LiveThread } from '../../src/live/LiveThread.js';
import { createParamsFromMeta, FIXTURE, loadFixture } from '../contract/fixtures.js';
import { responseMessage, useOwnServices, type OwnService } from '../live/helpers.js';
import { importCodexHome } from '../../src/codex/import/index.js';
import { SAMPLES } from '../codex/helpers.js';
import { foldHeldNow } from '../../src/store/postgres/searchIndex.js';

const file = useOwnServices();
const META = loadFixture(FIXTURE.interruptFail).meta;
/** Folding never happens by itself in these tests: only flushSearchIndex folds. */
const NO_BACKGROUND_FOLD = { search: { foldDelayMs: 3_600_000 } };

const said = (text: string): RolloutLine => responseMessage('user', text);

async function foldState(own: OwnService, tenantId: string, threadId: string): Promise<{ docs: number; searchSeq: number | null; lastSeq: number }> {
  return own.db.transaction(
    async (tx) => {
      const { rows } = await tx.query<{ docs: number; search_seq: string | null; last_seq: string }>(
        `SELECT (SELECT count(*)::int FROM thread_store.thread_search d WHERE d.tenant_id = t.tenant_id AND d.thread_id = t.id) AS docs,
                t.search_seq, t.last_seq
           FROM thread_store.threads t WHERE t.tenant_id = $1 AND t.id = $2`,
        [tenantId, threadId],
      );
      const r = rows[0]!;
      return { docs: r.docs, searchSeq: r.search_seq === null ? null : Number(r.search_seq), lastSeq: Number(r.last_seq) };
    },
    { tenantId, operation: 'test' },
  );
}

async function hits(store: ThreadStore, term: string): Promise<{ id: string; snippet: string }[]> {
  const page = await store.searchThreads({ searchTerm: term });
  return page.items.map((h) => ({ id: h.thread.threadId, snippet: h.snippet }));
}

describe('search index (folded behind the acknowledgement)', () => {
  it('a committed line is found at once, before and after its fold, with the same snippet', async () => {
    const own = await file.own(NO_BACKGROUND_FOLD);
    const tenantId = randomUUID();
    const store = own.service.forTenant(tenantId);
    const live = await LiveThread.create(store, createParamsFromMeta(META, { threadId: newUuidV7() }));
    await live.append([said('first line mentions an axolotl'), said(`${'padding '.repeat(30)}the AXOLOTL again ${'tail '.repeat(30)}`)]);
    const before = await hits(store, 'axolotl');
    expect(before).toHaveLength(1);
    expect(before[0]!.snippet).toBe('first line mentions an axolotl');
    expect(await foldState(own, tenantId, live.threadId)).toMatchObject({ docs: 0, searchSeq: null });

    await own.service.flushSearchIndex();
    const folded = await foldState(own, tenantId, live.threadId);
    expect(folded.docs).toBe(1);
    expect(folded.searchSeq).toBe(folded.lastSeq);
    expect(await hits(store, 'axolotl')).toEqual(before);
    // A match inside the second line of the document: the snippet is cut from that line alone.
    const second = await hits(store, 'axolotl again');
    expect(second[0]!.snippet).toMatch(/^….*the AXOLOTL again.*…$/);
    expect(second[0]!.snippet).not.toContain('first line');

    // New lines after a fold are found line by line until the next fold, then in a second document.
    await live.append([said('later: a narwhal')]);
    expect((await hits(store, 'narwhal')).map((h) => h.id)).toEqual([live.threadId]);
    await own.service.flushSearchIndex();
    expect(await foldState(own, tenantId, live.threadId)).toMatchObject({ docs: 2 });
    expect((await hits(store, 'narwhal')).map((h) => h.id)).toEqual([live.threadId]);
    await live.shutdown();
  });

  it('a process that dies before folding loses nothing: the next searcher finds the text and folds it', async () => {
    const dying = await file.own(NO_BACKGROUND_FOLD);
    const tenantId = randomUUID();
    const live = await LiveThread.create(dying.service.forTenant(tenantId), createParamsFromMeta(META, { threadId: newUuidV7() }));
    await live.append([said('the okapi was acknowledged')]);
    // The process is gone: its pending folds with it (its connections are simply dropped).
    await dying.db.close();

    const next = await file.own(NO_BACKGROUND_FOLD);
    const store = next.service.forTenant(tenantId);
    expect((await hits(store, 'okapi')).map((h) => h.id)).toEqual([live.threadId]);
    expect(await foldState(next, tenantId, live.threadId)).toMatchObject({ docs: 0 });
    // That search saw the unfolded thread and scheduled it; a flush of the searching process folds it.
    await next.service.flushSearchIndex();
    expect(await foldState(next, tenantId, live.threadId)).toMatchObject({ docs: 1 });
    expect((await hits(store, 'okapi')).map((h) => h.id)).toEqual([live.threadId]);
  });

  it.each(SAMPLES)('an import of the $version sample folds from the texts it read exactly what the database would fold from the stored lines', async ({ home }) => {
    const own = await file.own(NO_BACKGROUND_FOLD);
    const tenantId = randomUUID();
    const report = await importCodexHome({ store: own.service.forTenant(tenantId), codexHome: home });
    expect(report.threads.imported).toBeGreaterThan(5);
    const rows = await own.db.transaction(
      async (tx) =>
        (
          await tx.query<{ thread_id: string; docs: number; body_same: boolean; words_same: boolean; covers_last: boolean; expected_body: boolean }>(
            `WITH expected AS (
               SELECT thread_id, max(seq) AS last_seq, string_agg(body, E'\x1e' ORDER BY seq) AS body
                 FROM (SELECT thread_id, seq, thread_store.search_text(type, payload, raw_line) AS body
                         FROM thread_store.thread_items WHERE tenant_id = $1 AND seq >= 0) l
                GROUP BY thread_id
             )
             SELECT e.thread_id, count(d.*)::int AS docs, e.body IS NOT NULL AS expected_body,
                    coalesce(max(d.body) = e.body, e.body IS NULL) AS body_same,
                    coalesce((SELECT array_agg(w ORDER BY w) FROM regexp_split_to_table(btrim(max(d.words)), ' ') w)
                             = (SELECT array_agg(w ORDER BY w) FROM regexp_split_to_table(btrim(thread_store.search_words(e.body)), ' ') w), e.body IS NULL) AS words_same,
                    (SELECT t.search_seq = e.last_seq FROM thread_store.threads t WHERE t.tenant_id = $1 AND t.id = e.thread_id) AS covers_last
               FROM expected e LEFT JOIN thread_store.thread_search d ON d.tenant_id = $1 AND d.thread_id = e.thread_id
              GROUP BY e.thread_id, e.body, e.last_seq`,
            [tenantId],
          )
        ).rows,
      { tenantId, operation: 'test' },
    );
    expect(rows.filter((r) => r.expected_body).length).toBeGreaterThan(5);
    for (const r of rows) {
      expect({ thread: r.thread_id, docs: r.docs, body: r.body_same, words: r.words_same, searchSeq: r.covers_last }).toEqual({
        thread: r.thread_id,
        docs: r.expected_body ? 1 : 0,
        body: true,
        words: true,
        searchSeq: true,
      });
    }
  });

  it('one fold round writes each thread exactly its own lines, also when a thread between them has no text', async () => {
    const own = await file.own(NO_BACKGROUND_FOLD);
    const tenantId = randomUUID();
    const store = own.service.forTenant(tenantId);
    const open = () => LiveThread.create(store, createParamsFromMeta(META, { threadId: newUuidV7() }));
    const [a, b, c] = [await open(), await open(), await open()];
    const event: RolloutLine = { type: 'event_msg', payload: { type: 'agent_reasoning', text: 'not searchable' } };
    // Quotes, backslashes and newlines: what an escaping driver would have to rewrite.
    await Promise.all([
      a.append([said('a "one"\\path'), said('a two\nline')]),
      b.append([event]),
      c.append([said('c one'), event, said('c "two"'), said('c three \\')]),
    ]);
    await own.service.flushSearchIndex();
    const docs = await own.db.transaction(
      async (tx) =>
        (await tx.query<{ thread_id: string; body: string }>('SELECT thread_id, body FROM thread_store.thread_search WHERE tenant_id = $1', [tenantId])).rows,
      { tenantId, operation: 'test' },
    );
    const byThread = new Map(docs.map((d) => [d.thread_id, d.body]));
    expect(byThread.get(a.threadId)).toBe('a "one"\\path\x1ea two\nline');
    expect(byThread.has(b.threadId)).toBe(false);
    expect(byThread.get(c.threadId)).toBe('c one\x1ec "two"\x1ec three \\');
    for (const t of [a, b, c]) {
      const state = await foldState(own, tenantId, t.threadId);
      expect(state.searchSeq).toBe(state.lastSeq);
      await t.shutdown();
    }
  });

  it('held texts that do not continue what is folded are not written: the database folds the stored lines instead', async () => {
    const own = await file.own(NO_BACKGROUND_FOLD);
    const tenantId = randomUUID();
    const store = own.service.forTenant(tenantId);
    const live = await LiveThread.create(store, createParamsFromMeta(META, { threadId: newUuidV7() }));
    await live.append([said('an okapi first')]);
    await own.service.flushSearchIndex();
    await live.append([said('then a narwhal')]);
    await live.flush();
    const { lastSeq } = await foldState(own, tenantId, live.threadId);
    // Held texts claiming to start at seq 0 again, and wrong: the fold must not take them.
    await own.db.transaction((tx) => foldHeldNow(tx, tenantId, live.threadId, { first: 0, last: lastSeq, texts: ['a wrong text'] }, lastSeq), { tenantId, operation: 'test' });
    const bodies = await own.db.transaction(
      async (tx) => (await tx.query<{ body: string }>('SELECT body FROM thread_store.thread_search WHERE tenant_id = $1 AND thread_id = $2 ORDER BY first_seq', [tenantId, live.threadId])).rows.map((r) => r.body),
      { tenantId, operation: 'test' },
    );
    expect(bodies).toEqual(['an okapi first', 'then a narwhal']);
    expect(await foldState(own, tenantId, live.threadId)).toMatchObject({ docs: 2, searchSeq: lastSeq });
    await live.shutdown();
  });

  it('with search.documents false nothing is folded — appends, imports, a detached fork — and searches find the same', async () => {
    const own = await file.own({ search: { documents: false, foldDelayMs: 0, idleMs: 0 } });
    const tenantId = randomUUID();
    const store = own.service.forTenant(tenantId);
    const live = await LiveThread.create(store, createParamsFromMeta(META, { threadId: newUuidV7() }));
    await live.append([said('a quokka in the text')]);
    await live.shutdown();
    const forkId = newUuidV7();
    await store.forkThread({ sourceThreadId: live.threadId, newThreadId: forkId });
    await store.deleteThread({ threadId: live.threadId });
    const imported = await importCodexHome({ store, codexHome: SAMPLES[0]!.home });
    expect(imported.threads.imported).toBeGreaterThan(5);
    await own.service.flushSearchIndex();
    const { docs, folded } = await own.db.transaction(
      async (tx) => {
        const d = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM thread_store.thread_search WHERE tenant_id = $1', [tenantId]);
        const f = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM thread_store.threads WHERE tenant_id = $1 AND search_seq IS NOT NULL', [tenantId]);
        return { docs: d.rows[0]!.n, folded: f.rows[0]!.n };
      },
      { tenantId, operation: 'test' },
    );
    expect({ docs, folded }).toEqual({ docs: 0, folded: 0 });
    expect((await hits(store, 'QUOKKA')).map((h) => h.id)).toEqual([forkId]);
    // A term of the imported sample is found too, read from its lines.
    const sampleHits = await hits(store, 'the');
    expect(sampleHits.length).toBeGreaterThan(3);
  });

  it('deleting a thread removes its documents; other threads keep theirs', async () => {
    const own = await file.own(NO_BACKGROUND_FOLD);
    const tenantId = randomUUID();
    const store = own.service.forTenant(tenantId);
    const threads: LiveThread[] = [];
    for (const word of ['pangolin', 'pangolin too']) {
      const live = await LiveThread.create(store, createParamsFromMeta(META, { threadId: newUuidV7() }));
      await live.append([said(`a ${word}`)]);
      await live.shutdown();
      threads.push(live);
    }
    await own.service.flushSearchIndex();
    await store.deleteThread({ threadId: threads[0]!.threadId });
    expect((await hits(store, 'pangolin')).map((h) => h.id)).toEqual([threads[1]!.threadId]);
    const left = await own.db.transaction(
      async (tx) => (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM thread_store.thread_search WHERE tenant_id = $1 AND thread_id = $2', [tenantId, threads[0]!.threadId])).rows[0]!.n,
      { tenantId, operation: 'test' },
    );
    expect(left).toBe(0);
  });

  it('finds exactly the threads whose text holds a term, before and after folding (property)', async () => {
    const own = await file.own(NO_BACKGROUND_FOLD);
    const tenantId = randomUUID();
    const store = own.service.forTenant(tenantId);
    const vocabulary = ['flux', 'Capacitor', 'gigawatts', '1.21', 'café', 'über-cool', 'snake_case', 'e-mail', 'Zeta', 'zeta', 'ßtraße', '50%', 'a_b', 'x'];
    const texts = fc.sample(
      fc.array(fc.constantFrom(...vocabulary), { minLength: 1, maxLength: 8 }).chain((w) => fc.constantFrom(' ', ', ', '-', '').map((sep) => w.join(sep))),
      { numRuns: 24, seed: 13 },
    );
    const threads: { id: string; lines: string[] }[] = [];
    for (const text of texts) {
      const live = await LiveThread.create(store, createParamsFromMeta(META, { threadId: newUuidV7() }));
      const lines = [text, `padding ${threads.length}`];
      await live.append(lines.map(said));
      await live.shutdown();
      threads.push({ id: live.threadId, lines });
    }
    const terms = fc.sample(
      fc.tuple(fc.integer({ min: 0, max: texts.length - 1 }), fc.nat(), fc.nat(), fc.boolean()).map(([t, a, b, upper]) => {
        const text = texts[t]!;
        const [from, to] = [Math.min(a, b) % (text.length + 1), Math.max(a, b) % (text.length + 1)];
        const term = text.slice(from, Math.max(to, from + 1));
        return upper ? term.toUpperCase() : term;
      }),
      { numRuns: 40, seed: 7 },
    ).filter((t) => t.trim() !== '');
    const check = async () => {
      for (const term of terms) {
        const expected = threads.filter((t) => t.lines.some((l) => l.toLowerCase().includes(term.toLowerCase()))).map((t) => t.id).sort();
        const found: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await store.searchThreads({ searchTerm: term, pageSize: 100, cursor });
          found.push(...page.items.map((h) => h.thread.threadId));
          cursor = page.nextCursor;
        } while (cursor !== null);
        expect(found.sort(), JSON.stringify(term)).toEqual(expected);
      }
    };
    await check();
    await own.service.flushSearchIndex();
    expect((await foldState(own, tenantId, threads[0]!.id)).docs).toBe(1);
    await check();
  });
});
