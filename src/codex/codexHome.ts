// Owns recognising a CODEX_HOME directory and listing what an importer reads from it: rollout files
// under `sessions/YYYY/MM/DD/` and the flat `archived_sessions/`, the name index
// `session_index.jsonl`, and the SQLite metadata index `state_<N>.sqlite` (§4.5, §6.4, §3.3) —
// and, for everything else found under the session folders, why it is not read (nothing is
// skipped without a word).
import { readdir, readlink, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { Stats, type Dirent } from 'node:fs';
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
  /**
   * Every entry under the session folders that is not listed in `rollouts`, once, with why: other
   * files, unparseable rollout names, special files, dangling or looping links, folders read
   * already or too deep, a `.zst` shadowed by its plain file.
   */
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

interface Candidate {
  path: string;
  name: string;
  parsed: ParsedRolloutFileName;
  archived: boolean;
}

/** Folders below sessions/ that are read (Codex uses YYYY/MM/DD: 3). */
export const MAX_SESSION_DEPTH = 8;

const ROLLOUT_NAME_HINT = 'rollout-<YYYY-MM-DDThh-mm-ss>-<uuid>[_<uuid>].jsonl[.zst]';

function looksLikeRollout(name: string): boolean {
  return name.startsWith('rollout-') && (name.endsWith('.jsonl') || name.endsWith('.jsonl.zst'));
}

function errnoOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

/** What a non-regular, non-directory entry is, in words. */
function kindOf(info: Stats | Dirent): string {
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isCharacterDevice()) return 'a character device';
  return 'not a regular file';
}

/** One walk over sessions/ and archived_sessions/: what was found and what was not taken. */
interface Walk {
  out: Candidate[];
  skipped: SkippedFile[];
  /** Directories read so far, by device:inode → the path they were read at (each is read once). */
  seen: Map<string, string>;
}

const dirKey = (info: Stats): string => `${info.dev}:${info.ino}`;

/**
 * Walk one session folder. Every entry that does not become a candidate is reported once with its
 * path and why: a file that is not a rollout, a directory named like one, a FIFO or other special
 * file (never opened: reading a FIFO would block), a dangling symlink, a symlink loop, a folder too
 * deep, a folder that cannot be listed. Symlinked directories are followed, but each directory is
 * read once (by device and inode), so a link back up the tree or a second link to one folder does
 * not read the same files twice.
 */
async function walkSessions(dir: string, archived: boolean, walk: Walk, depth: number): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    walk.skipped.push({ path: dir, reason: `cannot list this folder (${errnoOf(error)}): nothing in it was read` });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    let info: Stats | Dirent = entry;
    let linked = '';
    if (entry.isSymbolicLink()) {
      const target = await readlink(path).catch(() => '?');
      linked = ` (symbolic link to ${target})`;
      try {
        info = await stat(path);
      } catch (error) {
        const code = errnoOf(error);
        const reason =
          code === 'ENOENT' ? `dangling symbolic link: its target ${target} does not exist` : code === 'ELOOP' ? `symbolic link loop (${target} leads back to itself, ELOOP)` : `cannot follow symbolic link to ${target} (${code})`;
        walk.skipped.push({ path, reason });
        continue;
      }
    }
    if (info.isDirectory()) {
      const real = info instanceof Stats ? info : await stat(path).catch(() => null);
      const key = real ? dirKey(real) : null;
      const already = key ? walk.seen.get(key) : undefined;
      if (already !== undefined) {
        walk.skipped.push({ path, reason: `the same folder as ${already}${linked}, which is read once: not read again` });
        continue;
      }
      if (depth + 1 > MAX_SESSION_DEPTH) {
        walk.skipped.push({ path, reason: `folder more than ${MAX_SESSION_DEPTH} levels deep${linked}: not read` });
        continue;
      }
      if (looksLikeRollout(entry.name)) {
        walk.skipped.push({ path, reason: `a folder${linked} named like a rollout file: not a rollout (what is inside is read as a folder's content)` });
      }
      if (key) walk.seen.set(key, path);
      await walkSessions(path, archived, walk, depth + 1);
      continue;
    }
    if (!info.isFile()) {
      walk.skipped.push({ path, reason: `${kindOf(info)}${linked}, not a rollout file: not read` });
      continue;
    }
    if (!looksLikeRollout(entry.name)) {
      walk.skipped.push({ path, reason: `not a rollout file${linked} (expected ${ROLLOUT_NAME_HINT}): not read` });
      continue;
    }
    const parsed = parseRolloutFileName(entry.name);
    if (parsed === null) {
      walk.skipped.push({ path, reason: `file name is not ${ROLLOUT_NAME_HINT}: not read` });
      continue;
    }
    walk.out.push({ path, name: entry.name, parsed, archived });
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
  const walk: Walk = { out: [], skipped: [], seen: new Map() };
  // Both roots count as read before the walk, so a link from one into the other is not read twice
  // (and archived files are never taken for active ones through such a link).
  const roots = [
    { path: join(dir, SESSIONS_SUBDIR), archived: false },
    { path: join(dir, ARCHIVED_SESSIONS_SUBDIR), archived: true },
  ];
  for (const root of roots) {
    const info = await statOrNull(root.path);
    if (info?.isDirectory()) walk.seen.set(dirKey(info), root.path);
  }
  for (const root of roots) await walkSessions(root.path, root.archived, walk, 0);
  const candidates = walk.out;
  const skipped = walk.skipped;

  // Plain wins over .zst when both exist in the same folder (as in Codex); the .zst is not read.
  const plainPaths = new Set(candidates.filter((c) => !c.parsed.compressed).map((c) => c.path));
  const compressedPaths = new Set(candidates.filter((c) => c.parsed.compressed).map((c) => c.path));
  const rollouts: RolloutFileEntry[] = [];
  for (const c of candidates) {
    if (c.parsed.compressed && plainPaths.has(c.path.slice(0, -'.zst'.length))) {
      skipped.push({ path: c.path, reason: `not read: ${basename(c.path.slice(0, -'.zst'.length))} next to it is (the plain file wins over .jsonl.zst, as in Codex)` });
      continue;
    }
    const info = await statOrNull(c.path);
    if (info === null) {
      skipped.push({ path: c.path, reason: 'vanished while the folder was scanned (renamed by Codex\'s compression?): not read' });
      continue;
    }
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
