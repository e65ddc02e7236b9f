// Search finds text in lines the PostgreSQL store keeps as raw JSON text (issue 15, point 5): a line
// holding U+0000 or a lone surrogate cannot be JSONB, so it is stored whole as text, and its
// visible text must still be searchable. The hostile test of issue 15 saw `searchThreads('nul')`
// miss a user message "nul\u0000here"; on this branch's base it is found. The search redesign of
// issue 13 owns this behaviour and must keep this spec passing.
import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../harness.js';
import { createParams, message, newId } from '../helpers.js';

export function rawTextSearchSpec(ctx: ContractContext): void {
  describe('search over lines kept as raw JSON text', () => {
    it('finds the visible text around U+0000 and lone surrogates', async () => {
      const store = ctx.store();
      const threadId = newId();
      await store.createThread(createParams(threadId));
      await store.appendItems(
        { threadId, items: [message('user', 'nul\u0000here'), message('assistant', 'lone \ud800 surrogate reply')] },
        { metadataPatch: { preview: 'raw text thread' } },
      );
      await store.shutdownThread(threadId);
      for (const term of ['nul', 'here', 'surrogate reply']) {
        const page = await store.searchThreads({ searchTerm: term });
        expect(page.items.map((i) => i.thread.threadId), term).toEqual([threadId]);
      }
    });
  });
}
