// Owns the opaque cursor format shared by both stores: base64url of a small JSON object tagged
// with its kind, so a cursor from one listing is rejected by another. Anything that does not
// decode is InvalidRequest("invalid cursor"), never a database error.
import { InvalidRequestError } from '../../model/errors.js';

export type CursorKind = 'threads' | 'search' | 'turns' | 'items';

export function encodeCursor(kind: CursorKind, data: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ k: kind, ...data }), 'utf8').toString('base64url');
}

export function decodeCursor(kind: CursorKind, cursor: string, validate: (data: Record<string, unknown>) => boolean): Record<string, unknown> {
  let data: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    data = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidRequestError('invalid cursor', { path: 'cursor' });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new InvalidRequestError('invalid cursor', { path: 'cursor' });
  const record = data as Record<string, unknown>;
  if (record.k !== kind || !validate(record)) throw new InvalidRequestError('invalid cursor', { path: 'cursor' });
  return record;
}
