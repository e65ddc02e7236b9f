// Folds every thread's own rollout(s) from the real Codex 0.169 sample through
// deriveMetadataFromItems and compares the result with the `threads` row Codex wrote to
// state_5.sqlite. Fields that legitimately differ are asserted explicitly, with the reason:
//
// * preview of forks — Codex 0.169 forks do not copy history (session_meta.history_base points at the
//   source), and Codex sets a fork's preview to the first user message of the whole lineage (the
//   root thread's), while title / first_user_message are the fork's own. A fold of the fork's own
//   file only sees its own messages (or none, for fork-no-turns), so its preview is the own first
//   message. Resolving the lineage is the importer's job (it can read the base thread).
// * created_at in milliseconds — for live threads Codex writes created_at from the create call
//   (`ThreadMetadataSync::for_create` takes `Utc::now()`), a few ms *before* the session_meta line is
//   stamped; the fold reads session_meta.timestamp. Same second everywhere (checked), ms differ by
//   0–31 ms (asserted to be 0 ≤ Δ < 1 s). The reverted thread matches exactly: its segment's
//   session_meta was re-observed.
// * git of app-tools (branch) and app-git-patched (sha, branch, origin) — set later through
//   update_thread_metadata, which writes SQLite only, never the rollout.
// * name — comes from session_index.jsonl (explicit renames), never from the rollout; asserted
//   against the index's last entry per id.
import { describe, expect, it } from 'vitest';
import { asRecord } from '../../../src/model/rolloutLine.js';
import { deriveMetadataFromItems, enumToString } from '../../../src/history/metadataSync.js';
import type { ThreadMetadataPatch } from '../../../src/model/patch.js';
import { loadNameIndex, loadRolloutFiles, loadSqliteThreads, threadHistory, type SqliteThreadRow } from './codexHomeSample.js';

const APP_TOOLS = '01a20db4-23a9-7e93-8931-27af7e75631e';
const APP_GIT_PATCHED = '01a20db4-2fd2-73b2-8469-9ee3a6083c36';
const FORKS = [
  '01a20db4-1bf0-74e2-8805-133a0322438f', // exec-fork
  '01a20db4-33ae-7c91-ad18-775d8484d60c', // fork-full
  '01a20db4-345f-7fb0-a51b-e7a28008df06', // fork-last-turn
  '01a20db4-3587-7033-9eb6-86490c8fa6f7', // fork-no-turns
  '01a20db4-35c3-78b1-8e26-6f958c55473e', // fork-of-fork
  '01a20db4-36cb-7d81-b566-ceb735e82d1b', // fork-of-reverted
];

const files = loadRolloutFiles();
const rows = loadSqliteThreads();
const rowById = new Map(rows.map((r) => [r.id, r]));
const names = loadNameIndex();

interface Derived {
  patch: ThreadMetadataPatch;
  forkedFromId: string | undefined;
}

const derived = new Map<string, Derived>(
  rows.map((row) => {
    const lines = threadHistory(files, row.id);
    const ownMeta = asRecord(lines.find((l) => l.type === 'session_meta' && asRecord(l.payload)?.id === row.id)?.payload);
    const forkedFromId = typeof ownMeta?.forked_from_id === 'string' ? ownMeta.forked_from_id : undefined;
    return [row.id, { patch: deriveMetadataFromItems(row.id, lines), forkedFromId }];
  }),
);

/** First user message of the lineage root (follow forked_from_id to a thread that is not a fork). */
function lineageRootFirstMessage(id: string): string {
  let current = id;
  for (let hops = 0; hops < 10; hops += 1) {
    const parent = derived.get(current)?.forkedFromId;
    if (parent === undefined) break;
    current = parent;
  }
  return rowById.get(current)?.first_user_message ?? '';
}

const cases = rows.map((row) => [row.id, row] as const);

