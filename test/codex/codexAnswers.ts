// What the real Codex CLI answers about a CODEX_HOME, in a form tests can compare and keep: the
// thread/list pages (active and archived) and thread/read (with turns) of every thread, without the
// runtime-only fields (status, environments, canAcceptDirectInput), with `path` relative to the home
// and strings longer than LONG_STRING characters replaced by their SHA-256 (the answers hold 200 KB
// messages). test/fixtures/codex-answers/<sample>.json holds Codex's answers for each sample, recorded
// by test/codex/recordCodexAnswers.ts; the Codex judge (codexCli.test.ts) re-checks them live.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodexView } from './codexAppServer.js';

export const RUNTIME_FIELDS = ['status', 'environments', 'canAcceptDirectInput'] as const;
export const LONG_STRING = 200;

export interface CodexAnswers {
  /** `codex --version` of the binary that answered. */
  codex: string;
  list: { active: Record<string, unknown>[]; archived: Record<string, unknown>[] };
  read: Record<string, Record<string, unknown>>;
  readErrors: Record<string, string>;
}

/** Long strings → `sha256:<hex> (<n> chars)`, everything else as is. */
export function digestLongStrings(value: unknown): unknown {
  if (typeof value === 'string') {
    if (value.length <= LONG_STRING) return value;
    return `sha256:${createHash('sha256').update(value, 'utf8').digest('hex')} (${value.length} chars)`;
  }
  if (Array.isArray(value)) return value.map(digestLongStrings);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, digestLongStrings(v)]));
  }
  return value;
}

/** One Thread as compared: runtime fields dropped, `path` relative to `home` (ours already is). */
export function comparableThread(thread: Record<string, unknown>, home: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(thread)) {
    if ((RUNTIME_FIELDS as readonly string[]).includes(k)) continue;
    out[k] = k === 'path' && typeof v === 'string' && home !== null && v.startsWith(`${home}/`) ? v.slice(home.length + 1) : v;
  }
  return digestLongStrings(out) as Record<string, unknown>;
}

export function answersOf(view: CodexView, home: string, codex: string): CodexAnswers {
  return {
    codex,
    list: {
      active: view.active.map((t) => comparableThread(t, home)),
      archived: view.archived.map((t) => comparableThread(t, home)),
    },
    read: Object.fromEntries([...view.read.entries()].map(([id, t]) => [id, comparableThread(t, home)])),
    readErrors: Object.fromEntries([...view.readErrors.entries()].map(([id, m]) => [id, m.replaceAll(home, '<home>')])),
  };
}

export function answersPath(sampleVersion: string): string {
  return fileURLToPath(new URL(`../fixtures/codex-answers/${sampleVersion}.json`, import.meta.url));
}

export function recordedAnswers(sampleVersion: string): CodexAnswers {
  return JSON.parse(readFileSync(answersPath(sampleVersion), 'utf8')) as CodexAnswers;
}

/**
 * A copy of a CODEX_HOME as its user has it, at `dest`: file times kept (Codex reads rollout mtimes)
 * and state_5.sqlite's `rollout_path`s pointing at the copy (Codex hides a thread whose file is not
 * where its index says).
 */
export function copyHome(src: string, dest: string): void {
  cpSync(src, dest, { recursive: true, preserveTimestamps: true });
  const db = new Database(join(dest, 'state_5.sqlite'));
  try {
    const rows = db.prepare('SELECT id, rollout_path FROM threads').all() as { id: string; rollout_path: string }[];
    const update = db.prepare('UPDATE threads SET rollout_path = ? WHERE id = ?');
    for (const { id, rollout_path } of rows) {
      const at = rollout_path.search(/\/(archived_)?sessions\//);
      update.run(join(dest, rollout_path.slice(at + 1)), id);
    }
  } finally {
    db.close();
  }
}
