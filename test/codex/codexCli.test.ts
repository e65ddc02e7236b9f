// The real Codex CLI (0.169.0) as the judge of our export (issue #7). Imports the sample CODEX_HOME,
// exports it, and asks `codex app-server` (JSON-RPC over stdio, no network, no model) what it sees in
// the original and in the export: thread/list (active + archived, every provider and source kind)
// and thread/read with turns.
//
// Runs only when a Codex binary is available: $CODEX_BIN, or the out-of-project install
//   mkdir -p /tmp/codex-cli && cd /tmp/codex-cli && npm init -y && npm install @openai/codex@0.169.0
// Otherwise the suite is skipped (CI need not have Codex).
//
// Homes compared (all temp copies: Codex writes into its home):
//   orig        the sample as is (state_5.sqlite rollout paths rewritten to the copy's location:
//               Codex hides threads whose rollout_path does not exist)
//   origNoSql   the sample without state_5.sqlite / thread_history_1.sqlite (Codex rebuilds its index)
//   exp         our export + the sample's config.toml (our export writes no SQLite)
//   expSql      our export + config.toml + the sample's state_5.sqlite (rewritten paths)
// Findings asserted below:
//   - exp and origNoSql look identical to Codex (list, names, previews, flags, turns, statuses) except
//     updatedAt, which without SQLite is the file mtime (copy/export time).
//   - expSql and orig list identically (every field, updatedAt included).
//   - Intended differences of exp vs orig all come from data Codex keeps only in SQLite (our export
//     writes a thread_store_metadata.jsonl sidecar, which Codex ignores); see EXPECTED_* below.
//   - thread/read answers turns only from thread_history_1.sqlite (Codex's projection); without it
//     the turns are empty until `thread/resume` (no model call) loads the rollout. Archived threads
//     cannot be resumed, so without the projection they read with 0 turns. Resume needs the model
//     provider configured, hence config.toml (not thread data, not exported) is copied in.
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliTarget, runCli, type CliTarget } from '../cli/helpers.js';
import { codexView, findCodexBin, type CodexThread, type CodexView } from './codexAppServer.js';
import { codexThreads, SAMPLE_HOME } from './helpers.js';

const CODEX_BIN = findCodexBin();
const SKIP_REASON = 'Codex CLI not found: set CODEX_BIN or `npm install @openai/codex@0.169.0` in /tmp/codex-cli';
if (!CODEX_BIN) console.warn(`[codexCli.test] skipped: ${SKIP_REASON}`);

const TENANT = 'codex-cli-judge';

// Threads of the sample (see test/fixtures/codex-home-sample/README.md).
const EXEC_FORK = '01a20db4-1bf0-74e2-8805-133a0322438f';
const UNICODE_NAMED = '01a20db4-1e3b-7923-9f53-23837db4b2a5';
const APP_TOOLS = '01a20db4-23a9-7e93-8931-27af7e75631e';
const APP_REVERT = '01a20db4-2949-7ec3-a928-5a9d22637266';
const GIT_PATCHED = '01a20db4-2fd2-73b2-8469-9ee3a6083c36';
const ARCHIVED = '01a20db4-30c5-7a82-ac7f-9e2112f26290';
const ARCHIVED_NAMED = '01a20db4-31a3-7a31-bb3b-b5e538506885';
const FORK_NO_TURNS = '01a20db4-3587-7033-9eb6-86490c8fa6f7';
const SUB_AGENT = '01a20db4-4203-7432-a159-ee6a004b5fbb';

/** Threads whose list field differs between orig and exp (no SQLite), with the cause. */
const EXPECTED_FIELD_DIFFS: Record<string, string[]> = {
  // names live in SQLite; Codex 0.169 does not backfill them from session_index.jsonl
  name: [UNICODE_NAMED, ARCHIVED_NAMED, '01a20db4-33ae-7c91-ad18-775d8484d60c', '01a20db4-345f-7fb0-a51b-e7a28008df06', '01a20db4-35c3-78b1-8e26-6f958c55473e', '01a20db4-46fe-7092-afbf-74d7bbf8b11a'],
  // SQLite keeps the fork parent's first message / the pre-revert first message; the rebuilt index
  // takes the first user message of the thread's own (last) file
  preview: [EXEC_FORK, APP_REVERT, '01a20db4-33ae-7c91-ad18-775d8484d60c', '01a20db4-345f-7fb0-a51b-e7a28008df06', '01a20db4-35c3-78b1-8e26-6f958c55473e', '01a20db4-36cb-7d81-b566-ceb735e82d1b'],
  // git info set by a metadata update after the rollout was written: in SQLite only
  gitInfo: [APP_TOOLS, GIT_PATCHED],
};

