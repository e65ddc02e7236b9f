// Owns what a JSON value the library keeps may look like: nested at most MAX_JSON_DEPTH arrays and
// objects deep, without cycles, and made only of what JSON can represent (no BigInt; no getter or
// toJSON that throws). Values that cross the boundary as `unknown` — rollout lines, session
// sources, dynamic tools, permission profiles, token usage — are checked here, before anything
// serializes, clones or recurses over them. Without this check such input escapes as a bare
// RangeError ("Maximum call stack size exceeded" from JSON.stringify or structuredClone) or
// TypeError, or reaches PostgreSQL's recursive JSON parser (the embedded PGlite fails near 10 000
// levels). The walk itself is iterative, so it cannot overflow the stack it protects.
import type { z } from 'zod';
import { InvalidRequestError } from './errors.js';
import { formatIssuePath } from './validate.js';

/**
 * The deepest nesting of arrays and objects accepted in one value (a rollout line counts itself as
 * the first level). Far above anything Codex writes (its serde_json reader stops at 128 levels)
 * and far below where V8's JSON.stringify (≈ 4 000) and PostgreSQL's parsers give out.
 */
export const MAX_JSON_DEPTH = 1000;

/** Path segments shown in a message; a deeper problem is cut with `…` (a 1000-key path helps no one). */
const SHOWN_PATH = 8;

export interface JsonValueProblem {
  /** Where inside the value (at most SHOWN_PATH segments, then `…`). */
  path: (string | number)[];
  reason: string;
}

interface Frame {
  node: object;
  /** The key under which this container sits in its parent ('' for the value itself). */
  key: string | number;
  /** Own enumerable keys (what JSON.stringify writes); null for arrays. */
  keys: string[] | null;
  next: number;
  length: number;
}

/** What JSON.stringify would serialize for `value` (its toJSON result when it has one). */
function serializedForm(value: unknown, key: string | number): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON(key: string): unknown }).toJSON(String(key));
  }
  return value;
}

/**
 * How deep the quick check below goes before it hands the value to the full walk. Every shape Codex
 * writes nests far less (a rollout line: line → payload → content → part → …, about six levels).
 */
const QUICK_DEPTH = 64;

/**
 * True when `value` is certainly storable: nothing but plain arrays, objects and primitives other
 * than BigInt, no toJSON, at most `depth` containers deep (which also cuts any cycle short). False
 * says only "look closer": the full walk then finds the problem, or none. This is the append path's
 * check of every line (a 1 KB message in ~0.2 µs instead of ~1.2 µs for the walk, which keeps a
 * stack, a path and a set of open containers for its messages); it recurses, but never deeper than
 * QUICK_DEPTH frames, and reads each property once, as JSON.stringify will.
 */
function certainlyStorable(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'bigint';
  if (depth === 0 || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!certainlyStorable(value[i], depth - 1)) return false;
    return true;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!certainlyStorable(record[key], depth - 1)) return false;
  return true;
}

/**
 * The first reason `value` cannot be stored as JSON, or null when it can. Never throws and never
 * recurses deeply (a throwing getter or toJSON becomes a problem too).
 */
export function jsonValueProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonValueProblem | null {
  try {
    if (certainlyStorable(value, Math.min(maxDepth, QUICK_DEPTH))) return null;
  } catch {
    // A getter or proxy trap threw: the walk below reports where.
  }
  return walkForProblem(value, maxDepth);
}

/** jsonValueProblem's full, iterative walk: the first problem with its path (exported for the test holding the quick check to it). */
export function walkForProblem(value: unknown, maxDepth: number): JsonValueProblem | null {
  const stack: Frame[] = [];
  const onPath = new Set<object>();
  // The path of the value being entered: the keys of the open containers below the root, then its own.
  const pathTo = (key: string | number | null): (string | number)[] => {
    const keys = stack.slice(1, SHOWN_PATH + 2).map((f) => f.key);
    if (key !== null) keys.push(key);
    return keys.length > SHOWN_PATH ? [...keys.slice(0, SHOWN_PATH), '…'] : keys;
  };
  let entering: string | number | null = null;
  // Enter one value: a problem, or null (a container is pushed and walked next).
  const enter = (raw: unknown, key: string | number): JsonValueProblem | null => {
    const v = serializedForm(raw, key);
    if (typeof v === 'bigint') return { path: pathTo(entering), reason: 'a BigInt is not a JSON value' };
    if (v === null || typeof v !== 'object') return null;
    if (onPath.has(v)) return { path: pathTo(entering), reason: 'the value contains a cycle (it refers to itself)' };
    if (stack.length + 1 > maxDepth) {
      return { path: pathTo(entering), reason: `nested deeper than ${maxDepth} levels of arrays and objects (the limit)` };
    }
    const keys = Array.isArray(v) ? null : Object.keys(v);
    stack.push({ node: v, key, keys, next: 0, length: keys === null ? (v as unknown[]).length : keys.length });
    onPath.add(v);
    return null;
  };
  try {
    const first = enter(value, '');
    if (first) return first;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next >= top.length) {
        stack.pop();
        onPath.delete(top.node);
        continue;
      }
      const i = top.next++;
      entering = top.keys === null ? i : top.keys[i]!;
      const problem = enter((top.node as Record<string | number, unknown>)[entering], entering);
      if (problem) return problem;
      entering = null;
    }
    return null;
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { path: pathTo(entering), reason: `cannot be read as JSON (${message})` };
  }
}

/** Throw InvalidRequest naming `where` (and the path inside the value) when `value` cannot be stored. */
export function assertJsonValue(value: unknown, where: string, maxDepth = MAX_JSON_DEPTH): void {
  const problem = jsonValueProblem(value, maxDepth);
  if (problem) throw new InvalidRequestError(problem.reason, { path: formatIssuePath(where, problem.path) });
}

/** A zod schema that also refuses what jsonValueProblem refuses (the issue names the path inside). */
export function storableJson<S extends z.ZodType>(schema: S): S {
  return schema.superRefine((value, ctx) => {
    const problem = jsonValueProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.reason, path: problem.path });
  }) as unknown as S;
}
