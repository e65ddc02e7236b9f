// Owns the paginated turn and item projections on PostgreSQL (Codex's list_turns / list_items of
// "paginated" stores). Pages are keyset pages over the thread's (virtual, fork-aware) seq. A thread
// whose history is its own rows is paged with ONE statement in one round trip (a header row with the
// thread's flags, then the page); a fork, which reads through to its base, takes the general path
// over its segments in a tenant transaction.
import { InvalidRequestError } from '../../model/errors.js';
import type {
  ItemPage,
  ParsedListItemsParams,
  ParsedListTurnsParams,
  SortDirection,
  StoredTurn,
  TurnItemsView,
  TurnPage,
} from '../../model/params.js';
import type { Database, NamedStatement, SqlExecutor } from '../../db/database.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import { decodeLine } from '../shared/preparedItem.js';
import { projectTurns } from '../../history/turns.js';
import { historySegments, OPEN_END, readVirtualRange, type Segment, type VirtualRow } from './historySegments.js';
import { requireThreadRow } from './threadLookup.js';
import type { SelectedItemRow } from './itemRows.js';
import { assertVisible } from './threadReads.js';

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

/** listTurns over the thread's segments, in a tenant transaction (forks). */
async function listTurnsInTransaction(tx: SqlExecutor, tenantId: string, params: ParsedListTurnsParams): Promise<TurnPage> {
  const { segments, pageSize, direction, cursor } = await openPage(tx, tenantId, 'turns', params, DEFAULT_TURN_PAGE);
  let spans = await turnSpans(tx, tenantId, segments);
  if (direction === 'desc') spans = spans.reverse();
  const beyond = (s: TurnSpan) => cursor === null || (direction === 'asc' ? s.first > cursor.anchor : s.first < cursor.anchor);
  const rest = spans.filter(beyond);
  const page = { items: rest.slice(0, pageSize), more: rest.length > pageSize };
  if (page.items.length === 0) return turnPage(params, direction, page, []);
  const lo = Math.min(...page.items.map((s) => s.first));
  const hi = Math.max(...page.items.map((s) => s.last));
  return turnPage(params, direction, page, await readVirtualRange(tx, tenantId, segments, { after: lo - 1, direction: 'asc', limit: hi - lo + 1 }));
}

/** The page of `page.items` turns, projected from `rows` (seq order; rows of other turns ignored). */
function turnPage(params: ParsedListTurnsParams, direction: SortDirection, page: { items: TurnSpan[]; more: boolean }, rows: VirtualRow[]): TurnPage {
  const view = params.itemsView ?? 'summary';
  const wanted = new Set(page.items.map((s) => s.turnId));
  const projected = projectTurns(
    rows.filter((r) => r.turnId !== null && wanted.has(r.turnId)).map((r) => ({ seq: r.vseq, turnId: r.turnId, line: r.line })),
    view,
  );
  const byId = new Map(projected.map((t) => [t.turnId, t]));
  const turns: StoredTurn[] = page.items.map((s) => byId.get(s.turnId) ?? emptyTurn(s.turnId, view));
  return { turns, ...pageCursors('turns', direction, page.items[0]?.first, page.items.at(-1)?.first, page.more) };
}

const HEADER = `WITH t AS MATERIALIZED (
           SELECT archived_at IS NOT NULL AS archived, history_base_thread_id IS NOT NULL AS fork
             FROM thread_store.threads WHERE tenant_id = $1 AND id = $2)`;

/**
 * One turn page of a thread that is not a fork: the header row (kind 'h', the thread's flags), the
 * page's turn spans plus one (kind 's': first and last seq) and the rows of the page's turns (kind
 * 'r'). $3 the exclusive anchor, $4 the page size.
 */