interface Summary {
  id: string;
  archived: boolean;
  name: string | null;
  preview: string;
  forkedFromId: string | null;
  parentThreadId: string | null;
  modelProvider: string;
  model: string | null;
  createdAt: number;
  updatedAt: number;
  cwd: string;
  cliVersion: string;
  source: unknown;
  gitInfo: unknown;
  agentNickname: unknown;
  agentRole: unknown;
  turns: { id: string; status: string; items: string[] }[] | null;
}

function summarize(view: CodexView): Map<string, Summary> {
  const out = new Map<string, Summary>();
  const add = (t: CodexThread, archived: boolean) => {
    const read = view.read.get(t.id);
    out.set(t.id, {
      id: t.id,
      archived,
      name: t.name,
      preview: t.preview,
      forkedFromId: t.forkedFromId,
      parentThreadId: t.parentThreadId,
      modelProvider: t.modelProvider,
      model: t.model,
      createdAt: t.createdAt,
      updatedAt: t.updatedAt,
      cwd: t.cwd,
      cliVersion: t.cliVersion,
      source: t.source,
      gitInfo: t.gitInfo,
      agentNickname: t.agentNickname,
      agentRole: t.agentRole,
      turns: read ? read.turns.map((x) => ({ id: x.id, status: x.status, items: x.items.map((i) => i.type) })) : null,
    });
  };
  for (const t of view.active) add(t, false);
  for (const t of view.archived) add(t, true);
  return out;
}

type Field = keyof Summary;
const LIST_FIELDS: Field[] = ['archived', 'name', 'preview', 'forkedFromId', 'parentThreadId', 'modelProvider', 'model', 'createdAt', 'updatedAt', 'cwd', 'cliVersion', 'source', 'gitInfo', 'agentNickname', 'agentRole'];

