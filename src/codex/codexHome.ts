// Owns recognising a CODEX_HOME directory and listing what an importer reads from it: rollout files
// under `sessions/YYYY/MM/DD/` and the flat `archived_sessions/`, the name index
// `session_index.jsonl`, and the SQLite metadata index `state_<N>.sqlite` (§4.5, §6.4, §3.3).
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Dirent, Stats } from 'node:fs';
import { InvalidRequestError } from '../model/errors.js';
import { isUuid } from '../model/ids.js';

export const SESSIONS_SUBDIR = 'sessions';
export const ARCHIVED_SESSIONS_SUBDIR = 'archived_sessions';
export const SESSION_INDEX_FILE = 'session_index.jsonl';
/** Codex's `STATE_DB_VERSION`: the metadata index is `state_5.sqlite`. */
export const STATE_DB_VERSION = 5;

export interface ParsedRolloutFileName {
  /** The thread id (the file's `session_meta.id`). */
  readonly threadId: string;
  /** For a post-revert segment file `rollout-<ts>-<thread>_<segment>.jsonl`: the segment id, else null. */
  readonly segmentId: string | null;
  /**
   * The name's timestamp `YYYY-MM-DDThh-mm-ss`, interpreted as UTC exactly like Codex's
   * `parse_timestamp_uuid_from_filename` (Codex writes local wall-clock time there, so this is only
   * right when the writer's zone was UTC; second precision).
   */
  readonly fileTimestamp: Date;
  /** The timestamp text as it appears in the name. */
  readonly timestampText: string;
  /** True for `.jsonl.zst`. */
  readonly compressed: boolean;
}

const UUID_LEN = 36;
const TS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})$/;

function parseNameTimestamp(text: string): Date | null {
  const m = TS_RE.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  // Reject out-of-range components (Date.UTC would roll them over).
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    return null;
  }
  return date;
}

/**
 * Parse `rollout-YYYY-MM-DDThh-mm-ss-<uuid>.jsonl` and the revert-segment form
 * `rollout-YYYY-MM-DDThh-mm-ss-<uuid>_<uuid>.jsonl`, each optionally `.zst`. Null when `name` (a
 * base name, not a path) is not a rollout file name.
 */
export function parseRolloutFileName(name: string): ParsedRolloutFileName | null {
  if (!name.startsWith('rollout-')) return null;
  let rest = name.slice('rollout-'.length);
  let compressed = false;
  if (rest.endsWith('.jsonl.zst')) {
    compressed = true;
    rest = rest.slice(0, -'.jsonl.zst'.length);
  } else if (rest.endsWith('.jsonl')) {
    rest = rest.slice(0, -'.jsonl'.length);
  } else {
    return null;
  }
  let segmentId: string | null = null;
  const underscore = rest.lastIndexOf('_');
  if (underscore !== -1) {
    const candidate = rest.slice(underscore + 1);
    if (!isUuid(candidate)) return null;
    segmentId = candidate.toLowerCase();
    rest = rest.slice(0, underscore);
  }
  if (rest.length < UUID_LEN + 2) return null;
  const threadId = rest.slice(-UUID_LEN);
  if (!isUuid(threadId) || rest[rest.length - UUID_LEN - 1] !== '-') return null;
  const timestampText = rest.slice(0, rest.length - UUID_LEN - 1);
  const fileTimestamp = parseNameTimestamp(timestampText);
  if (fileTimestamp === null) return null;
  return { threadId: threadId.toLowerCase(), segmentId, fileTimestamp, timestampText, compressed };
}

