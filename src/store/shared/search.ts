// Owns what both stores share about content search: the literal pattern (LIKE metacharacters in
// the term match themselves) and the snippet cut around the first match.

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
