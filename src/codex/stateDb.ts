// Owns reading Codex's SQLite metadata index `state_<N>.sqlite` (§3.3): the `threads` rows (with
// millisecond timestamps) and `thread_spawn_edges`. Never writes to the user's database: it is opened
// read-only in place; when that fails (a `-wal` whose `-shm` cannot be created or written, a hot
// journal, a read-only folder) the db and its `-wal`/`-shm`/`-journal` are copied to a private temp
// folder and read there. Tables and columns that an older Codex did not have read as defaults.
import Database from 'better-sqlite3';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InvalidRequestError } from '../model/errors.js';
import type { SessionSource } from '../model/thread.js';

/** A value as better-sqlite3 returns it. */
export type SqliteValue = number | bigint | string | Uint8Array | null;

/** One `threads` row. Timestamps are epoch milliseconds; absent columns read as the noted defaults. */
export interface StateThreadRow {
  id: string;
  /** Absolute path on the machine that wrote the DB (remap it relative to the CODEX_HOME). For a reverted thread: its latest segment file. */
  rolloutPath: string;
  /** `created_at_ms`, else `created_at` (seconds → ms). */
  createdAtMs: number;
  /** `updated_at_ms`, else `updated_at` (seconds → ms). */
  updatedAtMs: number;
  /** `recency_at_ms`, else `recency_at` (seconds → ms); null when absent or 0 (unset). */
  recencyAtMs: number | null;
  archived: boolean;
  /** `archived_at` (Codex stores seconds) → ms; null when not archived. */
  archivedAtMs: number | null;
  /** `source` decoded: a plain string (`exec`, `vscode`, `cli`, …) or the JSON object (`{"subagent":…}`). */
  source: SessionSource;
  /** `source` exactly as stored. */
  sourceRaw: string;
  modelProvider: string;
  cwd: string;
  /** Derived title (legacy DBs: also explicit renames). */
  title: string;
  /** Stored text (JSON in current Codex, e.g. `{"type":"disabled"}`). */
  sandboxPolicy: string;
  approvalMode: string;
  tokensUsed: number;
  hasUserEvent: boolean | null;
  gitSha: string | null;
  gitBranch: string | null;
  gitOriginUrl: string | null;
  cliVersion: string | null;
  firstUserMessage: string | null;
  agentNickname: string | null;
  agentRole: string | null;
  agentPath: string | null;
  /** `enabled` | `disabled` | `polluted` (DB-only value). */
  memoryMode: string | null;
  model: string | null;
  reasoningEffort: string | null;
  threadSource: string | null;
  preview: string | null;
  historyMode: string | null;
  /** Explicit name (newer DBs). */
  name: string | null;
  nameState: string | null;
  titleSnapshot: string | null;
  titleState: string | null;
  originator: string | null;
  parentThreadId: string | null;
  isPinned: boolean | null;
  /** Every column as read, including ones not mapped above. */
  columns: Record<string, SqliteValue>;
}

/** A `thread_sections` row (`appearance` decoded from its JSON text when it is JSON). */
export interface StateSection {
  id: string;
  name: string;
  appearance: unknown;
}

export interface StateSpawnEdge {
  parentThreadId: string;
  childThreadId: string;
  /** `open` | `closed`. */
  status: string;
}

export interface OpenStateDbOptions {
  /**
   * `auto` (default): open read-only in place, copy to a temp folder if that fails. `always`: read a
   * temp copy. `never`: in place only.
   */
  copy?: 'auto' | 'always' | 'never';
}

export interface StateDbContents {
  readonly path: string;
  /** True when a temp copy was read. */
  readonly copied: boolean;
  readonly tables: string[];
  /** Column names of `threads` (empty when the table is missing). */
  readonly threadColumns: string[];
  readonly threads: StateThreadRow[];
  readonly spawnEdges: StateSpawnEdge[];
  readonly sections: StateSection[];
}

/** Values below this are seconds, as in Codex's migration 0025. */
const SECONDS_THRESHOLD = 1_577_836_800_000;
const SIDECARS = ['-wal', '-shm', '-journal'] as const;

function toNumber(value: SqliteValue | undefined): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

function toMs(value: SqliteValue | undefined): number | null {
  const n = toNumber(value);
  if (n === null) return null;
  return n < SECONDS_THRESHOLD ? n * 1000 : n;
}

function toStr(value: SqliteValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return String(value);
}