function turnsPageStatement(direction: SortDirection): NamedStatement {
  const [op, dir] = direction === 'asc' ? ['>', 'ASC'] : ['<', 'DESC'];
  return {
    name: `thread_store_turns_page_${direction}_v1`,
    genericPlan: true,
    text: `${HEADER}, spans AS (
             SELECT turn_id, min(seq) AS first, max(seq) AS last FROM thread_store.thread_items
              WHERE tenant_id = $1 AND thread_id = $2 AND seq >= 0 AND turn_id IS NOT NULL AND NOT (SELECT fork FROM t)
              GROUP BY turn_id
           ), page AS (
             SELECT turn_id, first, last, row_number() OVER (ORDER BY first ${dir}) AS n
               FROM spans WHERE first ${op} $3 ORDER BY first ${dir} LIMIT $4 + 1
           )
           SELECT 'h' AS kind, NULL::bigint AS seq, NULL::bigint AS last, NULL::text AS turn_id, NULL::text AS ts, NULL::text AS type,
                  jsonb_build_object('archived', archived, 'fork', fork) AS payload, NULL::jsonb AS extra, NULL::text AS raw_line FROM t
           UNION ALL
           SELECT 's', first, last, turn_id, NULL, NULL, NULL, NULL, NULL FROM page
           UNION ALL
           SELECT 'r', i.seq, NULL, i.turn_id, i.ts, i.type, i.payload, i.extra, i.raw_line FROM thread_store.thread_items i
            WHERE i.tenant_id = $1 AND i.thread_id = $2
              AND i.seq BETWEEN (SELECT min(first) FROM page WHERE n <= $4) AND (SELECT max(last) FROM page WHERE n <= $4)
              AND i.turn_id IN (SELECT turn_id FROM page WHERE n <= $4)`,
  };
}
const TURNS_PAGE = { asc: turnsPageStatement('asc'), desc: turnsPageStatement('desc') };

interface PageRow extends SelectedItemRow {
  kind?: 'h' | 's' | 'r';
  last?: number | string | null;
}

interface ThreadFlags {
  archived: boolean;
  fork: boolean;
}

/** The header's flags, with Codex's visibility rules applied. */
function flagsOf(rows: PageRow[], isHeader: (r: PageRow) => boolean, threadId: string, includeArchived: boolean): ThreadFlags {
  const flags = rows.find(isHeader)?.payload as ThreadFlags | undefined;
  assertVisible(flags, threadId, includeArchived);
  return flags as ThreadFlags;
}

const anchorOf = (cursor: PageCursor | null, direction: SortDirection) => cursor?.anchor ?? (direction === 'asc' ? -1 : OPEN_END);

/** `params` as the input boundary (src/store/boundary.ts) parsed them. */
export async function listTurns(db: Database, tenantId: string, params: ParsedListTurnsParams): Promise<TurnPage> {
  const direction = params.sortDirection ?? 'desc';
  const cursor = params.cursor ? decodePageCursor('turns', params.cursor, direction) : null;
  const pageSize = params.pageSize ?? DEFAULT_TURN_PAGE;
  const { rows } = await db.tenantQuery<PageRow>(tenantId, TURNS_PAGE[direction], [tenantId, params.threadId, anchorOf(cursor, direction), pageSize], 'listTurns');
  const flags = flagsOf(rows, (r) => r.kind === 'h', params.threadId, params.includeArchived ?? false);
  if (flags.fork) return db.transaction((tx) => listTurnsInTransaction(tx, tenantId, params), { tenantId, operation: 'listTurns' });
  const spans = rows
    .filter((r) => r.kind === 's')
    .map((r) => ({ turnId: r.turn_id as string, first: Number(r.seq), last: Number(r.last) }))
    .sort((a, b) => (direction === 'asc' ? a.first - b.first : b.first - a.first));
  const items = rows
    .filter((r) => r.kind === 'r')
    .map((r) => ({ vseq: Number(r.seq), turnId: r.turn_id ?? null, line: decodeLine(r) }))
    .sort((a, b) => a.vseq - b.vseq);
  return turnPage(params, direction, { items: spans.slice(0, pageSize), more: spans.length > pageSize }, items);
}

