// We answer as Codex answers (issue 14, point 2). Each real sample (Codex 0.169 and 0.171) is
// imported; then our `list --json` (active and archived) must equal what Codex's thread/list answers
// on the same CODEX_HOME, and our `show --json` what Codex's thread/read (with turns and items)
// answers — every field of Codex's Thread, Turn and ThreadItem, in Codex's order, except the
// runtime-only ones (status, environments, canAcceptDirectInput) and `path`, which Codex gives
// absolute and we relative to the imported home. Codex's answers are the recorded ones in
// test/fixtures/codex-answers/ (codexAnswers.ts); the Codex judge re-checks them against the live CLI.
// Our own extra fields (archived, title, tokensUsed, …) are checked against Codex's state_5.sqlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliThread } from '../../src/cli/format/threadJson.js';
import { comparableThread, recordedAnswers, type CodexAnswers } from '../codex/codexAnswers.js';
import { codexThreads, SAMPLES } from '../codex/helpers.js';
import { createCliTarget, runCli, type CliTarget } from './helpers.js';

const OURS = ['archived', 'archivedAt', 'title', 'tokensUsed', 'itemCount'] as const;

function codexPart(thread: CliThread): Record<string, unknown> {
  const out: Record<string, unknown> = { ...thread };
  for (const key of OURS) delete out[key];
  return comparableThread(out, null);
}

let target: CliTarget;

beforeAll(async () => {
  target = await createCliTarget();
}, 60_000);

afterAll(async () => {
  await target.cleanup();
});

describe.each(SAMPLES)('after importing the Codex $version sample', ({ version, home }) => {
  const tenant = `sample-agreement-${version}`;
  let codex: CodexAnswers;
  let active: CliThread[];
  let archived: CliThread[];
  const shown = new Map<string, CliThread>();

  beforeAll(async () => {
    codex = recordedAnswers(version);
    const imported = await runCli(target, ['import', home, '--tenant', tenant, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    const list = async (...args: string[]) => {
      const r = await runCli(target, ['list', '--tenant', tenant, '--limit', '1000', '--json', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).data as CliThread[];
    };
    active = await list();
    archived = await list('--archived');
    for (const t of [...active, ...archived]) {
      const r = await runCli(target, ['show', t.id, '--tenant', tenant, '--json']);
      expect(r.code, r.stderr).toBe(0);
      shown.set(t.id, JSON.parse(r.stdout).thread as CliThread);
    }
  }, 180_000);

  it(`recorded answers are Codex ${version}'s: 25 threads (2 archived), 105 turns`, () => {
    expect(codex.codex).toBe(version);
    expect(codex.list.active).toHaveLength(23);
    expect(codex.list.archived).toHaveLength(2);
    expect(Object.values(codex.read).reduce((n, t) => n + (t.turns as unknown[]).length, 0)).toBe(105);
  });

  it('list --json answers exactly what thread/list answers, in the same order', () => {
    expect(active.map(codexPart)).toEqual(codex.list.active);
    expect(archived.map(codexPart)).toEqual(codex.list.archived);
  });

  it('show --json answers exactly what thread/read answers: thread, turns, items', () => {
    expect(shown.size).toBe(25);
    for (const [id, thread] of shown) expect(codexPart(thread), id).toEqual(codex.read[id]);
  });

  it('the facts Codex answers differently in list and read are where Codex puts them', () => {
    // Known differences of the store's values from Codex's (issue 14): fork lineage only in read,
    // a sub-agent's own id as sessionId and `subAgent` as its source key, failed turns' error details.
    const sub = shown.get([...shown.keys()].find((id) => (shown.get(id)!.source as Record<string, unknown>)?.subAgent !== undefined)!)!;
    expect(sub.sessionId).toBe(sub.id);
    expect(sub.parentThreadId).not.toBeNull();
    expect(active.find((t) => t.id === sub.id)!.parentThreadId).toBeNull();
    expect(active.filter((t) => t.forkedFromId !== null)).toEqual([]);
    expect([...shown.values()].filter((t) => t.forkedFromId !== null)).toHaveLength(6);
    const failed = [...shown.values()].flatMap((t) => t.turns).filter((t) => t.status === 'failed');
    expect(failed.map((t) => t.error?.codexErrorInfo).sort()).toEqual(['internalServerError', 'other']);
  });

  it("our own fields agree with Codex's state_5.sqlite (archived, title, tokens)", () => {
    const byId = new Map([...active, ...archived].map((t) => [t.id, t]));
    for (const row of codexThreads(home)) {
      const t = byId.get(row.id)!;
      expect({ archived: t.archived, title: t.title, tokensUsed: t.tokensUsed }, row.id).toEqual({ archived: row.archived === 1, title: row.title, tokensUsed: row.tokens_used });
    }
  });

  it('prints a human view by default', async () => {
    const failing = [...shown.values()].find((t) => t.turns.some((x) => x.status === 'interrupted'))!;
    const r = await runCli(target, ['show', failing.id, '--tenant', tenant]);
    expect(r.stdout).toContain('interrupted');
    expect(r.stdout).toContain(`${failing.turns.length} turn(s)`);
  });
});
