// The searchable text of a line has two spellings: searchTextOf in TypeScript (the in-memory store,
// and the rule's reference) and thread_store.search_text in SQL (what PostgreSQL folds and searches,
// drizzle/0009_*.sql). They must give the same answer for every line: every line of the real Codex
// sample, and generated message lines full of what makes the rule hard — contextual prefixes behind
// every kind of whitespace, parts of other types, non-string texts, U+0000, lone surrogates, the
// record separator U+001E, astral characters — stored exactly as the store stores them (JSONB, or
// raw JSON text when JSONB cannot hold the line).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { RolloutLine } from '../../src/model/rolloutLine.js';
import { encodeLine, searchTextOf } from '../../src/store/shared/preparedItem.js';
import { searchWords, wordPatterns } from '../../src/store/shared/search.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { readLines, sampleRolloutFiles } from '../helpers/sample.js';

let test: TestDatabase;
let owner: Database;

beforeAll(async () => {
  test = await createTestDatabase();
  owner = await test.openOwner();
});

afterAll(async () => {
  await test?.drop();
});

/** What thread_store.search_text answers for each line, stored as the store stores it. */
async function sqlSearchText(lines: readonly RolloutLine[]): Promise<(string | null)[]> {
  const encoded = lines.map((line) => encodeLine({ timestamp: '2026-01-01T00:00:00.000Z', ...line }));
  const { rows } = await owner.withSession((s) =>
    s.query<{ text: string | null }>(
      `SELECT thread_store.search_text(l.type, l.payload, l.raw_line) AS text
         FROM unnest($1::text[], $2::jsonb[], $3::text[]) WITH ORDINALITY AS l(type, payload, raw_line, n) ORDER BY l.n`,
      [encoded.map((e) => e.type), encoded.map((e) => e.payloadJson), encoded.map((e) => e.rawLine)],
    ),
  );
  return rows.map((r) => r.text);
}

const WHITESPACE = ['', ' ', '\t', '\n', '\r\n', '\u00a0', '\u2003', '\u2028', '\ufeff', '\u3000'];
const FRAGMENTS = ['environment_context', 'user_instructions', 'turn_aborted', 'permissions instructions', 'skills_instructions', 'subagent_notification', 'environment_contextual', 'not_a_fragment'];

const textArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('nul\u0000here', 'lone \ud800 high', 'lone \udfff low', 'pair \ud83d\ude00 ok', 'sep\u001erecord', '\\u0000 escaped text', '', 'plain text'),
  fc.tuple(fc.constantFrom(...WHITESPACE), fc.constantFrom(...FRAGMENTS), fc.constantFrom('>', ' ', '/>', 'x>', '')).map(([ws, name, end]) => `${ws}<${name}${end} body`),
);

const partArb = fc.oneof(
  fc.record({ type: fc.constantFrom('input_text', 'output_text'), text: textArb }),
  fc.record({ type: fc.constantFrom('input_image', 'refusal', 'summary_text'), text: textArb }),
  fc.record({ type: fc.constantFrom('input_text', 'output_text'), text: fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 })) }),
  fc.constant('just a string part'),
);

const lineArb: fc.Arbitrary<RolloutLine> = fc.oneof(
  fc.record({
    type: fc.constantFrom('response_item', 'response_item', 'response_item', 'event_msg'),
    payload: fc.record({
      type: fc.constantFrom('message', 'message', 'reasoning'),
      role: fc.constantFrom('user', 'assistant', 'developer', 'system'),
      content: fc.oneof(fc.array(partArb, { maxLength: 4 }), fc.constant('not an array'), fc.constant(null)),
    }),
  }),
  fc.record({ type: fc.constant('response_item'), payload: fc.oneof(fc.constant([1, 2]), fc.constant('text'), fc.record({ type: fc.constant('message'), role: fc.constant(['user']) })) }),
) as fc.Arbitrary<RolloutLine>;

