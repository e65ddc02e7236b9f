// Owns how CLI commands reach the database from the global options.
import type { Command } from 'commander';
import type { Database } from '../db/database.js';
import { openDatabase, openThreadStore, type ThreadStoreService } from '../store/openThreadStore.js';
import type { GlobalOptions } from './main.js';

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

function target(options: GlobalOptions): { url?: string; dataDir?: string } {
  const url = options.databaseUrl ?? process.env.DATABASE_URL;
  return url ? { url } : { dataDir: options.dataDir ?? './.thread-store' };
}

export function openCliDatabase(options: GlobalOptions): Promise<Database> {
  return openDatabase(target(options));
}

export function openCliStore(options: GlobalOptions): Promise<ThreadStoreService> {
  return openThreadStore(target(options));
}
