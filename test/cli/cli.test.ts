// The `thread-store` CLI as a user runs it: subprocesses (stdout, stderr, exit code) for import,
// export, stats and the error paths; in-process runs for the list filters and paging.
import { mkdtemp, readFile, rm, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTenant } from '../../src/cli/commands/tenant.js';
import { tenantIdForName } from '../../src/tenancy/tenants.js';
import type { CliThread } from '../../src/cli/format/threadJson.js';
import { SAMPLE_HOME } from '../codex/helpers.js';
import { sampleFileFor } from '../helpers/sample.js';
import { createCliTarget, runCli, runCliProcess, type CliTarget } from './helpers.js';

let target: CliTarget;
let dir: string;

beforeAll(async () => {
  target = await createCliTarget();
  dir = await mkdtemp(join(tmpdir(), 'ts-cli-test-'));
}, 120_000);

afterAll(async () => {
  await target.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('thread-store as a subprocess', () => {
  it('imports the sample: summary on stdout, no progress when CI=true, exit 0', async () => {
    const r = await runCliProcess(target, ['import', SAMPLE_HOME, '--tenant', 'acme']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('threads: 25 (25 new, 0 updated, 0 unchanged, 0 conflicts, 0 failed)');
    expect(r.stdout).toContain('items:   912 (+18 kept from revert tails)');
  }, 60_000);

  it('a second import changes nothing', async () => {
    const r = await runCliProcess(target, ['import', SAMPLE_HOME, '--tenant', 'acme', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).threads).toMatchObject({ total: 25, unchanged: 25, imported: 0 });
  }, 60_000);

  it('stats reports the tenant totals from the analytics views as JSON', async () => {
    const r = await runCliProcess(target, ['stats', '--tenant', 'acme', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.overview).toMatchObject({ tenantId: resolveTenant('acme'), threads: 25, archivedThreads: 2, forks: 6, subagents: 1, items: 912, tokensUsed: 522954, compactions: 1 });
    expect(report.byModel).toContainEqual(expect.objectContaining({ modelProvider: 'mockA', model: 'mock-model-xl', threads: 1, tokensUsed: 23140 }));
    // Tokens per day come from token_count events on the day they were spent, so forked history is
    // not counted twice (the per-thread totals above do include it).
    expect(report.days).toEqual([expect.objectContaining({ day: '2026-11-24', threadsCreated: 25, items: 912, totalTokens: 463805, compactions: 1 })]);
  });

  it('lists the same threads by name and by UUID', async () => {
    const byName = await runCli(target, ['list', '--tenant', 'acme', '--json', '--limit', '100']);
    const byId = await runCli(target, ['list', '--tenant', resolveTenant('acme'), '--json', '--limit', '100']);
    expect(byId.stdout).toBe(byName.stdout);
    expect(JSON.parse(byName.stdout).data).toHaveLength(23);
  });
});

describe('list filters (Codex thread/list)', () => {
  const list = async (...args: string[]): Promise<{ data: CliThread[]; nextCursor: string | null }> => {
    const r = await runCli(target, ['list', '--tenant', 'acme', '--json', ...args]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('filters by archived, source, provider, cwd and search term', async () => {
    expect((await list('--archived')).data.map((t) => t.id).sort()).toEqual(['01a20db4-30c5-7a82-ac7f-9e2112f26290', '01a20db4-31a3-7a31-bb3b-b5e538506885']);
    expect((await list('--source', 'exec')).data).toHaveLength(3);
    expect((await list('--provider', 'mockB', '--limit', '100')).data.every((t) => t.modelProvider === 'mockB')).toBe(true);
    const cwd = '/home/ada/codex-sample/workspaces/alpha-service';
    expect((await list('--cwd', cwd, '--limit', '100')).data.every((t) => t.cwd === cwd)).toBe(true);
    expect((await list('--search', 'Unicode 🚀')).data).toHaveLength(3);
  });

  it('pages with --limit and --cursor under every sort key', async () => {
    for (const sort of ['created', 'updated', 'recency']) {
      const all = (await list('--sort', sort, '--limit', '100')).data.map((t) => t.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: CliThread[]; nextCursor: string | null } = await list('--sort', sort, '--limit', '7', ...(cursor ? ['--cursor', cursor] : []));
        seen.push(...page.data.map((t) => t.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all);
    }
  });

  it('prints a table by default and rejects a bad sort key with exit 1', async () => {
    const human = await runCli(target, ['list', '--tenant', 'acme', '--limit', '3']);
    expect(human.stdout.split('\n')[0]).toMatch(/^ID\s+CREATED\s+PROVIDER\s+MODEL\s+SOURCE\s+NAME \/ PREVIEW$/);
    expect(human.stdout).toContain('3 thread(s); next page: --cursor ');
    const bad = await runCli(target, ['list', '--tenant', 'acme', '--sort', 'size']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--sort must be created, updated or recency');
  });
});
