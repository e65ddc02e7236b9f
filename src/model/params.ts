// Owns the parameter and result shapes of the ThreadStore contract (Codex's types.rs, camelCased).
// The zod schemas below are the one source of every parameter type: `XParams` is what a caller may
// pass (z.input), `ParsedXParams` what a store receives after the boundary (src/store/boundary.ts)
// parsed it (z.output). Both stores get the same parsed values, so they answer invalid input alike.
//
// Rules every parameter schema follows: objects are strict (an unknown key is InvalidRequest naming
// it) except the shapes that mirror Codex's own values (base instructions, dynamic tools, capability
// roots, sources, git info in either spelling), which keep every field Codex's value carries; text
// that reaches a text column or a SQL text parameter is `storableText` (no U+0000, no lone
// surrogate: PostgreSQL would refuse the first and silently alter the second); JSON values are
// `storableJson` (depth, cycles, BigInt); page sizes are 1..1000.
import { z } from 'zod';
import { uuidSchema } from './ids.js';
import { storableJson } from './jsonValue.js';
import { textColumnProblem } from './textGuard.js';
import { historyModeSchema, memoryModeSchema, sessionSourceSchema, type SessionSource, type StoredThread } from './thread.js';
import type { RolloutLine, StoredRolloutLine } from './rolloutLine.js';
import type { ThreadMetadataPatch } from './patch.js';

// ---- building blocks ----------------------------------------------------------------------------

