// Owns the paginated turn and item projections on PostgreSQL (Codex's list_turns / list_items of
// "paginated" stores). Pages are keyset pages over the thread's (virtual, fork-aware) seq.
import { parseOrThrow } from '../../model/validate.js';
import {
  listItemsParamsSchema,
  listTurnsParamsSchema,
  type ItemPage,
  type ListItemsParams,
  type ListTurnsParams,
  type StoredTurn,
  type TurnItemsView,
  type TurnPage,
} from '../../model/params.js';
import type { SqlExecutor } from '../../db/database.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import { projectTurns } from '../shared/turns.js';
import { historySegments, readVirtualRange, type Segment } from './historySegments.js';
import { requireThreadRow } from './threadLookup.js';

const DEFAULT_TURN_PAGE = 25;
const DEFAULT_ITEM_PAGE = 100;

interface PageCursor {
  anchor: number;
  reverse: boolean;
}

function decodePageCursor(kind: 'turns' | 'items', cursor: string): PageCursor {
  const d = decodeCursor(kind, cursor, (x) => Number.isSafeInteger(x.a) && typeof x.r === 'boolean');
  return { anchor: d.a as number, reverse: d.r as boolean };
}

function encodePageCursor(kind: 'turns' | 'items', anchor: number, reverse: boolean): string {
  return encodeCursor(kind, { a: anchor, r: reverse });
}

interface TurnSpan {
  turnId: string;
  first: number;
  last: number;
}

export async function turnSpans(tx: SqlExecutor, tenantId: string, segments: Segment[]): Promise<TurnSpan[]> {
  const spans = new Map<string, TurnSpan>();
  for (const s of segments) {
    const { rows } = await tx.query<{ turn_id: string; first: number; last: number }>(
      `SELECT turn_id, min(seq) AS first, max(seq) AS last FROM thread_store.thread_items
        WHERE tenant_id = $1 AND thread_id = $2 AND seq BETWEEN $3 AND $4 AND turn_id IS NOT NULL
        GROUP BY turn_id`,
      [tenantId, s.threadId, s.lo, s.hi],
    );
    for (const r of rows) {
      const first = Number(r.first) + s.offset;
      const last = Number(r.last) + s.offset;
      const span = spans.get(r.turn_id);
      if (span) {
        span.first = Math.min(span.first, first);
        span.last = Math.max(span.last, last);
      } else spans.set(r.turn_id, { turnId: r.turn_id, first, last });
    }
  }
  return [...spans.values()].sort((a, b) => a.first - b.first);
}

export async function listTurns(tx: SqlExecutor, tenantId: string, input: ListTurnsParams): Promise<TurnPage> {
  const params = parseOrThrow(listTurnsParamsSchema, input, 'params') as ListTurnsParams;
  const row = await requireThreadRow(tx, tenantId, params.threadId, params.includeArchived ?? false);
  const segments = await historySegments(tx, tenantId, row);
  const pageSize = params.pageSize ?? DEFAULT_TURN_PAGE;
  const desc = params.sortDirection === 'desc';
  const cursor = params.cursor ? decodePageCursor('turns', params.cursor) : null;
  let spans = await turnSpans(tx, tenantId, segments);
  if (desc) spans = spans.reverse();
  const page = paginate(spans, (s) => s.first, desc, cursor, pageSize);
  const view = params.itemsView ?? 'summary';
  let turns: StoredTurn[] = page.items.map((s) => emptyTurn(s.turnId, view));
  if (page.items.length > 0) {
    const lo = Math.min(...page.items.map((s) => s.first));
    const hi = Math.max(...page.items.map((s) => s.last));
    const rows = await readVirtualRange(tx, tenantId, segments, { after: lo - 1, direction: 'asc', limit: hi - lo + 1 });
    const wanted = new Set(page.items.map((s) => s.turnId));
    const projected = projectTurns(
      rows.filter((r) => r.turnId !== null && wanted.has(r.turnId)).map((r) => ({ seq: r.vseq, turnId: r.turnId, line: r.line })),
      view,
    );
    const byId = new Map(projected.map((t) => [t.turnId, t]));
    turns = page.items.map((s) => byId.get(s.turnId) ?? emptyTurn(s.turnId, view));
  }
  return {
    turns,
    nextCursor: page.next !== null ? encodePageCursor('turns', page.next, false) : null,
    backwardsCursor: page.back !== null ? encodePageCursor('turns', page.back, true) : null,
  };
}

