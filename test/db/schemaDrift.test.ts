// The drizzle schema (src/db/schema) is the one source of truth of the tables; these checks fail
// when anything drifts from it:
//  1. `drizzle-kit generate` would write a migration (the schema changed without one);
//  2. a database migrated from scratch differs from the committed dump drizzle/schema.sql (a
//     migration changed without the dump, or the other way round) — on a server with pg_dump;
//  3. the migrated catalog differs from the declarations — every table, thread_items included
//     (drizzle-kit cannot create it, so only this check holds its declaration to the truth):
//     columns with their types and NOT NULL, primary keys, indexes with their key columns, checks;
//  4. the column lists the store's inserts name are the declared columns.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as schema from '../../src/db/schema/index.js';
import { arrayElementType, columnKeys, columnNames } from '../../src/db/schema/columns.js';
import { ITEM_COLUMN_NAMES } from '../../src/store/postgres/itemRows.js';
import { CHECKPOINT_COLUMNS, MATERIALIZED_THREAD_COLUMNS, WHOLE_THREAD_KEYS } from '../../src/store/postgres/rowLists.js';
import type { Database } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dumpFreshSchema, pgDumpMajor, SCHEMA_DUMP_FILE, serverMajor } from './schemaDump.js';

const run = promisify(execFile);
const TABLES: PgTable[] = (Object.values(schema) as unknown[]).filter((v): v is PgTable => typeof v === 'object' && v !== null && Symbol.for('drizzle:IsDrizzleTable') in v);

describe('drizzle-kit', () => {
  it('generate writes no migration: drizzle/ already holds every change of src/db/schema', async () => {
    const out = await mkdtemp(join(tmpdir(), 'ts-drizzle-'));
    try {
      await cp('drizzle', out, { recursive: true });
      const before = (await readdir(out)).sort();
      // The config's own settings, but into a copy of drizzle/ (drizzle-kit resolves --out from the cwd).
      const { stdout } = await run('npx', ['drizzle-kit', 'generate', '--dialect', 'postgresql', '--schema', 'src/db/schema/threads.ts', '--out', relative(process.cwd(), out)], {
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(stdout).toContain('No schema changes');
      expect((await readdir(out)).sort()).toEqual(before);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('migrated catalog', () => {
  let test: TestDatabase;
  let owner: Database;
  beforeAll(async () => {
    test = await createTestDatabase();
    owner = await test.openOwner();
  });
  afterAll(async () => {
    await test?.drop();
  });

  async function catalog(table: string) {
    return owner.withSession(async (s) => {
      const rel = `thread_store.${table}`;
      const columns = (
        await s.query<{ name: string; type: string; not_null: boolean }>(
          `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS not_null
             FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
          [rel],
        )
      ).rows;
      const constraints = (
        await s.query<{ name: string; type: string; columns: string[] }>(
          `SELECT c.conname AS name, c.contype::text AS type,
                  ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS columns
             FROM pg_constraint c WHERE c.conrelid = $1::regclass ORDER BY c.conname`,
          [rel],
        )
      ).rows;
      const indexes = (
        await s.query<{ name: string; columns: string[]; def: string }>(
          `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def,
                  ARRAY(SELECT CASE WHEN k.n = 0 THEN '(expression)' ELSE a.attname::text END
                          FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o)
                          LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o) AS columns
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            ORDER BY i.relname`,
          [rel],
        )
      ).rows;
      return { columns, constraints, indexes };
    });
  }

  const typeText = (t: string) => t.replace(/\s*\(\s*/g, '(').replace(/\s*\)\s*/g, ') ').trim();

  for (const table of TABLES) {
    const config = getTableConfig(table);
    it(`${config.name}: columns, primary key, indexes and checks are the declared ones`, async () => {
      const actual = await catalog(config.name);
      expect(actual.columns.map((c) => ({ name: c.name, type: typeText(c.type), notNull: c.not_null }))).toEqual(
        config.columns.map((c) => ({ name: c.name, type: typeText(c.getSQLType()), notNull: c.notNull || c.primary })),
      );
      const pk = config.primaryKeys[0];
      const declaredPk = pk
        ? { name: pk.getName(), columns: pk.columns.map((c) => c.name) }
        : { name: `${config.name}_pkey`, columns: config.columns.filter((c) => c.primary).map((c) => c.name) };
      expect(actual.constraints.filter((c) => c.type === 'p').map(({ name, columns }) => ({ name, columns }))).toEqual([declaredPk]);
      expect(actual.constraints.filter((c) => c.type === 'c').map((c) => c.name)).toEqual(config.checks.map((c) => c.name).sort());
      const declaredIndexes = config.indexes
        .map((i) => ({
          name: i.config.name!,
          columns: i.config.columns.map((c) => ('name' in c && typeof c.name === 'string' && !('queryChunks' in c) ? c.name : '(expression)')),
        }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      expect(actual.indexes.map(({ name, columns }) => ({ name, columns }))).toEqual(declaredIndexes);
    });
  }

  it('every table of the schema is declared (no table lives only in SQL)', async () => {
    const { rows } = await owner.withSession((s) =>
      s.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'thread_store' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
      ),
    );
    expect(rows.map((r) => r.name)).toEqual(TABLES.map((t) => getTableConfig(t).name).sort());
  });
});

describe('insert column lists', () => {
  it('thread_items: every declared column, in declaration order, with its type', () => {
    expect([...ITEM_COLUMN_NAMES]).toEqual(columnNames(schema.threadItems, columnKeys(schema.threadItems)));
    expect(columnKeys(schema.threadItems).map((k) => arrayElementType(schema.threadItems, k))).toEqual(['uuid', 'uuid', 'bigint', 'text', 'text', 'text', 'text', 'jsonb', 'jsonb', 'text', 'int']);
  });

  it('thread_checkpoints and threads: names read from the schema', () => {
    expect(CHECKPOINT_COLUMNS).toEqual(getTableConfig(schema.threadCheckpoints).columns.map((c) => c.name));
    const threadColumns = new Set(getTableConfig(schema.threads).columns.map((c) => c.name));
    for (const c of MATERIALIZED_THREAD_COLUMNS) expect(threadColumns).toContain(c);
    expect(WHOLE_THREAD_KEYS).not.toContain('writerEpoch');
  });
});

describe('drizzle/schema.sql', async () => {
  const serverUrl = inject('serverUrl');
  const dumpMajor = await pgDumpMajor();
  const major = serverUrl ? await serverMajor(serverUrl) : null;
  const committed = await readFile(SCHEMA_DUMP_FILE, 'utf8');
  const committedMajor = Number(/PostgreSQL (\d+)\)/.exec(committed)?.[1]);
  const skip = !serverUrl
    ? 'needs a PostgreSQL server (DATABASE_URL): the dump is pg_dump of a migrated database'
    : dumpMajor === null
      ? 'pg_dump is not installed (set THREAD_STORE_PG_BIN)'
      : dumpMajor !== major || major !== committedMajor
        ? `the committed dump is of PostgreSQL ${committedMajor}; server ${major}, pg_dump ${dumpMajor}`
        : null;
  it.skipIf(skip !== null)(`a fresh migrate dumps exactly the committed schema${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    const fresh = await dumpFreshSchema(serverUrl!);
    // On failure: regenerate with `npm run db:dump` if the change is intended (see test/db/schemaDump.ts).
    expect(fresh).toBe(committed);
  });
});
