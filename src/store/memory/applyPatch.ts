// Owns how a literal ThreadMetadataPatch changes a stored thread record (spec §2.5): absent fields
// stay, clearable fields clear on `null`, git info merges per sub-field (set / clear / keep),
// `tokenUsage` also sets `tokensUsed`, `updatedAt` is allocated through the tenant clock and
// `advanceRecencyAt` moves `recencyAt` to max(existing, allocated value) — never backwards (updatedAt is
// allocated first; both naming the same instant share one allocation).
import type { GitInfo, StoredThread } from '../../model/thread.js';
import type { GitInfoPatch, ThreadMetadataPatch } from '../../model/patch.js';
import type { TimestampClock } from './timestampClock.js';

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

export function toMs(iso: string): number {
  return Date.parse(iso);
}

/** Resolve a git patch against the existing value; all three parts empty → `null`. */
export function resolveGitInfo(existing: GitInfo | null, patch: GitInfoPatch): GitInfo | null {
  const pick = (next: string | null | undefined, current: string | null): string | null => (next === undefined ? current : next);
  const sha = pick(patch.sha, existing?.sha ?? null);
  const branch = pick(patch.branch, existing?.branch ?? null);
  const originUrl = pick(patch.originUrl, existing?.originUrl ?? null);
  return sha === null && branch === null && originUrl === null ? null : { sha, branch, originUrl };
}

/** Apply `patch` to `record` in place. The patch must come from `parsePatch` (no `null` on non-clearable fields). */
export function applyPatch(record: StoredThread, patch: ThreadMetadataPatch, clock: TimestampClock): void {
  if (patch.name !== undefined) record.name = patch.name;
  if (patch.rolloutPath !== undefined) record.rolloutPath = patch.rolloutPath;
  if (patch.preview !== undefined) record.preview = patch.preview;
  if (patch.title !== undefined) record.title = patch.title;
  if (patch.modelProvider !== undefined) record.modelProvider = patch.modelProvider;
  if (patch.model !== undefined) record.model = patch.model;
  if (patch.reasoningEffort !== undefined) record.reasoningEffort = patch.reasoningEffort;
  if (patch.createdAt !== undefined) record.createdAt = toIso(toMs(patch.createdAt));
  // One allocation per distinct instant of the patch: `updatedAt` and `advanceRecencyAt` naming the
  // same instant (LiveThread's turn start) get the same allocated value.
  const allocated = new Map<number, number>();
  const allocate = (value: string): number => {
    const candidate = toMs(value);
    let out = allocated.get(candidate);
    if (out === undefined) {
      out = clock.allocate(candidate);
      allocated.set(candidate, out);
    }
    return out;
  };
  if (patch.updatedAt !== undefined) record.updatedAt = toIso(allocate(patch.updatedAt));
  if (patch.advanceRecencyAt !== undefined) {
    const recency = allocate(patch.advanceRecencyAt);
    if (recency > toMs(record.recencyAt)) record.recencyAt = toIso(recency);
  }
  if (patch.source !== undefined) record.source = structuredClone(patch.source);
  if (patch.threadSource !== undefined) record.threadSource = patch.threadSource;
  if (patch.agentNickname !== undefined) record.agentNickname = patch.agentNickname;
  if (patch.agentRole !== undefined) record.agentRole = patch.agentRole;
  if (patch.agentPath !== undefined) record.agentPath = patch.agentPath;
  if (patch.cwd !== undefined) record.cwd = patch.cwd;
  if (patch.cliVersion !== undefined) record.cliVersion = patch.cliVersion;
  if (patch.approvalMode !== undefined) record.approvalMode = patch.approvalMode;
  if (patch.permissionProfile !== undefined) record.permissionProfile = structuredClone(patch.permissionProfile);
  if (patch.tokenUsage !== undefined) {
    record.tokenUsage = structuredClone(patch.tokenUsage);
    record.tokensUsed = Math.max(0, patch.tokenUsage.total_tokens);
  }
  if (patch.firstUserMessage !== undefined) record.firstUserMessage = patch.firstUserMessage;
  if (patch.gitInfo !== undefined) record.gitInfo = resolveGitInfo(record.gitInfo, patch.gitInfo);
  if (patch.memoryMode !== undefined) record.memoryMode = patch.memoryMode;
  if (patch.historyMode !== undefined) record.historyMode = patch.historyMode;
}
