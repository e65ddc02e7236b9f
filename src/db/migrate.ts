// Owns schema migrations. Reads drizzle-kit's journal (0.x layout: drizzle/meta/_journal.json and
// drizzle/<tag>.sql, statements split on `--> statement-breakpoint`) and applies what is missing,
// each migration in its own transaction, under a session advisory lock so concurrent migrate()
// calls wait for each other and all succeed. Unlike drizzle's own migrator it verifies the hash of
// every applied migration and refuses a database that has migrations this version does not know.
// Also owns the schema gate of openThreadStore (ensureSchemaReady): a non-owner cannot run DDL, so a
// store opened without migrating (or by a role that cannot migrate) checks the schema version and
// refuses to start against a schema that is behind, with a message saying what to run.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../model/errors.js';
import type { Database, SqlExecutor } from './database.js';
import { sqlStateOf } from './errors.js';
import { detectLayout, distribute } from './citus.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../drizzle/', import.meta.url));
/** Arbitrary constant: the advisory lock key every thread-store migrator agrees on. */
const MIGRATION_LOCK_KEY = 7_425_193_011;
const LOCK_TIMEOUT = '120s';

export interface Migration {
  /** Position in drizzle's journal; strictly increasing. */
  idx: number;
  tag: string;
  hash: string;
  statements: string[];
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

interface Journal {
  entries: { idx: number; tag: string }[];
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const journal = JSON.parse(await readFile(`${dir}/meta/_journal.json`, 'utf8')) as Journal;
  const entries = [...journal.entries].sort((a, b) => a.idx - b.idx);
  return Promise.all(
    entries.map(async ({ idx, tag }) => {
      const sql = await readFile(`${dir}/${tag}.sql`, 'utf8');
      return {
        idx,
        tag,
        hash: createHash('sha256').update(sql).digest('hex'),
        statements: sql
          .split('--> statement-breakpoint')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      };
    }),
  );
}

async function ensureLedger(session: SqlExecutor): Promise<void> {
  await session.query(`CREATE SCHEMA IF NOT EXISTS thread_store_meta`);
  await session.query(
    `CREATE TABLE IF NOT EXISTS thread_store_meta.migrations (
       idx integer PRIMARY KEY,
       tag text NOT NULL UNIQUE,
       hash text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
}

export async function migrate(db: Database, migrations?: Migration[]): Promise<MigrationResult> {
  const all = migrations ?? (await loadMigrations());
  return db.withSession(async (session) => {
    await session.query(`SET lock_timeout = '${LOCK_TIMEOUT}'`);
    await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      // Creating the ledger races between first-time migrators only outside the lock; inside it is safe.
      await ensureLedger(session);
      const { rows } = await session.query<{ idx: number; tag: string; hash: string }>(
        'SELECT idx, tag, hash FROM thread_store_meta.migrations ORDER BY idx',
      );
      const known = new Map(all.map((m) => [m.tag, m]));
      for (const row of rows) {
        const local = known.get(row.tag);
        if (!local) {
          throw new InternalError(`database has migration ${row.tag} that this version of pg-thread-store does not know; upgrade the package`);
        }
        if (local.hash !== row.hash) {
          throw new InternalError(`migration ${row.tag} was changed after it was applied (hash mismatch)`);
        }
        if (local.idx !== row.idx) throw new InternalError(`migration ${row.tag} is recorded at position ${row.idx}, expected ${local.idx}`);
      }
      const appliedTags = new Set(rows.map((r) => r.tag));
      const result: MigrationResult = { applied: [], alreadyApplied: [...appliedTags] };
      for (const migration of all) {
        const idx = migration.idx;
        if (appliedTags.has(migration.tag)) continue;
        if (rows.some((r) => r.idx > idx)) {
          throw new InternalError(`migration ${migration.tag} is older than the newest applied one; refusing to apply out of order`);
        }
        await session.query('BEGIN');
        try {
          for (const statement of migration.statements) await session.query(statement);
          await session.query('INSERT INTO thread_store_meta.migrations (idx, tag, hash) VALUES ($1, $2, $3)', [
            idx,
            migration.tag,
            migration.hash,
          ]);
          await session.query('COMMIT');
        } catch (error) {
          await session.query('ROLLBACK').catch(() => {});
          throw new InternalError(`migration ${migration.tag} failed: ${(error as Error).message}`, { cause: error });
        }
        result.applied.push(migration.tag);
      }
      // On a distributed database (src/db/citus.ts) what the new migrations created is distributed
      // too: new tables, policies that need their Citus form.
      if (result.applied.length > 0 && (await detectLayout(session)) === 'citus-distributed') await distribute(session);
      return result;
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
      await session.query('RESET lock_timeout').catch(() => {});
    }
  });
}

export interface SchemaStatus {
  appliedMigrations: string[];
  pendingMigrations: string[];
}

export async function schemaStatus(db: Database): Promise<SchemaStatus> {
  const all = await loadMigrations();
  const applied = await db.withSession(async (s) => {
    const exists = await s.query<{ ok: boolean }>(`SELECT to_regclass('thread_store_meta.migrations') IS NOT NULL AS ok`);
    if (!exists.rows[0]?.ok) return [] as string[];
    return (await s.query<{ tag: string }>('SELECT tag FROM thread_store_meta.migrations ORDER BY idx')).rows.map((r) => r.tag);
  });
  return { appliedMigrations: applied, pendingMigrations: all.map((m) => m.tag).filter((t) => !applied.includes(t)) };
}

const HOW_TO_MIGRATE = 'run `thread-store migrate` (or openThreadStore with migrate: true) as the owner role, then start the application again';

/**
 * Make sure the schema is current before a store starts. With `migrate`, apply what is pending —
 * but only when something is (a non-owner cannot even create the migration ledger's schema, so
 * an up-to-date database must not need DDL). Without `migrate`, or when the connecting role may
 * not run DDL, a schema that is behind is an error naming the pending migrations.
 */
export async function ensureSchemaReady(db: Database, options: { migrate: boolean }): Promise<MigrationResult | null> {
  let pending: string[];
  let applied: string[];
  try {
    ({ pendingMigrations: pending, appliedMigrations: applied } = await schemaStatus(db));
  } catch (error) {
    if (sqlStateOf(error) === '42501') {
      throw new InternalError(`cannot read the schema version (permission denied on thread_store_meta): the schema predates migration 0005 or this role has no grants; ${HOW_TO_MIGRATE}`, { cause: error });
    }
    throw error;
  }
  // migrate() refuses a database from a newer version; skipping it must not skip that check.
  const known = new Set((await loadMigrations()).map((m) => m.tag));
  const unknown = applied.filter((tag) => !known.has(tag));
  if (unknown.length > 0) {
    throw new InternalError(`the database has migrations this version of pg-thread-store does not know (${unknown.join(', ')}); upgrade the package`);
  }
  if (pending.length === 0) return null;
  if (!options.migrate) {
    throw new InternalError(`the database schema is behind this version of pg-thread-store (pending: ${pending.join(', ')}); ${HOW_TO_MIGRATE}`);
  }
  try {
    return await migrate(db);
  } catch (error) {
    const code = sqlStateOf(error);
    if (code === '42501') {
      throw new InternalError(`the database schema is behind (pending: ${pending.join(', ')}) and this role may not apply migrations; ${HOW_TO_MIGRATE}`, { cause: error });
    }
    throw error;
  }
}
