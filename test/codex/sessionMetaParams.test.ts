// Issue 14 (3): the values Codex writes are values our API accepts. Every `session_meta` of both real
// samples (Codex 0.169 and 0.171) becomes the CreateThreadParams Codex built it from, goes through
// `createThread` + `persistThread` on both stores, and comes back: the written session_meta carries
// every field of the Codex-typed values as given (base_instructions with its `provenance`, source,
// git, context window, multi-agent version, …) and readThread reports the same facts.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LiveThread } from '../../src/live/LiveThread.js';
import type { CreateThreadParams } from '../../src/model/params.js';
import { InMemoryThreadStoreService } from '../../src/store/memory/index.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { useTestStore } from '../helpers/database.js';
import { rolloutFiles, SAMPLES } from './helpers.js';

type Meta = Record<string, unknown>;

/** The first line of every rollout file: each is a session_meta Codex wrote. */
function sessionMetas(home: string): { file: string; meta: Meta }[] {
  return rolloutFiles(home).map((file) => {
    const first = JSON.parse(readFileSync(file, 'utf8').split('\n', 1)[0]!) as { type: string; payload: Meta };
    expect(first.type, file).toBe('session_meta');
    return { file, meta: first.payload };
  });
}

const opt = <T>(value: T | undefined | null): T | undefined => (value === undefined || value === null ? undefined : value);

/** Codex's CreateThreadParams for a session_meta it wrote (the fields the recorder copies into it). */
function paramsOf(meta: Meta): CreateThreadParams {
  const params: CreateThreadParams = {
    threadId: meta.id as string,
    sessionId: meta.session_id as string,
    source: meta.source as CreateThreadParams['source'],
    originator: meta.originator as string,
    metadata: { cwd: meta.cwd as string, modelProvider: meta.model_provider as string, ...(meta.memory_mode === 'disabled' ? { memoryMode: 'disabled' as const } : {}) },
  };
  const set = <K extends keyof CreateThreadParams>(key: K, value: CreateThreadParams[K] | undefined) => {
    if (value !== undefined) params[key] = value;
  };
  set('forkedFromId', opt(meta.forked_from_id as string));
  set('parentThreadId', opt(meta.parent_thread_id as string));
  set('threadSource', opt(meta.thread_source as string));
  set('cliVersion', opt(meta.cli_version as string));
  set('baseInstructions', opt(meta.base_instructions as CreateThreadParams['baseInstructions']));
  set('dynamicTools', opt(meta.dynamic_tools as unknown[]));
  set('selectedCapabilityRoots', opt(meta.selected_capability_roots as unknown[]));
  set('multiAgentVersion', opt(meta.multi_agent_version as string));
  set('historyMode', opt(meta.history_mode as CreateThreadParams['historyMode']));
  set('initialWindowId', opt((meta.context_window as { window_id?: string } | undefined)?.window_id));
  set('agentNickname', opt(meta.agent_nickname as string));
  set('agentRole', opt(meta.agent_role as string));
  set('agentPath', opt(meta.agent_path as string));
  // The rollout's own git spelling (core GitInfo: commit_hash, branch, repository_url).
  set('gitInfo', opt(meta.git as CreateThreadParams['gitInfo']));
  return params;
}

/** session_meta keys a store writes from CreateThreadParams (the rest are the recorder's runtime facts). */
const PARAM_KEYS = [
  'id',
  'session_id',
  'forked_from_id',
  'parent_thread_id',
  'cwd',
  'originator',
  'cli_version',
  'source',
  'thread_source',
  'agent_nickname',
  'agent_role',
  'agent_path',
  'model_provider',
  'base_instructions',
  'dynamic_tools',
  'selected_capability_roots',
  'memory_mode',
  'history_mode',
  'multi_agent_version',
  'context_window',
  'git',
];

function pick(meta: Meta): Meta {
  return Object.fromEntries(PARAM_KEYS.filter((k) => meta[k] !== undefined && meta[k] !== null).map((k) => [k, meta[k]]));
}