function toBool(value: SqliteValue | undefined): boolean | null {
  const n = toNumber(value);
  return n === null ? null : n !== 0;
}

/** Decode a stored `source`: JSON object/string text when it is JSON, else the plain enum string. */
export function decodeSessionSource(raw: string): SessionSource {
  const trimmed = raw.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('"')) {
    try {
      const value: unknown = JSON.parse(trimmed);
      if (typeof value === 'string') return value;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // not JSON: keep the raw text
    }
  }
  return raw;
}

function mapThreadRow(row: Record<string, SqliteValue>): StateThreadRow {
  const createdAtMs = toNumber(row.created_at_ms) ?? toMs(row.created_at) ?? 0;
  const updatedAtMs = toNumber(row.updated_at_ms) ?? toMs(row.updated_at) ?? createdAtMs;
  const recencyMs = toNumber(row.recency_at_ms);
  const recencyS = toMs(row.recency_at);
  const sourceRaw = toStr(row.source) ?? '';
  const archivedAtMs = toNumber(row.archived_at_ms) ?? toMs(row.archived_at);
  return {
    id: toStr(row.id) ?? '',
    rolloutPath: toStr(row.rollout_path) ?? '',
    createdAtMs,
    updatedAtMs,
    recencyAtMs: recencyMs !== null && recencyMs > 0 ? recencyMs : recencyS !== null && recencyS > 0 ? recencyS : null,
    archived: toBool(row.archived) ?? archivedAtMs !== null,
    archivedAtMs,
    source: decodeSessionSource(sourceRaw),
    sourceRaw,
    modelProvider: toStr(row.model_provider) ?? '',
    cwd: toStr(row.cwd) ?? '',
    title: toStr(row.title) ?? '',
    sandboxPolicy: toStr(row.sandbox_policy) ?? '',
    approvalMode: toStr(row.approval_mode) ?? '',
    tokensUsed: toNumber(row.tokens_used) ?? 0,
    hasUserEvent: toBool(row.has_user_event),
    gitSha: toStr(row.git_sha),
    gitBranch: toStr(row.git_branch),
    gitOriginUrl: toStr(row.git_origin_url),
    cliVersion: toStr(row.cli_version),
    firstUserMessage: toStr(row.first_user_message),
    agentNickname: toStr(row.agent_nickname),
    agentRole: toStr(row.agent_role),
    agentPath: toStr(row.agent_path),
    memoryMode: toStr(row.memory_mode),
    model: toStr(row.model),
    reasoningEffort: toStr(row.reasoning_effort),
    threadSource: toStr(row.thread_source),
    preview: toStr(row.preview),
    historyMode: toStr(row.history_mode),
    name: toStr(row.name),
    nameState: toStr(row.name_state),
    titleSnapshot: toStr(row.title_snapshot),
    titleState: toStr(row.title_state),
    originator: toStr(row.originator),
    parentThreadId: toStr(row.parent_thread_id),
    isPinned: toBool(row.is_pinned),
    columns: row,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

type Db = Database.Database;

function probe(db: Db): void {
  // Opening is lazy: the first statement is what fails on a missing/unwritable -shm or a hot journal.
  db.prepare('SELECT count(*) AS n FROM sqlite_master').get();
}

/** An open, read-only view of a state DB. Close it to release the file (and remove a temp copy). */
export class StateDb {
  readonly path: string;
  readonly copied: boolean;
  readonly tables: string[];
  readonly threadColumns: string[];
  private readonly db: Db;
  private readonly tempDir: string | null;

  constructor(path: string, db: Db, tempDir: string | null) {
    this.path = path;
    this.db = db;
    this.tempDir = tempDir;
    this.copied = tempDir !== null;
    this.tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((r) => r.name);
    this.threadColumns = this.tables.includes('threads')
      ? (db.prepare('PRAGMA table_info(threads)').all() as { name: string }[]).map((r) => r.name)
      : [];
  }

  hasTable(name: string): boolean {
    return this.tables.includes(name);
  }

  /** `threads` rows ordered by id, streamed from SQLite. Empty when the table does not exist. */
  *iterateThreads(): IterableIterator<StateThreadRow> {
    if (!this.hasTable('threads')) return;
    const stmt = this.db.prepare<[], Record<string, SqliteValue>>('SELECT * FROM threads ORDER BY id');
    for (const row of stmt.iterate()) yield mapThreadRow(row);
  }

  threads(): StateThreadRow[] {
    return [...this.iterateThreads()];
  }

  spawnEdges(): StateSpawnEdge[] {
    if (!this.hasTable('thread_spawn_edges')) return [];
    const cols = new Set(
      (this.db.prepare('PRAGMA table_info(thread_spawn_edges)').all() as { name: string }[]).map((r) => r.name),
    );
    if (!cols.has('parent_thread_id') || !cols.has('child_thread_id')) return [];
    const status = cols.has('status') ? 'status' : "'open'";
    const rows = this.db
      .prepare<[], Record<string, SqliteValue>>(
        `SELECT parent_thread_id, child_thread_id, ${status} AS status FROM thread_spawn_edges ORDER BY parent_thread_id, child_thread_id`,
      )
      .all();
    return rows.map((r) => ({
      parentThreadId: toStr(r.parent_thread_id) ?? '',
      childThreadId: toStr(r.child_thread_id) ?? '',
      status: toStr(r.status) ?? 'open',
    }));
  }

  /** `thread_sections` rows (empty when the table does not exist). */
  sections(): StateSection[] {
    if (!this.hasTable('thread_sections')) return [];
    const cols = new Set((this.db.prepare('PRAGMA table_info(thread_sections)').all() as { name: string }[]).map((r) => r.name));
    if (!cols.has('id') || !cols.has('name')) return [];
    const appearance = cols.has('appearance') ? 'appearance' : 'NULL';
    const rows = this.db.prepare<[], Record<string, SqliteValue>>(`SELECT id, name, ${appearance} AS appearance FROM thread_sections ORDER BY id`).all();
    return rows.map((r) => {
      const text = toStr(r.appearance);
      let decoded: unknown = text;
      if (text !== null) {
        try {
          decoded = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
      }
      return { id: toStr(r.id) ?? '', name: toStr(r.name) ?? '', appearance: decoded };
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    if (this.tempDir !== null) await rm(this.tempDir, { recursive: true, force: true });
  }
}

async function openCopy(path: string): Promise<{ db: Db; tempDir: string }> {
  const tempDir = await mkdtemp(join(tmpdir(), 'codex-state-'));
  try {
    const target = join(tempDir, basename(path));
    // Sidecars first is not needed for consistency (SQLite validates WAL frames by salt/checksum);
    // copy the main file first so a concurrent checkpoint at worst leaves extra valid frames.
    await copyFile(path, target);
    for (const suffix of SIDECARS) {
      if (await exists(path + suffix)) await copyFile(path + suffix, target + suffix);
    }
    // Private copy: open read-write so SQLite can recover the WAL / roll back a hot journal.
    const db = new Database(target, { fileMustExist: true, timeout: 5000 });
    try {
      probe(db);
    } catch (error) {
      db.close();
      throw error;
    }
    return { db, tempDir };
  } catch (error) {
    await rm(tempDir, { recursive: true, force: true });
    throw error;
  }
}

/** Open a `state_<N>.sqlite` for reading (see `OpenStateDbOptions.copy`). */
export async function openStateDb(path: string, options: OpenStateDbOptions = {}): Promise<StateDb> {
  const mode = options.copy ?? 'auto';
  if (!(await exists(path))) throw new InvalidRequestError('state db not found', { path });
  let inPlaceError: unknown = null;
  if (mode !== 'always') {
    let db: Db | null = null;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
      probe(db);
      return new StateDb(path, db, null);
    } catch (error) {
      db?.close();
      inPlaceError = error;
      if (mode === 'never') {
        throw new InvalidRequestError(`cannot open state db read-only in place (${(error as Error).message})`, {
          path,
          cause: error,
        });
      }
    }
  }
  try {
    const { db, tempDir } = await openCopy(path);
    return new StateDb(path, db, tempDir);
  } catch (error) {
    const first = inPlaceError instanceof Error ? `${inPlaceError.message}; ` : '';
    throw new InvalidRequestError(`cannot read state db (${first}copy: ${(error as Error).message})`, {
      path,
      cause: error,
    });
  }
}

/** Read all `threads` rows and `thread_spawn_edges` of a state DB, then close it. */
export async function readStateDb(path: string, options: OpenStateDbOptions = {}): Promise<StateDbContents> {
  const db = await openStateDb(path, options);
  try {
    return {
      path,
      copied: db.copied,
      tables: db.tables,
      threadColumns: db.threadColumns,
      threads: db.threads(),
      spawnEdges: db.spawnEdges(),
      sections: db.sections(),
    };
  } finally {
    await db.close();
  }
}