describe('searchable text: SQL (thread_store.search_text) and TypeScript (searchTextOf) agree', () => {
  it('on every line of the real Codex 0.169 sample', async () => {
    const lines = sampleRolloutFiles().flatMap((f) => readLines(f));
    expect(lines.length).toBeGreaterThan(500);
    const sql = await sqlSearchText(lines);
    const ts = lines.map((l) => searchTextOf(l));
    expect(ts.filter((t) => t !== null).length).toBeGreaterThan(20);
    for (const [i, text] of sql.entries()) expect(text, JSON.stringify(lines[i]).slice(0, 200)).toEqual(ts[i]);
  });

  it('on generated message lines, including lines kept as raw JSON text (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { minLength: 1, maxLength: 30 }), async (lines) => {
        const sql = await sqlSearchText(lines);
        expect(sql).toEqual(lines.map((l) => searchTextOf(l)));
      }),
      { numRuns: 60 },
    );
  });

  it('text in a line that JSONB cannot hold is searchable (U+0000 and lone surrogates become U+FFFD)', async () => {
    const lines: RolloutLine[] = [
      { type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'nul\u0000here' }] } },
      { type: 'response_item', payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'half \ud83d of a pair' }] } },
    ];
    expect(lines.map((l) => encodeLine({ timestamp: '2026-01-01T00:00:00.000Z', ...l }).rawLine !== null)).toEqual([true, true]);
    expect(await sqlSearchText(lines)).toEqual(['nul\ufffdhere', 'half \ufffd of a pair']);
  });
});

/** ILIKE of a pattern whose only wildcard is %, as PostgreSQL folds case (ASCII and simple cases). */
function ilike(text: string, pattern: string): boolean {
  const parts = pattern.toLowerCase().split('%');
  const hay = text.toLowerCase();
  let at = 0;
  for (const [i, part] of parts.entries()) {
    if (part === '') continue;
    const found = i === 0 ? (hay.startsWith(part) ? 0 : -1) : hay.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return parts.at(-1) === '' || hay.endsWith(parts.at(-1)!);
}

const wordyText = fc
  .array(
    fc.oneof(
      fc.constantFrom('flux', 'Capacitor', 'gigawatts', '1.21', 'café', 'über-cool', 'snake_case', 'x', '中文字', 'naïve', 'e-mail', 'a%b', 'back\\slash'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 8 }),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    ),
    { maxLength: 12 },
  )
  .chain((words) => fc.constantFrom(' ', '\n', ', ', '-', '').map((sep) => words.join(sep)));

describe('the word summary: what the search index checks before the text', () => {
  it('every document that contains a term satisfies every pattern of that term (property)', () => {
    fc.assert(
      fc.property(wordyText, fc.nat(), fc.nat(), fc.boolean(), (text, a, b, upper) => {
        const [from, to] = [Math.min(a, b) % (text.length + 1), Math.max(a, b) % (text.length + 1)];
        const term = upper ? text.slice(from, to).toUpperCase() : text.slice(from, to);
        // Only terms the text check itself accepts (upper-casing can expand a character into two).
        fc.pre(ilike(text, `%${term}%`));
        const summary = searchWords([text]);
        for (const pattern of wordPatterns(term)) expect(ilike(summary, pattern), `${JSON.stringify(term)} → ${pattern} in ${JSON.stringify(summary)}`).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('is selective: a word that is not in the document fails its pattern', () => {
    const summary = searchWords(['the Flux Capacitor needs 1.21 gigawatts']);
    expect(wordPatterns('flux capacitor').every((p) => ilike(summary, p))).toBe(true);
    expect(wordPatterns('flux capacitors').every((p) => ilike(summary, p))).toBe(false);
    expect(wordPatterns('pacito').every((p) => ilike(summary, p))).toBe(true);
    expect(wordPatterns(' lux').every((p) => ilike(summary, p))).toBe(false); // "lux" starts no word
  });

  it('SQL thread_store.search_words splits every text into the same words as searchWords', async () => {
    const texts = [...sampleRolloutFiles().flatMap((f) => readLines(f)).map((l) => searchTextOf(l)).filter((t): t is string => t !== null), 'Hello, world!', 'über-cool café_au 1.21 中文字', ''];
    const generated = fc.sample(wordyText, 300);
    const all = [...texts, ...generated];
    const { rows } = await owner.withSession((s) =>
      s.query<{ words: string }>('SELECT thread_store.search_words(t) AS words FROM unnest($1::text[]) WITH ORDINALITY AS x(t, n) ORDER BY n', [all]),
    );
    const set = (summary: string) => new Set(summary.split(' ').filter((w) => w !== ''));
    for (const [i, text] of all.entries()) expect(set(rows[i]!.words), JSON.stringify(text).slice(0, 120)).toEqual(set(searchWords([text])));
  });
});
