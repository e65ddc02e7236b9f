// Real rollouts written by Codex CLI 0.169 (test/fixtures/codex-home-sample), turned into what a
// live thread hands a store: CreateThreadParams from the file's first session_meta, and the lines
// after it to append.
import type { CreateThreadParams } from '../../src/model/params.js';
import { asRecord, type RolloutLine } from '../../src/model/rolloutLine.js';
import type { SessionSource } from '../../src/model/thread.js';

import { readLines, SAMPLE_HOME, sampleFileFor } from '../helpers/sample.js';

export { SAMPLE_HOME };

/** Thread ids of the sample scenarios used by the contract suite. */
export const FIXTURE = {
  /** 7 turns: completed, interrupted, failed, failed, completed, completed, completed. */
  interruptFail: '01a20db4-3795-76a1-8e72-4698a8cc7847',
  /** exec + 2 resumes: 3 turns, a shell tool call, provider mockB. */
  execResume: '01a20db4-1338-7183-9666-e400261da2ff',
  /** emoji, CJK, RTL, U+2028/U+2029/U+0085, ~8 KB message. */
  unicode: '01a20db4-1e3b-7923-9f53-23837db4b2a5',
  /** sub-agent parent and its spawned child. */
  subagentParent: '01a20db4-413e-7820-abef-902d136cb232',
  subagentChild: '01a20db4-4203-7432-a159-ee6a004b5fbb',
  /** exec in a git repo: session_meta.git. */
  execSingle: '01a20db4-1043-78d3-8e6e-3373c24f660e',
} as const;

export const INTERRUPT_FAIL_STATUSES = ['completed', 'interrupted', 'failed', 'failed', 'completed', 'completed', 'completed'] as const;

export interface FixtureRollout {
  threadId: string;
  /** Payload of the file's first session_meta. */
  meta: Record<string, unknown>;
  /** Every line after the first session_meta, as parsed JSON. */
  lines: RolloutLine[];
}

const cache = new Map<string, FixtureRollout>();

/** The base rollout file of `threadId` (not a post-revert segment file). Split on `\n` only. */
export function loadFixture(threadId: string): FixtureRollout {
  const cached = cache.get(threadId);
  if (cached) return structuredClone(cached);
  const all = readLines(sampleFileFor(threadId));
  const metaIndex = all.findIndex((l) => l.type === 'session_meta');
  const meta = asRecord(all[metaIndex]?.payload);
  if (!meta) throw new Error(`fixture ${threadId} has no session_meta`);
  const rollout: FixtureRollout = { threadId, meta, lines: all.slice(metaIndex + 1) };
  cache.set(threadId, rollout);
  return structuredClone(rollout);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The CreateThreadParams Codex would have passed for this rollout. */
export function createParamsFromMeta(meta: Record<string, unknown>, overrides: Partial<CreateThreadParams> = {}): CreateThreadParams {
  const git = asRecord(meta.git);
  const window = asRecord(meta.context_window);
  const instructions = asRecord(meta.base_instructions);
  const params: CreateThreadParams = {
    threadId: String(meta.id),
    sessionId: str(meta.session_id),
    forkedFromId: strOrNull(meta.forked_from_id),
    parentThreadId: strOrNull(meta.parent_thread_id),
    source: (meta.source ?? 'unknown') as SessionSource,
    threadSource: strOrNull(meta.thread_source),
    originator: str(meta.originator) ?? '',
    cliVersion: str(meta.cli_version) ?? '',
    baseInstructions: typeof instructions?.text === 'string' ? { text: instructions.text } : null,
    historyMode: meta.history_mode === 'legacy' ? 'legacy' : 'paginated',
    initialWindowId: str(window?.window_id),
    agentNickname: strOrNull(meta.agent_nickname),
    agentRole: strOrNull(meta.agent_role),
    agentPath: strOrNull(meta.agent_path),
    gitInfo: git ? { sha: strOrNull(git.commit_hash), branch: strOrNull(git.branch), originUrl: strOrNull(git.repository_url) } : null,
    metadata: {
      cwd: str(meta.cwd) ?? null,
      modelProvider: str(meta.model_provider) ?? '',
      memoryMode: meta.memory_mode === 'disabled' ? 'disabled' : 'enabled',
    },
    ...overrides,
  };
  if (params.sessionId === undefined) delete params.sessionId;
  if (params.initialWindowId === undefined) delete params.initialWindowId;
  return params;
}

/** Turn ids in order of their task_started events. */
export function fixtureTurnIds(lines: readonly RolloutLine[]): string[] {
  const ids: string[] = [];
  for (const line of lines) {
    const payload = asRecord(line.payload);
    if (line.type === 'event_msg' && payload?.type === 'task_started' && typeof payload.turn_id === 'string') ids.push(payload.turn_id);
  }
  return ids;
}
