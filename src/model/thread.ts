// Owns the thread metadata record (Codex `StoredThread`, camelCased) and its small value types.
import { z } from 'zod';
import type { StoredRolloutLine } from './rolloutLine.js';
import { storableJson } from './jsonValue.js';
import { canonicalJson } from './canonicalJson.js';

/** `"cli" | "vscode" | "exec" | "mcp" | "unknown" | custom string`, or an object such as `{subagent: {...}}`. */
export type SessionSource = string | Record<string, unknown>;
export const sessionSourceSchema: z.ZodType<SessionSource, SessionSource> = storableJson(z.union([
  z.string().min(1),
  z.record(z.string(), z.unknown()),
]));

/**
 * Codex's `enum_to_string` of a source, as the `threads.source` column and Codex's state DB keep
 * it: a plain string, or the JSON text of an object — with keys sorted, so equal sources compare
 * equal in SQL whatever key order they came in.
 */
export function sessionSourceToText(source: SessionSource): string {
  return typeof source === 'string' ? source : canonicalJson(source);
}

/** The inverse of sessionSourceToText. */
export function sessionSourceFromText(value: string): SessionSource {
  if (value.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // Not JSON after all: a custom source string that starts with a brace.
    }
  }
  return value;
}

export type HistoryMode = 'legacy' | 'paginated';
export const historyModeSchema = z.enum(['legacy', 'paginated']);
export type MemoryMode = 'enabled' | 'disabled';
export const memoryModeSchema = z.enum(['enabled', 'disabled']);

export interface TokenUsage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
  [key: string]: unknown;
}
export const tokenUsageSchema: z.ZodType<TokenUsage, TokenUsage> = storableJson(
  z.looseObject({
    input_tokens: z.number().int(),
    cached_input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    reasoning_output_tokens: z.number().int(),
    total_tokens: z.number().int(),
  }),
);

export interface GitInfo {
  sha: string | null;
  branch: string | null;
  originUrl: string | null;
}

export interface StoredThreadHistory {
  threadId: string;
  items: StoredRolloutLine[];
}

/** ISO-8601 UTC timestamp with millisecond precision, e.g. `2026-11-24T13:17:14.364Z`. */
export type Timestamp = string;

export interface StoredThread {
  threadId: string;
  sessionId: string | null;
  forkedFromId: string | null;
  parentThreadId: string | null;
  rolloutPath: string | null;
  preview: string;
  name: string | null;
  title: string;
  firstUserMessage: string | null;
  modelProvider: string;
  model: string | null;
  reasoningEffort: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  recencyAt: Timestamp;
  archivedAt: Timestamp | null;
  cwd: string;
  cliVersion: string;
  originator: string | null;
  source: SessionSource;
  threadSource: string | null;
  historyMode: HistoryMode;
  memoryMode: MemoryMode;
  agentNickname: string | null;
  agentRole: string | null;
  agentPath: string | null;
  gitInfo: GitInfo | null;
  approvalMode: string;
  permissionProfile: unknown;
  tokenUsage: TokenUsage | null;
  tokensUsed: number;
  /** Fields we do not model as columns (and fields of future Codex versions): kept, never dropped. */
  extra: Record<string, unknown>;
  itemCount: number;
  byteSize: number;
  history?: StoredThreadHistory;
}

/** Millisecond-precision ISO timestamp for `date` (default now). */
export function isoNow(date: Date = new Date()): Timestamp {
  return date.toISOString();
}
