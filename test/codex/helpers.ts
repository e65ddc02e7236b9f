// Helpers for the CODEX_HOME import/export tests: the two real samples (Codex 0.169 and 0.171),
// Codex's own view of them (state_5.sqlite, thread_history_1.sqlite), a normalized dump of one
// tenant's rows, and JSON-level file reading.
import Database from 'better-sqlite3';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { Database as Db } from '../../src/db/database.js';
import { SAMPLE_HOME } from '../helpers/sample.js';

export { SAMPLE_HOME };

/** The same scenarios written by Codex 0.171 (see test/fixtures/codex-home-sample-0171/README.md). */
export const SAMPLE_HOME_0171 = fileURLToPath(new URL('../fixtures/codex-home-sample-0171/', import.meta.url));

export interface Sample {
  /** The Codex version that wrote it. */
  version: '0.169' | '0.171';
  home: string;
}

/** Both real samples, oldest first. */
export const SAMPLES: readonly Sample[] = [
  { version: '0.169', home: SAMPLE_HOME },
  { version: '0.171', home: SAMPLE_HOME_0171 },
];

/** Every rollout file of a home (active and archived, base and segment files), absolute, sorted. */
export function rolloutFiles(home: string): string[] {
  return listFiles(home)
    .filter((f) => /^(archived_)?sessions\/(.*\/)?rollout-[^/]*\.jsonl$/.test(f))
    .map((f) => join(home, f));
}

export interface CodexThreadRow {
  id: string;
  rollout_path: string;
  created_at_ms: number;
  updated_at_ms: number;
  archived: number;
  source: string;
  model_provider: string;
  model: string | null;
  cwd: string;
  title: string;
  preview: string;
  first_user_message: string;
  name: string | null;
  git_sha: string | null;
  git_branch: string | null;
  git_origin_url: string | null;
  tokens_used: number;
}

/** Codex's state_5.sqlite threads rows of the sample. */
export function codexThreads(home = SAMPLE_HOME): CodexThreadRow[] {
  const db = new Database(join(home, 'state_5.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM threads ORDER BY id').all() as CodexThreadRow[];
  } finally {
    db.close();
  }
}

/** Codex's per-file turn projection (thread_history_1.sqlite thread_turns): turn id → status. */
export function codexTurnStatuses(home = SAMPLE_HOME): Map<string, { threadId: string; status: string }> {
  const db = new Database(join(home, 'thread_history_1.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('SELECT thread_id, turn_id, status FROM thread_turns').all() as { thread_id: string; turn_id: string; status: string }[];
    return new Map(rows.map((r) => [r.turn_id, { threadId: r.thread_id, status: r.status }]));
  } finally {
    db.close();
  }
}

/** Every file under `home` (relative, `/`-separated), sorted. */
export function listFiles(home: string, sub = ''): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(home, p).split('\\').join('/'));
    }
  };
  walk(join(home, sub));
  return out.sort();
}

/** The JSON values of a JSONL file's lines (split on \n only). */
export function jsonLines(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}

/** One tenant's rows, normalized for comparison (timestamps as ISO, rows sorted). */
export async function dumpTenant(owner: Db, tenantId: string): Promise<Record<string, unknown[]>> {
  return owner.transaction(
    async (tx) => {
      const q = async (sql: string) => (await tx.query<Record<string, unknown>>(sql, [tenantId])).rows.map(normalize);
      return {
        threads: await q('SELECT * FROM thread_store.threads WHERE tenant_id = $1 ORDER BY id'),
        items: await q(
          'SELECT thread_id, seq, type, subtype, turn_id, ts, payload, extra, raw_line, byte_size FROM thread_store.thread_items WHERE tenant_id = $1 ORDER BY thread_id, seq',
        ),
        // Import folds each thread's text into search documents in its own transaction.
        search: await q('SELECT thread_id, first_seq, last_seq, body FROM thread_store.thread_search WHERE tenant_id = $1 ORDER BY thread_id, first_seq'),
        checkpoints: await q('SELECT * FROM thread_store.thread_checkpoints WHERE tenant_id = $1 ORDER BY thread_id, seq'),
        edges: await q('SELECT * FROM thread_store.thread_spawn_edges WHERE tenant_id = $1 ORDER BY child_thread_id'),
      };
    },
    { tenantId },
  );
}

function normalize(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'tenant_id') continue;
    out[k] = v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? Number(v) : v;
  }
  return out;
}
