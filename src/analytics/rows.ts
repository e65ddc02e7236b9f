// Owns the row types of the analytics views (drizzle/0004_analytics_views.sql) and their mappers:
// one domain type per view, numbers as numbers, days as 'YYYY-MM-DD' (UTC), instants as ISO strings.
// The SQL side selects `day::text` so no driver turns a date into a local-time Date.

export interface TenantOverview {
  tenantId: string;
  threads: number;
  archivedThreads: number;
  forks: number;
  subagents: number;
  items: number;
  bytes: number;
  /** Sum of Codex's per-thread tokens_used (a fork's figure includes its inherited history). */
  tokensUsed: number;
  compactions: number;
  firstCreatedAt: string | null;
  lastUpdatedAt: string | null;
}

export interface DailyThreads {
  tenantId: string;
  day: string;
  threads: number;
  rootThreads: number;
  forks: number;
  subagents: number;
  archived: number;
  tokensUsed: number;
}

export interface DailyActiveThreads {
  tenantId: string;
  /** UTC day; null for lines whose timestamp is not an RFC 3339 instant. */
  day: string | null;
  /** Threads that started at least one turn that day. */
  activeThreads: number;
  turnsStarted: number;
}

export interface DailyItems {
  tenantId: string;
  /** UTC day; null for lines whose timestamp is not an RFC 3339 instant. */
  day: string | null;
  items: number;
  bytes: number;
  threads: number;
  messages: number;
  toolCalls: number;
}

export interface DailyTokens {
  tenantId: string;
  /** UTC day; null for lines whose timestamp is not an RFC 3339 instant. */
  day: string | null;
  /** Threads that reported token usage that day. */
  threads: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
  totalTokens: number;
}

export interface ThreadsByModel {
  tenantId: string;
  modelProvider: string;
  /** The thread's latest model; null until a turn reported one. */
  model: string | null;
  threads: number;
  archived: number;
  items: number;
  tokensUsed: number;
}

export interface ThreadsBySource {
  tenantId: string;
  /** Session source kind: `cli`, `vscode`, `exec`, `subagent`, ... */
  source: string;
  threadSource: string | null;
  originator: string | null;
  threads: number;
  forks: number;
  subagents: number;
  items: number;
  tokensUsed: number;
}

export interface ThreadLineage {
  tenantId: string;
  threadId: string;
  forkedFromId: string | null;
  parentThreadId: string | null;
  agentNickname: string | null;
  agentRole: string | null;
  /** Direct forks of this thread. */
  forks: number;
  /** Direct sub-agents spawned by this thread, and how many of them are still open. */
  subagents: number;
  openSubagents: number;
}

export interface ThreadWindows {
  tenantId: string;
  threadId: string;
  compactions: number;
  legacyCompactions: number;
  /** 0 without compactions; null when the newest checkpoint is a legacy record without window ids. */
  currentWindowNumber: number | null;
  currentWindowId: string | null;
  firstWindowId: string | null;
  firstCompactedAt: string | null;
  lastCompactedAt: string | null;
}

export interface DailyCompactions {
  tenantId: string;
  day: string;
  compactions: number;
  threads: number;
  legacyCompactions: number;
  maxWindowNumber: number | null;
  avgSummaryLength: number | null;
}

type Row = Record<string, unknown>;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const instant = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

export function rowToTenantOverview(r: Row): TenantOverview {
  return {
    tenantId: str(r.tenant_id),
    threads: num(r.threads),
    archivedThreads: num(r.archived_threads),
    forks: num(r.forks),
    subagents: num(r.subagents),
    items: num(r.items),
    bytes: num(r.bytes),
    tokensUsed: num(r.tokens_used),
    compactions: num(r.compactions),
    firstCreatedAt: instant(r.first_created_at),
    lastUpdatedAt: instant(r.last_updated_at),
  };
}

export function rowToDailyThreads(r: Row): DailyThreads {
  return {
    tenantId: str(r.tenant_id),
    day: str(r.day),
    threads: num(r.threads),
    rootThreads: num(r.root_threads),
    forks: num(r.forks),
    subagents: num(r.subagents),
    archived: num(r.archived),
    tokensUsed: num(r.tokens_used),
  };
}

export function rowToDailyActiveThreads(r: Row): DailyActiveThreads {
  return { tenantId: str(r.tenant_id), day: strOrNull(r.day), activeThreads: num(r.active_threads), turnsStarted: num(r.turns_started) };
}

export function rowToDailyItems(r: Row): DailyItems {
  return {
    tenantId: str(r.tenant_id),
    day: strOrNull(r.day),
    items: num(r.items),
    bytes: num(r.bytes),
    threads: num(r.threads),
    messages: num(r.messages),
    toolCalls: num(r.tool_calls),
  };
}

export function rowToDailyTokens(r: Row): DailyTokens {
  return {
    tenantId: str(r.tenant_id),
    day: strOrNull(r.day),
    threads: num(r.threads),
    inputTokens: num(r.input_tokens),
    cachedInputTokens: num(r.cached_input_tokens),
    outputTokens: num(r.output_tokens),
    reasoningOutputTokens: num(r.reasoning_output_tokens),
    totalTokens: num(r.total_tokens),
  };
}

export function rowToThreadsByModel(r: Row): ThreadsByModel {
  return {
    tenantId: str(r.tenant_id),
    modelProvider: str(r.model_provider),
    model: strOrNull(r.model),
    threads: num(r.threads),
    archived: num(r.archived),
    items: num(r.items),
    tokensUsed: num(r.tokens_used),
  };
}

export function rowToThreadsBySource(r: Row): ThreadsBySource {
  return {
    tenantId: str(r.tenant_id),
    source: str(r.source),
    threadSource: strOrNull(r.thread_source),
    originator: strOrNull(r.originator),
    threads: num(r.threads),
    forks: num(r.forks),
    subagents: num(r.subagents),
    items: num(r.items),
    tokensUsed: num(r.tokens_used),
  };
}

export function rowToThreadLineage(r: Row): ThreadLineage {
  return {
    tenantId: str(r.tenant_id),
    threadId: str(r.thread_id),
    forkedFromId: strOrNull(r.forked_from_id),
    parentThreadId: strOrNull(r.parent_thread_id),
    agentNickname: strOrNull(r.agent_nickname),
    agentRole: strOrNull(r.agent_role),
    forks: num(r.forks),
    subagents: num(r.subagents),
    openSubagents: num(r.open_subagents),
  };
}

export function rowToThreadWindows(r: Row): ThreadWindows {
  return {
    tenantId: str(r.tenant_id),
    threadId: str(r.thread_id),
    compactions: num(r.compactions),
    legacyCompactions: num(r.legacy_compactions),
    currentWindowNumber: numOrNull(r.current_window_number),
    currentWindowId: strOrNull(r.current_window_id),
    firstWindowId: strOrNull(r.first_window_id),
    firstCompactedAt: instant(r.first_compacted_at),
    lastCompactedAt: instant(r.last_compacted_at),
  };
}

export function rowToDailyCompactions(r: Row): DailyCompactions {
  return {
    tenantId: str(r.tenant_id),
    day: str(r.day),
    compactions: num(r.compactions),
    threads: num(r.threads),
    legacyCompactions: num(r.legacy_compactions),
    maxWindowNumber: numOrNull(r.max_window_number),
    avgSummaryLength: numOrNull(r.avg_summary_length),
  };
}
