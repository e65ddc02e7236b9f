// searchThreads: visible user/assistant message text plus name/title, case-insensitive literal
// substring, snippet, filters and keyset pagination (spec §2.3 SearchThreadsParams).
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/model/errors.js';
import type { RolloutLine } from '../../../src/model/rolloutLine.js';
import type { ThreadStore } from '../../../src/store/ThreadStore.js';
import type { ContractContext } from '../harness.js';
import { FIXTURE } from '../fixtures.js';
import { expectError, importFixture, iso, makeThread, message, newId, turnLines } from '../helpers.js';

async function searchIds(store: ThreadStore, searchTerm: string, extra: Omit<Parameters<ThreadStore['searchThreads']>[0], 'searchTerm'> = {}): Promise<Set<string>> {
  const out = new Set<string>();
  let cursor: string | null = null;
  do {
    const page = await store.searchThreads({ searchTerm, ...extra, cursor });
    for (const hit of page.items) out.add(hit.thread.threadId);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

export function searchSpec(ctx: ContractContext): void {
  describe('searchThreads', () => {
    it('finds visible user and assistant text case-insensitively, with a snippet around the match', async () => {
      const store = ctx.store();
      const long = `${'lorem ipsum '.repeat(40)}the Flux Capacitor needs 1.21 gigawatts${' dolor sit amet'.repeat(40)}`;
      const user = await makeThread(store, { lines: turnLines(newId(), long, 'ok') });
      const assistant = await makeThread(store, { lines: turnLines(newId(), 'question', 'Answer: use the FLUX capacitor') });
      await makeThread(store, { lines: turnLines(newId(), 'nothing here', 'nope') });
      const page = await store.searchThreads({ searchTerm: 'flux capacitor' });
      expect(new Set(page.items.map((h) => h.thread.threadId))).toEqual(new Set([user, assistant]));
      for (const hit of page.items) {
        expect(hit.snippet.toLowerCase()).toContain('flux capacitor');
        expect(hit.snippet.length).toBeLessThanOrEqual(160);
      }
      const userHit = page.items.find((h) => h.thread.threadId === user)!;
      expect(userHit.snippet.length).toBeGreaterThanOrEqual(60);
      expect(userHit.thread.preview).toBe(`hello from ${user}`);
    });

    it('ignores text that is not visible conversation: developer messages, tool output, reasoning, contextual fragments', async () => {
      const store = ctx.store();
      const hiddenLines: RolloutLine[] = [
        message('developer', 'secret-token developer'),
        { type: 'response_item', payload: { type: 'function_call_output', call_id: 'c', output: 'secret-token output' } },
        { type: 'response_item', payload: { type: 'reasoning', summary: [{ type: 'summary_text', text: 'secret-token reasoning' }] } },
        message('user', '<environment_context>\n  <cwd>/secret-token</cwd>\n</environment_context>'),
        { type: 'turn_context', payload: { cwd: '/secret-token' } },
      ];
      await makeThread(store, { lines: hiddenLines, patch: { preview: 'secret-token in preview only' } });
      expect((await store.searchThreads({ searchTerm: 'secret-token' })).items).toEqual([]);
    });

    it('matches the name and the title', async () => {
      const store = ctx.store();
      const named = await makeThread(store, { patch: { preview: 'p', name: 'Quarterly Report' } });
      const titled = await makeThread(store, { patch: { preview: 'p', title: 'quarterly numbers' } });
      expect(await searchIds(store, 'QUARTERLY')).toEqual(new Set([named, titled]));
      const hit = (await store.searchThreads({ searchTerm: 'report' })).items[0]!;
      expect(hit.thread.threadId).toBe(named);
      expect(hit.snippet).toContain('Report');
    });

    it('finds text in lines kept as raw JSON text (U+0000, lone surrogates)', async () => {
      const store = ctx.store();
      const nul = await makeThread(store, { lines: [message('user', 'quokka\u0000marmot')], patch: { preview: 'p' } });
      const lone = await makeThread(store, { lines: [message('assistant', 'wombat \ud800 numbat')], patch: { preview: 'p' } });
      expect(await searchIds(store, 'quokka')).toEqual(new Set([nul]));
      expect(await searchIds(store, 'MARMOT')).toEqual(new Set([nul]));
      expect(await searchIds(store, 'numbat')).toEqual(new Set([lone]));
      // The unstorable characters read as U+FFFD, so words on either side do not run together.
      expect(await searchIds(store, 'quokkamarmot')).toEqual(new Set());
      const hit = (await store.searchThreads({ searchTerm: 'quokka' })).items[0]!;
      expect(hit.snippet).toBe('quokka\ufffdmarmot');
    });

    it('treats %, _ and \\ literally', async () => {
      const store = ctx.store();
      const percent = await makeThread(store, { lines: [message('user', 'we are 100% done')] });
      const underscore = await makeThread(store, { lines: [message('user', 'call snake_case now')] });
      const backslash = await makeThread(store, { lines: [message('user', 'path C:\\temp\\x')] });
      await makeThread(store, { lines: [message('user', 'we are 100 done, snakeXcase, C:/temp')] });
      expect(await searchIds(store, '%')).toEqual(new Set([percent]));
      expect(await searchIds(store, '0% d')).toEqual(new Set([percent]));
      expect(await searchIds(store, 'e_c')).toEqual(new Set([underscore]));
      expect(await searchIds(store, '_')).toEqual(new Set([underscore]));
      expect(await searchIds(store, '\\temp')).toEqual(new Set([backslash]));
      expect(await searchIds(store, '\\')).toEqual(new Set([backslash]));
    });

    it('searches real rollouts, including non-ASCII text', async () => {
      const store = ctx.store();
      const unicode = await importFixture(store, FIXTURE.unicode, { deriveMetadata: true });
      const other = await importFixture(store, FIXTURE.interruptFail, { deriveMetadata: true });
      const texts = unicode.lines.flatMap((l) => {
        const p = l.payload as Record<string, unknown>;
        if (l.type !== 'response_item' || p.type !== 'message' || p.role !== 'user') return [];
        return (p.content as { type: string; text?: string }[]).filter((c) => c.type === 'input_text' && c.text && !c.text.trimStart().startsWith('<')).map((c) => c.text!);
      });
      const cjk = texts.join('\n').match(/[\u4e00-\u9fff]{2,}/u)?.[0];
      expect(cjk, 'the unicode fixture has CJK text').toBeDefined();
      expect(await searchIds(store, cjk!)).toEqual(new Set([unicode.threadId]));
      const hit = (await store.searchThreads({ searchTerm: cjk! })).items[0]!;
      expect(hit.snippet).toContain(cjk!);
      expect(hit.snippet.isWellFormed()).toBe(true);
      expect((await searchIds(store, 'zzz-no-such-text-zzz')).size).toBe(0);
      expect(other.threadId).not.toBe(unicode.threadId);
    });

    it('filters: archived and allowedSources', async () => {
      const store = ctx.store();
      const active = await makeThread(store, { lines: [message('user', 'needle one')], create: { source: 'vscode' } });
      const archived = await makeThread(store, { lines: [message('user', 'needle two')], create: { source: 'exec' } });
      await store.archiveThread({ threadId: archived });
      expect(await searchIds(store, 'needle')).toEqual(new Set([active]));
      expect(await searchIds(store, 'needle', { archived: true })).toEqual(new Set([archived]));
      expect(await searchIds(store, 'needle', { allowedSources: ['exec'] })).toEqual(new Set());
      expect(await searchIds(store, 'needle', { allowedSources: ['vscode', 'cli'] })).toEqual(new Set([active]));
      expect(await searchIds(store, 'needle', { archived: true, allowedSources: ['exec'] })).toEqual(new Set([archived]));
    });

    it('pages with a keyset cursor in the requested order', async () => {
      const store = ctx.store();
      const made: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const threadId = await makeThread(store, { lines: [message('user', `match ${i}`)] });
        await store.updateThreadMetadata({ threadId, patch: { createdAt: iso(Date.UTC(2030, 0, 1) + (i % 2) * 1000) } });
        made.push(threadId);
      }
      for (const sortDirection of ['asc', 'desc'] as const) {
        const all = await store.searchThreads({ searchTerm: 'match', sortDirection, pageSize: 100 });
        const paged: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await store.searchThreads({ searchTerm: 'match', sortDirection, pageSize: 2, cursor });
          paged.push(...page.items.map((h) => h.thread.threadId));
          cursor = page.nextCursor;
        } while (cursor !== null);
        expect(paged).toEqual(all.items.map((h) => h.thread.threadId));
        expect(new Set(paged)).toEqual(new Set(made));
      }
      const ascending = (await store.searchThreads({ searchTerm: 'match', sortDirection: 'asc', sortKey: 'created_at', pageSize: 100 })).items.map((h) => h.thread);
      for (let i = 1; i < ascending.length; i += 1) {
        const a = ascending[i - 1]!;
        const b = ascending[i]!;
        expect(Date.parse(a.createdAt) < Date.parse(b.createdAt) || (a.createdAt === b.createdAt && a.threadId < b.threadId)).toBe(true);
      }
    });

    it('rejects an empty term, bad cursors and bad page sizes', async () => {
      const store = ctx.store();
      await makeThread(store);
      await expectError(store.searchThreads({ searchTerm: '' }), InvalidRequestError);
      await expectError(store.searchThreads({ searchTerm: 'x', cursor: 'garbage!!' }), InvalidRequestError);
      await expectError(store.searchThreads({ searchTerm: 'x', cursor: Buffer.from('{"k":"search"}').toString('base64url') }), InvalidRequestError);
      await expectError(store.searchThreads({ searchTerm: 'x', pageSize: 0 }), InvalidRequestError);
    });
  });
}
