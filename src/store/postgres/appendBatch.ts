// Owns the SQL of one group-commit batch for one tenant, run inside the batch's transaction:
// materialize new threads, fence stale writers, insert every item row with one unnest insert,
// bump each thread's bookkeeping, record compaction checkpoints and apply derived metadata.
import { ConflictError } from '../../model/errors.js';
import { readCompacted } from '../../model/compacted.js';
import { mergePatch, type ThreadMetadataPatch } from '../../model/patch.js';
import type { SqlExecutor } from '../../db/database.js';
import type { PreparedItem } from '../shared/preparedItem.js';
import { applyPatch } from './applyPatch.js';
import type { LiveWriterState } from './liveWriter.js';
import { enforceTenantQuota } from '../../tenancy/quota.js';
import { storableDerivedPatch } from '../../tenancy/textGuard.js';
import { refreshResumePoints } from './resumePoint.js';

export interface SeqItem {
  seq: number;
  turnId: string | null;
  item: PreparedItem;
}

/** Everything one thread contributes to a batch. */
export interface ThreadBatch {
  state: LiveWriterState;
  materialize: boolean;
  items: SeqItem[];
  patches: ThreadMetadataPatch[];
}

export class StaleWriterError extends Error {
  constructor(readonly threadIds: string[]) {
    super(`stale writer for ${threadIds.join(', ')}`);
  }
}

/**
 * Write one tenant's part of a batch. Returns the transaction id (as text) taken in the same round
 * trip as the tenant setting: if the connection dies around COMMIT, pg_xact_status(txid) tells
 * exactly whether the batch committed.
 *
 * The common batch (see isCommonBatch) is ONE call of thread_store.append_batch, still inside the
 * batch's BEGIN … COMMIT — deliberately not autocommit. Exactly-once rests on this: the txid
 * arrives with the result of the tenant's first statement, before the writer sends COMMIT. So
 * either the txid is unknown, and then COMMIT was never sent and the transaction cannot commit
 * (the server rolls it back when the session ends), or it is known and pg_xact_status(txid)
 * answers exactly — even after a takeover, and whatever the retry does. In autocommit the txid
 * would come back only together with the commit's acknowledgement: losing that answer would leave
 * a batch that may have committed with no way to name it, and a blind retry could store it twice.
 */
export async function writeTenantBatch(tx: SqlExecutor, tenantId: string, threads: ThreadBatch[]): Promise<string> {
  if (isCommonBatch(threads)) {
    const fast = await appendCommonBatch(tx, tenantId, threads);
    if (fast.stale !== null) throw new StaleWriterError(fast.stale);
    if (!fast.quota) return fast.txid;
    // The tenant has a quota: nothing was written; the general path below checks it under the
    // tenants row lock, in the same transaction (same txid).
  }
  return writeTenantBatchGeneral(tx, tenantId, threads);
}

/**
 * The batches thread_store.append_batch (drizzle/0007_append_batch.sql) handles in one round trip:
 * only items of materialized threads — no thread to create, no compaction checkpoint, no metadata
 * patch. Everything else takes the general path.
 */
function isCommonBatch(threads: ThreadBatch[]): boolean {
  for (const t of threads) {
    if (t.materialize || t.patches.length > 0) return false;
    for (const { item } of t.items) if (item.type === 'compacted') return false;
  }
  return true;
}

interface ItemColumns {
  ids: string[];
  seqs: number[];
  types: string[];
  subtypes: (string | null)[];
  turnIds: (string | null)[];
  tss: string[];
  payloads: (string | null)[];
  extras: (string | null)[];
  raws: (string | null)[];
  sizes: number[];
  searches: (string | null)[];
}

function itemColumns(threads: ThreadBatch[]): ItemColumns {
  const c: ItemColumns = { ids: [], seqs: [], types: [], subtypes: [], turnIds: [], tss: [], payloads: [], extras: [], raws: [], sizes: [], searches: [] };
  for (const t of threads) {
    for (const { seq, turnId, item } of t.items) {
      c.ids.push(t.state.threadId);
      c.seqs.push(seq);
      c.types.push(item.type);
      c.subtypes.push(item.subtype);
      c.turnIds.push(turnId);
      c.tss.push(item.line.timestamp);
      c.payloads.push(item.payloadJson);
      c.extras.push(item.extraJson);
      c.raws.push(item.rawLine);
      c.sizes.push(item.byteSize);
      c.searches.push(item.searchText);
    }
  }
  return c;
}

