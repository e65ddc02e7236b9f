// Records what the real Codex CLI answers about each sample CODEX_HOME (thread/list and thread/read
// with turns, see codexAnswers.ts) into test/fixtures/codex-answers/<sample>.json: the 0.169 sample
// asked to Codex 0.169, the 0.171 sample to Codex 0.171. test/cli/sampleAgreesWithCodex.test.ts
// compares our `list --json` / `show --json` with these files; the Codex judge (codexCli.test.ts)
// checks them against the live CLI, so a stale file fails there. Run after installing both CLIs
// (see codexAppServer.ts):
//   node --import tsx test/codex/recordCodexAnswers.ts
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answersOf, answersPath, copyHome } from './codexAnswers.js';
import { codexBinVersion, codexView, findCodexBin } from './codexAppServer.js';
import { SAMPLES } from './helpers.js';

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'ts-codex-record-'));
  try {
    for (const sample of SAMPLES) {
      const bin = findCodexBin(sample.version);
      if (!bin) {
        process.stderr.write(`Codex ${sample.version} not installed: skipped the ${sample.version} sample\n`);
        continue;
      }
      const home = join(tmp, sample.version);
      copyHome(sample.home, home);
      const answers = answersOf(await codexView(bin, home, false), home, codexBinVersion(bin) ?? sample.version);
      const target = answersPath(sample.version);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, `${JSON.stringify(answers, null, 1)}\n`);
      process.stdout.write(`wrote ${target}\n`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