async function roundTrip(store: ThreadStore, meta: Meta): Promise<void> {
  const params = paramsOf(meta);
  await store.createThread(params);
  await store.persistThread(params.threadId);
  await store.shutdownThread(params.threadId);
  const history = await store.loadHistory({ threadId: params.threadId, includeArchived: true });
  const written = history.items[0]!;
  expect(written.type).toBe('session_meta');
  expect(pick(written.payload as Meta)).toEqual(pick(meta));

  const thread = await store.readThread({ threadId: params.threadId, includeArchived: true });
  const git = meta.git as { commit_hash?: string; branch?: string; repository_url?: string } | undefined;
  expect({
    source: thread.source,
    threadSource: thread.threadSource,
    sessionId: thread.sessionId,
    forkedFromId: thread.forkedFromId,
    parentThreadId: thread.parentThreadId,
    agentNickname: thread.agentNickname,
    originator: thread.originator,
    cliVersion: thread.cliVersion,
    modelProvider: thread.modelProvider,
    cwd: thread.cwd,
    historyMode: thread.historyMode,
    gitInfo: thread.gitInfo,
  }).toEqual({
    source: meta.source,
    threadSource: meta.thread_source ?? null,
    sessionId: meta.session_id,
    forkedFromId: meta.forked_from_id ?? null,
    parentThreadId: meta.parent_thread_id ?? null,
    agentNickname: meta.agent_nickname ?? null,
    originator: meta.originator,
    cliVersion: meta.cli_version,
    modelProvider: meta.model_provider,
    cwd: meta.cwd,
    historyMode: meta.history_mode,
    gitInfo: git ? { sha: git.commit_hash ?? null, branch: git.branch ?? null, originUrl: git.repository_url ?? null } : null,
  });
}

const pgStore = useTestStore();

describe.each(SAMPLES)('every session_meta Codex $version wrote goes through createThread', ({ home }) => {
  const metas = sessionMetas(home);

  it('the sample has them: 26 files, each with provenance-carrying base instructions', () => {
    expect(metas).toHaveLength(26);
    for (const { file, meta } of metas) expect(Object.keys(meta.base_instructions as Meta).sort(), file).toEqual(['provenance', 'text']);
  });

  it('in memory: accepted, kept and returned', async () => {
    for (const { file, meta } of metas) {
      // A reverted thread's segment file repeats the thread id: one tenant per file.
      const store = new InMemoryThreadStoreService().forTenant(randomUUID());
      await roundTrip(store, meta).catch((error: Error) => {
        throw new Error(`${file}: ${error.message}`);
      });
    }
  });

  it('in PostgreSQL: accepted, kept and returned', async () => {
    for (const { file, meta } of metas) {
      const store = pgStore.service.forTenant(randomUUID());
      await roundTrip(store, meta).catch((error: Error) => {
        throw new Error(`${file}: ${error.message}`);
      });
    }
  }, 120_000);
});

describe('LiveThread.create with a session_meta of Codex', () => {
  it('accepts it and the stored thread keeps its git info and base instructions', async () => {
    const file = rolloutFiles(SAMPLES[1]!.home).find((f) => f.includes('01a23aa9-4049-76b2-b1b1-74748c3dc331'))!;
    const [first, ...rest] = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { type: string; payload: Meta });
    const meta = first!.payload;
    const store = new InMemoryThreadStoreService().forTenant(randomUUID());
    const live = await LiveThread.create(store, paramsOf(meta));
    await live.append(rest.slice(0, 12) as never);
    await live.shutdown();
    const thread = await store.readThread({ threadId: meta.id as string });
    const git = meta.git as { commit_hash: string; branch: string; repository_url: string };
    expect(thread.gitInfo).toEqual({ sha: git.commit_hash, branch: git.branch, originUrl: git.repository_url });
    const history = await store.loadHistory({ threadId: meta.id as string });
    expect((history.items[0]!.payload as Meta).base_instructions).toEqual(meta.base_instructions);
  });
});

describe('git info in both of Codex spellings', () => {
  it('refuses a field given twice with different values, naming it', async () => {
    const store = new InMemoryThreadStoreService().forTenant(randomUUID());
    const error = await store
      .createThread({ threadId: '01a20db4-0000-7000-8000-000000000001', source: 'cli', originator: 'x', gitInfo: { sha: 'a', commit_hash: 'b' }, metadata: { modelProvider: 'p' } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'InvalidRequest' });
    expect(String((error as Error).message)).toContain('commit_hash');
  });
});
