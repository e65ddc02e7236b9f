// Chooses the PostgreSQL every test file uses, once per run: DATABASE_URL when set; else a
// testcontainers PostgreSQL when a Docker engine answers; else none (each file then opens its own
// embedded PGlite). In server modes a migrated template database makes per-file databases cheap.
import { existsSync } from 'node:fs';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openPostgresDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string | null;
    templateDb: string | null;
    /** The Citus coordinator of the Citus suite (vitest.citus.config.ts), else null. */
    citusUrl: string | null;
  }
}

const TEMPLATE = `thread_store_test_template_${process.pid}`;

async function dockerAnswers(): Promise<boolean> {
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let serverUrl = process.env.DATABASE_URL ?? null;
  let stopContainer: (() => Promise<void>) | null = null;
  if (!serverUrl && (await dockerAnswers())) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:15').start();
    serverUrl = container.getConnectionUri();
    stopContainer = async () => {
      await container.stop();
    };
  }
  let templateDb: string | null = null;
  if (serverUrl) {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
    await admin.query(`CREATE DATABASE ${TEMPLATE}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${TEMPLATE}`;
    const db = openPostgresDatabase({ url: url.toString(), maxConnections: 1 });
    await migrate(db);
    await db.close();
    templateDb = TEMPLATE;
  }
  project.provide('serverUrl', serverUrl);
  project.provide('templateDb', templateDb);
  project.provide('citusUrl', null);
  process.stdout.write(`[tests] database: ${serverUrl ? (stopContainer ? 'testcontainers PostgreSQL' : 'DATABASE_URL') : 'embedded PGlite'}\n`);
  return async () => {
    if (serverUrl && templateDb) {
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${templateDb} WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
    if (stopContainer) await stopContainer();
  };
}