export interface RolloutFileEntry {
  /** Absolute (as given) path of the file to read; the plain `.jsonl` when both representations exist. */
  readonly path: string;
  /** Path relative to the CODEX_HOME, with `/` separators (SQLite's `rollout_path` is absolute on the writer's machine). */
  readonly relativePath: string;
  readonly threadId: string;
  readonly segmentId: string | null;
  /** The id other files' `history_base.thread_id` use to point at this file: `segmentId ?? threadId`. */
  readonly historyFileId: string;
  /** Lives in `archived_sessions/`. */
  readonly archived: boolean;
  readonly compressed: boolean;
  /** True when both `.jsonl` and `.jsonl.zst` exist (the plain one is listed). */
  readonly alsoCompressed: boolean;
  /** From the file name, see `ParsedRolloutFileName.fileTimestamp`. */
  readonly fileTimestamp: Date;
  readonly mtimeMs: number;
  /** Size on disk in bytes (compressed size for `.zst`). */
  readonly size: number;
}

export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

export interface CodexHomeScan {
  readonly dir: string;
  /** Sorted by file timestamp, then thread id, then segment (base file first), then path. */
  readonly rollouts: RolloutFileEntry[];
  readonly sessionIndexPath: string | null;
  /** `state_5.sqlite` (in `sqliteHome` when given); else the highest-numbered `state_<N>.sqlite`; else null. */
  readonly stateDbPath: string | null;
  readonly stateDbVersion: number | null;
  /** `rollout-*` files under the session folders whose names do not parse. */
  readonly skipped: SkippedFile[];
}

export interface ScanCodexHomeOptions {
  /** Where the SQLite files live (Codex: env `CODEX_SQLITE_HOME`, default the CODEX_HOME). */
  sqliteHome?: string;
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isDirectory() ?? false;
}

async function isRegularFile(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isFile() ?? false;
}

const STATE_DB_RE = /^state_(\d+)\.sqlite$/;

async function findStateDb(dir: string): Promise<{ path: string; version: number } | null> {
  const preferred = join(dir, `state_${STATE_DB_VERSION}.sqlite`);
  if (await isRegularFile(preferred)) return { path: preferred, version: STATE_DB_VERSION };
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return null;
  }
  let best: { path: string; version: number } | null = null;
  for (const name of entries) {
    const m = STATE_DB_RE.exec(name);
    if (!m) continue;
    const version = Number(m[1]);
    const path = join(dir, name);
    if ((best === null || version > best.version) && (await isRegularFile(path))) best = { path, version };
  }
  return best;
}

/**
 * Why `dir` is not a CODEX_HOME, or null when it is one: an existing directory holding at least one
 * of `sessions/`, `archived_sessions/`, `session_index.jsonl`, `state_<N>.sqlite`.
 */
async function whyNotCodexHome(dir: string): Promise<string | null> {
  const info = await statOrNull(dir);
  if (info === null) return 'directory does not exist';
  if (!info.isDirectory()) return 'not a directory';
  if (await isDirectory(join(dir, SESSIONS_SUBDIR))) return null;
  if (await isDirectory(join(dir, ARCHIVED_SESSIONS_SUBDIR))) return null;
  if (await isRegularFile(join(dir, SESSION_INDEX_FILE))) return null;
  if ((await findStateDb(dir)) !== null) return null;
  let hint = '';
  if (await isDirectory(join(dir, '.codex'))) hint = ` (did you mean ${join(dir, '.codex')}?)`;
  return `not a CODEX_HOME: expected ${SESSIONS_SUBDIR}/, ${ARCHIVED_SESSIONS_SUBDIR}/, ${SESSION_INDEX_FILE} or state_${STATE_DB_VERSION}.sqlite${hint}`;
}

/** True when `dir` looks like a CODEX_HOME (see `assertCodexHome`). */
export async function isCodexHome(dir: string): Promise<boolean> {
  return (await whyNotCodexHome(dir)) === null;
}

/** Throws InvalidRequestError (with `path` = dir) when `dir` is not a CODEX_HOME. */
export async function assertCodexHome(dir: string): Promise<void> {
  const reason = await whyNotCodexHome(dir);
  if (reason !== null) throw new InvalidRequestError(reason, { path: dir });
}

async function readDirEntries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

interface Candidate {
  path: string;
  name: string;
  parsed: ParsedRolloutFileName;
  archived: boolean;
}

