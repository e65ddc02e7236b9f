// Owns plain-text tables for human output: columns padded to their widest cell (by code point,
// with wide East Asian / emoji characters counted as two columns), long cells cut with an ellipsis.
const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F300}-\u{1FAFF}\u{20000}-\u{3FFFD}]/u;
// Zero-width: combining marks, ZWSP/ZWJ/marks, bidi controls, variation selector 16.
const ZERO = /^(?:[\u0300-\u036F]|[\u200B-\u200F]|[\u202A-\u202E]|\uFE0F)$/u;

/** Terminal columns a string takes (approximate: no full grapheme segmentation). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += ZERO.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
  return width;
}

/** One line, at most `max` columns, control characters (newlines, tabs, U+2028...) shown as spaces. */
export function cell(value: unknown, max = 60): string {
  const text = value === null || value === undefined ? '' : String(value);
  const flat = text.replace(/[\u0000-\u001F\u007F\u0085\u2028\u2029]+/g, ' ');
  if (displayWidth(flat) <= max) return flat;
  let out = '';
  let width = 0;
  for (const ch of flat) {
    const w = ZERO.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
    if (width + w > max - 1) break;
    out += ch;
    width += w;
  }
  return `${out}…`;
}

export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - displayWidth(c))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
