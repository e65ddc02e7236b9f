// Test helper: reads the real Codex 0.169 CODEX_HOME sample (test/fixtures/codex-home-sample) —
// rollout files grouped per thread (base file + post-revert segment files), the name index, and the
// `threads` rows of state_5.sqlite.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { asRecord, type RolloutLine } from '../../../src/model/rolloutLine.js';
import { readLines, SAMPLE_HOME, sampleRolloutFiles } from '../../helpers/sample.js';

export { SAMPLE_HOME };

const FILE_RE =
  /^rollout-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))?\.jsonl$/;

export interface RolloutFile {
  /** Path relative to the sample home. */
  path: string;
  threadId: string;
  /** Segment id for `<thread>_<segment>.jsonl` files (written after a revert). */
  segmentId: string | undefined;
  lines: RolloutLine[];
}

/** Split on `\n` only: real lines contain raw U+2028/U+2029/U+0085 inside JSON strings. */
export const readRolloutLines = readLines;

export function loadRolloutFiles(): RolloutFile[] {
  const files: RolloutFile[] = [];
  for (const full of sampleRolloutFiles()) {
    const name = full.slice(full.lastIndexOf('/') + 1);
    const m = FILE_RE.exec(name);
    if (!m) continue;
    files.push({ path: relative(SAMPLE_HOME, full), threadId: m[1]!, segmentId: m[2], lines: readRolloutLines(full) });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

function ordinalOf(line: RolloutLine): number | undefined {
  return typeof line.ordinal === 'number' ? line.ordinal : undefined;
}

/**
 * A thread's own history in order: its base file, then each segment file. A segment's session_meta
 * carries `history_base {thread_id, end_ordinal_exclusive}`; when it points at this thread, base
 * lines at or after that ordinal were reverted and are not part of the history.
 */
export function threadHistory(files: readonly RolloutFile[], threadId: string): RolloutLine[] {
  const own = files.filter((f) => f.threadId === threadId);
  const base = own.find((f) => f.segmentId === undefined);
  let lines = base ? [...base.lines] : [];
  for (const segment of own.filter((f) => f.segmentId !== undefined)) {
    const meta = asRecord(segment.lines.find((l) => l.type === 'session_meta')?.payload);
    const historyBase = asRecord(meta?.history_base);
    const end = historyBase?.end_ordinal_exclusive;
    if (historyBase?.thread_id === threadId && typeof end === 'number') {
      lines = lines.filter((l) => (ordinalOf(l) ?? -1) < end);
    }
    lines.push(...segment.lines);
  }
  return lines;
}

/** Last `thread_name` per id in session_index.jsonl (empty name = no name). */
export function loadNameIndex(): Map<string, string | null> {
  const names = new Map<string, string | null>();
  const text = readFileSync(join(SAMPLE_HOME, 'session_index.jsonl'), 'utf8');
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    const entry = JSON.parse(raw) as { id: string; thread_name?: string | null };
    names.set(entry.id, entry.thread_name ? entry.thread_name : null);
  }
  return names;
}

export interface SqliteThreadRow {
  id: string;
  rollout_path: string;
  created_at: number;
  created_at_ms: number;
  source: string;
  model_provider: string;
  cwd: string;
  title: string;
  approval_mode: string;
  tokens_used: number;
  git_sha: string | null;
  git_branch: string | null;
  git_origin_url: string | null;
  cli_version: string;
  first_user_message: string;
  agent_nickname: string | null;
  agent_role: string | null;
  agent_path: string | null;
  memory_mode: string;
  model: string | null;
  reasoning_effort: string | null;
  thread_source: string | null;
  preview: string;
  history_mode: string;
  name: string | null;
  archived: number;
}

export function loadSqliteThreads(): SqliteThreadRow[] {
  const db = new Database(join(SAMPLE_HOME, 'state_5.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT * FROM threads ORDER BY id').all() as SqliteThreadRow[];
  } finally {
    db.close();
  }
}
