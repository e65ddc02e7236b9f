// Owns the paginated turn and item projections on PostgreSQL (Codex's list_turns / list_items of
// "paginated" stores). Pages are keyset pages over the thread's (virtual, fork-aware) seq.
import { InvalidRequestError } from '../../model/errors.js';
import { parseOrThrow } from '../../model/validate.js';
import {
  listItemsParamsSchema,
  listTurnsParamsSchema,
  type ItemPage,
  type ListItemsParams,
  type ListTurnsParams,
  type SortDirection,
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

/**
 * A turn/item cursor names an anchor (virtual seq) and the direction it pages in. A page holds what
 * lies strictly beyond the anchor in that direction; the backwards cursor of a page anchors at its
 * first element with the opposite direction, so a client can page back (or catch up later).
 */
interface PageCursor {
  anchor: number;
  direction: SortDirection;
}

function decodePageCursor(kind: 'turns' | 'items', cursor: string, direction: SortDirection): PageCursor {
  const d = decodeCursor(kind, cursor, (x) => Number.isSafeInteger(x.a) && (x.d === 'asc' || x.d === 'desc'));
  if (d.d !== direction) throw new InvalidRequestError(`cursor pages ${String(d.d)} but sortDirection is ${direction}`, { path: 'cursor' });
  return { anchor: d.a as number, direction };
}

function encodePageCursor(kind: 'turns' | 'items', anchor: number, direction: SortDirection): string {
  return encodeCursor(kind, { a: anchor, d: direction });
}

const opposite = (d: SortDirection): SortDirection => (d === 'asc' ? 'desc' : 'asc');

/** What listTurns and listItems both ask of a thread before paging it. */
interface PageRequest {
  segments: Segment[];
  pageSize: number;
  direction: SortDirection;
  cursor: PageCursor | null;
}

async function openPage(
  tx: SqlExecutor,
  tenantId: string,
  kind: 'turns' | 'items',
  params: { threadId: string; includeArchived?: boolean; cursor?: string | null; pageSize?: number; sortDirection?: SortDirection },
  defaultPageSize: number,
): Promise<PageRequest> {
  const row = await requireThreadRow(tx, tenantId, params.threadId, params.includeArchived ?? false);
  const direction = params.sortDirection ?? 'desc';
  return {
    segments: await historySegments(tx, tenantId, row),
    pageSize: params.pageSize ?? defaultPageSize,
    direction,
    cursor: params.cursor ? decodePageCursor(kind, params.cursor, direction) : null,
  };
}

/** The cursors of a page whose elements are anchored at `first`..`last` (undefined when empty). */
function pageCursors(kind: 'turns' | 'items', direction: SortDirection, first: number | undefined, last: number | undefined, more: boolean) {
  return {
    nextCursor: more && last !== undefined ? encodePageCursor(kind, last, direction) : null,
    backwardsCursor: first !== undefined ? encodePageCursor(kind, first, opposite(direction)) : null,
  };
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
  const params = parseOrThrow(listTurnsParamsSchema, input) as ListTurnsParams;
  const { segments, pageSize, direction, cursor } = await openPage(tx, tenantId, 'turns', params, DEFAULT_TURN_PAGE);
  let spans = await turnSpans(tx, tenantId, segments);
  if (direction === 'desc') spans = spans.reverse();
  const beyond = (s: TurnSpan) => cursor === null || (direction === 'asc' ? s.first > cursor.anchor : s.first < cursor.anchor);
  const rest = spans.filter(beyond);
  const page = { items: rest.slice(0, pageSize), more: rest.length > pageSize };
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
  return { turns, ...pageCursors('turns', direction, page.items[0]?.first, page.items.at(-1)?.first, page.more) };
}

function emptyTurn(turnId: string, itemsView: TurnItemsView): StoredTurn {
  return { turnId, status: 'inProgress', error: null, startedAt: null, completedAt: null, durationMs: null, turnCreatedAtMs: null, itemsView, items: [] };
}

export async function listItems(tx: SqlExecutor, tenantId: string, input: ListItemsParams): Promise<ItemPage> {
  const params = parseOrThrow(listItemsParamsSchema, input) as ListItemsParams;
  const { segments, pageSize, direction, cursor } = await openPage(tx, tenantId, 'items', params, DEFAULT_ITEM_PAGE);
  const fetched = await readVirtualRange(tx, tenantId, segments, { after: cursor?.anchor ?? null, direction, limit: pageSize + 1, turnId: params.turnId ?? null });
  const rows = fetched.slice(0, pageSize);
  const items = rows.map((r) => ({
    seq: r.vseq,
    turnId: r.turnId,
    itemKey: `${params.threadId}:${r.vseq}`,
    itemOrdinal: r.vseq,
    itemCreatedAtMs: Number.isNaN(Date.parse(r.line.timestamp)) ? null : Date.parse(r.line.timestamp),
    line: r.line,
  }));
  return { items, ...pageCursors('items', direction, items[0]?.seq, items.at(-1)?.seq, fetched.length > pageSize) };
}
