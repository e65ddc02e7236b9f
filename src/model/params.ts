// Owns the parameter and result shapes of the ThreadStore contract (Codex's types.rs, camelCased),
// with zod schemas for everything a caller passes in.
import { z } from 'zod';
import { uuidSchema } from './ids.js';
import { storableJson } from './jsonValue.js';
import { historyModeSchema, memoryModeSchema, sessionSourceSchema, type HistoryMode, type MemoryMode, type SessionSource, type StoredThread } from './thread.js';
import type { RolloutLine, StoredRolloutLine } from './rolloutLine.js';
import type { ThreadMetadataPatch } from './patch.js';

export interface ThreadPersistenceMetadata {
  /** `null`/absent means "no filesystem context". */
  cwd?: string | null;
  modelProvider: string;
  memoryMode?: MemoryMode;
}

/**
 * Codex `BaseInstructions`: `{ text }` plus whatever else Codex's value carries (0.169 and 0.171
 * write `provenance: { type, model }`). Kept as given: it is written to the thread's session_meta.
 */
export interface BaseInstructions {
  text: string;
  [key: string]: unknown;
}

/**
 * Git facts of a thread in either of Codex's spellings: the app-server's `{sha, branch, originUrl}`
 * or the rollout's (core `GitInfo`) `{commit_hash, branch, repository_url}`. Validation turns the
 * rollout spelling into the app-server one.
 */
export interface CreateThreadGitInfo {
  sha?: string | null;
  branch?: string | null;
  originUrl?: string | null;
  commit_hash?: string | null;
  repository_url?: string | null;
}

export interface CreateThreadParams {
  threadId: string;
  /** Shared by a root thread and its sub-agents; defaults to threadId. */
  sessionId?: string;
  forkedFromId?: string | null;
  parentThreadId?: string | null;
  source: SessionSource;
  threadSource?: string | null;
  originator: string;
  cliVersion?: string;
  baseInstructions?: BaseInstructions | null;
  /** Codex `DynamicToolSpec` values, kept as given. */
  dynamicTools?: unknown[];
  /** Codex `selected_capability_roots` (written to session_meta when non-empty), kept as given. */
  selectedCapabilityRoots?: unknown[];
  /** Codex `MultiAgentVersion` (`"disabled" | "v1" | "v2"`), written to session_meta. */
  multiAgentVersion?: string | null;
  historyMode?: HistoryMode;
  /** UUIDv7 of the initial context window (session_meta.context_window.window_id). */
  initialWindowId?: string;
  agentNickname?: string | null;
  agentRole?: string | null;
  agentPath?: string | null;
  gitInfo?: CreateThreadGitInfo | null;
  metadata: ThreadPersistenceMetadata;
}

export interface ResumeThreadParams {
  threadId: string;
  /** Already-loaded history, to avoid reading it again. */
  history?: RolloutLine[];
  includeArchived?: boolean;
  metadata: ThreadPersistenceMetadata;
}

export interface AppendThreadItemsParams {
  threadId: string;
  items: RolloutLine[];
}

export interface LoadThreadHistoryParams {
  threadId: string;
  includeArchived?: boolean;
}

export interface ReadThreadParams {
  threadId: string;
  includeArchived?: boolean;
  includeHistory?: boolean;
}

export type ThreadSortKey = 'created_at' | 'updated_at' | 'recency_at';
export type SortDirection = 'asc' | 'desc';

export type ThreadRelationFilter =
  | { kind: 'directChildrenOf'; threadId: string }
  | { kind: 'descendantsOf'; threadId: string };

export interface ListThreadsParams {
  pageSize?: number;
  cursor?: string | null;
  sortKey?: ThreadSortKey;
  sortDirection?: SortDirection;
  /** Empty = no filter. */
  allowedSources?: SessionSource[];
  /** `null`/absent = all providers; `[]` = all providers. */
  modelProviders?: string[] | null;
  /** `null`/absent = all cwds; `[]` matches no thread. */
  cwdFilters?: string[] | null;
  /** List archived threads instead of active ones. */
  archived?: boolean;
  /** Case-sensitive substring of name, title or preview. */
  searchTerm?: string | null;
  relationFilter?: ThreadRelationFilter | null;
}