/** One round trip: tenant setting, txid, quota probe, fence, items, bookkeeping (see the migration). */
async function appendCommonBatch(tx: SqlExecutor, tenantId: string, threads: ThreadBatch[]): Promise<{ txid: string; quota: boolean; stale: string[] | null }> {
  const c = itemColumns(threads);
  const { rows } = await tx.query<{ txid: string; quota: boolean; stale: string[] | null }>(
    // The SQL comment names the table the function inserts into, so that statement logs and text-
    // matching spies (test/live/helpers.ts counts batch rows by it, from $4) still see the insert.
    `/* INSERT INTO thread_store.thread_items via */ SELECT txid, quota, stale FROM thread_store.append_batch($1, $2::uuid[], $3::bigint[], $4::uuid[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::text[])`,
    [tenantId, threads.map((t) => t.state.threadId), threads.map((t) => t.state.epoch), c.ids, c.seqs, c.types, c.subtypes, c.turnIds, c.tss, c.payloads, c.extras, c.raws, c.sizes, c.searches],
  );
  const row = rows[0]!;
  return { txid: row.txid, quota: row.quota, stale: row.stale && row.stale.length > 0 ? row.stale : null };
}

async function writeTenantBatchGeneral(tx: SqlExecutor, tenantId: string, threads: ThreadBatch[]): Promise<string> {
  const { rows: txRows } = await tx.query<{ txid: string }>(
    `SELECT set_config('thread_store.tenant_id', $1, true), pg_current_xact_id()::text AS txid`,
    [tenantId],
  );
  const txid = txRows[0]!.txid;
  // --- tenant quotas (issue #8): refuse the batch before anything is written; the group-commit
  // writer then retries each thread alone, so only the threads that do not fit are rejected.
  await enforceTenantQuota(tx, tenantId, {
    threads: threads.filter((t) => t.materialize).length,
    bytes: threads.reduce((n, t) => n + t.items.reduce((m, i) => m + i.item.byteSize, 0), 0),
  });
  // --- end tenant quotas
  for (const t of threads) if (t.materialize) await materializeThread(tx, t.state);

  const { ids, seqs, types, subtypes, turnIds, tss, payloads, extras, raws, sizes, searches } = itemColumns(threads);
  const { rows } = await tx.query<{ fenced: string[] | null }>(
    `WITH fence AS (
       UPDATE thread_store.thread_writers w SET heartbeat_at = now()
         FROM unnest($2::uuid[], $3::bigint[]) AS c(thread_id, epoch)
        WHERE w.tenant_id = $1 AND w.thread_id = c.thread_id AND w.epoch = c.epoch
        RETURNING w.thread_id
     ), ins AS (
       INSERT INTO thread_store.thread_items
         (tenant_id, thread_id, seq, type, subtype, turn_id, ts, payload, extra, raw_line, byte_size, search_text)
       SELECT $1, r.thread_id, r.seq, r.type, r.subtype, r.turn_id, r.ts, r.payload::jsonb, r.extra::jsonb, r.raw_line, r.byte_size, r.search_text
         FROM unnest($4::uuid[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::text[])
           AS r(thread_id, seq, type, subtype, turn_id, ts, payload, extra, raw_line, byte_size, search_text)
       RETURNING thread_id, seq, byte_size
     ), agg AS (
       SELECT thread_id, max(seq) AS last_seq, count(*) AS n, sum(byte_size) AS bytes FROM ins GROUP BY thread_id
     ), upd AS (
       UPDATE thread_store.threads t
          SET last_seq = agg.last_seq, item_count = t.item_count + agg.n, byte_size = t.byte_size + agg.bytes
         FROM agg WHERE t.tenant_id = $1 AND t.id = agg.thread_id
       RETURNING t.id
     )
     SELECT (SELECT array_agg(thread_id) FROM fence) AS fenced, (SELECT count(*) FROM upd) AS updated`,
    [
      tenantId,
      threads.map((t) => t.state.threadId),
      threads.map((t) => t.state.epoch),
      ids,
      seqs,
      types,
      subtypes,
      turnIds,
      tss,
      payloads,
      extras,
      raws,
      sizes,
      searches,
    ],
  );
  const fenced = new Set(rows[0]?.fenced ?? []);
  const stale = threads.filter((t) => !fenced.has(t.state.threadId)).map((t) => t.state.threadId);
  if (stale.length > 0) throw new StaleWriterError(stale);

  await insertCheckpoints(tx, tenantId, threads);
  await refreshResumePoints(
    tx,
    tenantId,
    threads.filter((t) => t.items.some(({ item }) => item.type === 'compacted')).map((t) => t.state.threadId),
  );
  for (const t of threads) {
    if (t.patches.length === 0) continue;
    const patch = t.patches.reduce((acc, p) => mergePatch(acc, p), {} as ThreadMetadataPatch);
    // issue #8: derived text that a text column cannot hold (U+0000) must not refuse the items.
    await applyPatch(tx, tenantId, t.state.threadId, storableDerivedPatch(patch), true);
  }
  return txid;
}

