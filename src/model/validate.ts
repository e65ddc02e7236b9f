// Owns the bridge from zod to our errors: every value that crosses a boundary is parsed here, and a
// failure becomes an InvalidRequestError naming the field path.
import type { z } from 'zod';
import { InvalidRequestError } from './errors.js';

export function formatIssuePath(prefix: string | undefined, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix ?? '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Parse `value` with `schema`; on failure throw InvalidRequest with the first issue's path. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = formatIssuePath(where, issue?.path ?? []);
  throw new InvalidRequestError(issue?.message ?? 'invalid value', { path });
}
