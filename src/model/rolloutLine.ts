// Owns the rollout line model: the `{timestamp, type, payload, ...}` envelope Codex writes one per
// JSONL line. Parsing validates the envelope and the shapes of known variants loosely, and keeps the
// original object untouched, so serializing a parsed line gives a JSON-equal value (every other
// top-level key such as `ordinal` or `metadata`, and every unknown variant, passes through).
import { z } from 'zod';
import { parseOrThrow } from './validate.js';
import { InvalidRequestError } from './errors.js';
import { uuidSchema } from './ids.js';
import { assertJsonValue } from './jsonValue.js';

export const KNOWN_ROLLOUT_TYPES = [
  'session_meta',
  'response_item',
  'event_msg',
  'turn_context',
  'compacted',
  'world_state',
  'token_usage_record',
  'inter_agent_communication',
  'inter_agent_communication_metadata',
] as const;
export type KnownRolloutType = (typeof KNOWN_ROLLOUT_TYPES)[number];

/** One rollout line. `timestamp` is optional on input (the store stamps it) and always set when read back. */
export interface RolloutLine {
  timestamp?: string;
  type: string;
  payload: unknown;
  [key: string]: unknown;
}

/** A line as stored and read back: timestamp always present. */
export interface StoredRolloutLine extends RolloutLine {
  timestamp: string;
}

const taggedObject = z.looseObject({ type: z.string().min(1) });
const optionalString = z.string().nullish();

const sessionMetaPayload = z.looseObject({
  id: uuidSchema,
  session_id: uuidSchema.nullish(),
  timestamp: optionalString,
  cwd: optionalString,
  originator: optionalString,
  cli_version: optionalString,
  model_provider: optionalString,
  forked_from_id: uuidSchema.nullish(),
  parent_thread_id: uuidSchema.nullish(),
  history_mode: z.enum(['legacy', 'paginated']).nullish(),
});

const compactedPayload = z.looseObject({
  message: z.string(),
  replacement_history: z.array(z.unknown()).nullish(),
  window_number: z.number().int().nonnegative().nullish(),
  first_window_id: z.string().nullish(),
  previous_window_id: z.string().nullish(),
  window_id: z.union([z.string(), z.number().int().nonnegative()]).nullish(),
});

const PAYLOAD_SCHEMAS: Record<KnownRolloutType, z.ZodType> = {
  session_meta: sessionMetaPayload,
  response_item: taggedObject,
  event_msg: taggedObject,
  turn_context: z.looseObject({}),
  compacted: compactedPayload,
  world_state: z.looseObject({}),
  token_usage_record: z.looseObject({}),
  inter_agent_communication: z.looseObject({}),
  inter_agent_communication_metadata: z.looseObject({}),
};

const envelope = z.looseObject({
  timestamp: z.string().min(1).optional(),
  type: z.string().min(1),
  payload: z.unknown().refine((v) => v !== undefined, 'payload is required'),
});

/** The schemas parseRolloutLine applies when its quick checks cannot vouch for a line (exported for the test holding the two together). */
export const rolloutLineSchemas = { envelope, payloads: PAYLOAD_SCHEMAS } as const;

export function isKnownRolloutType(type: string): type is KnownRolloutType {
  return (KNOWN_ROLLOUT_TYPES as readonly string[]).includes(type);
}

/**
 * Validate a rollout line. Returns the same object (no copy, no key reordering); throws
 * InvalidRequest naming `where` + the field path when the envelope or a known variant is malformed.
 */
export function parseRolloutLine(value: unknown, where = 'item'): RolloutLine {
  if (!certainlyValidEnvelope(value)) parseOrThrow(envelope, value, where);
  // Before anything serializes or walks the line: depth, cycles, BigInt (see model/jsonValue.ts).
  assertJsonValue(value, where);
  const line = value as RolloutLine;
  if (isKnownRolloutType(line.type) && !certainlyValidTaggedPayload(line)) {
    parseOrThrow(PAYLOAD_SCHEMAS[line.type], line.payload, `${where}.payload`);
  }
  return line;
}

// Every appended line is checked here (twice on LiveThread's path: at the call, and at the store's
// boundary), so the common shapes skip zod: these two say "certainly what the schema accepts" for
// them, and anything else — including every invalid value — goes to zod, which accepts it or
// produces the error with its path. They must never accept what the schemas refuse
// (test/model/rolloutLine.test.ts holds them to the schemas).

/** `envelope` accepts `value`: an object with a non-empty string type, a payload, and no timestamp or a non-empty string one. */
function certainlyValidEnvelope(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  try {
    const line = value as Record<string, unknown>;
    const { type, timestamp } = line;
    return typeof type === 'string' && type !== '' && line.payload !== undefined && (timestamp === undefined || (typeof timestamp === 'string' && timestamp !== ''));
  } catch {
    return false; // a getter or proxy trap threw: zod reports it
  }
}

/** The payload of a response_item / event_msg line is what `taggedObject` accepts. */
function certainlyValidTaggedPayload(line: RolloutLine): boolean {
  if (line.type !== 'response_item' && line.type !== 'event_msg') return false;
  try {
    const payload = line.payload;
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return false;
    const tag = (payload as { type?: unknown }).type;
    return typeof tag === 'string' && tag !== '';
  } catch {
    return false;
  }
}

/** Parse one JSONL line of text; `where` is typically `file:line`. */
export function parseRolloutLineText(text: string, where = 'line'): RolloutLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(`not valid JSON (${(error as Error).message})`, { path: where });
  }
  return parseRolloutLine(value, where);
}

export function serializeRolloutLine(line: RolloutLine): string {
  return JSON.stringify(line);
}

/** The payload's own `type` tag (`message`, `user_message`, ...) when it has one. */
export function payloadTypeOf(line: RolloutLine): string | undefined {
  const payload = line.payload;
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    const t = (payload as Record<string, unknown>).type;
    if (typeof t === 'string') return t;
  }
  return undefined;
}

/** The turn id a line belongs to, when the line names one (task events, turn_context, item events). */
export function turnIdOf(line: RolloutLine): string | undefined {
  const payload = line.payload;
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    const t = (payload as Record<string, unknown>).turn_id;
    if (typeof t === 'string' && t !== '') return t;
  }
  return undefined;
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
