// Owns keyset pagination over a sequence ordered by an integer position (items by seq, turns by
// the seq of their first line), in both directions. The next cursor continues in the same
// direction after the page's last element; the backwards cursor is issued for the *opposite*
// direction, anchored at the page's first element, so it pages back over what came before.
import type { SortDirection } from '../../model/params.js';
import { InvalidRequestError } from '../../model/errors.js';
import { decodeCursor, encodeCursor, type CursorKind } from '../shared/cursor.js';

export interface PositionPage<T> {
  page: T[];
  nextCursor: string | null;
  backwardsCursor: string | null;
}

export function opposite(direction: SortDirection): SortDirection {
  return direction === 'asc' ? 'desc' : 'asc';
}

/** `rows` must be sorted ascending by `positionOf`. */
export function pageByPosition<T>(
  kind: Extract<CursorKind, 'turns' | 'items'>,
  rows: readonly T[],
  positionOf: (row: T) => number,
  direction: SortDirection,
  pageSize: number,
  cursor: string | null | undefined,
): PositionPage<T> {
  let ordered = direction === 'asc' ? [...rows] : [...rows].reverse();
  if (cursor != null) {
    const data = decodeCursor(kind, cursor, (d) => (d.d === 'asc' || d.d === 'desc') && Number.isSafeInteger(d.p));
    if (data.d !== direction) throw new InvalidRequestError('invalid cursor (issued for the other sort direction)', { path: 'cursor' });
    const anchor = data.p as number;
    ordered = ordered.filter((row) => (direction === 'asc' ? positionOf(row) > anchor : positionOf(row) < anchor));
  }
  const page = ordered.slice(0, pageSize);
  const last = page[page.length - 1];
  const first = page[0];
  return {
    page,
    nextCursor: ordered.length > pageSize && last !== undefined ? encodeCursor(kind, { d: direction, p: positionOf(last) }) : null,
    backwardsCursor: first !== undefined ? encodeCursor(kind, { d: opposite(direction), p: positionOf(first) }) : null,
  };
}
