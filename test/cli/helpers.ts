// Runs the `thread-store` CLI in tests, in-process (`main(argv)` with stdout/stderr captured) or as
// a subprocess (`node --import tsx test/cli/entry.ts`), against this file's database: the test
// server's per-file database when there is one, else an embedded PGlite in a temp data directory.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

export interface CliTarget {
  /** Global options that point the CLI at this file's database. */
  args: string[];
  mode: 'server' | 'embedded';
  cleanup(): Promise<void>;
}

export async function createCliTarget(): Promise<CliTarget> {
  const test: TestDatabase = await createTestDatabase();
  if (test.url) return { args: ['--database-url', test.url], mode: 'server', cleanup: () => test.drop() };
  await test.drop();
  const dir = await mkdtemp(join(tmpdir(), 'ts-cli-'));
  return { args: ['--data-dir', join(dir, 'db')], mode: 'embedded', cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `thread-store <args>` in this process, capturing what it writes. */
export async function runCli(target: CliTarget, args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  const env = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL; // the target's options decide, not the test runner's environment
  try {
    const code = await main(['node', 'thread-store', ...target.args, ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    if (env !== undefined) process.env.DATABASE_URL = env;
  }
}

const ENTRY = new URL('./entry.ts', import.meta.url).pathname;

/** `thread-store <args>` as a child process (stdout, stderr and exit code as a user sees them). */
export function runCliProcess(target: CliTarget, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const childEnv: Record<string, string> = { ...(process.env as Record<string, string>), CI: 'true', ...env };
    delete childEnv.DATABASE_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...target.args, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
