// Owns content-search matching: a case-insensitive *literal* substring test (so `%`, `_` and `\`
// are ordinary characters, as with an escaped ILIKE) and the ~120-character snippet around the
// first match.

export const SNIPPET_LENGTH = 120;

/** Index in `text` (UTF-16 units) of the first case-insensitive occurrence of `term`, or -1. */
export function findCaseInsensitive(text: string, term: string): number {
  const needle = term.toLowerCase();
  const lower = text.toLowerCase();
  if (!lower.includes(needle)) return -1;
  // toLowerCase keeps the length for almost all text; when it does, indexes map one to one.
  if (lower.length === text.length) return lower.indexOf(needle);
  for (let i = 0; i < text.length; i += 1) {
    for (let end = i + 1; end <= text.length; end += 1) {
      const piece = text.slice(i, end).toLowerCase();
      if (piece === needle) return i;
      if (piece.length >= needle.length) break;
    }
  }
  return -1;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** About SNIPPET_LENGTH characters of `text` around [index, index + termLength), never splitting a surrogate pair. */
export function snippetAround(text: string, index: number, termLength: number): string {
  const width = Math.max(SNIPPET_LENGTH, termLength);
  let start = Math.max(0, index - Math.floor((width - termLength) / 2));
  let end = Math.min(text.length, start + width);
  start = Math.max(0, end - width);
  if (start > 0 && isLowSurrogate(text.charCodeAt(start))) start += 1;
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end -= 1;
  return text.slice(start, end);
}

/** The snippet for the first of `texts` that contains `term`, or null when none does. */
export function firstMatchSnippet(texts: Iterable<string | null>, term: string): string | null {
  for (const text of texts) {
    if (text === null || text === '') continue;
    const index = findCaseInsensitive(text, term);
    if (index >= 0) return snippetAround(text, index, term.length);
  }
  return null;
}
