// Owns what both stores share about content search: the literal pattern (LIKE metacharacters in
// the term match themselves), the snippet cut around the first match, and the word summary that
// PostgreSQL's search index is built on (searchWords / wordPatterns, below).

/** `%term%` for ILIKE with `\` as the escape character; %, _ and \ in the term are literal. */
export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const SNIPPET_RADIUS = 60;

/** About 120 characters of `text` around the first case-insensitive occurrence of `term`. */
export function snippetAround(text: string, term: string): string {
  const at = text.toLowerCase().indexOf(term.toLowerCase());
  if (at < 0) return text.slice(0, SNIPPET_RADIUS * 2);
  const start = Math.max(0, at - SNIPPET_RADIUS);
  const end = Math.min(text.length, at + term.length + SNIPPET_RADIUS);
  return `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
}

/**
 * The word summary of a search document: its distinct words, each between spaces (" w1 w2 … ").
 * PostgreSQL indexes this instead of the document's text: the trigram index costs time in
 * proportion to what it reads, and a document's distinct words are a small fraction of its text
 * (trigrams are taken word by word, so the summary has every trigram the text has).
 */
export function searchWords(texts: Iterable<string>): string {
  const words = new WordSet();
  for (const text of texts) {
    const n = text.length;
    let i = 0;
    while (i < n) {
      // Past the separators, then through one word, hashing it as it is read.
      let c = text.charCodeAt(i);
      while (isSeparator(c) && ++i < n) c = text.charCodeAt(i);
      if (i >= n) break;
      const start = i;
      let hash = 0x811c9dc5;
      do hash = Math.imul(hash ^ c, 0x01000193);
      while (++i < n && !isSeparator((c = text.charCodeAt(i))));
      words.add(text, start, i, hash);
    }
  }
  return words.size === 0 ? ' ' : ` ${words.join(' ')} `;
}

/**
 * The separators of the word summary: every ASCII character that is not a letter or digit (the
 * same class as thread_store.search_words in SQL, drizzle/0009_*.sql). Everything else — ASCII
 * letters and digits, and every non-ASCII character — belongs to a word. Defined by code, not by a
 * locale, so TypeScript and PostgreSQL split every text at exactly the same places.
 */
function isSeparator(c: number): boolean {
  return c < 0x80 && ASCII_SEPARATOR[c] === 1;
}

/** 1 for the ASCII separators (isSeparator), by code: one table read per character instead of six comparisons. */
const ASCII_SEPARATOR = new Uint8Array(0x80).map((_, c) => ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ? 0 : 1));

/**
 * Distinct words found in texts, without a string per occurrence: a word is hashed while it is
 * scanned and compared in place, so the words that repeat (most of them, in conversation text)
 * cost no allocation. searchWords reads every character once; it runs behind the ack for every
 * line a process commits, so it is written for speed.
 */
class WordSet {
  /** Open addressing, linear probing: each slot is -1 or an index into words / hashes; at most half full. */
  private slots = new Int32Array(1024).fill(-1);
  private hashes = new Int32Array(512);
  private readonly words: string[] = [];

  get size(): number {
    return this.words.length;
  }

  add(text: string, start: number, end: number, hash: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const at = slots[i]!;
      if (at < 0) {
        const k = this.words.length;
        slots[i] = k;
        if (k === this.hashes.length) {
          const grown = new Int32Array(k * 2);
          grown.set(this.hashes);
          this.hashes = grown;
        }
        this.hashes[k] = hash;
        this.words.push(text.slice(start, end));
        if ((k + 1) * 2 > slots.length) this.grow();
        return;
      }
      if (this.hashes[at] === hash && sameWord(this.words[at]!, text, start, end)) return;
    }
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = this.slots.length - 1;
    for (let k = 0; k < this.words.length; k++) {
      let i = this.hashes[k]! & mask;
      while (this.slots[i]! >= 0) i = (i + 1) & mask;
      this.slots[i] = k;
    }
  }

  join(separator: string): string {
    return this.words.join(separator);
  }
}

function sameWord(word: string, text: string, start: number, end: number): boolean {
  if (word.length !== end - start) return false;
  for (let k = 0; k < word.length; k++) if (word.charCodeAt(k) !== text.charCodeAt(start + k)) return false;
  return true;
}

/**
 * ILIKE patterns over a word summary that every document containing `term` (case-insensitively)
 * satisfies — the conditions an index can check before the text itself is. Each maximal run of word
 * characters in the term must be, in some word of the document: a whole word when the term has a
 * separator on both sides of it, a word's end when only after it, a word's start when only before
 * it, anywhere inside a word otherwise. Runs never contain %, _ or \ (they are separators), so the
 * patterns need no escaping. A term with no word characters gives no condition.
 */
export function wordPatterns(term: string): string[] {
  const patterns: string[] = [];
  let start = -1;
  for (let i = 0; i <= term.length; i++) {
    if (i < term.length && !isSeparator(term.charCodeAt(i))) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) patterns.push(`%${start > 0 ? ' ' : ''}${term.slice(start, i)}${i < term.length ? ' ' : ''}%`);
    start = -1;
  }
  return patterns;
}
