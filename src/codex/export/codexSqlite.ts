// Owns writing Codex's SQLite state into an exported CODEX_HOME: `state_5.sqlite` (the metadata
// index thread/list answers from: `threads`, `thread_spawn_edges`, `thread_dynamic_tools`,
// `thread_sections`) and `thread_history_1.sqlite` (the turn/item projection thread/read answers
// from), in Codex's own schema (codexSchema.ts, the oldest version we write; newer Codex migrates it
// forward on start).
//
// A file that does not exist is created under a temporary name, filled, and renamed into place when
// the export finishes, so Codex never sees a half-written database. A file that exists (exporting
// into a CODEX_HOME Codex already uses) is updated in place: our threads' rows are replaced, every
// other row is left alone, and only the columns that file has are written. One transaction per
// thread in each file.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidRequestError } from '../../model/errors.js';
import type { FileProjection } from '../history/projection.js';
import { CODEX_HISTORY_SCHEMA, CODEX_SEED_SECTIONS, CODEX_STATE_SCHEMA, SQLITE_SEQUENCE_MARKER, type CodexSqliteSchema } from './codexSchema.js';

type Db = Database.Database;
type SqlValue = string | number | bigint | null;

/** One `threads` row, by Codex column name. */
export type CodexThreadRow = Record<string, SqlValue>;

export interface CodexSpawnEdge {
  parentThreadId: string;
  childThreadId: string;
  status: string;
}

export interface CodexDynamicTool {
  position: number;
  name: string;
  description: string;
  /** JSON text. */
  inputSchema: string;
  deferLoading: boolean;
  namespace: string | null;
}

export interface CodexSection {
  id: string;
  name: string;
  /** JSON text or null. */
  appearance: string | null;
}

/** Everything Codex keeps in SQLite about one exported thread. */
export interface CodexThreadState {
  row: CodexThreadRow;
  spawnEdge: CodexSpawnEdge | null;
  dynamicTools: CodexDynamicTool[];
  section: CodexSection | null;
  /** The projection of each of the thread's files (one per file id). */
  projections: FileProjection[];
}

interface OpenedDb {
  db: Db;
  /** Where it is written; renamed to `finalPath` on close when it is new. */
  path: string;
  finalPath: string;
  created: boolean;
  columns: Map<string, Set<string>>;
}

function applySchema(db: Db, schema: CodexSqliteSchema, installedOn: string): void {
  db.pragma(`page_size = ${schema.pragmas.page_size}`);
  db.pragma(`auto_vacuum = ${schema.pragmas.auto_vacuum}`);
  db.transaction(() => {
    for (const statement of schema.statements) {
      if (statement === SQLITE_SEQUENCE_MARKER) {
        // SQLite creates sqlite_sequence for the first AUTOINCREMENT table; Codex's schema has it.
        db.exec('CREATE TABLE thread_store_seq_marker (id INTEGER PRIMARY KEY AUTOINCREMENT); DROP TABLE thread_store_seq_marker;');
      } else db.exec(statement);
    }
    const insert = db.prepare('INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (?, ?, ?, 1, ?, 0)');
    for (const [version, description, checksum] of schema.migrations) insert.run(version, description, installedOn, Buffer.from(checksum, 'hex'));
  })();
}

function tableColumns(db: Db): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  for (const { name } of tables) {
    out.set(name, new Set((db.prepare(`PRAGMA table_info("${name.replaceAll('"', '""')}")`).all() as { name: string }[]).map((c) => c.name)));
  }
  return out;
}