/**
 * One item page of a thread that is not a fork: the header row (seq NULL, the thread's flags) and
 * up to $4 rows beyond the exclusive anchor $3, in page order (optionally of one turn, $5).
 */
function itemsPageStatement(direction: SortDirection, byTurn: boolean): NamedStatement {
  const [op, dir] = direction === 'asc' ? ['>', 'ASC'] : ['<', 'DESC'];
  return {
    name: `thread_store_items_page_${direction}${byTurn ? '_turn' : ''}_v1`,
    genericPlan: true,
    text: `${HEADER}
           SELECT NULL::bigint AS seq, NULL::text AS turn_id, NULL::text AS ts, NULL::text AS type,
                  jsonb_build_object('archived', archived, 'fork', fork) AS payload, NULL::jsonb AS extra, NULL::text AS raw_line FROM t
           UNION ALL
           (SELECT i.seq, i.turn_id, i.ts, i.type, i.payload, i.extra, i.raw_line FROM thread_store.thread_items i
             WHERE i.tenant_id = $1 AND i.thread_id = $2 AND i.seq ${op} $3 AND i.seq >= 0${byTurn ? ' AND i.turn_id = $5' : ''}
               AND NOT (SELECT fork FROM t)
             ORDER BY i.seq ${dir} LIMIT $4)`,
  };
}
const ITEMS_PAGE = {
  asc: { all: itemsPageStatement('asc', false), turn: itemsPageStatement('asc', true) },
  desc: { all: itemsPageStatement('desc', false), turn: itemsPageStatement('desc', true) },
};

function emptyTurn(turnId: string, itemsView: TurnItemsView): StoredTurn {
  return { turnId, status: 'inProgress', error: null, startedAt: null, completedAt: null, durationMs: null, turnCreatedAtMs: null, itemsView, items: [] };
}

/** `params` as the input boundary (src/store/boundary.ts) parsed them. */
export async function listItems(db: Database, tenantId: string, params: ParsedListItemsParams): Promise<ItemPage> {
  const direction = params.sortDirection ?? 'desc';
  const cursor = params.cursor ? decodePageCursor('items', params.cursor, direction) : null;
  const pageSize = params.pageSize ?? DEFAULT_ITEM_PAGE;
  const turnId = params.turnId ?? null;
  const statement = ITEMS_PAGE[direction][turnId === null ? 'all' : 'turn'];
  const values = [tenantId, params.threadId, anchorOf(cursor, direction), pageSize + 1, ...(turnId === null ? [] : [turnId])];
  const { rows } = await db.tenantQuery<PageRow>(tenantId, statement, values, 'listItems');
  const flags = flagsOf(rows, (r) => r.seq === null, params.threadId, params.includeArchived ?? false);
  if (flags.fork) return db.transaction((tx) => listItemsInTransaction(tx, tenantId, params), { tenantId, operation: 'listItems' });
  const fetched = rows.filter((r) => r.seq !== null).map((r) => ({ vseq: Number(r.seq), turnId: r.turn_id ?? null, line: decodeLine(r) }));
  return itemPage(params, direction, pageSize, fetched);
}

/** listItems over the thread's segments, in a tenant transaction (forks). */
async function listItemsInTransaction(tx: SqlExecutor, tenantId: string, params: ParsedListItemsParams): Promise<ItemPage> {
  const { segments, pageSize, direction, cursor } = await openPage(tx, tenantId, 'items', params, DEFAULT_ITEM_PAGE);
  const fetched = await readVirtualRange(tx, tenantId, segments, { after: cursor?.anchor ?? null, direction, limit: pageSize + 1, turnId: params.turnId ?? null });
  return itemPage(params, direction, pageSize, fetched);
}

function itemPage(params: ParsedListItemsParams, direction: SortDirection, pageSize: number, fetched: VirtualRow[]): ItemPage {
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
