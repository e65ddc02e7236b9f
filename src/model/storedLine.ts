// Owns the lossless stored form of one rollout line, shared by every store and by import: the
// payload and the other top-level keys as JSON for JSONB columns, or — when JSONB cannot hold the
// line (a \u0000 or a lone surrogate anywhere: PostgreSQL refuses the first and alters the second)
// — the whole line as JSON text; plus its size in UTF-8 JSON bytes (what limits and quotas count).
// decodeLine is the inverse. No plain JS error leaves here: serialization failures are InvalidRequest.
import { InvalidRequestError } from './errors.js';
import { stringifyJson } from './jsonText.js';
import { asRecord, payloadTypeOf, type StoredRolloutLine } from './rolloutLine.js';

export interface PreparedItem {
  line: StoredRolloutLine;
  type: string;
  subtype: string | null;
  /** JSON of the payload when JSONB can hold the line, else null. */
  payloadJson: string | null;
  /** JSON of top-level keys other than timestamp/type/payload, or null when there are none. */
  extraJson: string | null;
  /** The whole line as JSON text when JSONB cannot hold it. */
  rawLine: string | null;
  byteSize: number;
}

// An escape that JSON.stringify emits only for NUL or a lone surrogate, preceded by an even number
// of backslashes (so an escaped backslash followed by "u0000" in the data is not mistaken for one).
const JSONB_UNSAFE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

export function isJsonbSafe(json: string): boolean {
  // Most JSON holds no \u escape at all: one native substring search instead of the regex's scan.
  return !json.includes('\\u') || !JSONB_UNSAFE_ESCAPE.test(json);
}

/**
 * JSON.stringify (through model/jsonText.ts: the same text, faster) that cannot throw a plain
 * error: parseRolloutLine has checked the shape, so a failure here is a value that changed under us
 * (a getter, a toJSON) — still the caller's input.
 */
export function stringifyLine(value: unknown, where: string): string {
  try {
    return stringifyJson(value) as string;
  } catch (error) {
    throw new InvalidRequestError(`cannot be serialized as JSON (${error instanceof Error ? error.message : String(error)})`, { path: where, cause: error });
  }
}

/**
 * Encode a line for storage. Its payload (and other top-level keys) are serialized once: the line's
 * JSON size and whether JSONB can hold it follow from the parts (the same key/value pairs as
 * JSON.stringify(line), in whatever order, have the same byte length; the escapes JSONB refuses
 * come from string values, so a line is safe when each part is). Only a line JSONB cannot hold is
 * serialized whole, in its own key order, to be kept as raw JSON text.
 */
export function encodeLine(line: StoredRolloutLine, where = 'line'): PreparedItem {
  const { timestamp, type, payload } = line;
  const payloadJson = stringifyLine(payload, `${where}.payload`);
  const rest = extraKeysOf(line);
  const extraJson = rest === null ? null : stringifyLine(rest, where);
  // JSON.stringify({ timestamp, type }), spelled out for the usual two strings (no object to build).
  const head = typeof timestamp === 'string' && typeof type === 'string' ? `{"timestamp":${JSON.stringify(timestamp)},"type":${JSON.stringify(type)}}` : stringifyLine({ timestamp, type }, where);
  const parts = [head, payloadJson, ...(extraJson !== null && extraJson !== '{}' ? [extraJson] : [])];
  const safe = parts.every(isJsonbSafe);
  // '{' + head's pairs + ',"payload":' + payload + (',' + extra's pairs) + '}'; a payload that
  // serializes to undefined (JSON.stringify drops the key) is left to the whole-line path below.
  const composable = payloadJson !== undefined && head !== '{}';
  if (!safe || !composable) {
    const text = stringifyLine(line, where);
    return {
      line,
      type,
      subtype: payloadTypeOf(line) ?? null,
      payloadJson: safe ? (payloadJson ?? null) : null,
      extraJson: safe ? extraJson : null,
      rawLine: safe ? null : text,
      byteSize: Buffer.byteLength(text, 'utf8'),
    };
  }
  const byteSize =
    Buffer.byteLength(head, 'utf8') + Buffer.byteLength(payloadJson, 'utf8') + ',"payload":'.length + (extraJson !== null && extraJson !== '{}' ? Buffer.byteLength(extraJson, 'utf8') - 1 : 0);
  return { line, type, subtype: payloadTypeOf(line) ?? null, payloadJson, extraJson, rawLine: null, byteSize };
}

/** The line's own keys other than timestamp, type and payload, as an object; null when it has none (the usual line). */
function extraKeysOf(line: StoredRolloutLine): Record<string, unknown> | null {
  const keys = Object.keys(line);
  if (keys.length <= 3 && keys.every((k) => k === 'timestamp' || k === 'type' || k === 'payload')) return null;
  const { timestamp: _timestamp, type: _type, payload: _payload, ...rest } = line;
  return Object.keys(rest).length > 0 ? rest : null;
}

/** Rebuild a line from its stored columns (inverse of encodeLine). */
export function decodeLine(row: { ts: string; type: string; payload: unknown; extra: unknown; raw_line: string | null }): StoredRolloutLine {
  if (row.raw_line !== null) return JSON.parse(row.raw_line) as StoredRolloutLine;
  const extra = asRecord(row.extra) ?? {};
  return { timestamp: row.ts, type: row.type, payload: row.payload, ...extra } as StoredRolloutLine;
}
