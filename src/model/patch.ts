// Owns ThreadMetadataPatch: Codex's literal metadata patch with tri-state clearable fields.
// In TypeScript: a key that is absent (or `undefined`) leaves the field unchanged, `null` clears a
// clearable field, a value sets it. On non-clearable fields `null` means the same as absent.
// `patchFromWire` / `patchToWire` convert Codex's snake_case JSON wire form.
import { z } from 'zod';
import { parseOrThrow } from './validate.js';
import { storableJson } from './jsonValue.js';
import { historyModeSchema, memoryModeSchema, sessionSourceSchema, tokenUsageSchema } from './thread.js';

export const CLEARABLE_FIELDS = ['name', 'threadSource', 'agentNickname', 'agentRole', 'agentPath'] as const;

const timestamp = z.iso.datetime({ offset: true });
/** Non-clearable: `null` is accepted and means "unchanged". */
const keep = <T extends z.ZodType>(schema: T) =>
  schema
    .nullish()
    .transform((v) => (v === null ? undefined : v))
    .optional();
const clearable = <T extends z.ZodType>(schema: T) => schema.nullish();

export const gitInfoPatchSchema = z.strictObject({
  sha: clearable(z.string()),
  branch: clearable(z.string()),
  originUrl: clearable(z.string()),
});

export const threadMetadataPatchSchema = z.strictObject({
  name: clearable(z.string()),
  rolloutPath: keep(z.string()),
  preview: keep(z.string()),
  title: keep(z.string()),
  modelProvider: keep(z.string()),
  model: keep(z.string()),
  reasoningEffort: keep(z.string()),
  createdAt: keep(timestamp),
  updatedAt: keep(timestamp),
  advanceRecencyAt: keep(timestamp),
  source: keep(sessionSourceSchema),
  threadSource: clearable(z.string()),
  agentNickname: clearable(z.string()),
  agentRole: clearable(z.string()),
  agentPath: clearable(z.string()),
  cwd: keep(z.string()),
  cliVersion: keep(z.string()),
  approvalMode: keep(z.string()),
  permissionProfile: keep(storableJson(z.unknown())),
  tokenUsage: keep(tokenUsageSchema),
  firstUserMessage: keep(z.string()),
  gitInfo: keep(gitInfoPatchSchema),
  memoryMode: keep(memoryModeSchema),
  historyMode: keep(historyModeSchema),
});

/**
 * The patch as stores apply it (the schema's output): absent = unchanged, `null` = clear (clearable
 * fields only), a value = set. `advanceRecencyAt` is monotonic: recency advances to at least that
 * instant, never backwards.
 */
export type ThreadMetadataPatch = z.output<typeof threadMetadataPatchSchema>;
export type GitInfoPatch = z.output<typeof gitInfoPatchSchema>;
/** What a caller may pass: additionally `null` on non-clearable fields, meaning unchanged. */
export type ThreadMetadataPatchInput = z.input<typeof threadMetadataPatchSchema>;

function dropUndefined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** Validate a patch given in the TypeScript (camelCase) form. */
export function parsePatch(value: unknown, where = 'patch'): ThreadMetadataPatch {
  const parsed = parseOrThrow(threadMetadataPatchSchema, value, where);
  const out = dropUndefined(parsed);
  if (out.gitInfo) out.gitInfo = dropUndefined(out.gitInfo);
  return out;
}

export function isEmptyPatch(patch: ThreadMetadataPatch): boolean {
  try {
    return Object.values(patch).every((v) => v === undefined);
  } catch {
    // An unreadable value (a throwing getter) is not empty: parsePatch then reports it as InvalidRequest.
    return false;
  }
}

/** Codex `merge(next)`: every field present in `next` (including clears) wins; git merges per sub-field. */
export function mergePatch(base: ThreadMetadataPatch, next: ThreadMetadataPatch): ThreadMetadataPatch {
  const out: ThreadMetadataPatch = { ...base };
  for (const [key, value] of Object.entries(next) as [keyof ThreadMetadataPatch, unknown][]) {
    if (value === undefined) continue;
    if (key === 'gitInfo') {
      out.gitInfo = { ...(base.gitInfo ?? {}), ...dropUndefined(value as GitInfoPatch) };
    } else {
      (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

// ---- Codex wire form (snake_case JSON) -------------------------------------------------------

const WIRE_KEYS: Record<keyof ThreadMetadataPatch, string> = {
  name: 'name',
  rolloutPath: 'rollout_path',
  preview: 'preview',
  title: 'title',
  modelProvider: 'model_provider',
  model: 'model',
  reasoningEffort: 'reasoning_effort',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  advanceRecencyAt: 'advance_recency_at',
  source: 'source',
  threadSource: 'thread_source',
  agentNickname: 'agent_nickname',
  agentRole: 'agent_role',
  agentPath: 'agent_path',
  cwd: 'cwd',
  cliVersion: 'cli_version',
  approvalMode: 'approval_mode',
  permissionProfile: 'permission_profile',
  tokenUsage: 'token_usage',
  firstUserMessage: 'first_user_message',
  gitInfo: 'git_info',
  memoryMode: 'memory_mode',
  historyMode: 'history_mode',
};
const GIT_WIRE_KEYS: Record<keyof GitInfoPatch, string> = { sha: 'sha', branch: 'branch', originUrl: 'origin_url' };

function invert<K extends string>(map: Record<K, string>): Record<string, K> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [v, k])) as Record<string, K>;
}
const FROM_WIRE = invert(WIRE_KEYS);
const GIT_FROM_WIRE = invert(GIT_WIRE_KEYS);

/** Parse Codex's JSON wire form (`{"git_info":{"branch":"main","origin_url":null}}`). */
export function patchFromWire(value: unknown, where = 'patch'): ThreadMetadataPatch {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return parsePatch(value, where);
  }
  const camel: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const mapped = FROM_WIRE[key] ?? key; // unknown keys stay unknown and are rejected with their path
    if (mapped === 'gitInfo' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      camel.gitInfo = Object.fromEntries(Object.entries(v).map(([gk, gv]) => [GIT_FROM_WIRE[gk] ?? gk, gv]));
    } else {
      camel[mapped] = v;
    }
  }
  return parsePatch(camel, where);
}

/** Serialize to Codex's wire form: absent fields skipped, clears written as `null`. */
export function patchToWire(patch: ThreadMetadataPatch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch) as [keyof ThreadMetadataPatch, unknown][]) {
    if (value === undefined) continue;
    if (key === 'gitInfo') {
      const git: Record<string, unknown> = {};
      for (const [gk, gv] of Object.entries(value as GitInfoPatch) as [keyof GitInfoPatch, unknown][]) {
        if (gv !== undefined) git[GIT_WIRE_KEYS[gk]] = gv;
      }
      out.git_info = git;
    } else {
      out[WIRE_KEYS[key]] = value;
    }
  }
  return out;
}
