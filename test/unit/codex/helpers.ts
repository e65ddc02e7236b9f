// Shared helpers for the CODEX_HOME reader tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SAMPLE_HOME = fileURLToPath(new URL('../../fixtures/codex-home-sample', import.meta.url));

/** All rollout files of the sample (sessions/ and archived_sessions/), sorted. */
export function sampleRolloutFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.startsWith('rollout-') && entry.name.endsWith('.jsonl')) out.push(path);
    }
  };
  walk(join(SAMPLE_HOME, 'sessions'));
  walk(join(SAMPLE_HOME, 'archived_sessions'));
  return out.sort();
}

export function hasZstdCli(): boolean {
  try {
    execFileSync('zstd', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function zstdCompress(input: string, output: string): void {
  execFileSync('zstd', ['-q', '-f', input, '-o', output], { stdio: 'ignore' });
}

export function makeTempDir(prefix = 'codex-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Two concatenated zstd frames (levels 19 and 3) of a 2-line rollout whose second line holds raw
 * U+2028, U+2029 and U+0085 plus an escaped CRLF; made with the zstd CLI.
 */
export const TINY_ZST_BASE64 =
  'KLUv/STDHQQAYskdGVCvDsMM2WWNQ+fOIJEZSy65nbDLJzONBBjAdb2S0aHQ4em8dqmmm3F9zi7ZLBx+UpKdKSLRDPRNJ7sxSDxaU1CjTYJ5zcVBGojrw896C37GC1VROnvM1C7RrRhTfHgqVfnsSncHsDtx3Vy34vU7vGRjxtTWfCsCANQ7lIiCcwJdPIEsKLUv/SST/QMAsscbIqA3Hf9nFdyqlrtG79ZuG7bdFz2xtIUTS3UbLE38w7KGgzGAabKBwcLhGMgcjruiwe4YVKVQ3/G+C6q6g5iXEf/R3bcGfhHSsqMHFukz4mdbE90T9/JfFI2YkJkBZWUOlEyUTARLLl5+TeO+QdFSBABcAtNCqoMigoHLA5NowJE=';
export const TINY_ZST_PLAIN =
  '{"timestamp":"2025-01-01T00:00:00.000Z","type":"session_meta","payload":{"id":"0197c3a1-2b4d-7e5f-8a9b-0c1d2e3f4a5b","timestamp":"2025-01-01T00:00:00.000Z","cwd":"/tmp","history_mode":"legacy"}}\n' +
  '{"timestamp":"2025-01-01T00:00:01.000Z","type":"event_msg","payload":{"type":"user_message","message":"line\u2028sep para\u2029sep nel\u0085end \\r\\n crlf"}}\n';
