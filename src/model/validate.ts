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
  let result: z.ZodSafeParseResult<z.output<S>>;
  try {
    result = schema.safeParse(value);
  } catch (error) {
    // zod reads every property: a getter or proxy trap of the caller's value can throw in there.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new InvalidRequestError(`cannot be read (${message})`, { path: where ?? '(root)', cause: error });
  }
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = formatIssuePath(where, issue?.path ?? []);
  throw new InvalidRequestError(issue?.message ?? 'invalid value', { path });
}
