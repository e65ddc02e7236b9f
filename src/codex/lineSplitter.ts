// Owns the byte-level JSONL line splitter shared by every CODEX_HOME reader. Lines are split on the
// byte 0x0A ONLY: Codex writes raw U+2028/U+2029/U+0085 inside JSON strings, which line readers that
// follow Unicode line-break rules (node:readline) would split on. Nothing else is stripped: a `\r`
// before the `\n` stays in the line (JSON.parse treats it as insignificant whitespace, and a raw CR
// can never occur inside a valid JSON string). Memory is bounded by the longest line.
import { createReadStream } from 'node:fs';
import { Decompress } from 'fzstd';

/** One physical line as bytes, without its terminating `\n`. */
export interface RawLine {
  /** Line bytes without the `\n` terminator (empty when `oversize`). */
  readonly bytes: Buffer;
  /** 1-based line number, counting `\n`-terminated lines (blank ones included). */
  readonly lineNumber: number;
  /** Byte offset of the first byte of the line in the (decompressed) stream. */
  readonly byteOffset: number;
  /** Byte offset just after the line's `\n` (= next line's `byteOffset`); for an unterminated last line, the end of the stream. */
  readonly endByteOffset: number;
  /** False only for a last line that is not followed by `\n`. */
  readonly terminated: boolean;
  /** True when the line exceeded `maxLineBytes`; its bytes were discarded. */
  readonly oversize: boolean;
}

export interface SplitLinesOptions {
  /** Lines longer than this many bytes are not buffered; they come out with `oversize: true`. Default 256 MiB. */
  maxLineBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 256 * 1024 * 1024;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Split a byte stream into `\n`-terminated lines. */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  options: SplitLinesOptions = {},
): AsyncGenerator<RawLine, void, undefined> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let parts: Buffer[] = [];
  let pendingLength = 0;
  let oversize = false;
  let lineStart = 0;
  let lineNumber = 0;

  for await (const raw of chunks) {
    const chunk = asBuffer(raw);
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, pos);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(pos, end);
      if (!oversize && pendingLength + piece.length > maxLineBytes) {
        oversize = true;
        parts = [];
      }
      if (!oversize && piece.length > 0) parts.push(piece);
      pendingLength += piece.length;
      if (nl === -1) {
        // Keep only views into this chunk; chunks are never reused by their producers.
        break;
      }
      lineNumber += 1;
      const bytes = oversize ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts, pendingLength);
      const endByteOffset = lineStart + pendingLength + 1;
      yield { bytes, lineNumber, byteOffset: lineStart, endByteOffset, terminated: true, oversize };
      lineStart = endByteOffset;
      parts = [];
      pendingLength = 0;
      oversize = false;
      pos = nl + 1;
    }
  }
  if (pendingLength > 0) {
    lineNumber += 1;
    const bytes = oversize ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts, pendingLength);
    yield {
      bytes,
      lineNumber,
      byteOffset: lineStart,
      endByteOffset: lineStart + pendingLength,
      terminated: false,
      oversize,
    };
  }
}

/** The raw bytes of a file, as a stream of chunks. */
export async function* fileChunks(path: string, highWaterMark = 64 * 1024): AsyncGenerator<Uint8Array, void, undefined> {
  const stream = createReadStream(path, { highWaterMark });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    stream.destroy();
  }
}

/** Thrown (wrapped) when a zstd stream is corrupt or truncated. */
export class ZstdStreamError extends Error {
  override readonly name = 'ZstdStreamError';
}

/**
 * Decompress a zstd byte stream incrementally (fzstd streaming API; multi-frame streams supported).
 * Memory: one input chunk plus the frame's window.
 */
export async function* zstdDecompressChunks(
  input: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  let out: Uint8Array[] = [];
  const decompressor = new Decompress((data) => {
    if (data.length > 0) out.push(data);
  });
  const push = (chunk: Uint8Array, final: boolean): void => {
    try {
      decompressor.push(chunk, final);
    } catch (error) {
      throw new ZstdStreamError(`zstd: ${(error as Error).message || 'invalid data'}`, { cause: error });
    }
  };
  for await (const chunk of input) {
    push(chunk, false);
    const ready = out;
    out = [];
    for (const piece of ready) yield piece;
  }
  push(new Uint8Array(0), true);
  const ready = out;
  out = [];
  for (const piece of ready) yield piece;
}
