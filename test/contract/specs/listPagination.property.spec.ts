// Property: keyset pagination of listThreads. Random threads (timestamps set through
// updateThreadMetadata, with many ties), random page sizes, sort keys and directions:
// the concatenated pages equal the full sorted result; with threads inserted between pages no
// existing row is skipped or repeated and the concatenation stays in listing order.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SortDirection, ThreadSortKey } from '../../../src/model/params.js';
import type { StoredThread } from '../../../src/model/thread.js';
import type { ThreadStore } from '../../../src/store/ThreadStore.js';
import type { ContractContext } from '../harness.js';
import { iso, makeThreadWithMetadata, ms } from '../helpers.js';

const BASE = Date.UTC(2031, 5, 1);
/** Offsets 400 ms apart: allocation sees newer values, same-second collisions and ≥ 1 s backfills. */
const offset = fc.integer({ min: 0, max: 12 }).map((k) => k * 400);
const threadSpec = fc.record({ created: offset, updated: offset, recency: offset });
type ThreadSpec = { created: number; updated: number; recency: number };
const sortKeyArb = fc.constantFrom<ThreadSortKey>('created_at', 'updated_at', 'recency_at');
const directionArb = fc.constantFrom<SortDirection>('asc', 'desc');

function sortValue(thread: StoredThread, sortKey: ThreadSortKey): number {
  return ms(sortKey === 'created_at' ? thread.createdAt : sortKey === 'updated_at' ? thread.updatedAt : thread.recencyAt);
}

/** Negative when `a` comes before `b` in the listing. */
function listingCompare(sortKey: ThreadSortKey, direction: SortDirection) {
  const sign = direction === 'asc' ? 1 : -1;
  return (a: StoredThread, b: StoredThread): number => {
    const d = sortValue(a, sortKey) - sortValue(b, sortKey);
    if (d !== 0) return sign * d;
    return sign * (a.threadId < b.threadId ? -1 : a.threadId > b.threadId ? 1 : 0);
  };
}

async function makeThreads(store: ThreadStore, specs: readonly ThreadSpec[]): Promise<void> {
  for (const s of specs) {
    await makeThreadWithMetadata(store, {
      createdAt: iso(BASE + s.created),
      updatedAt: iso(BASE + s.updated),
      advanceRecencyAt: iso(BASE + 100_000 + s.recency),
    });
  }
}

async function readAll(store: ThreadStore, threadIds: readonly string[]): Promise<StoredThread[]> {
  return Promise.all(threadIds.map((threadId) => store.readThread({ threadId })));
}

export function listPaginationPropertySpec(ctx: ContractContext): void {
  describe('listThreads pagination (property)', () => {
    it('concatenated pages == the full sorted result', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(threadSpec, { maxLength: 9 }), fc.integer({ min: 1, max: 4 }), sortKeyArb, directionArb, async (specs, pageSize, sortKey, direction) => {
          const store = ctx.store();
          await makeThreads(store, specs);
          const everything = await store.listThreads({ pageSize: 1000, sortKey, sortDirection: direction });
          expect(everything.nextCursor).toBeNull();
          const current = await readAll(store, everything.items.map((t) => t.threadId));
          const expected = [...current].sort(listingCompare(sortKey, direction)).map((t) => t.threadId);
          expect(everything.items.map((t) => t.threadId)).toEqual(expected);
          expect(expected).toHaveLength(specs.length);

          const paged: string[] = [];
          let cursor: string | null = null;
          let pages = 0;
          do {
            const page = await store.listThreads({ pageSize, cursor, sortKey, sortDirection: direction });
            expect(page.items.length).toBeLessThanOrEqual(pageSize);
            if (page.nextCursor !== null) expect(page.items).toHaveLength(pageSize);
            paged.push(...page.items.map((t) => t.threadId));
            cursor = page.nextCursor;
            pages += 1;
            expect(pages).toBeLessThanOrEqual(specs.length + 1);
          } while (cursor !== null);
          expect(paged).toEqual(expected);
        }),
        { numRuns: 40 },
      );
    });

    it('threads inserted between pages never make existing rows skip or repeat', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(threadSpec, { minLength: 1, maxLength: 8 }),
          fc.array(fc.array(threadSpec, { maxLength: 2 }), { maxLength: 8 }),
          fc.integer({ min: 1, max: 3 }),
          sortKeyArb,
          directionArb,
          async (initial, inserts, pageSize, sortKey, direction) => {
            const store = ctx.store();
            await makeThreads(store, initial);
            const originalIds = (await store.listThreads({ pageSize: 1000 })).items.map((t) => t.threadId);
            const seen: string[] = [];
            let cursor: string | null = null;
            let round = 0;
            do {
              const page = await store.listThreads({ pageSize, cursor, sortKey, sortDirection: direction });
              seen.push(...page.items.map((t) => t.threadId));
              cursor = page.nextCursor;
              await makeThreads(store, inserts[round] ?? []);
              round += 1;
              expect(round).toBeLessThanOrEqual(200);
            } while (cursor !== null);

            expect(new Set(seen).size).toBe(seen.length); // nothing repeated
            for (const id of originalIds) expect(seen).toContain(id); // nothing existing skipped
            // the concatenation is in listing order (keyset: every page continues after the last row)
            const seenThreads = await readAll(store, seen);
            const compare = listingCompare(sortKey, direction);
            for (let i = 1; i < seenThreads.length; i += 1) expect(compare(seenThreads[i - 1]!, seenThreads[i]!)).toBeLessThan(0);
          },
        ),
        { numRuns: 30 },
      );
    });
  });
}
