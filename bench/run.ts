// `npm run bench -- <name> [--json] [...]`: runs bench/<name>.ts in a child process so each bench
// starts from a clean heap. With no name, runs them all in turn. The peers bench needs Mastra and
// LangGraph, which a user of the package never installs: they are bench/package.json's
// dependencies, installed into bench/node_modules (from bench/package-lock.json) on the first run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BENCHES = ['append', 'idle', 'resume', 'list', 'import', 'load', 'peers', 'heavy'];
const [name, ...rest] = process.argv.slice(2);
const names = name && !name.startsWith('-') ? [name] : BENCHES;
const args = name && !name.startsWith('-') ? rest : process.argv.slice(2);
/** Benches that import the peers of bench/package.json. */
const NEEDS_PEERS = new Set(['peers', 'heavy']);
const benchDir = fileURLToPath(new URL('.', import.meta.url));
if (names.some((n) => NEEDS_PEERS.has(n)) && !existsSync(`${benchDir}node_modules/@mastra/pg/package.json`)) {
  process.stderr.write('bench: installing the peers of bench/package.json into bench/node_modules (first peers run)\n');
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: benchDir, stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
}
let failed = false;
for (const n of names) {
  const file = fileURLToPath(new URL(`./${n}.ts`, import.meta.url));
  if (!existsSync(file)) {
    process.stderr.write(`bench: unknown benchmark '${n}' (have: ${BENCHES.filter((b) => existsSync(fileURLToPath(new URL(`./${b}.ts`, import.meta.url)))).join(', ')})\n`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', file, ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