/** `field → sorted ids` where a and b differ (ids in only one side under `missing`/`extra`). */
function differences(a: Map<string, Summary>, b: Map<string, Summary>, fields: Field[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const push = (k: string, id: string) => (out[k] ??= []).push(id);
  for (const id of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(id);
    const y = b.get(id);
    if (!y) push('missing', id);
    else if (!x) push('extra', id);
    else for (const f of fields) if (JSON.stringify(x[f]) !== JSON.stringify(y[f])) push(f, id);
  }
  return out;
}

/** Copies the sample's state_5.sqlite into `home`, pointing rollout_path at `home`'s files. */
function copyStateDb(home: string): void {
  const dest = join(home, 'state_5.sqlite');
  cpSync(join(SAMPLE_HOME, 'state_5.sqlite'), dest);
  const db = new Database(dest);
  try {
    const { rollout_path } = db.prepare('SELECT rollout_path FROM threads LIMIT 1').get() as { rollout_path: string };
    const oldHome = rollout_path.slice(0, rollout_path.search(/\/(archived_)?sessions\//));
    db.prepare('UPDATE threads SET rollout_path = ? || substr(rollout_path, ?)').run(home, oldHome.length + 1);
  } finally {
    db.close();
  }
}

let target: CliTarget;
let tmp: string;
let orig: Map<string, Summary>;
let origNoSql: Map<string, Summary>;
let exp: Map<string, Summary>;
let expSql: Map<string, Summary>;

describe.skipIf(!CODEX_BIN)(`the real Codex CLI reads our export like the original (${CODEX_BIN ?? SKIP_REASON})`, () => {
  beforeAll(async () => {
    const bin = CODEX_BIN!;
    tmp = mkdtempSync(join(tmpdir(), 'ts-codex-cli-'));
    target = await createCliTarget();
    const imported = await runCli(target, ['import', SAMPLE_HOME, '--tenant', TENANT, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    const exportDir = join(tmp, 'export');
    const exported = await runCli(target, ['export', '--tenant', TENANT, '--out', exportDir, '--json']);
    expect(exported.code, exported.stderr).toBe(0);

    const home = (name: string) => join(tmp, name);
    // orig: the sample, its SQLite pointing at the copy
    cpSync(SAMPLE_HOME, home('orig'), { recursive: true });
    copyStateDb(home('orig'));
    // origNoSql: the sample's rollouts, names and config, no SQLite
    cpSync(SAMPLE_HOME, home('origNoSql'), { recursive: true, filter: (src) => !src.endsWith('.sqlite') });
    // exp / expSql: our export (+ the run's config.toml so that Codex knows the providers)
    for (const name of ['exp', 'expSql']) {
      cpSync(exportDir, home(name), { recursive: true });
      cpSync(join(SAMPLE_HOME, 'config.toml'), join(home(name), 'config.toml'));
    }
    copyStateDb(home('expSql'));

    // With the projection (orig) thread/read has every turn; elsewhere resume builds it first.
    const [o, on, e, es] = await Promise.all([
      codexView(bin, home('orig'), false),
      codexView(bin, home('origNoSql')),
      codexView(bin, home('exp')),
      codexView(bin, home('expSql')),
    ]);
    for (const v of [o, on, e, es]) {
      // archived threads cannot be resumed; any other read failure is a finding
      expect([...v.readErrors.entries()].filter(([, m]) => !m.includes('is archived'))).toEqual([]);
    }
    orig = summarize(o);
    origNoSql = summarize(on);
    exp = summarize(e);
    expSql = summarize(es);
  }, 120_000);

  afterAll(async () => {
    await target?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the original: 25 threads (2 archived), the ids of state_5.sqlite, 105 turns', () => {
    expect(orig.size).toBe(25);
    expect([...orig.keys()].sort()).toEqual(codexThreads().map((t) => t.id));
    expect([...orig.values()].filter((t) => t.archived).map((t) => t.id).sort()).toEqual([ARCHIVED, ARCHIVED_NAMED]);
    expect([...orig.values()].reduce((n, t) => n + (t.turns?.length ?? 0), 0)).toBe(105);
    const statuses = [...orig.values()].flatMap((t) => t.turns!.map((x) => x.status));
    expect(statuses.filter((s) => s !== 'completed').sort()).toEqual(['failed', 'failed', 'interrupted']);
    // Codex 0.169 answers parentThreadId null for the sub-agent; the parent is in its source
    expect(orig.get(SUB_AGENT)!.source).toMatchObject({ subAgent: { thread_spawn: { parent_thread_id: '01a20db4-413e-7820-abef-902d136cb232' } } });
  });

  it('export without SQLite: Codex sees exactly what it sees in the original without SQLite', () => {
    // updatedAt is the rollout file's mtime when Codex rebuilds its index (copy time vs export time)
    expect(differences(origNoSql, exp, LIST_FIELDS.filter((f) => f !== 'updatedAt').concat('turns'))).toEqual({});
    expect(exp.size).toBe(24);
    expect([...exp.values()].reduce((n, t) => n + (t.turns?.length ?? 0), 0)).toBe(72);
  });

  it('export + the original state_5.sqlite: Codex lists it exactly like the original', () => {
    expect(differences(orig, expSql, LIST_FIELDS)).toEqual({});
  });

  it('export without SQLite vs the original: only the differences that come from SQLite-only data', () => {
    const diffs = differences(orig, exp, LIST_FIELDS.filter((f) => f !== 'updatedAt'));
    expect(diffs).toEqual({
      // a fork with no turn of its own: its 2-line file has no user message, so the rebuilt index
      // skips it (Codex lists it only from state_5.sqlite)
      missing: [FORK_NO_TURNS],
      ...Object.fromEntries(Object.entries(EXPECTED_FIELD_DIFFS).map(([k, v]) => [k, [...v].sort()])),
    });
  });

  it('turns: same ids and statuses as the original, except history Codex holds only in its projection', () => {
    const mismatched: string[] = [];
    for (const [id, t] of exp) {
      const want = orig.get(id)!.turns!;
      const got = t.turns ?? [];
      if (t.archived) {
        // archived threads are not resumable: no projection, no turns
        expect(got, id).toEqual([]);
        continue;
      }
      if (JSON.stringify(got) === JSON.stringify(want)) continue;
      // forks (and the post-revert segment) read only their own file's turns: the parent's turns
      // (history_base) come from thread_history_1.sqlite, which our export does not write
      expect(want.slice(want.length - got.length), id).toEqual(got);
      mismatched.push(id);
    }
    expect(mismatched.sort()).toEqual(
      [EXEC_FORK, APP_REVERT, '01a20db4-33ae-7c91-ad18-775d8484d60c', '01a20db4-345f-7fb0-a51b-e7a28008df06', '01a20db4-35c3-78b1-8e26-6f958c55473e', '01a20db4-36cb-7d81-b566-ceb735e82d1b'].sort(),
    );
  });
});
