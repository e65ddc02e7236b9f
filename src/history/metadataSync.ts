// Owns Codex's per-thread metadata sync (`thread-store/src/thread_metadata_sync.rs`): derives literal
// ThreadMetadataPatch updates from the canonical (persisted) items a LiveThread appends, keeps them
// pending with a generation counter until a store write succeeds, defers create/resume facts until
// history exists, and coalesces pure `updated_at` touches. Also `deriveMetadataFromItems`, the same
// fold over a whole rollout, for importers.
//
// Folding rules (spec §5.3, plus the newer sources Codex 0.169 writes, see `foldItem`):
// * `session_meta` whose `id` is this thread: created_at, source, thread_source, agent fields (set or
//   clear), provider / cli_version / cwd when non-empty, git parts when present, memory_mode.
//   Session metas of other threads (fork copies) are ignored.
// * `turn_context`: cwd only while no cwd is known; model; reasoning_effort (the batch's latest
//   observation); approval_mode; permission_profile when the line has one.
// * `event_msg/thread_settings_applied` (0.169): model, provider (`model_provider_id`),
//   reasoning_effort, approval_mode, permission_profile and cwd — the cwd unconditionally, because
//   settings are an explicit (per-turn) override that moves the thread (Codex's
//   `concurrent_appends_keep_sqlite_metadata_in_canonical_history_order` test and the sample's
//   `app-model-switch` thread both show the settings cwd winning over the session cwd).
// * user messages (`event_msg/user_message`, or `event_msg/item_completed` with a `UserMessage`
//   item): first one with a preview sets first_user_message and (if no goal came first) preview;
//   first one with non-empty stripped text sets title.
// * `event_msg/token_count` with `info`: token_usage = info.total_token_usage.
// * `event_msg/thread_goal_updated` before any preview: preview = trimmed objective.
// Events are not filtered by a `thread_id` they may carry: legacy `user_message` events carry none
// and Codex treats every event in a thread's history as that thread's own; only session metas are
// matched against the thread id.
import { mergePatch, type GitInfoPatch, type ThreadMetadataPatch } from '../model/patch.js';
import { asRecord, type RolloutLine } from '../model/rolloutLine.js';
import { InvalidRequestError } from '../model/errors.js';
import { normalizeId } from '../model/ids.js';
import { tokenUsageSchema, type MemoryMode, type SessionSource, type TokenUsage } from '../model/thread.js';
import {
  enumToString,
  parseSessionTimestamp,
  rolloutItemAdvancesRecency,
  rolloutItemAffectsThreadMetadata,
  rustTrim,
  sessionSourceAgentFields,
  userMessageFromRolloutLine,
  userMessagePreview,
  userMessageTitle,
} from './metadataExtract.js';

export {
  IMAGE_ONLY_USER_MESSAGE_PLACEHOLDER,
  USER_MESSAGE_BEGIN,
  enumToString,
  parseSessionTimestamp,
  rolloutItemAdvancesRecency,
  rolloutItemAffectsThreadMetadata,
  rustTrim,
  sessionSourceAgentFields,
  stripUserMessagePrefix,
  userMessageFromRolloutLine,
  userMessagePreview,
  userMessageTitle,
  type SessionSourceAgentFields,
  type UserMessageView,
} from './metadataExtract.js';

/** Codex `THREAD_UPDATED_AT_TOUCH_INTERVAL` (5 s; Codex's own tests use 50 ms). */
export const THREAD_UPDATED_AT_TOUCH_INTERVAL_MS = 5_000;

/** A pending patch handed out for writing, tagged with the generation it was taken at. */
export interface PendingMetadataUpdate {
  readonly patch: ThreadMetadataPatch;
  readonly generation: number;
}

export interface ThreadMetadataSyncOptions {
  /** Touch-coalescing window in ms (default 5000). */
  touchIntervalMs?: number;
  /** Clock in epoch milliseconds (default `Date.now`); used when no explicit `now` is given. */
  clock?: () => number;
}

