// Builders and small actions shared by the contract specs.
import { expect } from 'vitest';
import { newUuidV7 } from '../../src/model/ids.js';
import type { CreateThreadParams } from '../../src/model/params.js';
import type { ThreadMetadataPatch } from '../../src/model/patch.js';
import type { RolloutLine, StoredRolloutLine } from '../../src/model/rolloutLine.js';
import type { StoredThread } from '../../src/model/thread.js';
import type { ThreadStore } from '../../src/store/ThreadStore.js';
import { deriveMetadataFromItems } from '../../src/history/metadataSync.js';
import { createParamsFromMeta, loadFixture } from './fixtures.js';

export const newId = (): string => newUuidV7();

export function createParams(threadId: string, overrides: Partial<CreateThreadParams> = {}): CreateThreadParams {
  return {
    threadId,
    source: 'cli',
    originator: 'codex_cli_rs',
    cliVersion: '0.169.0',
    metadata: { cwd: '/home/ada/project', modelProvider: 'openai' },
    ...overrides,
  };
}

// ---- rollout line builders (no timestamp: the store stamps it) --------------------------------

export const event = (type: string, extra: Record<string, unknown> = {}): RolloutLine => ({ type: 'event_msg', payload: { type, ...extra } });

export const message = (role: 'user' | 'assistant' | 'developer', text: string): RolloutLine => ({
  type: 'response_item',
  payload: { type: 'message', role, content: [{ type: role === 'assistant' ? 'output_text' : 'input_text', text }] },
});

/** A complete turn: task_started, user message, agent message, task_complete. */
export function turnLines(turnId: string, userText: string, agentText = `reply to ${userText}`): RolloutLine[] {
  return [
    event('task_started', { turn_id: turnId, model_context_window: 272000 }),
    message('user', userText),
    event('user_message', { message: userText, images: [] }),
    message('assistant', agentText),
    event('agent_message', { message: agentText }),
    event('task_complete', { turn_id: turnId, last_agent_message: agentText }),
  ];
}

/** JSON round trip: what a faithful store returns for `value`. */
export function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The line without its (store-stamped) timestamp. */
export function withoutTimestamp(line: StoredRolloutLine | RolloutLine): Omit<RolloutLine, 'timestamp'> {
  const { timestamp: _ts, ...rest } = line;
  return rest;
}

export const ms = (iso: string): number => Date.parse(iso);
export const iso = (value: number): string => new Date(value).toISOString();

// ---- errors -----------------------------------------------------------------------------------

/** Awaits `promise`, asserts it rejected with an instance of `type` (and `message` if given). */
export async function expectError<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  message?: string | RegExp,
): Promise<E> {
  let caught: unknown;
  let settled = false;
  try {
    await promise;
    settled = true;
  } catch (error) {
    caught = error;
  }
  expect(settled, `expected a ${type.name}, but the call succeeded`).toBe(false);
  expect(caught).toBeInstanceOf(type);
  if (message !== undefined) expect((caught as Error).message).toMatch(message);
  return caught as E;
}

// ---- actions ----------------------------------------------------------------------------------

export interface MakeThreadOptions {
  threadId?: string;
  create?: Partial<CreateThreadParams>;
  /** Lines to append (default: one complete turn). */
  lines?: RolloutLine[];
  /** Metadata patch applied with the lines (default: preview/title from the first user message). */
  patch?: ThreadMetadataPatch | null;
  /** Keep the live writer open (default: shut down). */
  keepLive?: boolean;
}

/** Create, append and shut down a thread; returns its id. Visible in active listings by default. */
export async function makeThread(store: ThreadStore, options: MakeThreadOptions = {}): Promise<string> {
  const threadId = options.threadId ?? newId();
  await store.createThread(createParams(threadId, options.create));
  const text = `hello from ${threadId}`;
  const lines = options.lines ?? turnLines(newId(), text);
  const patch = options.patch === undefined ? { preview: text, title: text, firstUserMessage: text } : options.patch;
  await store.appendItems({ threadId, items: lines }, patch ? { metadataPatch: patch } : undefined);
  if (!options.keepLive) await store.shutdownThread(threadId);
  return threadId;
}

/** A stored thread with only its session_meta, then the patch (preview defaults to a non-empty text). */
export async function makeThreadWithMetadata(store: ThreadStore, patch: ThreadMetadataPatch, create: Partial<CreateThreadParams> = {}): Promise<StoredThread> {
  const threadId = newId();
  await store.createThread(createParams(threadId, create));
  await store.persistThread(threadId);
  await store.shutdownThread(threadId);
  return store.updateThreadMetadata({ threadId, patch: { preview: `thread ${threadId}`, ...patch } });
}

export interface ImportFixtureOptions {
  /** Also apply the metadata LiveThread would derive from the lines (preview, title, model, ...). */
  deriveMetadata?: boolean;
  create?: Partial<CreateThreadParams>;
  keepLive?: boolean;
}

/** createThread + appendItems of a real rollout's lines after its first session_meta. */
export async function importFixture(store: ThreadStore, fixtureId: string, options: ImportFixtureOptions = {}): Promise<{ threadId: string; lines: RolloutLine[] }> {
  const rollout = loadFixture(fixtureId);
  const params = createParamsFromMeta(rollout.meta, options.create);
  await store.createThread(params);
  const patch = options.deriveMetadata ? deriveMetadataFromItems(params.threadId, rollout.lines) : undefined;
  await store.appendItems({ threadId: params.threadId, items: rollout.lines }, patch ? { metadataPatch: patch } : undefined);
  if (!options.keepLive) await store.shutdownThread(params.threadId);
  return { threadId: params.threadId, lines: rollout.lines };
}

/** Every page of listThreads, following nextCursor. */
export async function listAll(store: ThreadStore, params: Parameters<ThreadStore['listThreads']>[0] = {}): Promise<StoredThread[]> {
  const out: StoredThread[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 10_000; guard += 1) {
    const page = await store.listThreads({ ...params, cursor });
    out.push(...page.items);
    if (page.nextCursor === null) return out;
    cursor = page.nextCursor;
  }
  throw new Error('listThreads did not terminate');
}

export const ids = (threads: readonly { threadId: string }[]): string[] => threads.map((t) => t.threadId);