describe('fixture: state_5.sqlite vs deriveMetadataFromItems (Codex 0.169 sample)', () => {
  it('has the 25 materialized threads, each with its rollout', () => {
    expect(rows).toHaveLength(25);
    for (const row of rows) expect(files.some((f) => f.threadId === row.id), row.id).toBe(true);
    // app-empty never materialized: no file, no row
    expect(rowById.has('01a20db4-439b-7c20-a126-44203958da89')).toBe(false);
    expect(files.some((f) => f.threadId === '01a20db4-439b-7c20-a126-44203958da89')).toBe(false);
  });

  it.each(cases)('%s: title, first_user_message, model, effort, cwd, provider, tokens, source, agent fields, thread_source, cli_version, approval_mode, memory_mode match', (id, row: SqliteThreadRow) => {
    const p = derived.get(id)!.patch;
    expect({
      title: p.title ?? '',
      first_user_message: p.firstUserMessage ?? '',
      model: p.model ?? null,
      reasoning_effort: p.reasoningEffort ?? null,
      cwd: p.cwd,
      model_provider: p.modelProvider,
      tokens_used: Math.max(0, p.tokenUsage?.total_tokens ?? 0),
      source: p.source === undefined ? undefined : enumToString(p.source),
      agent_nickname: p.agentNickname,
      agent_role: p.agentRole,
      agent_path: p.agentPath,
      thread_source: p.threadSource,
      cli_version: p.cliVersion,
      approval_mode: p.approvalMode,
      memory_mode: p.memoryMode ?? 'enabled',
    }).toEqual({
      title: row.title,
      first_user_message: row.first_user_message,
      model: row.model,
      reasoning_effort: row.reasoning_effort,
      cwd: row.cwd,
      model_provider: row.model_provider,
      tokens_used: row.tokens_used,
      source: row.source,
      agent_nickname: row.agent_nickname,
      agent_role: row.agent_role,
      agent_path: row.agent_path,
      thread_source: row.thread_source,
      cli_version: row.cli_version,
      approval_mode: row.approval_mode,
      memory_mode: row.memory_mode,
    });
  });

  it.each(cases)('%s: created_at matches in seconds (ms may lead by < 1 s, see header)', (id, row: SqliteThreadRow) => {
    const createdMs = Date.parse(derived.get(id)!.patch.createdAt!);
    expect(Math.floor(createdMs / 1000)).toBe(row.created_at);
    expect(createdMs - row.created_at_ms).toBeGreaterThanOrEqual(0);
    expect(createdMs - row.created_at_ms).toBeLessThan(1000);
  });

  it.each(cases)('%s: preview — own first message, or for forks the lineage root\'s (asserted explicitly)', (id, row: SqliteThreadRow) => {
    const { patch, forkedFromId } = derived.get(id)!;
    if (FORKS.includes(id)) {
      expect(forkedFromId).toBeDefined();
      // Codex: the first user message of the whole lineage.
      expect(row.preview).toBe(lineageRootFirstMessage(id));
      // Ours (own file only): the fork's own first message, none for fork-no-turns.
      expect(patch.preview ?? '').toBe(row.first_user_message);
      expect(patch.preview ?? '').not.toBe(row.preview);
    } else {
      expect(forkedFromId).toBeUndefined();
      expect(patch.preview ?? '').toBe(row.preview);
    }
  });

  it.each(cases)('%s: git — from session_meta, except threads patched later through a metadata update', (id, row: SqliteThreadRow) => {
    const g = derived.get(id)!.patch.gitInfo;
    const ours = [g?.sha ?? null, g?.branch ?? null, g?.originUrl ?? null];
    const theirs = [row.git_sha, row.git_branch, row.git_origin_url];
    if (id === APP_TOOLS) {
      // branch set through update_thread_metadata after the turns; sha/origin are the rollout's
      expect(ours).toEqual([row.git_sha, 'main', row.git_origin_url]);
      expect(row.git_branch).toBe('feature/sparkle-✨');
    } else if (id === APP_GIT_PATCHED) {
      // cwd outside git: the rollout has no git at all; all three set by a metadata update
      expect(g).toBeUndefined();
      expect(theirs).toEqual(['f00dfacecafebeef0123456789abcdef01234567', 'release/2024.06', 'git@github.com:example-org/gamma-data.git']);
    } else {
      expect(ours).toEqual(theirs);
    }
  });

  it.each(cases)('%s: name is not derived from the rollout; SQLite has the session_index name', (id, row: SqliteThreadRow) => {
    expect(derived.get(id)!.patch.name).toBeUndefined();
    expect(row.name).toBe(names.get(id) ?? null);
  });

  it('covers the interesting scenarios', () => {
    const modelSwitch = derived.get('01a20db4-3c77-7052-ac73-f2f2bbe490cd')!.patch;
    // per-turn model/effort override and a thread_settings_applied cwd move (alpha-service → gamma-data)
    expect(modelSwitch).toMatchObject({ model: 'mock-model-xl', reasoningEffort: 'high', cwd: '/home/ada/codex-sample/workspaces/gamma-data' });
    const subagent = derived.get('01a20db4-4203-7432-a159-ee6a004b5fbb')!.patch;
    expect(subagent).toMatchObject({ agentNickname: 'Popper', threadSource: 'subagent' });
    const images = derived.get('01a20db4-3795-76a1-8e72-4698a8cc7847')!.patch;
    expect(images.firstUserMessage).toBe('why does "parser" return null when benchmark is empty');
    const reverted = derived.get('01a20db4-2949-7ec3-a928-5a9d22637266')!.patch;
    expect(Date.parse(reverted.createdAt!)).toBe(rowById.get('01a20db4-2949-7ec3-a928-5a9d22637266')!.created_at_ms);
    // ~200 KB first message: title/preview hold all of it
    const large = rowById.get('01a20db4-2011-7992-a2f3-beeb56a74052')!;
    expect(large.title.length).toBeGreaterThan(200_000);
    expect(derived.get(large.id)!.patch.title).toBe(large.title);
  });
});