export interface ThreadPage {
  items: StoredThread[];
  nextCursor: string | null;
}

export interface SearchThreadsParams {
  searchTerm: string;
  pageSize?: number;
  cursor?: string | null;
  sortKey?: ThreadSortKey;
  sortDirection?: SortDirection;
  allowedSources?: SessionSource[];
  archived?: boolean;
}

export interface ThreadSearchResult {
  thread: StoredThread;
  snippet: string;
}

export interface ThreadSearchPage {
  items: ThreadSearchResult[];
  nextCursor: string | null;
}

export type TurnStatus = 'completed' | 'interrupted' | 'failed' | 'inProgress';
export type TurnItemsView = 'notLoaded' | 'summary' | 'full';

export interface ListTurnsParams {
  threadId: string;
  includeArchived?: boolean;
  cursor?: string | null;
  pageSize?: number;
  sortDirection?: SortDirection;
  itemsView?: TurnItemsView;
}

export interface StoredTurn {
  turnId: string;
  status: TurnStatus;
  /** A failed turn's error as its events carry it: `codexErrorInfo` is Codex's `codex_error_info` (e.g. `"internal_server_error"`). */
  error: { message: string; codexErrorInfo: unknown; additionalDetails: unknown } | null;
  /** Seconds since the epoch, as Codex reports them. */
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
  turnCreatedAtMs: number | null;
  itemsView: TurnItemsView;
  /** `notLoaded`: empty; `summary`: the user and final agent messages; `full`: every line. */
  items: StoredRolloutLine[];
}

export interface TurnPage {
  turns: StoredTurn[];
  nextCursor: string | null;
  backwardsCursor: string | null;
}

export interface ListItemsParams {
  threadId: string;
  turnId?: string | null;
  includeArchived?: boolean;
  cursor?: string | null;
  pageSize?: number;
  sortDirection?: SortDirection;
}

export interface StoredThreadItem {
  seq: number;
  turnId: string | null;
  itemKey: string;
  itemOrdinal: number;
  itemCreatedAtMs: number | null;
  line: StoredRolloutLine;
}

export interface ItemPage {
  items: StoredThreadItem[];
  nextCursor: string | null;
  backwardsCursor: string | null;
}

export interface UpdateThreadMetadataParams {
  threadId: string;
  patch: ThreadMetadataPatch;
  includeArchived?: boolean;
}

export interface ForkThreadParams {
  sourceThreadId: string;
  newThreadId: string;
  /** Keep the source history up to and including this turn; absent = the whole history. */
  lastTurnId?: string | null;
  includeArchived?: boolean;
}

export interface StoredThreadHistoryPage {
  threadId: string;
  items: StoredRolloutLine[];
}

// ---- zod schemas for inputs -------------------------------------------------------------------

const persistenceMetadataSchema = z.strictObject({
  cwd: z.string().nullish(),
  modelProvider: z.string(),
  memoryMode: memoryModeSchema.optional(),
});

/** Either git spelling in, the app-server spelling out; a field given in both spellings must agree. */
const gitInfoParamSchema = z
  .strictObject({
    sha: z.string().nullish(),
    branch: z.string().nullish(),
    originUrl: z.string().nullish(),
    commit_hash: z.string().nullish(),
    repository_url: z.string().nullish(),
  })
  .superRefine((git, ctx) => {
    for (const [ours, theirs] of [['sha', 'commit_hash'], ['originUrl', 'repository_url']] as const) {
      if (git[ours] != null && git[theirs] != null && git[ours] !== git[theirs]) {
        ctx.addIssue({ code: 'custom', path: [theirs], message: `differs from ${ours} (give the value once)` });
      }
    }
  })
  .transform((git) => ({
    sha: git.sha ?? git.commit_hash ?? null,
    branch: git.branch ?? null,
    originUrl: git.originUrl ?? git.repository_url ?? null,
  }));