/** A string a PostgreSQL text column (or text parameter) holds unchanged. */
export const storableText = z.string().superRefine((value, ctx) => {
  const problem = textColumnProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A session source whose plain-string form is storable text (object sources are stored as JSON text). */
const storableSource: z.ZodType<SessionSource, SessionSource> = sessionSourceSchema.superRefine((value, ctx) => {
  const problem = typeof value === 'string' ? textColumnProblem(value) : null;
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A rollout line's shape (an object with a string `type`); its content is checked where it is stored. */
const rolloutLineShape = z.custom<RolloutLine>((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string', {
  message: 'expected a rollout line: an object with a string `type`',
});

const sortKeySchema = z.enum(['created_at', 'updated_at', 'recency_at']);
const sortDirectionSchema = z.enum(['asc', 'desc']);
/** Every page is 1..1000 items. */
export const MAX_PAGE_SIZE = 1000;
const pageSizeSchema = z.number().int().min(1).max(MAX_PAGE_SIZE);
const cursorSchema = z.string().nullish();

const persistenceMetadataSchema = z.strictObject({
  /** `null`/absent means "no filesystem context". */
  cwd: storableText.nullish(),
  modelProvider: storableText,
  memoryMode: memoryModeSchema.optional(),
});

/**
 * Git facts of a thread in either of Codex's spellings: the app-server's `{sha, branch, originUrl}`
 * or the rollout's (core `GitInfo`) `{commit_hash, branch, repository_url}`. Parsing turns the
 * rollout spelling into the app-server one; a field given in both spellings must agree.
 */
const gitInfoParamSchema = z
  .strictObject({
    sha: storableText.nullish(),
    branch: storableText.nullish(),
    originUrl: storableText.nullish(),
    commit_hash: storableText.nullish(),
    repository_url: storableText.nullish(),
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

// ---- parameters ---------------------------------------------------------------------------------

export const createThreadParamsSchema = z.strictObject({
  threadId: uuidSchema,
  /** Shared by a root thread and its sub-agents; defaults to threadId. */
  sessionId: uuidSchema.optional(),
  forkedFromId: uuidSchema.nullish(),
  parentThreadId: uuidSchema.nullish(),
  source: storableSource,
  threadSource: storableText.nullish(),
  originator: storableText,
  cliVersion: storableText.optional(),
  /** Codex `BaseInstructions`: `{ text }` plus whatever Codex's value carries (`provenance`), kept as given. */
  baseInstructions: storableJson(z.looseObject({ text: z.string() })).nullish(),
  /** Codex `DynamicToolSpec` values, kept as given. */
  dynamicTools: storableJson(z.array(z.unknown())).optional(),
  /** Codex `selected_capability_roots` (written to session_meta when non-empty), kept as given. */
  selectedCapabilityRoots: storableJson(z.array(z.unknown())).optional(),
  /** Codex `MultiAgentVersion` (`"disabled" | "v1" | "v2"`), written to session_meta. */
  multiAgentVersion: z.string().nullish(),
  historyMode: historyModeSchema.optional(),
  /** UUIDv7 of the initial context window (session_meta.context_window.window_id). */
  initialWindowId: uuidSchema.optional(),
  agentNickname: storableText.nullish(),
  agentRole: storableText.nullish(),
  agentPath: storableText.nullish(),
  gitInfo: gitInfoParamSchema.nullish(),
  metadata: persistenceMetadataSchema,
});

export const resumeThreadParamsSchema = z.strictObject({
  threadId: uuidSchema,
  /** Already-loaded history, to avoid reading it again. */
  history: storableJson(z.array(rolloutLineShape)).optional(),
  includeArchived: z.boolean().optional(),
  metadata: persistenceMetadataSchema,
});

/** A thread id given alone (persist, flush, shutdown, discard). */
export const threadIdParamSchema = uuidSchema;

export const threadIdParamsSchema = z.strictObject({ threadId: uuidSchema });

/** Items are checked one by one with their index (model/rolloutLine.ts, src/store/shared/preparedItem.ts). */
export const appendThreadItemsParamsSchema = z.strictObject({
  threadId: uuidSchema,
  items: z.array(z.custom<RolloutLine>()),
});

/** The options of appendItems: only the metadata patch LiveThread derived (parsed by parsePatch); null = none. */
export const appendOptionsSchema = z.strictObject({ metadataPatch: z.custom<ThreadMetadataPatch>().optional() }).nullish();

export const loadThreadHistoryParamsSchema = z.strictObject({
  threadId: uuidSchema,
  includeArchived: z.boolean().optional(),
});

export const readThreadParamsSchema = z.strictObject({
  threadId: uuidSchema,
  includeArchived: z.boolean().optional(),
  includeHistory: z.boolean().optional(),
});

const relationFilterSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('directChildrenOf'), threadId: uuidSchema }),
  z.strictObject({ kind: z.literal('descendantsOf'), threadId: uuidSchema }),
]);

export const listThreadsParamsSchema = z.strictObject({
  pageSize: pageSizeSchema.optional(),
  cursor: cursorSchema,
  sortKey: sortKeySchema.optional(),
  sortDirection: sortDirectionSchema.optional(),
  /** Empty = no filter. */
  allowedSources: z.array(storableSource).optional(),
  /** `null`/absent = all providers; `[]` = all providers. */
  modelProviders: z.array(storableText).nullish(),
  /** `null`/absent = all cwds; `[]` matches no thread. */
  cwdFilters: z.array(storableText).nullish(),
  /** List archived threads instead of active ones. */
  archived: z.boolean().optional(),
  /** Case-sensitive substring of name, title or preview. */
  searchTerm: storableText.nullish(),
  relationFilter: relationFilterSchema.nullish(),
});

export const searchThreadsParamsSchema = z.strictObject({
  searchTerm: storableText.min(1),
  pageSize: pageSizeSchema.optional(),
  cursor: cursorSchema,
  sortKey: sortKeySchema.optional(),
  sortDirection: sortDirectionSchema.optional(),
  allowedSources: z.array(storableSource).optional(),
  archived: z.boolean().optional(),
});

export const listTurnsParamsSchema = z.strictObject({
  threadId: uuidSchema,
  includeArchived: z.boolean().optional(),
  cursor: cursorSchema,
  pageSize: pageSizeSchema.optional(),
  sortDirection: sortDirectionSchema.optional(),
  itemsView: z.enum(['notLoaded', 'summary', 'full']).optional(),
});

export const listItemsParamsSchema = z.strictObject({
  threadId: uuidSchema,
  turnId: storableText.nullish(),
  includeArchived: z.boolean().optional(),
  cursor: cursorSchema,
  pageSize: pageSizeSchema.optional(),
  sortDirection: sortDirectionSchema.optional(),
});

export const updateThreadMetadataParamsSchema = z.strictObject({
  threadId: uuidSchema,
  /** Parsed separately with `parsePatch` so its errors name `patch.<field>`. */
  patch: z.custom<ThreadMetadataPatch>(),
  includeArchived: z.boolean().optional(),
});

export const forkThreadParamsSchema = z.strictObject({
  sourceThreadId: uuidSchema,
  newThreadId: uuidSchema,
  /** Keep the source history up to and including this turn; absent = the whole history. */
  lastTurnId: storableText.nullish(),
  includeArchived: z.boolean().optional(),
});

/** A tenant quota: a non-negative safe integer, or null for none. */
export const quotaValueSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable();
/** A change of a tenant's quotas: absent keeps a quota, null lifts it. */
export const tenantQuotaPatchSchema = z.strictObject({ maxThreads: quotaValueSchema.optional(), maxItemBytes: quotaValueSchema.optional() });

// ---- parameter types: what callers pass (z.input) and what stores receive (z.output) -----------

export type CreateThreadParams = z.input<typeof createThreadParamsSchema>;
export type ParsedCreateThreadParams = z.output<typeof createThreadParamsSchema>;
export type ThreadPersistenceMetadata = z.input<typeof persistenceMetadataSchema>;
/** Either git spelling (see gitInfoParamSchema). */
export type CreateThreadGitInfo = z.input<typeof gitInfoParamSchema>;
/** Codex `BaseInstructions`: `{ text }` plus whatever else Codex's value carries. */
export type BaseInstructions = NonNullable<CreateThreadParams['baseInstructions']>;
export type ResumeThreadParams = z.input<typeof resumeThreadParamsSchema>;
export type ParsedResumeThreadParams = z.output<typeof resumeThreadParamsSchema>;
export type ThreadIdParams = z.input<typeof threadIdParamsSchema>;
export type AppendThreadItemsParams = z.input<typeof appendThreadItemsParamsSchema>;
export type ParsedAppendThreadItemsParams = z.output<typeof appendThreadItemsParamsSchema>;
export type AppendOptions = NonNullable<z.input<typeof appendOptionsSchema>>;
export type LoadThreadHistoryParams = z.input<typeof loadThreadHistoryParamsSchema>;
export type ParsedLoadThreadHistoryParams = z.output<typeof loadThreadHistoryParamsSchema>;
export type ReadThreadParams = z.input<typeof readThreadParamsSchema>;
export type ParsedReadThreadParams = z.output<typeof readThreadParamsSchema>;
export type ThreadRelationFilter = z.input<typeof relationFilterSchema>;
export type ListThreadsParams = z.input<typeof listThreadsParamsSchema>;
export type ParsedListThreadsParams = z.output<typeof listThreadsParamsSchema>;
export type SearchThreadsParams = z.input<typeof searchThreadsParamsSchema>;
export type ParsedSearchThreadsParams = z.output<typeof searchThreadsParamsSchema>;
export type ListTurnsParams = z.input<typeof listTurnsParamsSchema>;
export type ParsedListTurnsParams = z.output<typeof listTurnsParamsSchema>;
export type ListItemsParams = z.input<typeof listItemsParamsSchema>;
export type ParsedListItemsParams = z.output<typeof listItemsParamsSchema>;
export type UpdateThreadMetadataParams = z.input<typeof updateThreadMetadataParamsSchema>;
export type ForkThreadParams = z.input<typeof forkThreadParamsSchema>;
export type ParsedForkThreadParams = z.output<typeof forkThreadParamsSchema>;
export type ThreadSortKey = z.output<typeof sortKeySchema>;
export type SortDirection = z.output<typeof sortDirectionSchema>;

// ---- results --------------------------------------------------------------------------------------

export interface ThreadPage {
  items: StoredThread[];
  nextCursor: string | null;
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

export interface StoredThreadHistoryPage {
  threadId: string;
  items: StoredRolloutLine[];
}
