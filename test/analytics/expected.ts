// What every analytics view should say about sample threads, computed here in TypeScript from the
// rollout lines that were appended (never from the database), so the views' SQL is checked
// against an independent derivation. The one input taken from the database is the size of the
// session_meta line the store writes itself (its key order is the store's, not ours).
import { asRecord, type RolloutLine } from '../../src/model/rolloutLine.js';
import type { SampleThread } from './sampleTenant.js';

export const utcDay = (ts: string): string => new Date(ts).toISOString().slice(0, 10);

const payloadOf = (line: RolloutLine): Record<string, unknown> => asRecord(line.payload) ?? {};
const isEvent = (line: RolloutLine, type: string) => line.type === 'event_msg' && payloadOf(line).type === type;
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const TOOL_CALLS = ['function_call', 'custom_tool_call', 'local_shell_call', 'web_search_call', 'tool_search_call'];

function countBy<K>(keys: K[]): Map<K, number> {
  const out = new Map<K, number>();
  for (const k of keys) out.set(k, (out.get(k) ?? 0) + 1);
  return out;
}

function sortedDays<T extends { day: string }>(map: Map<string, T>): T[] {
  return [...map.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
}

/** Codex's per-thread tokens_used: the last cumulative total its own token_count lines report. */
export function threadTokensUsed(t: SampleThread): number {
  let total = 0;
  for (const l of t.lines) {
    const info = asRecord(payloadOf(l).info);
    if (isEvent(l, 'token_count') && info) total = num(asRecord(info.total_token_usage)?.total_tokens);
  }
  return total;
}

/** Provider and model as the thread's lines last set them (session_meta, turn_context, thread settings). */
export function threadModel(t: SampleThread): { provider: string; model: string | null } {
  let provider = typeof t.meta.model_provider === 'string' ? t.meta.model_provider : '';
  let model: string | null = null;
  for (const l of t.lines) {
    const p = payloadOf(l);
    if (l.type === 'turn_context' && typeof p.model === 'string') model = p.model;
    if (isEvent(l, 'thread_settings_applied')) {
      const s = asRecord(p.thread_settings) ?? {};
      if (typeof s.model === 'string') model = s.model;
      if (typeof s.model_provider_id === 'string' && s.model_provider_id !== '') provider = s.model_provider_id;
    }
  }
  return { provider, model };
}

export function sourceKind(source: unknown): string {
  if (typeof source === 'string') return source;
  const obj = asRecord(source);
  return obj ? (Object.keys(obj).sort()[0] ?? '') : 'vscode';
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function expectedDailyThreads(threads: SampleThread[]) {
  const days = new Map<string, { day: string; threads: number; rootThreads: number; forks: number; subagents: number; archived: number; tokensUsed: number }>();
  for (const t of threads) {
    const day = utcDay(String(t.meta.timestamp));
    const d = days.get(day) ?? { day, threads: 0, rootThreads: 0, forks: 0, subagents: 0, archived: 0, tokensUsed: 0 };
    const fork = str(t.meta.forked_from_id) !== null;
    const sub = str(t.meta.parent_thread_id) !== null;
    d.threads++;
    if (!fork && !sub) d.rootThreads++;
    if (fork) d.forks++;
    if (sub) d.subagents++;
    if (t.archived) d.archived++;
    d.tokensUsed += threadTokensUsed(t);
    days.set(day, d);
  }
  return sortedDays(days);
}

export function expectedDailyActiveThreads(threads: SampleThread[]) {
  const days = new Map<string, { day: string; ids: Set<string>; turns: number }>();
  for (const t of threads) {
    for (const l of t.lines) {
      if (!isEvent(l, 'task_started') && !isEvent(l, 'turn_started')) continue;
      const day = utcDay(l.timestamp!);
      const d = days.get(day) ?? { day, ids: new Set<string>(), turns: 0 };
      d.ids.add(t.threadId);
      d.turns++;
      days.set(day, d);
    }
  }
  return sortedDays(days).map((d) => ({ day: d.day, activeThreads: d.ids.size, turnsStarted: d.turns }));
}

/** `sessionMetaBytes`: size of the session_meta line the store wrote for each thread (by thread id). */
export function expectedDailyItems(threads: SampleThread[], sessionMetaBytes: Map<string, number>) {
  const days = new Map<string, { day: string; items: number; bytes: number; ids: Set<string>; messages: number; toolCalls: number }>();
  const at = (day: string) => {
    const d = days.get(day) ?? { day, items: 0, bytes: 0, ids: new Set<string>(), messages: 0, toolCalls: 0 };
    days.set(day, d);
    return d;
  };
  for (const t of threads) {
    const meta = at(utcDay(String(t.meta.timestamp)));
    meta.items++;
    meta.bytes += sessionMetaBytes.get(t.threadId) ?? Number.NaN;
    meta.ids.add(t.threadId);
    for (const l of t.lines) {
      const d = at(utcDay(l.timestamp!));
      d.items++;
      d.bytes += Buffer.byteLength(JSON.stringify(l), 'utf8');
      d.ids.add(t.threadId);
      const sub = payloadOf(l).type;
      if (l.type === 'response_item' && sub === 'message') d.messages++;
      if (l.type === 'response_item' && typeof sub === 'string' && TOOL_CALLS.includes(sub)) d.toolCalls++;
    }
  }
  return sortedDays(days).map((d) => ({ day: d.day, items: d.items, bytes: d.bytes, threads: d.ids.size, messages: d.messages, toolCalls: d.toolCalls }));
}

/**
 * Tokens from a different source than the view reads: Codex 0.169's `token_usage_record` lines
 * (one per model response, never repeated), summed per day. The view derives the same numbers from
 * the cumulative `token_count` events.
 */
export function expectedDailyTokens(threads: SampleThread[]) {
  const days = new Map<string, { day: string; ids: Set<string>; input: number; cached: number; output: number; reasoning: number; total: number }>();
  const at = (day: string) => {
    const d = days.get(day) ?? { day, ids: new Set<string>(), input: 0, cached: 0, output: 0, reasoning: 0, total: 0 };
    days.set(day, d);
    return d;
  };
  for (const t of threads) {
    for (const l of t.lines) {
      if (isEvent(l, 'token_count') && asRecord(payloadOf(l).info)) at(utcDay(l.timestamp!)).ids.add(t.threadId);
      if (l.type !== 'token_usage_record') continue;
      const u = asRecord(payloadOf(l).usage) ?? {};
      const d = at(utcDay(l.timestamp!));
      d.input += num(u.input_tokens);
      d.cached += num(u.cached_input_tokens);
      d.output += num(u.output_tokens);
      d.reasoning += num(u.reasoning_output_tokens);
      d.total += num(u.total_tokens);
    }
  }
  return sortedDays(days).map((d) => ({
    day: d.day,
    threads: d.ids.size,
    inputTokens: d.input,
    cachedInputTokens: d.cached,
    outputTokens: d.output,
    reasoningOutputTokens: d.reasoning,
    totalTokens: d.total,
  }));
}

export function expectedThreadsByModel(threads: SampleThread[]) {
  const groups = new Map<string, { modelProvider: string; model: string | null; threads: number; archived: number; items: number; tokensUsed: number }>();
  for (const t of threads) {
    const { provider, model } = threadModel(t);
    const key = `${provider}\u0000${model}`;
    const g = groups.get(key) ?? { modelProvider: provider, model, threads: 0, archived: 0, items: 0, tokensUsed: 0 };
    g.threads++;
    if (t.archived) g.archived++;
    g.items += t.lines.length + 1;
    g.tokensUsed += threadTokensUsed(t);
    groups.set(key, g);
  }
  return [...groups.values()];
}

export function expectedThreadsBySource(threads: SampleThread[]) {
  const groups = new Map<string, { source: string; threadSource: string | null; originator: string | null; threads: number; forks: number; subagents: number; items: number; tokensUsed: number }>();
  for (const t of threads) {
    const source = sourceKind(t.meta.source);
    const threadSource = str(t.meta.thread_source);
    const originator = str(t.meta.originator);
    const key = JSON.stringify([source, threadSource, originator]);
    const g = groups.get(key) ?? { source, threadSource, originator, threads: 0, forks: 0, subagents: 0, items: 0, tokensUsed: 0 };
    g.threads++;
    if (str(t.meta.forked_from_id)) g.forks++;
    if (str(t.meta.parent_thread_id)) g.subagents++;
    g.items += t.lines.length + 1;
    g.tokensUsed += threadTokensUsed(t);
    groups.set(key, g);
  }
  return [...groups.values()];
}

export function expectedLineage(threads: SampleThread[]) {
  const forks = countBy(threads.map((t) => str(t.meta.forked_from_id)).filter((v): v is string => v !== null));
  const subs = countBy(threads.map((t) => str(t.meta.parent_thread_id)).filter((v): v is string => v !== null));
  return threads.map((t) => ({
    threadId: t.threadId,
    forkedFromId: str(t.meta.forked_from_id),
    parentThreadId: str(t.meta.parent_thread_id),
    agentNickname: str(t.meta.agent_nickname),
    forks: forks.get(t.threadId) ?? 0,
    subagents: subs.get(t.threadId) ?? 0,
    // Spawn edges are created open; nothing in the sample closes one through the store.
    openSubagents: subs.get(t.threadId) ?? 0,
  }));
}

export function expectedWindows(threads: SampleThread[]) {
  return threads.map((t) => {
    const compacted = t.lines.filter((l) => l.type === 'compacted');
    const last = compacted.length > 0 ? payloadOf(compacted[compacted.length - 1]!) : null;
    const firstWithIds = compacted.map(payloadOf).find((p) => typeof p.first_window_id === 'string');
    return {
      threadId: t.threadId,
      compactions: compacted.length,
      currentWindowNumber: last ? (typeof last.window_number === 'number' ? last.window_number : null) : 0,
      currentWindowId: last ? str(last.window_id) : null,
      firstWindowId: firstWithIds ? str(firstWithIds.first_window_id) : null,
      firstCompactedAt: compacted[0]?.timestamp ?? null,
      lastCompactedAt: compacted[compacted.length - 1]?.timestamp ?? null,
    };
  });
}

export function expectedDailyCompactions(threads: SampleThread[]) {
  const days = new Map<string, { day: string; compactions: number; ids: Set<string>; maxWindow: number | null; summary: number[] }>();
  for (const t of threads) {
    for (const l of t.lines) {
      if (l.type !== 'compacted') continue;
      const p = payloadOf(l);
      const day = utcDay(l.timestamp!);
      const d = days.get(day) ?? { day, compactions: 0, ids: new Set<string>(), maxWindow: null, summary: [] };
      d.compactions++;
      d.ids.add(t.threadId);
      if (typeof p.window_number === 'number') d.maxWindow = Math.max(d.maxWindow ?? 0, p.window_number);
      d.summary.push(typeof p.message === 'string' ? p.message.length : 0);
      days.set(day, d);
    }
  }
  return sortedDays(days).map((d) => ({
    day: d.day,
    compactions: d.compactions,
    threads: d.ids.size,
    legacyCompactions: 0,
    maxWindowNumber: d.maxWindow,
    avgSummaryLength: Math.round(d.summary.reduce((a, b) => a + b, 0) / d.summary.length),
  }));
}

export function expectedOverview(threads: SampleThread[], sessionMetaBytes: Map<string, number>) {
  let items = 0;
  let bytes = 0;
  for (const t of threads) {
    items += t.lines.length + 1;
    bytes += (sessionMetaBytes.get(t.threadId) ?? Number.NaN) + t.lines.reduce((n, l) => n + Buffer.byteLength(JSON.stringify(l), 'utf8'), 0);
  }
  return {
    threads: threads.length,
    archivedThreads: threads.filter((t) => t.archived).length,
    forks: threads.filter((t) => str(t.meta.forked_from_id)).length,
    subagents: threads.filter((t) => str(t.meta.parent_thread_id)).length,
    items,
    bytes,
    tokensUsed: threads.reduce((n, t) => n + threadTokensUsed(t), 0),
    compactions: threads.reduce((n, t) => n + t.lines.filter((l) => l.type === 'compacted').length, 0),
  };
}
