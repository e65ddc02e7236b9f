// A small JSON-RPC client for the real Codex CLI's `codex app-server` (stdio, one JSON object per
// line, JSON-RPC 2.0 without the "jsonrpc" field). Used to let Codex itself judge a CODEX_HOME:
// `initialize`, then `thread/list` (active and archived, every provider and source kind) and
// `thread/read` with turns. Nothing here needs a network or a model.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The Codex versions we verify against, and where each is installed outside the project by default. */
export const CODEX_VERSIONS = ['0.169', '0.171'] as const;
export type CodexVersion = (typeof CODEX_VERSIONS)[number];

/** `npm install --prefix /tmp/codex-0169 --no-save @openai/codex@0.169.0` (and 0171 for 0.171.0). */
export function defaultCodexBin(version: CodexVersion): string {
  return `/tmp/codex-${version.replace('.', '')}/node_modules/.bin/codex`;
}

/** `codex --version` → `0.169` (null when it does not run). */
export function codexBinVersion(bin: string): string | null {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 });
    const m = /(\d+\.\d+)\.\d+/.exec(out);
    return m ? m[1]! : null;
  } catch {
    return null;
  }
}

/**
 * The installed Codex binary of `version`, or null (tests needing it then skip): $CODEX_BIN_0169 /
 * $CODEX_BIN_0171, else $CODEX_BIN when it is that version, else the default install location.
 */
export function findCodexBin(version: CodexVersion): string | null {
  const own = process.env[`CODEX_BIN_${version.replace('.', '')}`];
  if (own) return existsSync(own) ? own : null;
  const generic = process.env.CODEX_BIN;
  if (generic && existsSync(generic) && codexBinVersion(generic) === version) return generic;
  const fallback = defaultCodexBin(version);
  return existsSync(fallback) ? fallback : null;
}

/** Every ThreadSourceKind of the app-server protocol (v2), so that nothing is filtered out. */
export const ALL_SOURCE_KINDS = [
  'cli',
  'vscode',
  'exec',
  'appServer',
  'subAgent',
  'subAgentReview',
  'subAgentCompact',
  'subAgentThreadSpawn',
  'subAgentOther',
  'unknown',
] as const;

export interface CodexTurn {
  id: string;
  status: string;
  items: { type: string; [k: string]: unknown }[];
  [k: string]: unknown;
}

export interface CodexThread {
  id: string;
  forkedFromId: string | null;
  parentThreadId: string | null;
  preview: string;
  name: string | null;
  modelProvider: string;
  model: string | null;
  createdAt: number;
  updatedAt: number;
  cwd: string;
  cliVersion: string;
  source: unknown;
  gitInfo: { sha: string | null; branch: string | null; originUrl: string | null } | null;
  path: string | null;
  turns: CodexTurn[];
  [k: string]: unknown;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class CodexAppServer {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer = '';
  stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onData(chunk));
    child.stderr.on('data', (d: Buffer) => {
      if (this.stderr.length < 64_000) this.stderr += d.toString('utf8');
    });
    child.on('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`codex app-server exited (${code ?? signal}): ${this.stderr.slice(-2000)}`));
      this.pending.clear();
    });
  }

  /** Starts `codex app-server` on `home` (CODEX_HOME and CODEX_SQLITE_HOME) and initializes it. */
  static async start(bin: string, home: string): Promise<CodexAppServer> {
    const env: Record<string, string> = { ...(process.env as Record<string, string>) };
    for (const k of Object.keys(env)) if (k.startsWith('CODEX_') || k === 'OPENAI_API_KEY') delete env[k];
    env.CODEX_HOME = home;
    env.CODEX_SQLITE_HOME = home;
    env.RUST_LOG = 'error';
    const child = spawn(bin, ['app-server'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const server = new CodexAppServer(child);
    await server.request('initialize', { clientInfo: { name: 'pg-thread-store-test', title: null, version: '0.0.0' }, capabilities: null });
    server.notify('initialized');
    return server;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line === '') continue;
      let msg: { id?: number; result?: unknown; error?: { message?: string }; method?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if (msg.id === undefined || msg.method !== undefined) continue; // notifications and server requests
      const p = this.pending.get(msg.id);
      if (!p) continue;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`codex ${JSON.stringify(msg.error)}`));
      else p.resolve(msg.result);
    }
  }

  request<T = unknown>(method: string, params: unknown, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`codex ${method} timed out; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.stdin.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  notify(method: string, params?: unknown): void {
    this.child.stdin.write(`${JSON.stringify(params === undefined ? { method } : { method, params })}\n`);
  }

  /** Every thread of one `archived` side, all providers and source kinds, following cursors. */
  async listThreads(archived: boolean): Promise<CodexThread[]> {
    const out: CodexThread[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: CodexThread[]; nextCursor: string | null } = await this.request('thread/list', {
        cursor,
        limit: 100,
        modelProviders: [],
        sourceKinds: [...ALL_SOURCE_KINDS],
        archived,
      });
      out.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  async readThread(threadId: string): Promise<CodexThread> {
    const res = await this.request<{ thread: CodexThread }>('thread/read', { threadId, includeTurns: true });
    return res.thread;
  }

  /** Every turn of a thread through `thread/turns/list` (oldest first, full items). */
  async listTurns(threadId: string): Promise<CodexTurn[]> {
    const out: CodexTurn[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: CodexTurn[]; nextCursor: string | null } = await this.request('thread/turns/list', {
        threadId,
        cursor,
        limit: 100,
        sortDirection: 'asc',
        itemsView: 'full',
      });
      out.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    this.child.kill('SIGTERM');
    await exited;
    clearTimeout(t);
  }
}

/** What Codex shows of a home: thread/list (active + archived) and thread/read (with turns) of each thread. */
export interface CodexView {
  active: CodexThread[];
  archived: CodexThread[];
  read: Map<string, CodexThread>;
  /** thread/read failures by thread id (error message). */
  readErrors: Map<string, string>;
}

export async function codexView(bin: string, home: string, resume = true): Promise<CodexView> {
  const server = await CodexAppServer.start(bin, home);
  try {
    const active = await server.listThreads(false);
    const archived = await server.listThreads(true);
    const read = new Map<string, CodexThread>();
    const readErrors = new Map<string, string>();
    for (const t of [...active, ...archived]) {
      try {
        // Without thread_history_1.sqlite (Codex's turn projection), thread/read and thread/turns/list
        // answer no turns at all, even for Codex's own rollouts; thread/resume (no model call) loads
        // the rollout and builds the projection, after which thread/read has every turn.
        if (resume) await server.request('thread/resume', { threadId: t.id });
        read.set(t.id, await server.readThread(t.id));
      } catch (e) {
        readErrors.set(t.id, (e as Error).message);
      }
    }
    return { active, archived, read, readErrors };
  } finally {
    await server.close();
  }
}
