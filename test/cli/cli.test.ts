// The `thread-store` CLI as a user runs it: subprocesses (stdout, stderr, exit code) for import,
// export, stats and the error paths; in-process runs for the list filters and paging; one
// tenant-name rule for every command (issue 15, point 1).
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantIdForName } from '../../src/admin/tenants.js';
import type { CliThread } from '../../src/cli/format/threadJson.js';
import { SAMPLE_HOME } from '../codex/helpers.js';
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

  it('doctor: a migrated store is healthy (writer_processes holds no tenant data, so no row security), exit 0', async () => {
    const r = await runCliProcess(target, ['doctor', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ healthy: true, itemPartitions: 16, pendingMigrations: [] });
    expect(report.rowLevelSecurity.filter((t: { rls: boolean }) => !t.rls).map((t: { table: string }) => t.table)).toEqual(['writer_processes']);
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
    expect(report.overview).toMatchObject({ tenantId: tenantIdForName('acme'), threads: 25, archivedThreads: 2, forks: 6, subagents: 1, items: 912, tokensUsed: 522954, compactions: 1 });
    expect(report.byModel).toContainEqual(expect.objectContaining({ modelProvider: 'mockA', model: 'mock-model-xl', threads: 1, tokensUsed: 23140 }));
    // Tokens per day come from token_count events on the day they were spent, so forked history is
    // not counted twice (the per-thread totals above do include it).
    expect(report.days).toEqual([expect.objectContaining({ day: '2026-11-24', threadsCreated: 25, items: 912, totalTokens: 463805, compactions: 1 })]);
  });

  it('lists the same threads by name and by UUID', async () => {
    const byName = await runCli(target, ['list', '--tenant', 'acme', '--json', '--limit', '100']);
    const byId = await runCli(target, ['list', '--tenant', tenantIdForName('acme'), '--json', '--limit', '100']);
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

describe('one tenant-name rule for every command (issue 15.1)', () => {
  const json = async (args: string[]): Promise<{ code: number; value: unknown; stderr: string }> => {
    const r = await runCli(target, [...args, '--json']);
    return { code: r.code, value: r.stdout.trim() === '' ? null : JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr };
  };
  const usage = async (tenant: string) => (await json(['tenants', 'show', tenant])).value as { id: string; registered: boolean; threads: number; items: number; itemBytes: number };
  const listed = async (tenant: string) => ((await json(['list', '--tenant', tenant, '--limit', '100'])).value as { data: CliThread[] }).data.map((t) => t.id).sort();

  it('a name registered with its own id means that id in import, list, show, stats, export, tenants show and purge; its quota holds; purge leaves nothing', async () => {
    const id = randomUUID();
    const name = 'registered-co';
    expect((await runCli(target, ['tenants', 'create', name, '--id', id, '--max-threads', '2'])).code).toBe(0);

    const imported = await json(['import', SAMPLE_HOME, '--tenant', name]);
    expect(imported.code).toBe(1); // 23 threads over the quota
    const summary = imported.value as { tenantId: string; threads: Record<string, number>; problems: { reason: string }[] };
    expect(summary.tenantId).toBe(id);
    expect(summary.threads).toMatchObject({ imported: 2, failed: 23 });
    expect(summary.problems.some((p) => p.reason.includes('2 of its 2 allowed threads'))).toBe(true);

    // Everything landed under the registered id, nothing under the name's UUIDv5.
    expect(await usage(name)).toMatchObject({ id, registered: true, threads: 2 });
    expect(await usage(tenantIdForName(name))).toMatchObject({ registered: false, threads: 0 });
    const threads = await listed(name);
    expect(threads).toEqual(await listed(id));
    expect(threads).toEqual(await listed(id.toUpperCase())); // a tenant id in any case
    expect(await listed(tenantIdForName(name))).toEqual([]);
    const shown = await json(['show', threads[0]!.toUpperCase(), '--tenant', name]);
    expect(shown.code, shown.stderr).toBe(0);
    expect((shown.value as { thread: CliThread }).thread.id).toBe(threads[0]); // printed lower case, as Codex does
    expect(((await json(['stats', '--tenant', name])).value as { tenantId: string; overview: { threads: number } }).overview).toMatchObject({ tenantId: id, threads: 2 });
    const out = join(dir, 'registered-export');
    const exported = await json(['export', '--tenant', name, '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    expect((await readdir(out, { recursive: true })).filter((f) => String(f).endsWith('.jsonl') && String(f).includes('rollout-'))).toHaveLength(2);

    const purged = await json(['purge', name, '--yes']);
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.value).toMatchObject({ tenantId: id, complete: true, deleted: { threads: 2, tenants: 1 } });
    expect(await usage(id)).toMatchObject({ registered: false, threads: 0, items: 0, itemBytes: 0 });
    expect(await listed(name)).toEqual([]);
    expect(await listed(id)).toEqual([]);
  }, 120_000);

  it('an unregistered name means its UUIDv5 everywhere, purge included', async () => {
    const name = 'loose-co';
    const imported = await json(['import', SAMPLE_HOME, '--tenant', name]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.value).toMatchObject({ tenantId: tenantIdForName(name) });
    expect(await usage(name)).toMatchObject({ id: tenantIdForName(name), registered: false, threads: 25 });
    const purged = await json(['purge', name, '--yes']);
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.value).toMatchObject({ tenantId: tenantIdForName(name), complete: true, deleted: { threads: 25 } });
    expect(await usage(name)).toMatchObject({ threads: 0, items: 0 });
    expect(await listed(name)).toEqual([]);
  }, 120_000);

  it('a name whose default id belongs to another registered tenant is refused, not guessed', async () => {
    expect((await runCli(target, ['tenants', 'create', 'owner-co', '--id', tenantIdForName('squatted')])).code).toBe(0);
    for (const args of [['list', '--tenant', 'squatted'], ['import', SAMPLE_HOME, '--tenant', 'squatted'], ['purge', 'squatted', '--yes'], ['tenants', 'show', 'squatted']]) {
      const r = await runCli(target, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('belongs to tenant "owner-co"');
    }
  });

  it('threads stored under a name before it was registered with another id are pointed out', async () => {
    const name = 'later-co';
    expect((await runCli(target, ['import', SAMPLE_HOME, '--tenant', name])).code).toBe(0);
    expect((await runCli(target, ['tenants', 'create', name, '--id', randomUUID()])).code).toBe(0);
    const shown = await runCli(target, ['tenants', 'show', name]);
    expect(shown.code).toBe(0);
    expect(shown.stderr).toContain(`25 thread(s) are stored under ${tenantIdForName(name)}`);
  }, 120_000);
});
