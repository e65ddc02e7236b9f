// Owns identifier formats: thread/session/tenant ids are UUIDs (Codex mints v7); window ids must be v7.
//
// Letter case: Codex parses ids with `Uuid::parse_str`, which accepts upper case, and always prints
// them lower case. So every id schema here lower-cases what it accepts: an id is normalized once,
// where it enters (store params, forTenant, LiveThread, the CLI, imported files), and every layer
// behind that boundary — SQL comparisons, live-writer maps, fencing checks — sees one spelling.
import { z } from 'zod';
import { v7 as uuidv7 } from 'uuid';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_V7_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** A UUID in any letter case; parses to its lower-case form (as Codex prints ids). */
export const uuidSchema = z.string().regex(UUID_RE, 'expected a UUID').toLowerCase();
export const threadIdSchema = uuidSchema;
export const tenantIdSchema = uuidSchema;

export type ThreadId = string;
export type TenantId = string;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

export function isUuidV7(value: unknown): value is string {
  return typeof value === 'string' && UUID_V7_RE.test(value);
}

/**
 * The canonical (lower-case) spelling of an id, for code that keys maps by id before a store has
 * parsed it. A value that is not a UUID is returned unchanged: the store's own validation reports it.
 */
export function normalizeId<T>(value: T): T {
  return (isUuid(value) ? value.toLowerCase() : value) as T;
}

/** A fresh UUIDv7, as Codex mints for threads, turns and context windows. */
export function newUuidV7(): string {
  return uuidv7();
}
