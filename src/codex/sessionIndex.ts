// Owns Codex's JSONL name index `$CODEX_HOME/session_index.jsonl` (§6.4): append-only lines
// `{"id","thread_name","updated_at"}`, one per rename. Reading follows Codex's batch lookup
// (`find_thread_names_by_ids`): forward scan, the last non-empty trimmed name per id wins, empty
// names (written by a "clear") are ignored, unparseable lines are skipped (here: reported).
import { InvalidRequestError } from '../model/errors.js';
import { isUuid } from '../model/ids.js';
import { fileChunks, splitLines } from './lineSplitter.js';
import type { RolloutProblem } from './rolloutReader.js';

/** One line of `session_index.jsonl`, as Codex serializes it (field order id, thread_name, updated_at). */
export interface SessionIndexEntry {
  id: string;
  thread_name: string;
  /** RFC 3339 (Codex writes UTC with nanoseconds, e.g. `2026-11-24T13:17:18.087683735Z`). */
  updated_at: string;
}

export interface SessionIndexName {
  readonly id: string;
  /** Trimmed, non-empty. */
  readonly name: string;
  readonly updatedAt: string;
  /** Line of the entry that won. */
  readonly lineNumber: number;
}

export interface SessionIndexContents {
  /** Codex's effective names: last non-empty trimmed name per id. */
  readonly names: Map<string, SessionIndexName>;
  /**
   * The last valid entry per id, even when its name is empty. When it is empty while `names` has a
   * name, the thread was renamed and later cleared: Codex's batch lookup still shows the older name,
   * its single-id reverse scan (`find_thread_name_by_id`) returns the empty one.
   */
  readonly latest: Map<string, SessionIndexEntry & { lineNumber: number }>;
  /** Valid entries read. */
  readonly entries: number;
  /** Skipped lines with file:line. */
  readonly problems: RolloutProblem[];
}

export interface ReadSessionIndexOptions {
  onProblem?: (problem: RolloutProblem) => void;
}

function parseEntry(value: unknown): SessionIndexEntry | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'expected a JSON object';
  const obj = value as Record<string, unknown>;
  if (!isUuid(obj.id)) return 'id: expected a UUID';
  if (typeof obj.thread_name !== 'string') return 'thread_name: expected a string';
  if (typeof obj.updated_at !== 'string') return 'updated_at: expected a string';
  return { id: obj.id.toLowerCase(), thread_name: obj.thread_name, updated_at: obj.updated_at };
}

/**
 * Read `session_index.jsonl` (streaming; lines split on `\n` only). A missing file reads as empty.
 */
export async function readSessionIndex(path: string, options: ReadSessionIndexOptions = {}): Promise<SessionIndexContents> {
  const names = new Map<string, SessionIndexName>();
  const latest = new Map<string, SessionIndexEntry & { lineNumber: number }>();
  const problems: RolloutProblem[] = [];
  let entries = 0;
  const report = (line: number, byteOffset: number, reason: string): void => {
    const problem: RolloutProblem = { file: path, line, byteOffset, reason };
    problems.push(problem);
    options.onProblem?.(problem);
  };
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    for await (const raw of splitLines(fileChunks(path), { maxLineBytes: 1024 * 1024 })) {
      const prefix = raw.terminated ? '' : 'truncated last line (no terminating newline): ';
      if (raw.oversize) {
        report(raw.lineNumber, raw.byteOffset, `${prefix}line too long`);
        continue;
      }
      let text: string;
      try {
        text = decoder.decode(raw.bytes);
      } catch {
        report(raw.lineNumber, raw.byteOffset, `${prefix}invalid UTF-8`);
        continue;
      }
      const trimmed = text.trim();
      if (trimmed === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch (error) {
        report(raw.lineNumber, raw.byteOffset, `${prefix}not valid JSON (${(error as Error).message})`);
        continue;
      }
      const entry = parseEntry(value);
      if (typeof entry === 'string') {
        report(raw.lineNumber, raw.byteOffset, `${prefix}not a session index entry (${entry})`);
        continue;
      }
      entries += 1;
      latest.set(entry.id, { ...entry, lineNumber: raw.lineNumber });
      const name = entry.thread_name.trim();
      if (name !== '') {
        names.set(entry.id, { id: entry.id, name, updatedAt: entry.updated_at, lineNumber: raw.lineNumber });
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { names, latest, entries, problems };
}

/**
 * One `session_index.jsonl` line (with its `\n`), byte-identical to Codex's
 * `serde_json::to_string(&entry) + "\n"`. `updated_at` may be a Date (written as
 * `toISOString()`, millisecond precision). A cleared name is written as `thread_name: ""`.
 */
export function formatSessionIndexLine(entry: {
  id: string;
  thread_name: string | null;
  updated_at: string | Date;
}): string {
  if (!isUuid(entry.id)) throw new InvalidRequestError('expected a UUID', { path: 'id' });
  const updatedAt = entry.updated_at instanceof Date ? entry.updated_at.toISOString() : entry.updated_at;
  if (typeof updatedAt !== 'string' || updatedAt === '') {
    throw new InvalidRequestError('expected an RFC 3339 timestamp', { path: 'updated_at' });
  }
  const line: SessionIndexEntry = { id: entry.id, thread_name: entry.thread_name ?? '', updated_at: updatedAt };
  return `${JSON.stringify(line)}\n`;
}