export const createThreadParamsSchema = z.strictObject({
  threadId: uuidSchema,
  sessionId: uuidSchema.optional(),
  forkedFromId: uuidSchema.nullish(),
  parentThreadId: uuidSchema.nullish(),
  source: sessionSourceSchema,
  threadSource: z.string().nullish(),
  originator: z.string(),
  cliVersion: z.string().optional(),
  baseInstructions: storableJson(z.looseObject({ text: z.string() })).nullish(),
  dynamicTools: storableJson(z.array(z.unknown())).optional(),
  selectedCapabilityRoots: storableJson(z.array(z.unknown())).optional(),
  multiAgentVersion: z.string().nullish(),
  historyMode: historyModeSchema.optional(),
  initialWindowId: uuidSchema.optional(),
  agentNickname: z.string().nullish(),
  agentRole: z.string().nullish(),
  agentPath: z.string().nullish(),
  gitInfo: gitInfoParamSchema.nullish(),
  metadata: persistenceMetadataSchema,
});

export const resumeThreadParamsSchema = z.strictObject({
  threadId: uuidSchema,
  history: storableJson(z.array(z.looseObject({ type: z.string() }))).optional(),
  includeArchived: z.boolean().optional(),
  metadata: persistenceMetadataSchema,
});

const sortKeySchema = z.enum(['created_at', 'updated_at', 'recency_at']);
const sortDirectionSchema = z.enum(['asc', 'desc']);
const pageSizeSchema = z.number().int().min(1).max(1000);

export const listThreadsParamsSchema = z.strictObject({
  pageSize: pageSizeSchema.optional(),
  cursor: z.string().nullish(),
  sortKey: sortKeySchema.optional(),
  sortDirection: sortDirectionSchema.optional(),
  allowedSources: z.array(sessionSourceSchema).optional(),
  modelProviders: z.array(z.string()).nullish(),
  cwdFilters: z.array(z.string()).nullish(),
  archived: z.boolean().optional(),
  searchTerm: z.string().nullish(),
  relationFilter: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('directChildrenOf'), threadId: uuidSchema }),
      z.strictObject({ kind: z.literal('descendantsOf'), threadId: uuidSchema }),
    ])
    .nullish(),
});

export const searchThreadsParamsSchema = z.strictObject({
  searchTerm: z.string().min(1),
  pageSize: pageSizeSchema.optional(),
  cursor: z.string().nullish(),
  sortKey: sortKeySchema.optional(),
  sortDirection: sortDirectionSchema.optional(),
  allowedSources: z.array(sessionSourceSchema).optional(),
  archived: z.boolean().optional(),
});

export const listTurnsParamsSchema = z.strictObject({
  threadId: uuidSchema,
  includeArchived: z.boolean().optional(),
  cursor: z.string().nullish(),
  pageSize: pageSizeSchema.optional(),
  sortDirection: sortDirectionSchema.optional(),
  itemsView: z.enum(['notLoaded', 'summary', 'full']).optional(),
});

export const listItemsParamsSchema = z.strictObject({
  threadId: uuidSchema,
  turnId: z.string().nullish(),
  includeArchived: z.boolean().optional(),
  cursor: z.string().nullish(),
  pageSize: pageSizeSchema.optional(),
  sortDirection: sortDirectionSchema.optional(),
});

export const forkThreadParamsSchema = z.strictObject({
  sourceThreadId: uuidSchema,
  newThreadId: uuidSchema,
  lastTurnId: z.string().nullish(),
  includeArchived: z.boolean().optional(),
});

/** The options of appendItems (both stores): only the metadata patch LiveThread derived (parsed by parsePatch). */
export const appendOptionsSchema = z.strictObject({ metadataPatch: z.unknown().optional() });
