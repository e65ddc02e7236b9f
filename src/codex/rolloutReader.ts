// Owns reading Codex rollout files (`rollout-*.jsonl`, or `.jsonl.zst`) as a stream of validated
// rollout lines. Reading is tolerant the way Codex's own loader is (§4.5): blank lines are skipped,
// a line that is not JSON or not a rollout line is reported with `file:line` and skipped, the rest of
// the file is kept; a truncated last line (no `\n`, not parseable) is reported and dropped. The one
// hard error Codex also has: the first `session_meta` announcing a `history_mode` we do not know.
// Memory is constant per file (bounded by the longest line).
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidRequestError, ThreadStoreError } from '../model/errors.js';
import { parseRolloutLine, type RolloutLine } from '../model/rolloutLine.js';
import type { SessionSource } from '../model/thread.js';
import {
  DEFAULT_MAX_LINE_BYTES,
  fileChunks,
  splitLines,
  zstdDecompressChunks,
  ZstdStreamError,
  type RawLine,
} from './lineSplitter.js';

/** A line that was skipped (or a stream problem), located as `file:line`. */
export interface RolloutProblem {
  /** The file actually read (the `.zst` path when the compressed representation was read). */
  readonly file: string;
  /** 1-based line number (lines are counted on `\n` only). */
  readonly line: number;
  /** Byte offset of the line's start in the decompressed content. */
  readonly byteOffset: number;
  readonly reason: string;
}

export interface RolloutRecord {
  /** The parsed line, exactly as in the file (no key reordering; unknown keys and variants kept). */
  readonly line: RolloutLine;
  /** The line's text as decoded (without the `\n` terminator). */
  readonly text: string;
  /** 1-based physical line number (`\n`-separated; blank lines count). */
  readonly lineNumber: number;
  /** Byte offset of the line's first byte in the decompressed file. */
  readonly byteOffset: number;
  /**
   * Byte offset just past the line's `\n` (the next line's `byteOffset`). A fork's / revert
   * segment's `session_meta.history_base.end_byte_offset` is such an offset into the base file.
   */
  readonly endByteOffset: number;
}

export interface ReadRolloutOptions {
  /** Called for every skipped line, in file order (in addition to `reader.problems`). */
  onProblem?: (problem: RolloutProblem) => void;
  /** Stop before the first line that starts at or after this byte offset (e.g. `history_base.end_byte_offset`). */
  endByteOffset?: number;
  /**
   * Validate lines with `parseRolloutLine` and require a string `timestamp` (default true). With
   * false, any JSON object with a string `type` and a `payload` is accepted.
   */
  validate?: boolean;
  /**
   * Codex refuses a file whose first `session_meta` has an unknown `history_mode` (a newer format).
   * Default true: throw InvalidRequestError naming `file:line`. False: report and skip the line.
   */
  strictHistoryMode?: boolean;
  /** Lines longer than this are reported and skipped without being buffered. Default 256 MiB. */
  maxLineBytes?: number;
  /** Stop reading (the iterator throws the signal's reason) when aborted. */
  signal?: AbortSignal;
}

export interface RolloutReadStats {
  /** Physical lines seen (`\n`-separated, including blank and skipped ones). */
  physicalLines: number;
  blankLines: number;
  /** Records yielded. */
  records: number;
  /** Lines skipped (each one is in `problems`). */
  skippedLines: number;
  /** The last line had no `\n` terminator (whether or not it parsed). */
  unterminatedLastLine: boolean;
  /** Bytes of (decompressed) content read. */
  bytesRead: number;
}

export interface ResolvedRolloutPath {
  /** The file to read: the plain `.jsonl` when it exists, else the `.jsonl.zst`. */
  readonly path: string;
  readonly compressed: boolean;
}

const KNOWN_HISTORY_MODES = new Set(['legacy', 'paginated']);
const RESOLVE_RETRIES = 3;
const RESOLVE_RETRY_DELAY_MS = 50;

