// The real Codex CLI as the judge of our export (issues 7 and 14), with Codex 0.169 and 0.171. Each
// sample is imported and exported by our CLI; then `codex app-server` (JSON-RPC over stdio, no
// network, no model) is asked about the ORIGINAL — the sample as its user has it, with its SQLite
// files — and about OUR EXPORT (with the SQLite files the export writes): thread/list (active and
// archived, every provider and source kind) and thread/read with turns of every thread, once plainly
// and once after thread/resume of each thread. Everything Codex answers must be identical apart
// from file paths (compared relative to each home) and the runtime-only fields (status,
// environments, canAcceptDirectInput). Both samples with both CLIs: 0.171 migrates the files Codex
// 0.169 wrote, and ours, from schema 62/8 to 64/9; 0.169 reads files a newer Codex migrated.
//
// Each Codex version runs only when installed outside the project (see codexAppServer.ts):
//   npm install --prefix /tmp/codex-0169 --no-save @openai/codex@0.169.0
//   npm install --prefix /tmp/codex-0171 --no-save @openai/codex@0.171.0
// or CODEX_BIN_0169 / CODEX_BIN_0171 pointing at the binaries. .ci/run installs both.
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliTarget, runCli, type CliTarget } from '../cli/helpers.js';
import { answersOf, copyHome, recordedAnswers, type CodexAnswers } from './codexAnswers.js';
import { codexBinVersion, codexView, findCodexBin, type CodexVersion } from './codexAppServer.js';
import { SAMPLES, type Sample } from './helpers.js';

interface Pair {
  codex: CodexVersion;
  sample: Sample;
  bin: string | null;
}

const PAIRS: Pair[] = (
  [
    ['0.169', SAMPLES[0]!],
    ['0.171', SAMPLES[0]!],
    ['0.169', SAMPLES[1]!],
    ['0.171', SAMPLES[1]!],
  ] as const
).map(([codex, sample]) => ({ codex, sample, bin: findCodexBin(codex) }));

for (const p of PAIRS) if (!p.bin) console.warn(`[codexCli.test] Codex ${p.codex} not installed: its judge runs are skipped (see the header of this file)`);

/** Where two Codex answers differ: `list.active[3].preview`, `read.<id>.turns[2].items[0].text`, … */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [`${path} (length ${a.length} vs ${b.length})`];
    return a.flatMap((v, i) => differences(v, b[i], `${path}[${i}]`));
  }
  if (isObj(a) && isObj(b) && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => differences(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return [`${path}: ${JSON.stringify(a)?.slice(0, 120)} vs ${JSON.stringify(b)?.slice(0, 120)}`];
}

function migrationVersion(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT max(version) AS v FROM _sqlx_migrations').get() as { v: number }).v;
  } finally {
    db.close();
  }
}

let target: CliTarget | undefined;
const tmp = mkdtempSync(join(tmpdir(), 'ts-codex-judge-'));

afterAll(async () => {
  await target?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe.each(PAIRS)('Codex $codex reads our export of the $sample.version sample exactly like the original', (pair) => {
  const { sample } = pair;
  const dir = join(tmp, `${sample.version}-codex-${pair.codex}`);
  const home = (name: string) => join(dir, name);
  let orig: CodexAnswers;
  let exp: CodexAnswers;
  let origResumed: CodexAnswers;
  let expResumed: CodexAnswers;

  beforeAll(async () => {
    const bin = pair.bin;
    if (!bin) return;
    target ??= await createCliTarget();
    const tenant = `codex-judge-${sample.version}-${pair.codex}`;
    const imported = await runCli(target, ['import', sample.home, '--tenant', tenant, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    // Exported where Codex will read it: state_5.sqlite names the files by absolute path.
    const exported = await runCli(target, ['export', '--tenant', tenant, '--out', home('exp'), '--json']);
    expect(exported.code, exported.stderr).toBe(0);
    // The CLI's config (providers) is not thread data and not exported: the user keeps theirs.
    cpSync(join(sample.home, 'config.toml'), join(home('exp'), 'config.toml'));
    copyHome(sample.home, home('orig'));
    // thread/resume writes into the home: separate copies for the resumed views.
    copyHome(sample.home, home('origResumed'));
    copyHome(home('exp'), home('expResumed'));

    const version = codexBinVersion(bin) ?? pair.codex;
    const ask = async (name: string, resume: boolean) => answersOf(await codexView(bin, home(name), resume), home(name), version);
    [orig, exp] = await Promise.all([ask('orig', false), ask('exp', false)]);
    [origResumed, expResumed] = await Promise.all([ask('origResumed', true), ask('expResumed', true)]);
  }, 300_000);

  it.skipIf(!pair.bin)('the original: 25 threads (2 archived), 105 turns, every thread readable', () => {
    expect(orig.list.active).toHaveLength(23);
    expect(orig.list.archived).toHaveLength(2);
    expect(Object.values(orig.read).reduce((n, t) => n + (t.turns as unknown[]).length, 0)).toBe(105);
    expect(orig.readErrors).toEqual({});
  });

  it.skipIf(!pair.bin)('the export: zero differences from the original (list, read with turns and items)', () => {
    expect(differences(orig, exp)).toEqual([]);
  });

  it.skipIf(!pair.bin)('after thread/resume of every thread: zero differences, the archived two refused alike', () => {
    expect(Object.keys(origResumed.readErrors)).toHaveLength(2);
    expect(Object.values(origResumed.read).reduce((n, t) => n + (t.turns as unknown[]).length, 0)).toBeGreaterThan(90);
    expect(differences(origResumed, expResumed)).toEqual([]);
  });

  it.skipIf(!pair.bin)(`Codex ${pair.codex} opened the export's SQLite files (schema 62/8) and migrated them to its own`, () => {
    const [state, history] = pair.codex === '0.169' ? [62, 8] : [64, 9];
    expect(migrationVersion(join(home('exp'), 'state_5.sqlite'))).toBe(state);
    expect(migrationVersion(join(home('exp'), 'thread_history_1.sqlite'))).toBe(history);
  });

  it.skipIf(!pair.bin || pair.codex !== sample.version)("test/fixtures/codex-answers (what list/show are compared with) are still this Codex's answers", () => {
    const { codex: recordedBy, ...recorded } = recordedAnswers(sample.version);
    const { codex: answeredBy, ...live } = orig;
    expect(answeredBy).toBe(recordedBy);
    expect(differences(recorded, live)).toEqual([]);
  });
});