/** Git facts observed for the thread's cwd; only non-null parts enter the patch. */
export interface GitInfoObservation {
  sha?: string | null;
  branch?: string | null;
  originUrl?: string | null;
}

/** What `ThreadMetadataSync.forCreate` needs (a subset of Codex `CreateThreadParams`). */
export interface MetadataSyncCreateParams {
  threadId: string;
  source: SessionSource;
  /** Analytics classification; absent/null clears it. */
  threadSource?: string | null;
  modelProvider: string;
  cwd?: string | null;
  cliVersion: string;
  /** Default `enabled`. */
  memoryMode?: MemoryMode;
  /** Present only when the cwd is inside a git repository. */
  gitInfo?: GitInfoObservation | null;
  createdAt: Date | string | number;
}

/** What `ThreadMetadataSync.forResume` needs (a subset of Codex `ResumeThreadParams`). */
export interface MetadataSyncResumeParams {
  threadId: string;
  cwd?: string | null;
  /** The already-loaded history; observed without `updated_at`. */
  history?: readonly RolloutLine[] | null;
}

export type TimeInput = Date | string | number;

function toIso(value: TimeInput, field: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidRequestError('not a valid timestamp', { path: field });
  return date.toISOString();
}

function toMillis(value: TimeInput): number {
  return value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
}

function gitPatchFromObservation(git: GitInfoObservation): GitInfoPatch {
  const out: GitInfoPatch = {};
  if (typeof git.sha === 'string') out.sha = git.sha;
  if (typeof git.branch === 'string') out.branch = git.branch;
  if (typeof git.originUrl === 'string') out.originUrl = git.originUrl;
  return out;
}

/**
 * Codex `update_has_metadata_facts`: any field other than `updatedAt`, `name` and `historyMode` is
 * set (so an `advanceRecencyAt` counts as a fact).
 */
export function updateHasMetadataFacts(patch: ThreadMetadataPatch): boolean {
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (key === 'updatedAt' || key === 'name' || key === 'historyMode') continue;
    return true;
  }
  return false;
}

