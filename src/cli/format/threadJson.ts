// Owns the JSON shape of threads on the command line (`--json`): exactly Codex's app-server `Thread`
// (codex/appServer.ts — `list` prints what thread/list answers, `show` what thread/read answers, turns
// and items included), followed by fields of ours Codex does not answer (archived, archivedAt, title,
// tokensUsed, itemCount).
import { toCodexThread, type CodexThread, type CodexThreadView, type CodexTurn } from '../../codex/appServer.js';
import type { StoredThread } from '../../model/thread.js';

/** Fields of ours, after Codex's. */
export interface CliThreadExtras {
  archived: boolean;
  /** Unix seconds. */
  archivedAt: number | null;
  /** Derived title (Codex keeps it in SQLite only). */
  title: string;
  tokensUsed: number;
  itemCount: number;
}

export type CliThread = CodexThread & CliThreadExtras;
export type CliTurn = CodexTurn;

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

export function toCliThread(t: StoredThread, view: CodexThreadView = 'list', turns: CodexTurn[] = []): CliThread {
  return {
    ...toCodexThread(t, view, turns),
    archived: t.archivedAt !== null,
    archivedAt: t.archivedAt === null ? null : seconds(t.archivedAt),
    title: t.title,
    tokensUsed: t.tokensUsed,
    itemCount: t.itemCount,
  };
}

/** A short label for a source: the string, or the single key of an object source (`subAgent`). */
export function sourceLabel(source: unknown): string {
  if (typeof source === 'string') return source;
  const keys = source !== null && typeof source === 'object' ? Object.keys(source) : [];
  return keys.length === 1 ? keys[0]! : JSON.stringify(source);
}
