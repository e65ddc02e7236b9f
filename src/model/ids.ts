// Owns identifier formats: thread/session/tenant ids are UUIDs (Codex mints v7); window ids must be v7.
import { z } from 'zod';
import { v7 as uuidv7 } from 'uuid';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_V7_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export const uuidSchema = z.string().regex(UUID_RE, 'expected a UUID');
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

/** A fresh UUIDv7, as Codex mints for threads, turns and context windows. */
export function newUuidV7(): string {
  return uuidv7();
}