async function materializeThread(tx: SqlExecutor, state: LiveWriterState): Promise<void> {
  const init = state.init;
  if (!init) throw new ConflictError(`thread ${state.threadId} has no creation record to materialize`);
  await tx.query(
    `INSERT INTO thread_store.threads
       (tenant_id, id, session_id, forked_from_id, parent_thread_id, source, thread_source, originator, model_provider,
        cwd, cli_version, agent_nickname, agent_role, agent_path, memory_mode, history_mode, git_sha, git_branch,
        git_origin_url, created_at, updated_at, recency_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, $20)`,
    [
      state.tenantId,
      state.threadId,
      init.sessionId,
      init.forkedFromId,
      init.parentThreadId,
      init.source,
      init.threadSource,
      init.originator,
      init.modelProvider,
      init.cwd,
      init.cliVersion,
      init.agentNickname,
      init.agentRole,
      init.agentPath,
      init.memoryMode,
      init.historyMode,
      init.gitSha,
      init.gitBranch,
      init.gitOriginUrl,
      init.createdAt,
    ],
  );
  if (init.parentThreadId) {
    await tx.query(
      `INSERT INTO thread_store.thread_spawn_edges (tenant_id, parent_thread_id, child_thread_id) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, child_thread_id) DO NOTHING`,
      [state.tenantId, init.parentThreadId, state.threadId],
    );
  }
}

async function insertCheckpoints(tx: SqlExecutor, tenantId: string, threads: ThreadBatch[]): Promise<void> {
  const cols = { ids: [] as string[], seqs: [] as number[], numbers: [] as (number | null)[], windows: [] as (string | null)[], firsts: [] as (string | null)[], prevs: [] as (string | null)[], lens: [] as number[], sizes: [] as (number | null)[], legacy: [] as boolean[], ts: [] as string[] };
  for (const t of threads) {
    for (const { seq, item } of t.items) {
      if (item.type !== 'compacted') continue;
      const c = readCompacted(item.line.payload);
      cols.ids.push(t.state.threadId);
      cols.seqs.push(seq);
      cols.numbers.push(c.windowNumber);
      cols.windows.push(c.windowId);
      cols.firsts.push(c.firstWindowId);
      cols.prevs.push(c.previousWindowId);
      cols.lens.push(c.message.length);
      cols.sizes.push(c.replacementHistory ? c.replacementHistory.length : null);
      cols.legacy.push(c.windowNumber === null || c.legacyMessageOnly);
      cols.ts.push(Number.isNaN(Date.parse(item.line.timestamp)) ? new Date().toISOString() : item.line.timestamp);
    }
  }
  if (cols.ids.length === 0) return;
  await tx.query(
    `INSERT INTO thread_store.thread_checkpoints
       (tenant_id, thread_id, seq, window_number, window_id, first_window_id, previous_window_id, summary_length, replacement_history_size, legacy, created_at)
     SELECT $1, * FROM unnest($2::uuid[], $3::bigint[], $4::bigint[], $5::uuid[], $6::uuid[], $7::uuid[], $8::int[], $9::int[], $10::boolean[], $11::timestamptz[])`,
    [tenantId, cols.ids, cols.seqs, cols.numbers, cols.windows, cols.firsts, cols.prevs, cols.lens, cols.sizes, cols.legacy, cols.ts],
  );
}
