// Owns the PostgreSQL side of the import/export port (src/store/transfer.ts) for one tenant: each
// thread's import is one tenant transaction (its import lock taken first, so overlapping imports of
// one thread take turns), export reads page by page in short tenant transactions. Lines, checkpoints
// and the record go through the SQL of importThread.ts; forks stay copy-free (their history reads
// through historySegments.ts).
import type { Database, DatabaseLayout, SqlExecutor } from '../../db/database.js';
import type { ThreadInsert } from '../../db/schema/columns.js';
import { sessionSourceToText } from '../../model/thread.js';
import type { CheckpointInsert } from '../../db/schema/columns.js';
import type { ImportTarget, SeqLine, SpawnEdge, ThreadImportUnit, ThreadTransfer, TransferLine, TransferThread } from '../transfer.js';
import { historySegments, readVirtualRange } from './historySegments.js';
import { listSpawnEdges, listThreadsForExport, readPhysicalRows } from './importExportQueries.js';
import {
  clearImportedRows,
  findImportTarget,
  importedThreadExists,
  insertImportedCheckpoints,
  insertImportedItems,
  loadImportTargets,
  lockImportTarget,
  upsertImportedSpawnEdge,
  upsertImportedThread,
  type ImportTargetRow,
} from './importThread.js';
import { enforceTenantQuota } from './quota.js';
import { refreshResumePoints } from './resumePoint.js';
import { checkpointRow } from './rowLists.js';
import { foldHeldNow, type HeldTexts } from './searchIndex.js';
import { searchTextOf } from '../shared/preparedItem.js';
import { findThreadRow } from './threadLookup.js';
import { rowToThread, type ThreadRowRecord } from './threadRow.js';

function targetOf(row: ImportTargetRow): ImportTarget {
  const extra = row.extra !== null && typeof row.extra === 'object' && !Array.isArray(row.extra) ? (row.extra as Record<string, unknown>) : {};
  return { threadId: row.id, extra, lastSeq: Number(row.last_seq), itemCount: Number(row.item_count), byteSize: Number(row.byte_size) };
}

/** The record and layout of a stored row. */
export function transferThreadOf(row: ThreadRowRecord): TransferThread {
  return {
    ...rowToThread(row),
    lastSeq: Number(row.last_seq),
    historyBaseThreadId: row.history_base_thread_id,
    historyBaseSeq: row.history_base_seq === null ? null : Number(row.history_base_seq),
  };
}

/** The threads row an import writes for `thread` (every column of the record and its layout). */
function threadInsertOf(tenantId: string, thread: TransferThread): ThreadInsert {
  return {
    tenantId,
    id: thread.threadId,
    sessionId: thread.sessionId,
    forkedFromId: thread.forkedFromId,
    parentThreadId: thread.parentThreadId,
    source: sessionSourceToText(thread.source),
    threadSource: thread.threadSource,
    originator: thread.originator,
    modelProvider: thread.modelProvider,
    model: thread.model,
    reasoningEffort: thread.reasoningEffort,
    cwd: thread.cwd,
    cliVersion: thread.cliVersion,
    name: thread.name,
    title: thread.title,
    preview: thread.preview,
    firstUserMessage: thread.firstUserMessage,
    agentNickname: thread.agentNickname,
    agentRole: thread.agentRole,
    agentPath: thread.agentPath,
    approvalMode: thread.approvalMode,
    memoryMode: thread.memoryMode,
    historyMode: thread.historyMode,
    gitSha: thread.gitInfo?.sha ?? null,
    gitBranch: thread.gitInfo?.branch ?? null,
    gitOriginUrl: thread.gitInfo?.originUrl ?? null,
    tokensUsed: thread.tokensUsed,
    tokenUsage: thread.tokenUsage,
    permissionProfile: thread.permissionProfile,
    extra: thread.extra,
    rolloutPath: thread.rolloutPath,
    createdAt: thread.createdAt,
    updatedAt: thread.updatedAt,
    recencyAt: thread.recencyAt,
    archivedAt: thread.archivedAt,
    historyBaseThreadId: thread.historyBaseThreadId,
    historyBaseSeq: thread.historyBaseSeq,
    lastSeq: thread.lastSeq,
    itemCount: thread.itemCount,
    byteSize: thread.byteSize,
  };
}

async function historyOf(tx: SqlExecutor, tenantId: string, threadId: string, after: number | null, limit: number): Promise<SeqLine[]> {
  const row = await findThreadRow(tx, tenantId, threadId);
  if (!row) return [];
  const rows = await readVirtualRange(tx, tenantId, await historySegments(tx, tenantId, row), { after, limit });
  return rows.map((r) => ({ seq: r.vseq, line: r.line }));
}

/** Most search text an import holds for one thread; a thread with more is folded by the database from its stored lines. */
const MAX_HELD_TEXT_CHARS = 32 * 1024 * 1024;

class PostgresImportUnit implements ThreadImportUnit {
  /** The search texts of the lines this unit inserted (finish folds them); null when none. */
  private held: HeldTexts | null = null;
  private heldChars = 0;
  /** False once lines came out of seq order or the text outgrew MAX_HELD_TEXT_CHARS: then the database folds. */
  private heldUsable = true;

