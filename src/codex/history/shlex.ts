// Owns joining a command's argv into one shell string exactly as Codex does (`shlex::try_join`, the
// shlex 1.3 crate): each word is quoted only when needed, per chunk — unquoted when every byte is
// safe, else single quotes, else double quotes with `"` and `\` escaped. Non-ASCII bytes always
// need quotes. Codex shows commands this way in `thread/read` (`commandExecution.command`).

const UNQUOTED = 1;
const SINGLE = 2;
const DOUBLE = 4;

function unquotedOk(c: number): boolean {
  // + - . / : @ ] _ 0-9 A-Z a-z
  return (
    c === 0x2b ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x2f ||
    c === 0x3a ||
    c === 0x40 ||
    c === 0x5d ||
    c === 0x5f ||
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a)
  );
}

const singleQuotedOk = (c: number): boolean => c !== 0x27 && c !== 0x5e && c !== 0x5c; // ' ^ \
const doubleQuotedOk = (c: number): boolean => c !== 0x60 && c !== 0x24 && c !== 0x21 && c !== 0x5e; // ` $ ! ^

/** The longest prefix one strategy covers, and that strategy. */
function strategy(bytes: Uint8Array, from: number): [number, number] {
  let prev = UNQUOTED | SINGLE | DOUBLE;
  let i = from;
  if (bytes[i] === 0x5e) {
    prev = SINGLE;
    i += 1;
  }
  for (; i < bytes.length; i++) {
    const c = bytes[i]!;
    let cur = prev;
    if (c >= 0x80) cur &= ~UNQUOTED;
    else {
      if (!unquotedOk(c)) cur &= ~UNQUOTED;
      if (!singleQuotedOk(c)) cur &= ~SINGLE;
      if (!doubleQuotedOk(c)) cur &= ~DOUBLE;
    }
    if (cur === 0) break;
    prev = cur;
  }
  const kind = prev & UNQUOTED ? UNQUOTED : prev & SINGLE ? SINGLE : DOUBLE;
  return [i, kind];
}

/** shlex `try_quote` of one word. */
export function shlexQuote(word: string): string {
  if (word === '') return "''";
  const bytes = Buffer.from(word, 'utf8');
  const out: number[] = [];
  let from = 0;
  while (from < bytes.length) {
    const [end, kind] = strategy(bytes, from);
    if (end === bytes.length && kind === UNQUOTED && from === 0) return word;
    const chunk = bytes.subarray(from, end);
    if (kind === UNQUOTED) out.push(...chunk);
    else if (kind === SINGLE) out.push(0x27, ...chunk, 0x27);
    else {
      out.push(0x22);
      for (const c of chunk) {
        if (c === 0x24 || c === 0x60 || c === 0x22 || c === 0x5c) out.push(0x5c);
        out.push(c);
      }
      out.push(0x22);
    }
    from = end;
  }
  return Buffer.from(out).toString('utf8');
}

/** shlex `try_join`: the quoted words separated by single spaces. */
export function shlexJoin(words: readonly string[]): string {
  return words.map(shlexQuote).join(' ');
}