function openDb(dir: string, schema: CodexSqliteSchema, now: Date): OpenedDb {
  const finalPath = join(dir, schema.file);
  if (existsSync(finalPath)) {
    const db = new Database(finalPath, { timeout: 10_000 });
    const columns = tableColumns(db);
    if (!columns.has('threads') && !columns.has('thread_turns')) {
      db.close();
      throw new InvalidRequestError(`${finalPath} exists but is not a Codex ${schema.file} (no Codex tables): not touched`, { path: finalPath });
    }
    return { db, path: finalPath, finalPath, created: false, columns };
  }
  const path = `${finalPath}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const db = new Database(path);
  applySchema(db, schema, now.toISOString().slice(0, 19).replace('T', ' '));
  return { db, path, finalPath, created: true, columns: tableColumns(db) };
}

/**
 * Insert the columns of `values` the table has; on a conflict on `key` update them in place (not
 * `INSERT OR REPLACE`, whose delete would cascade to rows Codex hangs off a thread), else replace.
 */
function upsert(target: OpenedDb, table: string, values: Record<string, SqlValue>, key?: string): void {
  const have = target.columns.get(table);
  if (!have) return;
  const keys = Object.keys(values).filter((k) => have.has(k));
  const placeholders = keys.map(() => '?').join(', ');
  const sql = key
    ? `INSERT INTO ${table} (${keys.join(', ')}) VALUES (${placeholders}) ON CONFLICT(${key}) DO UPDATE SET ${keys
        .filter((k) => k !== key)
        .map((k) => `${k} = excluded.${k}`)
        .join(', ')}`
    : `INSERT OR REPLACE INTO ${table} (${keys.join(', ')}) VALUES (${placeholders})`;
  target.db.prepare(sql).run(...keys.map((k) => values[k] ?? null));
}

export interface CodexSqliteResult {
  stateDb: string;
  historyDb: string;
  /** True when the file was created by this export (false: an existing file was updated). */
  stateDbCreated: boolean;
  historyDbCreated: boolean;
  threads: number;
  turns: number;
  items: number;
}

/** Writes our threads into Codex's two SQLite files of one CODEX_HOME. */
export class CodexSqliteWriter {
  private readonly state: OpenedDb;
  private readonly history: OpenedDb;
  private readonly result: CodexSqliteResult;
  private closed = false;

  constructor(dir: string, now: Date = new Date()) {
    this.state = openDb(dir, CODEX_STATE_SCHEMA, now);
    try {
      this.history = openDb(dir, CODEX_HISTORY_SCHEMA, now);
    } catch (error) {
      this.state.db.close();
      throw error;
    }
    if (this.state.created) {
      // Codex's migrations seed the default sections, and a backfill marked complete tells Codex
      // the index is authoritative (it does not rescan the rollouts to rebuild it).
      const nowS = Math.floor(now.getTime() / 1000);
      for (const [id, name, appearance] of CODEX_SEED_SECTIONS) upsert(this.state, 'thread_sections', { id, name, appearance }, 'id');
      upsert(this.state, 'backfill_state', { id: 1, status: 'complete', last_watermark: null, last_success_at: nowS, updated_at: nowS });
    }
    this.result = {
      stateDb: this.state.finalPath,
      historyDb: this.history.finalPath,
      stateDbCreated: this.state.created,
      historyDbCreated: this.history.created,
      threads: 0,
      turns: 0,
      items: 0,
    };
  }

  /** Replace one thread's rows in both files. */
  writeThread(thread: CodexThreadState): void {
    const id = String(thread.row.id);
    const state = this.state;
    state.db.transaction(() => {
      if (thread.section) upsert(state, 'thread_sections', { id: thread.section.id, name: thread.section.name, appearance: thread.section.appearance }, 'id');
      const row = { ...thread.row };
      // A project we do not hold would break Codex's foreign key on its next update of the row.
      if (row.project_id !== null && row.project_id !== undefined) {
        const known = state.columns.has('projects') && state.db.prepare('SELECT 1 FROM projects WHERE id = ?').get(row.project_id) !== undefined;
        if (!known) row.project_id = null;
      }
      upsert(state, 'threads', row, 'id');
      if (state.columns.has('thread_dynamic_tools')) {
        state.db.prepare('DELETE FROM thread_dynamic_tools WHERE thread_id = ?').run(id);
        for (const t of thread.dynamicTools) {
          upsert(state, 'thread_dynamic_tools', {
            thread_id: id,
            position: t.position,
            name: t.name,
            description: t.description,
            input_schema: t.inputSchema,
            defer_loading: t.deferLoading ? 1 : 0,
            namespace: t.namespace,
          });
        }
      }
      if (thread.spawnEdge) {
        upsert(state, 'thread_spawn_edges', { parent_thread_id: thread.spawnEdge.parentThreadId, child_thread_id: thread.spawnEdge.childThreadId, status: thread.spawnEdge.status });
      }
    })();
    const history = this.history;
    history.db.transaction(() => {
      for (const p of thread.projections) {
        for (const table of ['thread_items', 'thread_turns', 'thread_history_projection_state', 'thread_realtime_items']) {
          if (history.columns.has(table)) history.db.prepare(`DELETE FROM ${table} WHERE thread_id = ?`).run(p.fileId);
        }
        for (const t of p.turns) {
          upsert(history, 'thread_turns', {
            thread_id: p.fileId,
            turn_id: t.turnId,
            rollout_ordinal: t.rolloutOrdinal,
            status: t.status,
            error_json: t.error === null ? null : JSON.stringify(t.error),
            started_at: t.startedAt,
            completed_at: t.completedAt,
            duration_ms: t.durationMs,
            first_user_item_id: t.firstUserItemId,
            final_agent_item_id: t.finalAgentItemId,
            rollout_byte_offset: t.rolloutByteOffset,
            rollout_end_ordinal: t.rolloutEndOrdinal,
            rollout_end_byte_offset: t.rolloutEndByteOffset,
            root_turn_id: t.rootTurnId,
          });
        }
        for (const i of p.items) {
          upsert(history, 'thread_items', {
            thread_id: p.fileId,
            turn_id: i.turnId,
            item_id: i.itemId,
            rollout_ordinal: i.rolloutOrdinal,
            created_at_ms: i.createdAtMs,
            item_json: JSON.stringify(i.item),
            item_type: i.item.type,
            updated_at_ordinal: i.updatedAtOrdinal,
            started_at_ms: i.startedAtMs,
            completed_at_ms: i.completedAtMs,
          });
        }
        upsert(history, 'thread_history_projection_state', { thread_id: p.fileId, next_rollout_byte_offset: p.nextByteOffset, next_rollout_ordinal: p.nextOrdinal });
        this.result.turns += p.turns.length;
        this.result.items += p.items.length;
      }
    })();
    this.result.threads += 1;
  }

  /** Close both files; new ones are moved into place (or removed when `keep` is false). */
  async close(keep = true): Promise<CodexSqliteResult> {
    if (this.closed) return this.result;
    this.closed = true;
    for (const target of [this.state, this.history]) {
      if (target.db.open) target.db.close();
      if (!target.created) continue;
      if (keep) await rename(target.path, target.finalPath);
      else await rm(target.path, { force: true });
    }
    return this.result;
  }
}