/** The "seen" flags of a fold; they survive across batches of one sync. */
interface FoldState {
  readonly threadId: string;
  cwdSeen: boolean;
  previewSeen: boolean;
  firstUserMessageSeen: boolean;
  titleSeen: boolean;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isSessionSource(value: unknown): value is SessionSource {
  return (typeof value === 'string' && value !== '') || asRecord(value) !== undefined;
}

function memoryModeOf(value: unknown): MemoryMode | undefined {
  return value === 'enabled' || value === 'disabled' ? value : undefined;
}

function applySessionMeta(state: FoldState, update: ThreadMetadataPatch, line: RolloutLine): void {
  const meta = asRecord(line.payload);
  // Fork copies carry the source thread's meta. An imported file may spell the id in upper case.
  if (!meta || normalizeId(meta.id) !== normalizeId(state.threadId)) return;
  const createdAt = typeof meta.timestamp === 'string' ? parseSessionTimestamp(meta.timestamp) : undefined;
  // Rust assigns `update.created_at = parse(..)`: an unparsable timestamp resets it to "unchanged".
  if (createdAt === undefined) delete update.createdAt;
  else update.createdAt = createdAt;
  // SessionSource's serde default is `vscode` when the field is missing.
  if (meta.source === undefined || meta.source === null) update.source = 'vscode';
  else if (isSessionSource(meta.source)) update.source = meta.source;
  update.threadSource = typeof meta.thread_source === 'string' ? meta.thread_source : null;
  update.agentNickname = typeof meta.agent_nickname === 'string' ? meta.agent_nickname : null;
  const role = meta.agent_role ?? meta.agent_type; // serde alias
  update.agentRole = typeof role === 'string' ? role : null;
  update.agentPath = typeof meta.agent_path === 'string' ? meta.agent_path : null;
  const provider = nonEmptyString(meta.model_provider);
  if (provider !== undefined) update.modelProvider = provider;
  const cliVersion = nonEmptyString(meta.cli_version);
  if (cliVersion !== undefined) update.cliVersion = cliVersion;
  const cwd = nonEmptyString(meta.cwd);
  if (cwd !== undefined) {
    state.cwdSeen = true;
    update.cwd = cwd;
  }
  // `git` is a sibling of the meta fields in SessionMetaLine (flattened into the same payload).
  const git = asRecord(meta.git);
  if (git) {
    update.gitInfo = gitPatchFromObservation({
      sha: typeof git.commit_hash === 'string' ? git.commit_hash : null,
      branch: typeof git.branch === 'string' ? git.branch : null,
      originUrl: typeof git.repository_url === 'string' ? git.repository_url : null,
    });
  }
  const memoryMode = memoryModeOf(meta.memory_mode);
  if (memoryMode !== undefined) update.memoryMode = memoryMode;
}

/** Latest observed reasoning effort: Rust assigns the Option, so a `null`/absent effort resets it. */
function assignReasoningEffort(update: ThreadMetadataPatch, effort: unknown): void {
  if (typeof effort === 'string') update.reasoningEffort = effort;
  else delete update.reasoningEffort;
}

function applyTurnContext(state: FoldState, update: ThreadMetadataPatch, line: RolloutLine): void {
  const ctx = asRecord(line.payload);
  if (!ctx) return;
  const cwd = nonEmptyString(ctx.cwd);
  if (!state.cwdSeen && cwd !== undefined) {
    state.cwdSeen = true;
    update.cwd = cwd;
  }
  if (typeof ctx.model === 'string') update.model = ctx.model;
  assignReasoningEffort(update, ctx.effort);
  if (ctx.approval_policy !== undefined && ctx.approval_policy !== null) {
    update.approvalMode = enumToString(ctx.approval_policy);
  }
  // Codex derives a profile from the legacy `sandbox_policy` when `permission_profile` is absent;
  // that mapping lives in Codex's sandboxing crate, so lines without a profile leave it unchanged.
  if (ctx.permission_profile !== undefined && ctx.permission_profile !== null) {
    update.permissionProfile = ctx.permission_profile;
  }
}

function applyThreadSettings(state: FoldState, update: ThreadMetadataPatch, settingsValue: unknown): void {
  const settings = asRecord(settingsValue);
  if (!settings) return;
  const model = nonEmptyString(settings.model);
  if (model !== undefined) update.model = model;
  const provider = nonEmptyString(settings.model_provider_id);
  if (provider !== undefined) update.modelProvider = provider;
  assignReasoningEffort(update, settings.reasoning_effort);
  if (settings.approval_policy !== undefined && settings.approval_policy !== null) {
    update.approvalMode = enumToString(settings.approval_policy);
  }
  if (settings.permission_profile !== undefined && settings.permission_profile !== null) {
    update.permissionProfile = settings.permission_profile;
  }
  const cwd = nonEmptyString(settings.cwd);
  if (cwd !== undefined) {
    state.cwdSeen = true;
    update.cwd = cwd;
  }
}

function tokenUsageOf(info: unknown): TokenUsage | undefined {
  const total = asRecord(info)?.total_token_usage;
  return tokenUsageSchema.safeParse(total).success ? (total as TokenUsage) : undefined;
}

function foldItem(state: FoldState, update: ThreadMetadataPatch, line: RolloutLine): void {
  switch (line.type) {
    case 'session_meta':
      applySessionMeta(state, update, line);
      return;
    case 'turn_context':
      applyTurnContext(state, update, line);
      return;
    case 'event_msg':
      break;
    default:
      return; // response items, compacted, world_state, token_usage_record, inter-agent, unknown
  }
  const payload = asRecord(line.payload);
  if (!payload) return;
  const user = userMessageFromRolloutLine(line);
  if (user) {
    const preview = userMessagePreview(user);
    if (preview !== null) {
      if (!state.firstUserMessageSeen) {
        state.firstUserMessageSeen = true;
        update.firstUserMessage = preview;
      }
      if (!state.previewSeen) {
        state.previewSeen = true;
        update.preview = preview;
      }
    }
    if (!state.titleSeen) {
      const title = userMessageTitle(user);
      if (title !== null) {
        state.titleSeen = true;
        update.title = title;
      }
    }
    return;
  }
  switch (payload.type) {
    case 'token_count': {
      const usage = tokenUsageOf(payload.info);
      if (usage) update.tokenUsage = usage;
      return;
    }
    case 'thread_goal_updated': {
      const objective = asRecord(payload.goal)?.objective;
      if (!state.previewSeen && typeof objective === 'string') {
        const trimmed = rustTrim(objective);
        if (trimmed !== '') {
          state.previewSeen = true;
          update.preview = trimmed;
        }
      }
      return;
    }
    case 'thread_settings_applied':
      applyThreadSettings(state, update, payload.thread_settings);
      return;
    default:
      return;
  }
}

/** Codex `observe_items_with_update`: `null` for an empty batch, else `base` plus every item's facts. */
function foldItems(state: FoldState, items: readonly RolloutLine[], base: ThreadMetadataPatch): ThreadMetadataPatch | null {
  if (items.length === 0) return null;
  const update: ThreadMetadataPatch = { ...base };
  for (const item of items) foldItem(state, update, item);
  return update;
}

/**
 * Fold a whole rollout (its lines in file order) into the metadata patch Codex would derive for
 * `threadId` — the resume-history observation: no `updatedAt`, no `advanceRecencyAt`. Lines of other
 * threads' session metas are ignored; an empty input gives `{}`. Callers that also want the store
 * defaults (`tokensUsed = tokenUsage.total_tokens`, default provider, ...) apply them on top.
 */
export function deriveMetadataFromItems(threadId: string, lines: readonly RolloutLine[]): ThreadMetadataPatch {
  const state: FoldState = { threadId, cwdSeen: false, previewSeen: false, firstUserMessageSeen: false, titleSeen: false };
  return foldItems(state, lines, {}) ?? {};
}

/** Codex `ThreadMetadataSync`: one per live thread; not thread-safe by itself (LiveThread serializes). */
export class ThreadMetadataSync {
  readonly threadId: string;
  private readonly state: FoldState;
  private pending: ThreadMetadataPatch | null = null;
  private generation = 0;
  private lastTouchPersistedAt: number | undefined;
  private deferCreateUpdateUntilHistoryExists = false;
  private deferResumeUpdateUntilAppend = false;
  private readonly touchIntervalMs: number;
  private readonly clock: () => number;