async function collectRollouts(
  dir: string,
  archived: boolean,
  out: Candidate[],
  skipped: SkippedFile[],
  depth = 0,
): Promise<void> {
  if (depth > 8) return;
  const entries = await readDirEntries(dir);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFileEntry = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await statOrNull(path);
      isDir = target?.isDirectory() ?? false;
      isFileEntry = target?.isFile() ?? false;
    }
    if (isDir) {
      await collectRollouts(path, archived, out, skipped, depth + 1);
      continue;
    }
    if (!isFileEntry || !entry.name.startsWith('rollout-')) continue;
    if (!entry.name.endsWith('.jsonl') && !entry.name.endsWith('.jsonl.zst')) continue;
    const parsed = parseRolloutFileName(entry.name);
    if (parsed === null) {
      skipped.push({ path, reason: 'file name is not rollout-<YYYY-MM-DDThh-mm-ss>-<uuid>[_<uuid>].jsonl[.zst]' });
      continue;
    }
    out.push({ path, name: entry.name, parsed, archived });
  }
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

function compareEntries(a: RolloutFileEntry, b: RolloutFileEntry): number {
  const t = a.fileTimestamp.getTime() - b.fileTimestamp.getTime();
  if (t !== 0) return t;
  if (a.threadId !== b.threadId) return a.threadId < b.threadId ? -1 : 1;
  if (a.segmentId !== b.segmentId) {
    if (a.segmentId === null) return -1;
    if (b.segmentId === null) return 1;
    return a.segmentId < b.segmentId ? -1 : 1;
  }
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * List a CODEX_HOME: every rollout file under `sessions/` (any depth; Codex uses `YYYY/MM/DD`) and
 * `archived_sessions/`, plus the name index and the state DB. Throws InvalidRequestError when `dir`
 * is not a CODEX_HOME. Reads no file contents.
 */
export async function scanCodexHome(dir: string, options: ScanCodexHomeOptions = {}): Promise<CodexHomeScan> {
  await assertCodexHome(dir);
  const candidates: Candidate[] = [];
  const skipped: SkippedFile[] = [];
  await collectRollouts(join(dir, SESSIONS_SUBDIR), false, candidates, skipped);
  await collectRollouts(join(dir, ARCHIVED_SESSIONS_SUBDIR), true, candidates, skipped);

  // Plain wins over .zst when both exist in the same folder.
  const plainPaths = new Set(candidates.filter((c) => !c.parsed.compressed).map((c) => c.path));
  const compressedPaths = new Set(candidates.filter((c) => c.parsed.compressed).map((c) => c.path));
  const rollouts: RolloutFileEntry[] = [];
  for (const c of candidates) {
    if (c.parsed.compressed && plainPaths.has(c.path.slice(0, -'.zst'.length))) continue;
    const info = await statOrNull(c.path);
    if (info === null) continue; // vanished while scanning (compression worker rename)
    rollouts.push({
      path: c.path,
      relativePath: toPosix(relative(dir, c.path)),
      threadId: c.parsed.threadId,
      segmentId: c.parsed.segmentId,
      historyFileId: c.parsed.segmentId ?? c.parsed.threadId,
      archived: c.archived,
      compressed: c.parsed.compressed,
      alsoCompressed: !c.parsed.compressed && compressedPaths.has(`${c.path}.zst`),
      fileTimestamp: c.parsed.fileTimestamp,
      mtimeMs: info.mtimeMs,
      size: info.size,
    });
  }
  rollouts.sort(compareEntries);

  const sessionIndex = join(dir, SESSION_INDEX_FILE);
  const stateDb = await findStateDb(options.sqliteHome ?? dir);
  return {
    dir,
    rollouts,
    sessionIndexPath: (await isRegularFile(sessionIndex)) ? sessionIndex : null,
    stateDbPath: stateDb?.path ?? null,
    stateDbVersion: stateDb?.version ?? null,
    skipped,
  };
}
