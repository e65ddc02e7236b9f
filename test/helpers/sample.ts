// The one reader of the real Codex 0.169 CODEX_HOME sample shipped in test/fixtures: where it is,
// which rollout files it has, and their lines — split on `\n` only (Codex writes raw
// U+2028/U+2029/U+0085 inside JSON strings) and validated, naming file:line on a bad line.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRolloutLineText, type RolloutLine } from '../../src/model/rolloutLine.js';

export const SAMPLE_HOME = fileURLToPath(new URL('../fixtures/codex-home-sample/', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Every rollout file (active and archived, base and segment files), as absolute paths, sorted. */
export function sampleRolloutFiles(): string[] {
  return ['sessions', 'archived_sessions']
    .flatMap((sub) => walk(join(SAMPLE_HOME, sub)))
    .filter((p) => /\/rollout-[^/]*\.jsonl$/.test(p))
    .sort();
}

/** The lines of a rollout file. */
export function readLines(path: string): RolloutLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((raw, i) => ({ raw, i }))
    .filter(({ raw }) => raw.trim() !== '')
    .map(({ raw, i }) => parseRolloutLineText(raw, `${path}:${i + 1}`));
}

/** The base rollout file of a thread (not a post-revert segment file). */
export function sampleFileFor(threadId: string): string {
  const file = sampleRolloutFiles().find((f) => f.endsWith(`-${threadId}.jsonl`));
  if (!file) throw new Error(`no sample rollout for ${threadId}`);
  return file;
}
