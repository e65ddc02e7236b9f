// The append path's JSON serializer (model/jsonText.ts) writes exactly what JSON.stringify writes,
// and the quick "certainly storable" check of model/jsonValue.ts answers exactly what the full walk
// answers — for arbitrary values, including the ones each leaves to the slow path.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringifyJson, stringifyJsonInJs } from '../../src/model/jsonText.js';
import { jsonValueProblem, walkForProblem } from '../../src/model/jsonValue.js';

/** Strings that stress escaping: quotes, backslashes, controls, surrogate pairs and lone halves, U+2028, non-ASCII. */
const trickyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u007f', '\u2028', '\ud800', '\udfff', '\ud83d\ude00', 'é', 'a', '/', '\n') }),
);

/** Values beyond JSON: what each path must hand to JSON.stringify or the walk. */
const odd = fc.oneof(
  fc.constant(undefined),
  fc.constant(() => 1),
  fc.constant(Symbol('s')),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1e21, 5e-7, Number.MAX_SAFE_INTEGER),
  fc.date({ noInvalidDate: true }),
  fc.string().map((s) => new String(s)),
  fc.integer().map((n) => new Number(n)),
  fc.constant(new Map([[1, 2]])),
  fc.constant({ toJSON: () => ({ replaced: true }) }),
  fc.constant({ toJSON: 'not a function' }),
  fc.constant(Object.assign(Object.create(null) as object, { b: 1, a: [2] })),
  fc.constant({ 2: 'two', 1: 'one', b: 'b', a: 'a' }),
);

const value = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small' }, trickyString, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), odd, tie('array'), tie('object')),
  array: fc.array(tie('any'), { maxLength: 5 }),
  object: fc.dictionary(trickyString, tie('any'), { maxKeys: 5 }),
})).any;

function nested(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}

describe('stringifyJson', () => {
  it('is the engine\'s JSON.stringify or the walk, and says the same either way', () => {
    const value = { a: ['x', 1, null, { b: 'q"uote' }] };
    expect(stringifyJson(value)).toBe(JSON.stringify(value));
  });

  it('writes what JSON.stringify writes, for any value', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(stringifyJsonInJs(v)).toBe(JSON.stringify(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes every line of both real Codex samples (0.169, 0.171) and the upstream snippets exactly as JSON.stringify does', () => {
    const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const files = ['codex-home-sample', 'codex-home-sample-0171', 'codex-snippets'].flatMap((d) => walk(join(fixtures, d))).filter((f) => /\.jsonl?$/.test(f));
    let lines = 0;
    for (const file of files) {
      const texts = file.endsWith('.jsonl') ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '') : [readFileSync(file, 'utf8')];
      for (const text of texts) {
        const value: unknown = JSON.parse(text);
        expect(stringifyJsonInJs(value)).toBe(JSON.stringify(value));
        lines++;
      }
    }
    expect(lines).toBe(1902);
  });

  it('answers deep values and what JSON.stringify refuses the same way', () => {
    for (const depth of [63, 64, 65, 200]) expect(stringifyJsonInJs(nested(depth, 'x'))).toBe(JSON.stringify(nested(depth, 'x')));
    expect(() => stringifyJsonInJs({ a: [1n] })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => stringifyJsonInJs(cyclic)).toThrow(TypeError);
    const throwing = { get bad(): never { throw new Error('getter') } };
    expect(() => stringifyJsonInJs({ x: throwing })).toThrow('getter');
    expect(stringifyJsonInJs(undefined)).toBeUndefined();
    expect(stringifyJsonInJs(() => 1)).toBeUndefined();
  });
});

describe('jsonValueProblem', () => {
  const problemValue = fc.oneof(
    value,
    value.map((v) => ({ v, big: 1n })),
    fc.integer({ min: 60, max: 70 }).map((d) => nested(d, { leaf: 1 })),
    fc.constantFrom({ toJSON: () => 1n }, { toJSON: () => nested(70, 1) }, { toJSON: (): never => { throw new Error('toJSON') } }).map((v) => [v]),
    value.map((v) => {
      const cyclic: Record<string, unknown> = { v };
      cyclic.self = [cyclic];
      return cyclic;
    }),
  );

  it('answers what the full walk answers, for any value and depth limit', () => {
    fc.assert(
      fc.property(problemValue, fc.constantFrom(1, 2, 3, 10, 64, 65, 1000), (v, maxDepth) => {
        expect(jsonValueProblem(v, maxDepth)).toEqual(walkForProblem(v, maxDepth));
      }),
      { numRuns: 2000 },
    );
  });

  it('reports a throwing getter as a problem, not an exception', () => {
    const v = { a: { get b(): never { throw new Error('boom') } } };
    expect(jsonValueProblem(v)).toEqual({ path: ['a', 'b'], reason: expect.stringContaining('boom') });
  });
});
