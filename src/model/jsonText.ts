// Owns JSON.stringify on the append path: the same text, byte for byte, faster for what rollout
// lines are made of. Node 20's V8 serializes a string at ~4 ns per character (a 1 KB message costs
// ~4 µs, the largest single cost of preparing it); most strings need no escaping at all, which one
// native regex scan tells (~0.5 ns per character), and then the JSON is the string in quotes. Plain
// objects and arrays are walked here; anything else — BigInt, toJSON (Date), boxed primitives, Map,
// class instances, nesting deeper than FAST_DEPTH — is left to JSON.stringify whole, so its rules
// apply unchanged. test/model/jsonText.test.ts holds the two to the same text (property test). On
// an engine whose JSON.stringify is fast itself (V8 13.8+, below) the engine's is used.

/** Containers deeper than this are left to JSON.stringify (which also reports cycles). */
const FAST_DEPTH = 64;

/** A character JSON.stringify writes differently from itself: quote, backslash, control, any surrogate. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Returned by the walk when only JSON.stringify can answer. */
const NATIVE: unique symbol = Symbol('native');

function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** The JSON of `value` (undefined for what JSON.stringify omits), or NATIVE. */
function write(value: unknown, depth: number): string | undefined | typeof NATIVE {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      // Number::toString, as JSON.stringify writes a finite number; NaN and ±Infinity are null.
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      return NATIVE;
  }
  if (value === null) return 'null';
  if (depth === 0 || typeof (value as { toJSON?: unknown }).toJSON === 'function') return NATIVE;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const element = write(value[i], depth - 1);
      if (element === NATIVE) return NATIVE;
      out += `${i === 0 ? '' : ','}${element ?? 'null'}`;
    }
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return NATIVE;
  const record = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key of Object.keys(record)) {
    const member = write(record[key], depth - 1);
    if (member === NATIVE) return NATIVE;
    if (member === undefined) continue;
    out += `${first ? '' : ','}${quote(key)}:${member}`;
    first = false;
  }
  return `${out}}`;
}

/** JSON.stringify(value) through the walk above: the same text, or undefined, or the same error. */
export function stringifyJsonInJs(value: unknown): string | undefined {
  const text = write(value, FAST_DEPTH);
  return text === NATIVE ? JSON.stringify(value) : text;
}

/**
 * From V8 13.8 on (Chrome 138, Node 25) JSON.stringify scans strings with SIMD and has its own
 * fast path for plain data ("How we made JSON.stringify more than twice as fast", v8.dev,
 * 2025-08-04): there the engine is the faster of the two, so it is used directly.
 */
const [V8_MAJOR = 0, V8_MINOR = 0] = process.versions.v8.split('.').map(Number);
const ENGINE_IS_FAST = V8_MAJOR > 13 || (V8_MAJOR === 13 && V8_MINOR >= 8);

/** Exactly JSON.stringify(value): the same text, or undefined, or the same error. */
export function stringifyJson(value: unknown): string | undefined {
  return ENGINE_IS_FAST ? JSON.stringify(value) : stringifyJsonInJs(value);
}
