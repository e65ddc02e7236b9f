// The SQLite files an export writes are Codex's own schema: the module generated from the 0.169
// sample still describes it, a database we create has exactly the sample's schema objects (same SQL,
// same order, same `_sqlx_migrations` rows, same pragmas), and the newer 0.171 sample's migration
// history starts with ours — so 0.171 accepts our files and migrates them forward (the Codex judge,
// codexCli.test.ts, shows it doing so).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CODEX_HISTORY_SCHEMA, CODEX_STATE_SCHEMA } from '../../src/codex/export/codexSchema.js';
import { CodexSqliteWriter } from '../../src/codex/export/codexSqlite.js';
import { schemaOf } from './generateCodexSchema.js';
import { SAMPLE_HOME, SAMPLE_HOME_0171 } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-codex-schema-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function master(path: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid').all();
  } finally {
    db.close();
  }
}

describe.each([CODEX_STATE_SCHEMA, CODEX_HISTORY_SCHEMA])('$file', (schema) => {
  it('the generated module matches the file Codex 0.169 wrote', () => {
    const { file, ...rest } = schema;
    expect(rest).toEqual(schemaOf(join(SAMPLE_HOME, file)));
  });

  it("Codex 0.171's migration history continues ours (same versions and checksums)", () => {
    const newer = schemaOf(join(SAMPLE_HOME_0171, schema.file)).migrations;
    expect(newer.length).toBeGreaterThan(schema.migrations.length);
    expect(newer.slice(0, schema.migrations.length)).toEqual(schema.migrations);
  });
});

describe('a Codex database created by the exporter', () => {
  it('has exactly the schema objects, migrations and pragmas of the files Codex 0.169 wrote', async () => {
    const writer = new CodexSqliteWriter(dir, new Date('2026-12-01T00:00:00Z'));
    const result = await writer.close();
    expect(result.stateDbCreated && result.historyDbCreated).toBe(true);
    for (const schema of [CODEX_STATE_SCHEMA, CODEX_HISTORY_SCHEMA]) {
      expect(master(join(dir, schema.file)), schema.file).toEqual(master(join(SAMPLE_HOME, schema.file)));
      const { file, ...rest } = schema;
      expect(schemaOf(join(dir, file))).toEqual(rest);
    }
    const db = new Database(join(dir, 'state_5.sqlite'), { readonly: true });
    try {
      // What Codex's migrations seed, and a backfill Codex treats as done.
      expect(db.prepare('SELECT id, name, appearance FROM thread_sections').all()).toEqual([{ id: '01984de2-8f74-7c91-a3b2-5c5e937cf318', name: 'Pinned', appearance: null }]);
      expect(db.prepare('SELECT status FROM backfill_state').all()).toEqual([{ status: 'complete' }]);
      expect(db.prepare('SELECT count(*) AS n FROM threads').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});
