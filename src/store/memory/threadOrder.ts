// Owns the ordering and keyset cursor of thread listings (listThreads and searchThreads): rows are
// ordered by (sort value in ms, threadId) in the requested direction; a cursor carries the sort
// key, direction and the last row's (value, id), and a page holds the rows strictly after it.
import type { SortDirection, ThreadSortKey } from '../../model/params.js';
import type { StoredThread } from '../../model/thread.js';
import { InvalidRequestError } from '../../model/errors.js';
import { isUuid } from '../../model/ids.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import { toMs } from './applyPatch.js';

export interface ThreadAnchor {
  value: number;
  id: string;
}

export function sortValueOf(record: StoredThread, sortKey: ThreadSortKey): number {
  switch (sortKey) {
    case 'created_at':
      return toMs(record.createdAt);
    case 'updated_at':
      return toMs(record.updatedAt);
    case 'recency_at':
      return toMs(record.recencyAt);
  }
}

function compareAsc(a: ThreadAnchor, b: ThreadAnchor): number {
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function anchorOf(record: StoredThread, sortKey: ThreadSortKey): ThreadAnchor {
  return { value: sortValueOf(record, sortKey), id: record.threadId };
}

/** Sort in the listing order, then keep the rows strictly after `after` (if any). */
export function orderThreads<T>(rows: readonly T[], anchor: (row: T) => ThreadAnchor, direction: SortDirection, after: ThreadAnchor | null): T[] {
  const sign = direction === 'asc' ? 1 : -1;
  const sorted = [...rows].sort((a, b) => sign * compareAsc(anchor(a), anchor(b)));
  if (after === null) return sorted;
  return sorted.filter((row) => sign * compareAsc(anchor(row), after) > 0);
}

export function encodeThreadCursor(kind: 'threads' | 'search', sortKey: ThreadSortKey, direction: SortDirection, anchor: ThreadAnchor): string {
  return encodeCursor(kind, { s: sortKey, d: direction, v: anchor.value, id: anchor.id });
}

/** Decode a listing cursor; it must have been issued for the same sort key and direction. */
export function decodeThreadCursor(kind: 'threads' | 'search', cursor: string, sortKey: ThreadSortKey, direction: SortDirection): ThreadAnchor {
  const data = decodeCursor(
    kind,
    cursor,
    (d) => typeof d.s === 'string' && typeof d.d === 'string' && Number.isSafeInteger(d.v) && isUuid(d.id),
  );
  if (data.s !== sortKey || data.d !== direction) {
    throw new InvalidRequestError('invalid cursor (issued for another sort key or direction)', { path: 'cursor' });
  }
  return { value: data.v as number, id: data.id as string };
}

export { canonicalJson } from '../../model/canonicalJson.js';
