// Owns the check that keeps text PostgreSQL cannot hold out of text columns. A `text` column
// rejects U+0000 (SQLSTATE 22021, and only once the row is written — for a created thread that is
// its first append), and the driver silently turns a lone UTF-16 surrogate into U+FFFD (the value
// comes back altered). Items do not need this: they are kept losslessly (model/storedLine.ts). Text
// the caller names explicitly is refused up front with InvalidRequest naming the field, by both
// stores alike: parameters through `storableText` in their zod schemas (model/params.ts), explicit
// metadata patches here (assertStorablePatch, applied by the input boundary). Patches derived from
// items are made storable instead (storableDerivedPatch).
import { InvalidRequestError } from './errors.js';

/** Why `value` cannot be stored in a text column unchanged, or null when it can. */
export function textColumnProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'contains U+0000, which a PostgreSQL text column cannot hold';
  if (!value.isWellFormed()) return 'contains a lone UTF-16 surrogate, which PostgreSQL would replace with U+FFFD';
  return null;
}

/** Throw InvalidRequest (path = `where.key`) for the first string field that cannot be stored as is. */
export function assertStorableTextFields(record: unknown, keys: readonly string[], where: string): void {
  if (record === null || typeof record !== 'object') return;
  const values = record as Record<string, unknown>;
  for (const key of keys) {
    const value = values[key];
    if (typeof value !== 'string') continue;
    const problem = textColumnProblem(value);
    if (problem) throw new InvalidRequestError(problem, { path: `${where}.${key}` });
  }
}

const GIT_TEXT_FIELDS = ['sha', 'branch', 'originUrl'] as const;
const PATCH_TEXT_FIELDS = [
  'name',
  'rolloutPath',
  'preview',
  'title',
  'modelProvider',
  'model',
  'reasoningEffort',
  'threadSource',
  'agentNickname',
  'agentRole',
  'agentPath',
  'cwd',
  'cliVersion',
  'approvalMode',
  'firstUserMessage',
] as const;

/** The text columns an explicit metadata patch writes. */
export function assertStorablePatch(patch: unknown, where = 'patch'): void {
  assertStorableTextFields(patch, PATCH_TEXT_FIELDS, where);
  // A plain-string source is stored as is (an object source as JSON text, which escapes both).
  assertStorableTextFields(patch, ['source'], where);
  if (patch !== null && typeof patch === 'object') {
    assertStorableTextFields((patch as Record<string, unknown>).gitInfo, GIT_TEXT_FIELDS, `${where}.gitInfo`);
  }
}

/** `value` with U+0000 and lone surrogates replaced by U+FFFD (what the driver does to surrogates anyway). */
export function toStorableText(value: string): string {
  return value.replaceAll('\u0000', '\ufffd').toWellFormed();
}

/**
 * A copy of a metadata patch that rides with appended items (LiveThread's derived preview, title,
 * first user message, …) whose text fields a text column can hold. Unlike explicit updates, these
 * are display facts derived from items that are themselves stored losslessly; refusing them would
 * refuse the items too — and, since LiveThread keeps a failed patch pending for the next append,
 * every later append of the thread (a first user message containing U+0000 bricked its thread).
 */
export function storableDerivedPatch<P extends object>(patch: P): P {
  const out: Record<string, unknown> = { ...(patch as Record<string, unknown>) };
  for (const key of [...PATCH_TEXT_FIELDS, 'source']) {
    const v = out[key];
    if (typeof v === 'string') out[key] = toStorableText(v);
  }
  const git = out.gitInfo;
  if (git !== null && typeof git === 'object') {
    const g: Record<string, unknown> = { ...(git as Record<string, unknown>) };
    for (const key of GIT_TEXT_FIELDS) if (typeof g[key] === 'string') g[key] = toStorableText(g[key] as string);
    out.gitInfo = g;
  }
  return out as P;
}