/** `foo.jsonl.zst` → `foo.jsonl`; other paths unchanged. */
export function plainRolloutPath(path: string): string {
  return path.endsWith('.zst') ? path.slice(0, -'.zst'.length) : path;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Which representation of a rollout to read. `path` may name either the plain or the `.zst` file;
 * the plain file wins when both exist (as in Codex). Like Codex's opener, a missing file is retried
 * up to 3 times 50 ms apart to ride over a compression/materialization rename. Null when neither exists.
 */
export async function resolveRolloutPath(path: string): Promise<ResolvedRolloutPath | null> {
  const plain = plainRolloutPath(path);
  const compressed = `${plain}.zst`;
  for (let attempt = 0; attempt <= RESOLVE_RETRIES; attempt += 1) {
    if (attempt > 0) await sleep(RESOLVE_RETRY_DELAY_MS);
    if (await isFile(plain)) return { path: plain, compressed: false };
    if (await isFile(compressed)) return { path: compressed, compressed: true };
  }
  return null;
}

function errorReason(error: unknown): string {
  if (error instanceof ThreadStoreError) {
    return error.message.replace(/^invalid thread-store request: /, '');
  }
  return error instanceof Error ? error.message : String(error);
}

const BLANK_RE = /^[\s\u0085]*$/u;

/**
 * A single-pass-per-iteration reader over one rollout file. Iterate it with `for await`; problems
 * accumulate in `problems` (reset when a new iteration starts) and are passed to `onProblem`.
 * Breaking out of the loop closes the file.
 */
export class RolloutFileReader implements AsyncIterable<RolloutRecord> {
  /** The path asked for. */
  readonly path: string;
  /** Skipped lines of the current/last iteration. */
  problems: RolloutProblem[] = [];
  /** The representation read by the current/last iteration (set once iteration starts). */
  resolved: ResolvedRolloutPath | null = null;
  stats: RolloutReadStats = RolloutFileReader.emptyStats();
  private readonly options: ReadRolloutOptions;

  constructor(path: string, options: ReadRolloutOptions = {}) {
    this.path = path;
    this.options = options;
  }

  private static emptyStats(): RolloutReadStats {
    return { physicalLines: 0, blankLines: 0, records: 0, skippedLines: 0, unterminatedLastLine: false, bytesRead: 0 };
  }

  [Symbol.asyncIterator](): AsyncIterator<RolloutRecord> {
    return this.iterate();
  }

  /** Read the whole file into memory (convenience for small files and tests). */
  async collect(): Promise<{ records: RolloutRecord[]; problems: RolloutProblem[] }> {
    const records: RolloutRecord[] = [];
    for await (const record of this) records.push(record);
    return { records, problems: this.problems };
  }

  private report(file: string, raw: Pick<RawLine, 'lineNumber' | 'byteOffset'>, reason: string): void {
    const problem: RolloutProblem = { file, line: raw.lineNumber, byteOffset: raw.byteOffset, reason };
    this.problems.push(problem);
    this.options.onProblem?.(problem);
  }

  private async *iterate(): AsyncGenerator<RolloutRecord, void, undefined> {
    this.problems = [];
    this.stats = RolloutFileReader.emptyStats();
    const resolved = await resolveRolloutPath(this.path);
    if (resolved === null) {
      throw new InvalidRequestError('rollout file not found (neither .jsonl nor .jsonl.zst)', { path: this.path });
    }
    this.resolved = resolved;
    const file = resolved.path;
    const {
      endByteOffset,
      validate = true,
      strictHistoryMode = true,
      maxLineBytes = DEFAULT_MAX_LINE_BYTES,
      signal,
    } = this.options;

    const stream: { error: string | null } = { error: null };
    const source = captureErrors(
      resolved.compressed ? zstdDecompressChunks(fileChunks(file)) : fileChunks(file),
      (error) => {
        stream.error = errorReason(error);
      },
    );
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let sawSessionMeta = false;
    let nextLine = { lineNumber: 1, byteOffset: 0 };

    for await (const raw of splitLines(source, { maxLineBytes })) {
      signal?.throwIfAborted();
      if (endByteOffset !== undefined && raw.byteOffset >= endByteOffset) return;
      this.stats.physicalLines += 1;
      this.stats.bytesRead = raw.endByteOffset;
      nextLine = { lineNumber: raw.lineNumber + 1, byteOffset: raw.endByteOffset };
      if (!raw.terminated) this.stats.unterminatedLastLine = true;
      const truncated = raw.terminated ? '' : 'truncated last line (no terminating newline): ';

      if (raw.oversize) {
        this.stats.skippedLines += 1;
        this.report(file, raw, `${truncated}line longer than ${maxLineBytes} bytes`);
        continue;
      }
      let text: string;
      try {
        text = decoder.decode(raw.bytes);
      } catch {
        this.stats.skippedLines += 1;
        this.report(file, raw, `${truncated}invalid UTF-8`);
        continue;
      }
      if (raw.lineNumber === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (BLANK_RE.test(text)) {
        this.stats.blankLines += 1;
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        this.stats.skippedLines += 1;
        this.report(file, raw, `${truncated}not valid JSON (${errorReason(error)})`);
        continue;
      }

      const where = `${file}:${raw.lineNumber}`;
      if (strictHistoryMode && !sawSessionMeta) checkHistoryMode(value, where);
      let line: RolloutLine;
      try {
        line = validate ? parseRolloutLine(value, 'line') : parseLoose(value);
        if (validate && typeof line.timestamp !== 'string') {
          throw new InvalidRequestError('expected a string', { path: 'line.timestamp' });
        }
      } catch (error) {
        this.stats.skippedLines += 1;
        this.report(file, raw, `${truncated}not a rollout line (${errorReason(error)})`);
        continue;
      }
      if (line.type === 'session_meta') sawSessionMeta = true;
      this.stats.records += 1;
      yield { line, text, lineNumber: raw.lineNumber, byteOffset: raw.byteOffset, endByteOffset: raw.endByteOffset };
    }
    if (stream.error !== null) {
      this.stats.skippedLines += 1;
      this.report(file, nextLine, `compressed stream ends early or is corrupt (${stream.error}); the rest of the file is lost`);
    }
  }
}

async function* captureErrors<T>(
  source: AsyncIterable<T>,
  onError: (error: unknown) => void,
): AsyncGenerator<T, void, undefined> {
  try {
    yield* source;
  } catch (error) {
    // Only decompression errors are tolerated; I/O errors propagate.
    if (error instanceof ZstdStreamError) onError(error);
    else throw error;
  }
}

function checkHistoryMode(value: unknown, where: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const obj = value as Record<string, unknown>;
  if (obj.type !== 'session_meta') return;
  const payload = obj.payload;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return;
  const mode = (payload as Record<string, unknown>).history_mode;
  if (typeof mode === 'string' && !KNOWN_HISTORY_MODES.has(mode)) {
    throw new InvalidRequestError(
      `session_meta has unknown history_mode ${JSON.stringify(mode)} (written by a newer Codex?)`,
      { path: where },
    );
  }
}

function parseLoose(value: unknown): RolloutLine {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRequestError('expected a JSON object', { path: 'line' });
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.type !== 'string' || obj.type === '') {
    throw new InvalidRequestError('expected a non-empty string', { path: 'line.type' });
  }
  if (obj.payload === undefined) throw new InvalidRequestError('payload is required', { path: 'line.payload' });
  return obj as RolloutLine;
}

/**
 * Stream the rollout lines of one file (`.jsonl`, or `.jsonl.zst` when only that exists).
 *
 * ```ts
 * const reader = readRolloutFile(path);
 * for await (const { line, lineNumber, byteOffset } of reader) { … }
 * reader.problems; // [{ file, line, byteOffset, reason }]
 * ```
 */
export function readRolloutFile(path: string, options: ReadRolloutOptions = {}): RolloutFileReader {
  return new RolloutFileReader(path, options);
}

/** `session_meta.history_base`: the prefix of another history file this file continues. */
export interface HistoryBase {
  /** Id of the base history file: a thread id (its first file) or a revert segment id. */
  thread_id: string;
  /** Ordinals `< end_ordinal_exclusive` of the base file belong to this history. */
  end_ordinal_exclusive?: number;
  /** Byte offset (in the plain base file) just past the last included line. */
  end_byte_offset?: number;
  [key: string]: unknown;
}

export interface SessionMetaGit {
  commit_hash?: string | null;
  branch?: string | null;
  repository_url?: string | null;
  [key: string]: unknown;
}

/** Payload of a `session_meta` line (known fields typed; everything else passes through). */
export interface SessionMetaPayload {
  id: string;
  session_id?: string | null;
  timestamp?: string | null;
  cwd?: string | null;
  originator?: string | null;
  cli_version?: string | null;
  source?: SessionSource | null;
  thread_source?: string | null;
  model_provider?: string | null;
  forked_from_id?: string | null;
  forked_from_ordinal_exclusive?: number | null;
  parent_thread_id?: string | null;
  agent_nickname?: string | null;
  agent_role?: string | null;
  agent_path?: string | null;
  memory_mode?: string | null;
  history_mode?: 'legacy' | 'paginated' | null;
  history_base?: HistoryBase | null;
  context_window?: { window_id: string; [key: string]: unknown } | null;
  git?: SessionMetaGit | null;
  [key: string]: unknown;
}

export interface RolloutHead {
  /** The file actually read. */
  readonly path: string;
  readonly compressed: boolean;
  /** The first `session_meta` line. */
  readonly record: RolloutRecord;
  readonly meta: SessionMetaPayload;
  /** True when the session_meta is the file's first record (Codex's `read_session_meta_line` requires it). */
  readonly isFirstRecord: boolean;
  readonly problems: RolloutProblem[];
}

export interface ReadRolloutHeadOptions {
  /** Give up after this many records without a session_meta (Codex: HEAD_RECORD_LIMIT = 10). */
  maxRecords?: number;
  onProblem?: (problem: RolloutProblem) => void;
}

/**
 * The first `session_meta` of a rollout file (it defines the file's canonical thread id), reading
 * only the head of the file. Null when none is found within `maxRecords` records.
 */
export async function readRolloutHead(path: string, options: ReadRolloutHeadOptions = {}): Promise<RolloutHead | null> {
  const maxRecords = options.maxRecords ?? 10;
  const reader = readRolloutFile(path, options.onProblem ? { onProblem: options.onProblem } : {});
  let seen = 0;
  for await (const record of reader) {
    seen += 1;
    if (record.line.type === 'session_meta') {
      return {
        path: reader.resolved?.path ?? path,
        compressed: reader.resolved?.compressed ?? false,
        record,
        meta: record.line.payload as SessionMetaPayload,
        isFirstRecord: seen === 1,
        problems: reader.problems,
      };
    }
    if (seen >= maxRecords) break;
  }
  return null;
}
