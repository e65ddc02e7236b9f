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

  it('stats reports the tenant totals as JSON', async () => {
    const r = await runCliProcess(target, ['stats', '--tenant', 'acme', '--json']);
    expect(r.code).toBe(0);
    const stats = JSON.parse(r.stdout);
    expect(stats).toMatchObject({ tenantId: resolveTenant('acme'), threads: 25, archived: 2, forks: 6, subagents: 1, items: 912, tokens: 522954 });
    expect(stats.byModel).toContainEqual({ modelProvider: 'mockA', model: 'mock-model-xl', threads: 1, tokens: 23140 });
    expect(stats.byDay).toEqual([{ day: '2026-11-24', threads: 25, tokens: 522954 }]);
  }, 60_000);

  it('exports the tenant as a CODEX_HOME', async () => {
    const out = join(dir, 'export');
    const r = await runCliProcess(target, ['export', '--tenant', 'acme', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('threads: 25, files: 26, lines: 930');
    expect(await readFile(join(out, 'session_index.jsonl'), 'utf8')).toContain('"thread_name":"fix timeout"');
  }, 60_000);

  it('names the file and line of each problem on stderr, and still imports the rest', async () => {
    const home = join(dir, 'damaged');
    const day = join(home, 'sessions', '2026', '11', '24');
    await mkdir(day, { recursive: true });
    const file = sampleFileFor('01a20db4-1043-78d3-8e6e-3373c24f660e');
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[2] = '{"broken';
    await writeFile(join(day, basename(file)), lines.join('\n'));
    await copyFile(sampleFileFor('01a20db4-3315-7403-8a1d-6ea797264461'), join(day, basename(sampleFileFor('01a20db4-3315-7403-8a1d-6ea797264461'))));
    const r = await runCliProcess(target, ['import', home, '--tenant', 'damaged']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${join(day, basename(file))}:3: skipped line: not valid JSON`);
    expect(r.stdout).toContain('threads: 2 (2 new');
    expect(r.stdout).toContain('skipped lines: 1');
  }, 60_000);

  it('exits 1 with a clear message for a folder that is not a CODEX_HOME', async () => {
    const r = await runCliProcess(target, ['import', dir, '--tenant', 'acme']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(dir);
    expect(r.stderr).toContain('not a CODEX_HOME');
  }, 60_000);

  it('exits 2 on a usage error', async () => {
    const r = await runCliProcess(target, ['import', SAMPLE_HOME]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("required option '--tenant <tenant>' not specified");
  }, 60_000);
});

describe('tenants', () => {
  it('maps a name to the fixed UUIDv5 the tenant registry uses, and keeps UUIDs as they are', () => {
    expect(resolveTenant('acme')).toBe(tenantIdForName('acme'));
    expect(resolveTenant('acme')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(resolveTenant('ACME')).not.toBe(resolveTenant('acme'));
    expect(resolveTenant('0A20DB4E-1043-48D3-8E6E-3373C24F660E')).toBe('0a20db4e-1043-48d3-8e6e-3373c24f660e');
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
