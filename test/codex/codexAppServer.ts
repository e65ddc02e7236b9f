// A small JSON-RPC client for the real Codex CLI's `codex app-server` (stdio, one JSON object per
// line, JSON-RPC 2.0 without the "jsonrpc" field). Used to let Codex itself judge a CODEX_HOME:
// `initialize`, then `thread/list` (active and archived, every provider and source kind) and
// `thread/read` with turns. Nothing here needs a network or a model.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where the test looks for the CLI: $CODEX_BIN, else the out-of-project install in /tmp/codex-cli. */
export const DEFAULT_CODEX_BIN = '/tmp/codex-cli/node_modules/.bin/codex';

/** The Codex binary to use, or null when none is installed (the tests then skip). */
export function findCodexBin(): string | null {
  const env = process.env.CODEX_BIN;
  if (env) return existsSync(env) ? env : null;
  return existsSync(DEFAULT_CODEX_BIN) ? DEFAULT_CODEX_BIN : null;
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

/** What Codex shows of a home: list (active + archived) joined with thread/read of each thread. */
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
