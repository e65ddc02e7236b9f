// Reads the real Codex 0.169 CODEX_HOME sample shipped in test/fixtures.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RolloutLine } from '../../src/model/rolloutLine.js';

export const SAMPLE_HOME = new URL('../fixtures/codex-home-sample/', import.meta.url).pathname;

export function sampleRolloutFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^rollout-.*\.jsonl$/.test(e.name)) out.push(p);
    }
  };
  walk(join(SAMPLE_HOME, 'sessions'));
  walk(join(SAMPLE_HOME, 'archived_sessions'));
  return out.sort();
}

/** The lines of a rollout file, split on `\n` only (Codex writes raw U+2028/U+2029 in strings). */
export function readLines(path: string): RolloutLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RolloutLine);
}

export function sampleFileFor(threadId: string): string {
  const file = sampleRolloutFiles().find((f) => f.endsWith(`-${threadId}.jsonl`));
  if (!file) throw new Error(`no sample rollout for ${threadId}`);
  return file;
}
