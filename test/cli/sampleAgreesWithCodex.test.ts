// Importing the real Codex 0.169 sample, then asking our CLI: `list --json` agrees with Codex's own
// index (state_5.sqlite) on every thread Codex has, and `show --json` reports the turns and statuses
// Codex projected (thread_history_1.sqlite), fork history included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codexThreads, codexTurnStatuses, SAMPLE_HOME, type CodexThreadRow } from '../codex/helpers.js';
import { createCliTarget, runCli, type CliTarget } from './helpers.js';
import type { CliThread, CliTurn } from '../../src/cli/format/threadJson.js';
import { sampleRolloutFiles, readLines } from '../helpers/sample.js';

const TENANT = 'sample-agreement';
let target: CliTarget;
let threads: CliThread[];

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** forked_from_id of each thread as its first rollout line says (what Codex reads). */
function forkParents(): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const file of sampleRolloutFiles()) {
    const meta = readLines(file)[0]!.payload as { id: string; forked_from_id?: string };
    if (!out.has(meta.id) || !file.includes('_')) out.set(meta.id, meta.forked_from_id ?? null);
  }
  return out;
}

beforeAll(async () => {
  target = await createCliTarget();
  const imported = await runCli(target, ['import', SAMPLE_HOME, '--tenant', TENANT, '--json']);
  expect(imported.code, imported.stderr).toBe(0);
  const active = await runCli(target, ['list', '--tenant', TENANT, '--limit', '1000', '--json']);
  const archived = await runCli(target, ['list', '--tenant', TENANT, '--limit', '1000', '--archived', '--json']);
  expect(active.code).toBe(0);
  expect(archived.code).toBe(0);
  threads = [...(JSON.parse(active.stdout).data as CliThread[]), ...(JSON.parse(archived.stdout).data as CliThread[])];
}, 180_000);

afterAll(async () => {
  await target.cleanup();
});

describe('list --json after importing the sample', () => {
  it('has exactly the threads Codex has (25: forks, the reverted thread once, the sub-agent)', () => {
    const codex = codexThreads();
    expect(codex).toHaveLength(25);
    expect(threads.map((t) => t.id).sort()).toEqual(codex.map((t) => t.id).sort());
  });

  it('agrees with Codex on every field Codex shows', () => {
    const parents = forkParents();
    const byId = new Map(threads.map((t) => [t.id, t]));
    const mismatches: string[] = [];
    const check = (row: CodexThreadRow, field: string, ours: unknown, codex: unknown) => {
      if (JSON.stringify(ours) !== JSON.stringify(codex)) mismatches.push(`${row.id} ${field}: ours ${JSON.stringify(ours)} codex ${JSON.stringify(codex)}`);
    };
    for (const row of codexThreads()) {
      const t = byId.get(row.id)!;
      check(row, 'name', t.name, row.name);
      check(row, 'preview', t.preview, row.preview);
      check(row, 'title', t.title, row.title);
      check(row, 'archived', t.archived, row.archived === 1);
      check(row, 'cwd', t.cwd, row.cwd);
      check(row, 'modelProvider', t.modelProvider, row.model_provider);
      check(row, 'model', t.model, row.model);
      // Sources compare as JSON values: the store keeps object sources with sorted keys.
      check(row, 'source', canonical(t.source), canonical(row.source.startsWith('{') ? JSON.parse(row.source) : row.source));
      check(row, 'createdAt', t.createdAt, Math.floor(row.created_at_ms / 1000));
      check(row, 'updatedAt', t.updatedAt, Math.floor(row.updated_at_ms / 1000));
      const git = row.git_sha === null && row.git_branch === null && row.git_origin_url === null ? null : { sha: row.git_sha, branch: row.git_branch, originUrl: row.git_origin_url };
      check(row, 'gitInfo', t.gitInfo, git);
      check(row, 'forkedFromId', t.forkedFromId, parents.get(row.id) ?? null);
      check(row, 'tokensUsed', t.tokensUsed, row.tokens_used);
    }
    expect(mismatches).toEqual([]);
  });

  it('shows the fork lineage the sample README describes', () => {
    const byId = new Map(threads.map((t) => [t.id, t]));
    expect(byId.get('01a20db4-1bf0-74e2-8805-133a0322438f')!.forkedFromId).toBe('01a20db4-1338-7183-9666-e400261da2ff');
    expect(byId.get('01a20db4-35c3-78b1-8e26-6f958c55473e')!.forkedFromId).toBe('01a20db4-33ae-7c91-ad18-775d8484d60c');
    // fork-of-reverted: history_base names the segment, the parent is the thread.
    expect(byId.get('01a20db4-36cb-7d81-b566-ceb735e82d1b')!.forkedFromId).toBe('01a20db4-2949-7ec3-a928-5a9d22637266');
    const child = byId.get('01a20db4-4203-7432-a159-ee6a004b5fbb')!;
    expect(child.parentThreadId).toBe('01a20db4-413e-7820-abef-902d136cb232');
    expect(child.agentNickname).toBe('Popper');
  });
});

describe('show --json after importing the sample', () => {
  it("reports every turn with Codex's status, 105 turns in all (forks include their base's turns)", async () => {
    const codexTurns = codexTurnStatuses();
    let total = 0;
    const mismatches: string[] = [];
    for (const t of threads) {
      const shown = await runCli(target, ['show', t.id, '--tenant', TENANT, '--json']);
      expect(shown.code, shown.stderr).toBe(0);
      const turns = JSON.parse(shown.stdout).turns as CliTurn[];
      total += turns.length;
      for (const turn of turns) {
        const codex = codexTurns.get(turn.id);
        if (!codex) mismatches.push(`${t.id} ${turn.id}: not in thread_turns`);
        else if (codex.status !== turn.status) mismatches.push(`${t.id} ${turn.id}: ours ${turn.status} codex ${codex.status}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(total).toBe(105);
  }, 180_000);

  it('tells completed, interrupted and failed turns apart (app-interrupt-fail)', async () => {
    const shown = await runCli(target, ['show', '01a20db4-3795-76a1-8e72-4698a8cc7847', '--tenant', TENANT, '--json']);
    const turns = JSON.parse(shown.stdout).turns as CliTurn[];
    expect(turns.map((t) => t.status)).toEqual(['completed', 'interrupted', 'failed', 'failed', 'completed', 'completed', 'completed']);
    expect(turns[2]!.error?.message).toBeTruthy();
  });

  it('shows the reverted thread with its surviving turns only (2 before the revert + 2 after)', async () => {
    const shown = await runCli(target, ['show', '01a20db4-2949-7ec3-a928-5a9d22637266', '--tenant', TENANT, '--json']);
    const turns = JSON.parse(shown.stdout).turns as CliTurn[];
    const codexTurns = codexTurnStatuses();
    expect(turns.map((t) => codexTurns.get(t.id)!.threadId)).toEqual([
      '01a20db4-2949-7ec3-a928-5a9d22637266',
      '01a20db4-2949-7ec3-a928-5a9d22637266',
      '01a20db4-2ee8-7552-8b29-89967ab0b030',
      '01a20db4-2ee8-7552-8b29-89967ab0b030',
    ]);
  });

  it('prints a human view by default', async () => {
    const shown = await runCli(target, ['show', '01a20db4-3795-76a1-8e72-4698a8cc7847', '--tenant', TENANT]);
    expect(shown.stdout).toContain('interrupted');
    expect(shown.stdout).toContain('7 turn(s)');
  });
});