  private constructor(threadId: string, cwdSeen: boolean, options: ThreadMetadataSyncOptions) {
    this.threadId = threadId;
    this.state = { threadId, cwdSeen, previewSeen: false, firstUserMessageSeen: false, titleSeen: false };
    this.touchIntervalMs = options.touchIntervalMs ?? THREAD_UPDATED_AT_TOUCH_INTERVAL_MS;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Sync for a new thread: the create-time facts are pending (generation 1) and deferred until the
   * first append (or an unconditional flush such as `persist`).
   */
  static forCreate(params: MetadataSyncCreateParams, options: ThreadMetadataSyncOptions = {}): ThreadMetadataSync {
    const createdAt = toIso(params.createdAt, 'createdAt');
    const cwd = params.cwd ?? '';
    const agent = sessionSourceAgentFields(params.source);
    const patch: ThreadMetadataPatch = {
      modelProvider: params.modelProvider,
      createdAt,
      updatedAt: createdAt,
      source: params.source,
      threadSource: params.threadSource ?? null,
      agentNickname: agent.agentNickname,
      agentRole: agent.agentRole,
      agentPath: agent.agentPath,
      cwd,
      cliVersion: params.cliVersion,
      memoryMode: params.memoryMode ?? 'enabled',
    };
    if (params.gitInfo) patch.gitInfo = gitPatchFromObservation(params.gitInfo);
    const sync = new ThreadMetadataSync(params.threadId, cwd !== '', options);
    sync.pending = patch;
    sync.generation = 1;
    sync.deferCreateUpdateUntilHistoryExists = true;
    return sync;
  }

  /**
   * Sync for a resumed thread: the loaded history (if any) is observed without `updatedAt` and kept
   * pending, deferred until the first append.
   */
  static forResume(params: MetadataSyncResumeParams, options: ThreadMetadataSyncOptions = {}): ThreadMetadataSync {
    const sync = new ThreadMetadataSync(params.threadId, (params.cwd ?? '') !== '', options);
    if (params.history) sync.recordResumeHistory(params.history);
    return sync;
  }

  /** Observe already-persisted history (resume); the result waits for the next append. */
  recordResumeHistory(history: readonly RolloutLine[]): void {
    this.mergePending(foldItems(this.state, history, {}));
    this.deferResumeUpdateUntilAppend = this.pending !== null;
  }

  /** True while the create-time or resume-derived patch must wait for history. */
  get isDeferred(): boolean {
    return this.deferCreateUpdateUntilHistoryExists || this.deferResumeUpdateUntilAppend;
  }

  /** Current generation of the pending patch (0 before anything was merged). */
  get pendingGeneration(): number {
    return this.generation;
  }

  /** The pending patch (a copy), ignoring deferral; it stays pending until marked applied. */
  takePendingUpdate(): PendingMetadataUpdate | null {
    if (this.pending === null) return null;
    return { patch: clonePatch(this.pending), generation: this.generation };
  }

  /** Like `takePendingUpdate` but `null` while create/resume facts are deferred (used by flush/shutdown). */
  takePendingUpdateForExistingHistory(): PendingMetadataUpdate | null {
    if (this.isDeferred) return null;
    return this.takePendingUpdate();
  }

  /**
   * Record a successful store write of `update`: clears the pending patch only if nothing newer was
   * merged since it was taken; a write carrying `updatedAt` restarts the touch-coalescing window.
   */
  markPendingUpdateApplied(update: PendingMetadataUpdate, now?: TimeInput): void {
    if (update.generation === this.generation) this.pending = null;
    if (update.patch.updatedAt !== undefined) {
      this.lastTouchPersistedAt = now === undefined ? this.clock() : toMillis(now);
    }
  }

  /**
   * Observe canonical (already persisted) items appended to the thread at `now`. Returns the update
   * to write now, or `null` when only an `updatedAt` touch is pending within the coalescing window
   * (it is written at the next barrier via `takePendingUpdate*`).
   */
  observeAppendedItems(canonicalItems: readonly RolloutLine[], now?: TimeInput): PendingMetadataUpdate | null {
    const nowMs = now === undefined ? this.clock() : toMillis(now);
    const nowIso = toIso(nowMs, 'now');
    this.deferCreateUpdateUntilHistoryExists = false;
    this.deferResumeUpdateUntilAppend = false;
    const affects = canonicalItems.some(rolloutItemAffectsThreadMetadata);
    const advancesRecency = canonicalItems.some(rolloutItemAdvancesRecency);
    let update: ThreadMetadataPatch;
    if (affects) {
      const folded = foldItems(this.state, canonicalItems, { updatedAt: nowIso });
      if (folded === null) return null;
      update = folded;
    } else {
      update = { updatedAt: nowIso };
    }
    if (advancesRecency) update.advanceRecencyAt = nowIso;
    this.mergePending(update);
    if (
      !affects &&
      !(this.pending !== null && updateHasMetadataFacts(this.pending)) &&
      this.lastTouchPersistedAt !== undefined &&
      nowMs - this.lastTouchPersistedAt < this.touchIntervalMs
    ) {
      return null;
    }
    return this.takePendingUpdate();
  }

  private mergePending(update: ThreadMetadataPatch | null): void {
    if (update === null) return;
    this.pending = this.pending === null ? update : mergePatch(this.pending, update);
    this.generation += 1;
  }
}

function clonePatch(patch: ThreadMetadataPatch): ThreadMetadataPatch {
  const out: ThreadMetadataPatch = { ...patch };
  if (patch.gitInfo) out.gitInfo = { ...patch.gitInfo };
  return out;
}
