// Test helper: builders for rollout lines and response items in the shapes Codex writes, and a
// loader for the fixture rollouts (split on `\n` only: real lines contain raw U+2028/U+2029).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RolloutLine } from '../../../src/model/rolloutLine.js';
import { readLines, SAMPLE_HOME, sampleRolloutFiles } from '../../helpers/sample.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
export { SAMPLE_HOME };
export const SNIPPETS = join(FIXTURES, 'codex-snippets');

export { readLines };

/** Every rollout file of the Codex 0.169 sample home, with its lines. */
export function sampleRollouts(): { path: string; lines: RolloutLine[] }[] {
  return sampleRolloutFiles().map((path) => ({ path, lines: readLines(path) }));
}

export function sampleRollout(threadId: string): RolloutLine[] {
  const found = sampleRollouts().find((r) => r.path.endsWith(`${threadId}.jsonl`));
  if (!found) throw new Error(`no sample rollout for ${threadId}`);
  return found.lines;
}

// ---- response item payloads ----------------------------------------------------------------

export const userMsg = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
export const assistantMsg = (text: string) => ({
  type: 'message',
  role: 'assistant',
  content: [{ type: 'output_text', text }],
});
export const developerMsg = (text: string) => ({
  type: 'message',
  role: 'developer',
  content: [{ type: 'input_text', text }],
});
export const envContext = (cwd = '/w') =>
  userMsg(`<environment_context>\n  <cwd>${cwd}</cwd>\n  <shell>bash</shell>\n</environment_context>`);

// ---- rollout lines -----------------------------------------------------------------------

export const item = (payload: unknown): RolloutLine => ({ type: 'response_item', payload });
export const event = (type: string, extra: Record<string, unknown> = {}): RolloutLine => ({
  type: 'event_msg',
  payload: { type, ...extra },
});
export const turnContext = (
  turnId: string | undefined,
  model = 'gpt-5.5',
  extra: Record<string, unknown> = {},
): RolloutLine => ({
  type: 'turn_context',
  payload: { ...(turnId === undefined ? {} : { turn_id: turnId }), cwd: '/w', model, ...extra },
});
export const compacted = (payload: Record<string, unknown>): RolloutLine => ({
  type: 'compacted',
  payload: { message: '', ...payload },
});
export const rollback = (n: number) => event('thread_rolled_back', { num_turns: n });
export const sessionMeta = (id: string, extra: Record<string, unknown> = {}): RolloutLine => ({
  type: 'session_meta',
  payload: { id, timestamp: '2026-01-01T00:00:00.000Z', cwd: '/w', ...extra },
});

/** A complete user turn as Codex writes it: start, context, user message (+event), reply, completion. */
export function userTurn(
  turnId: string,
  text: string,
  reply: string,
  opts: { model?: string; started?: string; completed?: string } = {},
): RolloutLine[] {
  return [
    event(opts.started ?? 'task_started', { turn_id: turnId }),
    turnContext(turnId, opts.model),
    item(userMsg(text)),
    event('user_message', { message: text }),
    item(assistantMsg(reply)),
    event(opts.completed ?? 'task_complete', { turn_id: turnId }),
  ];
}

export const V7 = {
  a: '0197c3a1-2b4e-7123-8456-789abcdef012',
  b: '0197c3b7-9f10-7aaa-9bbb-0123456789ab',
  c: '0197c3c0-0000-7ccc-accc-0123456789ab',
};
export const V4 = '3b241101-e2bb-4255-8caf-4136c566a962';
