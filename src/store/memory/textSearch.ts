// Owns the in-memory content-search match: a case-insensitive *literal* substring test (what an
// ILIKE with `likePattern` does: `%`, `_` and `\` are ordinary characters) over a thread's
// searchable texts, and the shared snippet cut around the first match.
import { snippetAround } from '../shared/search.js';

export function containsCaseInsensitive(text: string, term: string): boolean {
  return text.toLowerCase().includes(term.toLowerCase());
}

/** The snippet for the first of `texts` that contains `term`, or null when none does. */
export function firstMatchSnippet(texts: Iterable<string | null>, term: string): string | null {
  for (const text of texts) {
    if (text === null || text === '') continue;
    if (containsCaseInsensitive(text, term)) return snippetAround(text, term);
  }
  return null;
}
