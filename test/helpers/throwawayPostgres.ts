// Owns throwaway PostgreSQL clusters for fault tests: initdb a temporary data directory, start it on
// a free localhost port with pg_ctl, restart it (`pg_ctl restart -m fast`) while a test runs, and
// stop and delete it afterwards — so a test may kill and restart "its" server without touching the
// shared one. PostgreSQL refuses to run as root, so as root every binary runs as the `postgres`
// OS user (`runuser -u postgres --`). `throwawayPostgresUnavailable()` says why a cluster cannot be
// made here (tests skip with that reason).
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PG_BIN = process.env.THREAD_STORE_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const RUN_AS = 'postgres';

export interface ThrowawayPostgres {
  /** Superuser URL of the `postgres` database. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** URL of another database on the cluster. */
  urlFor(database: string): string;
  /** `pg_ctl restart -m fast`: sessions are terminated, the server is back when this resolves. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast` (the server stays down until start()). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop with `-m immediate` and delete the directory. Idempotent. */
  destroy(): Promise<void>;
  /** The server log (for failure messages). */
  log(): string;
}

function postgresUid(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', RUN_AS], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', RUN_AS], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

const isRoot = () => process.getuid?.() === 0;

/** Why no throwaway cluster can be started here, or null when one can. */
export function throwawayPostgresUnavailable(): string | null {
  for (const bin of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(PG_BIN, bin))) return `PostgreSQL server binaries not found in ${PG_BIN} (set THREAD_STORE_PG_BIN)`;
  }
  if (isRoot()) {
    if (!postgresUid()) return `running as root and there is no "${RUN_AS}" OS user to run PostgreSQL as`;
    if (spawnSync('runuser', ['--help']).error) return 'running as root and runuser is missing';
  }
  return null;
}

function command(bin: string, args: string[]): [string, string[]] {
  const path = join(PG_BIN, bin);
  return isRoot() ? ['runuser', ['-u', RUN_AS, '--', path, ...args]] : [path, args];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const live = new Set<ThrowawayPostgres>();
let exitHookInstalled = false;

/** Start a new cluster (initdb ~1–2 s). Always `destroy()` it (an exit hook stops leftovers). */
export async function startThrowawayPostgres(options: { settings?: Record<string, string> } = {}): Promise<ThrowawayPostgres> {
  const reason = throwawayPostgresUnavailable();
  if (reason) throw new Error(reason);
  const root = mkdtempSync(join(tmpdir(), 'thread-store-pg-'));
  const owner = isRoot() ? postgresUid() : null;
  if (owner) chownSync(root, owner.uid, owner.gid);
  chmodSync(root, 0o700);
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  // --no-sync and fsync=off: the cluster lives for one test file; durability across a *server*
  // restart (what the tests check) does not need fsync, only that COMMIT reached the WAL.
  await run(...command('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']));
  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: root,
    fsync: 'off',
    full_page_writes: 'off',
    max_connections: '120',
    shared_buffers: '64MB',
    ...options.settings,
  };
  const serverOptions = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  const pgCtl = (args: string[]) => run(...command('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', ...args]));
  await pgCtl(['-o', serverOptions, 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let destroyed = false;
  const cluster: ThrowawayPostgres = {
    url,
    port,
    dataDir,
    urlFor: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async restart() {
      await pgCtl(['-m', 'fast', '-o', serverOptions, 'restart']);
    },
    async stop() {
      await pgCtl(['-m', 'fast', 'stop']);
    },
    async start() {
      await pgCtl(['-o', serverOptions, 'start']);
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(cluster);
      await pgCtl(['-m', 'immediate', 'stop']).catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
    log() {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
  };
  live.add(cluster);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test process that dies without afterAll must not leave servers running.
    process.on('exit', () => {
      for (const c of live) {
        const [cmd, args] = command('pg_ctl', ['-D', c.dataDir, '-m', 'immediate', 'stop']);
        spawnSync(cmd, args, { stdio: 'ignore' });
        rmSync(join(c.dataDir, '..'), { recursive: true, force: true });
      }
    });
  }
  return cluster;
}