function emptyTurn(turnId: string, itemsView: TurnItemsView): StoredTurn {
  return { turnId, status: 'inProgress', error: null, startedAt: null, completedAt: null, durationMs: null, turnCreatedAtMs: null, itemsView, items: [] };
}

interface Paged<T> {
  items: T[];
  next: number | null;
  back: number | null;
}

/**
 * Keyset page over `ordered` (already in the requested direction) by `key`. A forward cursor
 * continues strictly past its anchor; a reverse one returns the page just before its anchor.
 */
export function paginate<T>(ordered: T[], key: (t: T) => number, desc: boolean, cursor: PageCursor | null, pageSize: number): Paged<T> {
  const beyond = (k: number, anchor: number) => (desc ? k < anchor : k > anchor);
  let items: T[];
  let hasMoreForward: boolean;
  let hasMoreBackward: boolean;
  if (cursor && cursor.reverse) {
    const before = ordered.filter((t) => beyond(cursor.anchor, key(t)));
    items = before.slice(Math.max(0, before.length - pageSize));
    hasMoreBackward = before.length > pageSize;
    hasMoreForward = true;
  } else {
    const after = cursor ? ordered.filter((t) => beyond(key(t), cursor.anchor)) : ordered;
    items = after.slice(0, pageSize);
    hasMoreForward = after.length > pageSize;
    hasMoreBackward = cursor !== null && after.length < ordered.length;
  }
  const first = items[0];
  const last = items[items.length - 1];
  return {
    items,
    next: hasMoreForward && last !== undefined ? key(last) : null,
    back: hasMoreBackward && first !== undefined ? key(first) : null,
  };
}

export async function listItems(tx: SqlExecutor, tenantId: string, input: ListItemsParams): Promise<ItemPage> {
  const params = parseOrThrow(listItemsParamsSchema, input, 'params') as ListItemsParams;
  const row = await requireThreadRow(tx, tenantId, params.threadId, params.includeArchived ?? false);
  const segments = await historySegments(tx, tenantId, row);
  const pageSize = params.pageSize ?? DEFAULT_ITEM_PAGE;
  const desc = params.sortDirection === 'desc';
  const cursor = params.cursor ? decodePageCursor('items', params.cursor) : null;
  const turnId = params.turnId ?? null;
  let rows;
  let hasMoreForward: boolean;
  let hasMoreBackward: boolean;
  if (cursor?.reverse) {
    // The page just before the anchor: read backwards from it, then restore the requested order.
    const back = await readVirtualRange(tx, tenantId, segments, { after: cursor.anchor, direction: desc ? 'asc' : 'desc', limit: pageSize + 1, turnId });
    hasMoreBackward = back.length > pageSize;
    rows = back.slice(0, pageSize).reverse();
    hasMoreForward = true;
  } else {
    const fwd = await readVirtualRange(tx, tenantId, segments, { after: cursor?.anchor ?? null, direction: desc ? 'desc' : 'asc', limit: pageSize + 1, turnId });
    hasMoreForward = fwd.length > pageSize;
    rows = fwd.slice(0, pageSize);
    hasMoreBackward = cursor !== null;
  }
  const items = rows.map((r) => ({
    seq: r.vseq,
    turnId: r.turnId,
    itemKey: `${params.threadId}:${r.vseq}`,
    itemOrdinal: r.vseq,
    itemCreatedAtMs: Number.isNaN(Date.parse(r.line.timestamp)) ? null : Date.parse(r.line.timestamp),
    line: r.line,
  }));
  const first = items[0];
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: hasMoreForward && last ? encodePageCursor('items', last.seq, false) : null,
    backwardsCursor: hasMoreBackward && first ? encodePageCursor('items', first.seq, true) : null,
  };
}