  constructor(
    private readonly tx: SqlExecutor,
    private readonly tenantId: string,
    private readonly threadId: string,
    private readonly layout: DatabaseLayout,
    /** Fold the imported lines into search documents (SearchIndexerOptions.documents). */
    private readonly fold: boolean,
  ) {
    this.heldUsable = fold;
  }

  async target(): Promise<ImportTarget | null> {
    await lockImportTarget(this.tx, this.tenantId, this.threadId);
    const row = await findImportTarget(this.tx, this.tenantId, this.threadId);
    return row ? targetOf(row) : null;
  }

  exists(threadId: string): Promise<boolean> {
    return importedThreadExists(this.tx, this.tenantId, threadId);
  }

  clear(): Promise<void> {
    this.held = null;
    this.heldChars = 0;
    this.heldUsable = this.fold;
    return clearImportedRows(this.tx, this.tenantId, this.threadId);
  }

  async insertLines(lines: readonly TransferLine[], fallbackTime: string): Promise<void> {
    await insertImportedItems(this.tx, this.tenantId, this.threadId, [...lines], this.layout);
    for (const { seq, item } of lines) {
      if (seq < 0 || !this.heldUsable) continue; // detached rows of a fork: never in a search document
      if (this.held !== null && seq <= this.held.last) this.heldUsable = false;
      this.held ??= { first: seq, last: seq, texts: [] };
      this.held.last = seq;
      const text = searchTextOf(item.line);
      if (text === null) continue;
      this.held.texts.push(text);
      this.heldChars += text.length;
      if (this.heldChars > MAX_HELD_TEXT_CHARS) this.heldUsable = false;
    }
    if (!this.heldUsable) this.held = null;
    const checkpoints: CheckpointInsert[] = [];
    for (const { seq, item } of lines) {
      if (seq >= 0 && item.type === 'compacted') checkpoints.push(checkpointRow(this.tenantId, this.threadId, seq, item.line, fallbackTime));
    }
    await insertImportedCheckpoints(this.tx, this.tenantId, checkpoints, this.layout);
  }

  history(threadId: string, after: number | null, limit: number): Promise<SeqLine[]> {
    return historyOf(this.tx, this.tenantId, threadId, after, limit);
  }

  async finish(thread: TransferThread, options: { added: { threads: number; bytes: number }; spawnEdge: { parentThreadId: string; status: string } | null }): Promise<void> {
    await upsertImportedThread(this.tx, threadInsertOf(this.tenantId, thread));
    // The tenant's quotas hold for imports too (checked under the tenant row's lock, after the rows
    // are in, so the transaction rolls back whole when they do not fit).
    await enforceTenantQuota(this.tx, this.tenantId, options.added, { alreadyWritten: true });
    // After the row: a re-import replaced every column, and the checkpoints are new.
    await refreshResumePoints(this.tx, this.tenantId, [thread.threadId]);
    // Its text into the search index now, in the same transaction: an imported thread is searched
    // through its documents from the start, not line by line.
    if (this.fold) await foldHeldNow(this.tx, this.tenantId, thread.threadId, this.held, thread.lastSeq, this.layout);
    if (options.spawnEdge) {
      await upsertImportedSpawnEdge(this.tx, this.tenantId, { ...options.spawnEdge, childThreadId: thread.threadId, createdAt: thread.createdAt });
    }
  }
}

export class PostgresTransfer implements ThreadTransfer {
  readonly parallelism: number;

  constructor(
    private readonly db: Database,
    readonly tenantId: string,
    /** Imports fold their lines into search documents (SearchIndexerOptions.documents). */
    private readonly searchDocuments = true,
  ) {
    // PGlite is one connection: its transactions run one after another anyway.
    this.parallelism = db.kind === 'embedded' ? 1 : 2;
  }

  private tx<T>(operation: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction(fn, { tenantId: this.tenantId, operation });
  }

  async importTargets(threadIds: readonly string[]): Promise<ImportTarget[]> {
    const out: ImportTarget[] = [];
    for (let i = 0; i < threadIds.length; i += 1000) {
      const rows = await this.tx('import', (tx) => loadImportTargets(tx, this.tenantId, threadIds.slice(i, i + 1000)));
      out.push(...rows.map(targetOf));
    }
    return out;
  }

  async importThread<T>(threadId: string, work: (unit: ThreadImportUnit) => Promise<T>): Promise<T> {
    const layout = await this.db.layout();
    return this.tx('import', (tx) => work(new PostgresImportUnit(tx, this.tenantId, threadId, layout, this.searchDocuments)));
  }

  exportThreads(ids: readonly string[] | null): Promise<{ threads: TransferThread[]; spawnEdges: SpawnEdge[] }> {
    return this.tx('export', async (tx) => ({
      threads: (await listThreadsForExport(tx, this.tenantId, ids === null ? null : [...ids])).map(transferThreadOf),
      spawnEdges: (await listSpawnEdges(tx, this.tenantId)).map((e) => ({ parentThreadId: e.parent_thread_id, childThreadId: e.child_thread_id, status: e.status })),
    }));
  }

  readLines(threadId: string, lo: number, hi: number, limit: number): Promise<SeqLine[]> {
    return this.tx('export', (tx) => readPhysicalRows(tx, this.tenantId, threadId, lo, hi, limit));
  }

  readHistory(threadId: string, after: number | null, limit: number): Promise<SeqLine[]> {
    return this.tx('export', (tx) => historyOf(tx, this.tenantId, threadId, after, limit));
  }
}
