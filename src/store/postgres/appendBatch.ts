// Owns the SQL of one group-commit batch: the statements that write every thread and tenant of the
// batch, sent as ONE pipeline (Database.pipeline: one round trip, one implicit transaction that
// commits at the end). Always: the tenant quota check and the core statement — every item row in one
// unnest insert, each thread's bookkeeping in one UPDATE that is also the writer fence. When the
// batch needs them: materializing new threads (before), compaction checkpoints with the resume point,
// and derived metadata patches (after). A batch spanning many tenants costs the same statements as
// one tenant's: the scope names all of them and row-level security checks every row against it.
import { ConflictError, InternalError } from '../../model/errors.js';
import { mergePatch, type ThreadMetadataPatch } from '../../model/patch.js';
import { readCompacted } from '../../model/compacted.js';
import type { DatabaseLayout, NamedStatement, PipelineStep } from '../../db/database.js';
import { StaleWriterError } from '../../db/errors.js';

export { StaleWriterError };
import type { PreparedItem } from '../shared/preparedItem.js';
import { buildPatchStatements } from './applyPatch.js';
import { INSERT_ITEMS_ROUTED, insertItemsSql, itemArrays, type ItemRow } from './itemRows.js';
import type { LiveWriterState } from './liveWriter.js';
import { QUOTA_CHECK } from './quota.js';
import { storableDerivedPatch } from '../../model/textGuard.js';
import { RESUME_POINT_REFRESH, RESUME_POINT_REFRESH_ONE_TENANT } from './resumePoint.js';
import { insertCheckpointsSql, MATERIALIZED_THREAD_COLUMNS } from './rowLists.js';

export interface SeqItem {
  seq: number;
  turnId: string | null;
  item: PreparedItem;
}

/** Everything one thread contributes to a batch. */
export interface ThreadBatch {
  state: LiveWriterState;
  materialize: boolean;
  /** The seq the thread's first item gets (its last stored seq + 1). */
  firstSeq: number;
  items: SeqItem[];
  patches: ThreadMetadataPatch[];
}

/** The stale-writer refusal of a batch (SQLSTATE TS409, mapped by db/errors.ts), or null when `error` is something else. */
export function staleWriterOf(error: unknown): StaleWriterError | null {
  return error instanceof StaleWriterError ? error : null;
}

/** The tenants of a batch, sorted: the scope its pipeline runs in. */
export function batchScope(threads: readonly ThreadBatch[]): string[] {
  return [...new Set(threads.map((t) => t.state.tenantId))].sort();
}

/**
 * Every item row, then every thread's bookkeeping: last_seq, item_count, byte_size. The UPDATE finds
 * a thread's row only while the row's writer_epoch is the batch's claim and its last_seq is the seq
 * before the batch's first (seqs stay contiguous whatever happens), and assert_fenced fails the
 * whole pipeline (TS409) when any thread's row did not match: nothing of the batch is stored.
 */
const APPEND: NamedStatement = {
  name: 'thread_store_append_v1',
  genericPlan: true,
  text: `WITH ins AS (
           ${insertItemsSql(1)}
         ), fenced AS (
           UPDATE thread_store.threads t
              SET last_seq = b.last_seq, item_count = t.item_count + b.n, byte_size = t.byte_size + b.bytes
             FROM unnest($12::uuid[], $13::uuid[], $14::bigint[], $15::bigint[], $16::bigint[], $17::int[], $18::bigint[])
                    AS b(tenant_id, thread_id, epoch, first_seq, last_seq, n, bytes)
            WHERE t.tenant_id = b.tenant_id AND t.id = b.thread_id AND t.writer_epoch = b.epoch AND t.last_seq = b.first_seq - 1
           RETURNING t.id
         )
         SELECT thread_store.assert_fenced($13::uuid[], ARRAY(SELECT id FROM fenced)) AS ok`,
};

/**
 * New threads: their rows (writer_epoch = the claim's epoch, read under FOR SHARE so a takeover
 * cannot commit in between) and spawn edges; fails (TS409) when a claim is no longer this writer's.
 */
const MATERIALIZE: NamedStatement = {
  name: 'thread_store_materialize_v1',
  genericPlan: true,
  text: `WITH c AS (
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::uuid[], $6::uuid[], $7::text[], $8::text[], $9::text[],
                                $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
                                $18::text[], $19::text[], $20::text[], $21::timestamptz[])
             AS c(tenant_id, id, epoch, session_id, forked_from_id, parent_thread_id, source, thread_source, originator,
                  model_provider, cwd, cli_version, agent_nickname, agent_role, agent_path, memory_mode, history_mode,
                  git_sha, git_branch, git_origin_url, created_at)
         ), claims AS (
           SELECT w.tenant_id, w.thread_id FROM thread_store.thread_writers w
             JOIN c ON w.tenant_id = c.tenant_id AND w.thread_id = c.id AND w.epoch = c.epoch
           FOR SHARE OF w
         ), ins AS (
           INSERT INTO thread_store.threads
             (${MATERIALIZED_THREAD_COLUMNS.join(', ')})
           SELECT c.tenant_id, c.id, c.epoch, c.session_id, c.forked_from_id, c.parent_thread_id, c.source, c.thread_source, c.originator,
                  c.model_provider, c.cwd, c.cli_version, c.agent_nickname, c.agent_role, c.agent_path, c.memory_mode, c.history_mode,
                  c.git_sha, c.git_branch, c.git_origin_url, c.created_at, c.created_at, c.created_at
             FROM c JOIN claims k ON k.tenant_id = c.tenant_id AND k.thread_id = c.id
           RETURNING tenant_id, id, parent_thread_id
         ), edges AS (
           INSERT INTO thread_store.thread_spawn_edges (tenant_id, parent_thread_id, child_thread_id)
           SELECT tenant_id, parent_thread_id, id FROM ins WHERE parent_thread_id IS NOT NULL
           ON CONFLICT (tenant_id, child_thread_id) DO NOTHING
         )
         SELECT thread_store.assert_fenced($2::uuid[], ARRAY(SELECT id FROM ins)) AS ok`,
};

// ---- The same batch on a distributed (Citus) database ----------------------------------------------
// There a batch holds ONE tenant (groupCommitWriter.ts cuts it per tenant), and every statement names
// that tenant as a parameter for each distributed table it touches: Citus then routes each statement
// whole to the tenant's shard (a router query, test/citus/router.test.ts) instead of refusing it or
// pulling rows through the coordinator. Same checks, same order of effects: the fence is checked
// first, the rows then written; everything commits together (the pipeline is one transaction block).

/** The fence and bookkeeping of APPEND, alone: $1..$7 as APPEND's $12..$18, $8 the tenant. */
const APPEND_FENCE_ROUTED: NamedStatement = {
  name: 'thread_store_append_fence_routed_v1',
  text: `WITH fenced AS (
           UPDATE thread_store.threads t
              SET last_seq = b.last_seq, item_count = t.item_count + b.n, byte_size = t.byte_size + b.bytes
             FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[], $6::int[], $7::bigint[])
                    AS b(tenant_id, thread_id, epoch, first_seq, last_seq, n, bytes)
            WHERE t.tenant_id = $8::uuid AND t.tenant_id = b.tenant_id AND t.id = b.thread_id
              AND t.writer_epoch = b.epoch AND t.last_seq = b.first_seq - 1
           RETURNING t.id
         )
         SELECT thread_store.assert_fenced($2::uuid[], ARRAY(SELECT id FROM fenced)) AS ok`,
};

/** The item rows of APPEND, alone: $1..$11 the item arrays, $12 the tenant. */
const APPEND_ITEMS_ROUTED: NamedStatement = {
  name: 'thread_store_append_items_routed_v1',
  text: INSERT_ITEMS_ROUTED,
};

/** CHECKPOINTS of one tenant, $12 the tenant. */
const CHECKPOINTS_ROUTED: NamedStatement = {
  name: 'thread_store_checkpoints_routed_v1',
  text: insertCheckpointsSql(1, { routed: { tenant: '$12::uuid', anchor: 'threads' } }),
};

/** MATERIALIZE's thread rows (claims locked, as there), $22 the tenant. */
const MATERIALIZE_ROUTED: NamedStatement = {
  name: 'thread_store_materialize_routed_v1',
  text: `INSERT INTO thread_store.threads
           (${MATERIALIZED_THREAD_COLUMNS.join(', ')})
         SELECT w.tenant_id, c.id, c.epoch, c.session_id, c.forked_from_id, c.parent_thread_id, c.source, c.thread_source, c.originator,
                c.model_provider, c.cwd, c.cli_version, c.agent_nickname, c.agent_role, c.agent_path, c.memory_mode, c.history_mode,
                c.git_sha, c.git_branch, c.git_origin_url, c.created_at, c.created_at, c.created_at
           FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::uuid[], $6::uuid[], $7::text[], $8::text[], $9::text[],
                       $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
                       $18::text[], $19::text[], $20::text[], $21::timestamptz[])
             AS c(tenant_id, id, epoch, session_id, forked_from_id, parent_thread_id, source, thread_source, originator,
                  model_provider, cwd, cli_version, agent_nickname, agent_role, agent_path, memory_mode, history_mode,
                  git_sha, git_branch, git_origin_url, created_at)
           JOIN thread_store.thread_writers w ON w.tenant_id = c.tenant_id AND w.thread_id = c.id AND w.epoch = c.epoch
          WHERE w.tenant_id = $22::uuid
          FOR SHARE OF w`,
};

/** MATERIALIZE's spawn edges ($1 thread ids, $2 the tenant) and fence check ($1 thread ids, $2 their epochs, $3 the tenant). */
const MATERIALIZE_EDGES_ROUTED: NamedStatement = {
  name: 'thread_store_materialize_edges_routed_v1',
  text: `INSERT INTO thread_store.thread_spawn_edges (tenant_id, parent_thread_id, child_thread_id)
         SELECT t.tenant_id, t.parent_thread_id, t.id FROM thread_store.threads t
          WHERE t.tenant_id = $2::uuid AND t.id = ANY ($1::uuid[]) AND t.parent_thread_id IS NOT NULL
         ON CONFLICT (tenant_id, child_thread_id) DO NOTHING`,
};
const MATERIALIZE_FENCE_ROUTED: NamedStatement = {
  name: 'thread_store_materialize_fence_routed_v1',
  text: `SELECT thread_store.assert_fenced($1::uuid[], ARRAY(
           SELECT t.id FROM thread_store.threads t JOIN unnest($1::uuid[], $2::bigint[]) AS c(id, epoch) ON t.id = c.id AND t.writer_epoch = c.epoch
            WHERE t.tenant_id = $3::uuid)) AS ok`,
};

const CHECKPOINTS: NamedStatement = {
  name: 'thread_store_checkpoints_v1',
  genericPlan: true,
  text: insertCheckpointsSql(1),
};

/**
 * The statements of one batch, in the order they must run. On a distributed database
 * ('citus-distributed') the batch must hold one tenant, and its statements are the routed forms.
 */
export function batchSteps(threads: readonly ThreadBatch[], layout: DatabaseLayout = 'single'): PipelineStep[] {
  const routed = layout === 'citus-distributed' ? onlyTenant(threads) : null;
  const steps: PipelineStep[] = [];
  // Quotas first: a refused batch stores nothing (the writer then retries its threads one by one,
  // so only those that do not fit are refused).
  steps.push({
    statement: QUOTA_CHECK,
    params: [threads.map((t) => t.state.tenantId), threads.map((t) => (t.materialize ? 1 : 0)), threads.map((t) => t.items.reduce((n, i) => n + i.item.byteSize, 0)), false],
  });
  const materializing = threads.filter((t) => t.materialize);
  if (materializing.length > 0) {
    const step = materializeStep(materializing);
    if (routed === null) steps.push(step);
    else {
      const ids = materializing.map((t) => t.state.threadId);
      steps.push({ statement: MATERIALIZE_ROUTED, params: [...step.params, routed] });
      steps.push({ statement: MATERIALIZE_EDGES_ROUTED, params: [ids, routed] });
      steps.push({ statement: MATERIALIZE_FENCE_ROUTED, params: [ids, materializing.map((t) => t.state.epoch), routed] });
    }
  }
  const append = appendStep(threads);
  if (routed === null) steps.push(append);
  else {
    // APPEND's parameters: the eleven item arrays, then the seven bookkeeping arrays.
    steps.push({ statement: APPEND_FENCE_ROUTED, params: [...append.params.slice(11), routed] });
    steps.push({ statement: APPEND_ITEMS_ROUTED, params: [...append.params.slice(0, 11), routed] });
  }
  const compacting = threads.filter((t) => t.items.some(({ item }) => item.type === 'compacted'));
  if (compacting.length > 0) {
    const checkpoints = checkpointStep(compacting);
    steps.push(routed === null ? checkpoints : { statement: CHECKPOINTS_ROUTED, params: [...checkpoints.params, routed] });
    const refresh = [compacting.map((t) => t.state.tenantId), compacting.map((t) => t.state.threadId)];
    if (routed === null) steps.push({ statement: RESUME_POINT_REFRESH, params: refresh });
    else steps.push({ statement: RESUME_POINT_REFRESH_ONE_TENANT, params: [...refresh, routed] });
  }
  // Patches in tenant order, like everything else that may lock a tenant's shared rows (its clock).
  for (const t of [...threads].sort((a, b) => (a.state.tenantId < b.state.tenantId ? -1 : a.state.tenantId > b.state.tenantId ? 1 : 0))) {
    if (t.patches.length === 0) continue;
    const patch = t.patches.reduce((acc, p) => mergePatch(acc, p), {} as ThreadMetadataPatch);
    // issue #8: derived text that a text column cannot hold (U+0000) must not refuse the items.
    for (const statement of buildPatchStatements(t.state.tenantId, t.state.threadId, storableDerivedPatch(patch), true, layout)) {
      steps.push({ statement: { text: statement.text }, params: statement.params });
    }
  }
  return steps;
}

/** The one tenant of a batch bound for a distributed database (a batch there never spans tenants). */
function onlyTenant(threads: readonly ThreadBatch[]): string {
  const tenants = batchScope(threads);
  if (tenants.length !== 1) throw new InternalError(`a batch on a distributed database must hold one tenant, not ${tenants.length}`);
  return tenants[0]!;
}

function appendStep(threads: readonly ThreadBatch[]): PipelineStep {
  const rows: ItemRow[] = [];
  for (const t of threads) {
    for (const { seq, turnId, item } of t.items) rows.push({ tenantId: t.state.tenantId, threadId: t.state.threadId, seq, turnId, item });
  }
  return {
    statement: APPEND,
    params: [
      ...itemArrays(rows),
      threads.map((t) => t.state.tenantId),
      threads.map((t) => t.state.threadId),
      threads.map((t) => t.state.epoch),
      threads.map((t) => t.firstSeq),
      threads.map((t) => t.firstSeq + t.items.length - 1),
      threads.map((t) => t.items.length),
      threads.map((t) => t.items.reduce((n, i) => n + i.item.byteSize, 0)),
    ],
  };
}

function materializeStep(threads: readonly ThreadBatch[]): PipelineStep {
  const inits = threads.map((t) => {
    const init = t.state.init;
    if (!init) throw new ConflictError(`thread ${t.state.threadId} has no creation record to materialize`);
    return { state: t.state, init };
  });
  const col = <T>(f: (x: (typeof inits)[number]) => T) => inits.map(f);
  return {
    statement: MATERIALIZE,
    params: [
      col((x) => x.state.tenantId),
      col((x) => x.state.threadId),
      col((x) => x.state.epoch),
      col((x) => x.init.sessionId),
      col((x) => x.init.forkedFromId),
      col((x) => x.init.parentThreadId),
      col((x) => x.init.source),
      col((x) => x.init.threadSource),
      col((x) => x.init.originator),
      col((x) => x.init.modelProvider),
      col((x) => x.init.cwd),
      col((x) => x.init.cliVersion),
      col((x) => x.init.agentNickname),
      col((x) => x.init.agentRole),
      col((x) => x.init.agentPath),
      col((x) => x.init.memoryMode),
      col((x) => x.init.historyMode),
      col((x) => x.init.gitSha),
      col((x) => x.init.gitBranch),
      col((x) => x.init.gitOriginUrl),
      col((x) => x.init.createdAt),
    ],
  };
}

function checkpointStep(threads: readonly ThreadBatch[]): PipelineStep {
  const cols = {
    tenants: [] as string[],
    ids: [] as string[],
    seqs: [] as number[],
    numbers: [] as (number | null)[],
    windows: [] as (string | null)[],
    firsts: [] as (string | null)[],
    prevs: [] as (string | null)[],
    lens: [] as number[],
    sizes: [] as (number | null)[],
    legacy: [] as boolean[],
    ts: [] as string[],
  };
  for (const t of threads) {
    for (const { seq, item } of t.items) {
      if (item.type !== 'compacted') continue;
      const c = readCompacted(item.line.payload);
      cols.tenants.push(t.state.tenantId);
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
  return {
    statement: CHECKPOINTS,
    params: [cols.tenants, cols.ids, cols.seqs, cols.numbers, cols.windows, cols.firsts, cols.prevs, cols.lens, cols.sizes, cols.legacy, cols.ts],
  };
}

/**
 * How many of the threads' first items are stored exactly as the batch wrote them. Asked after an
 * unknown outcome (the connection died around the commit): the batch is atomic, so it committed
 * exactly when every probed first item is there — no other writer can have stored our content at
 * our seqs (seqs are assigned by the one writer holding the claim; a writer that took the thread
 * over continues after what is committed, and writes its own lines). Threads without items (only a
 * metadata patch) cannot be probed and are left out.
 */
const PROBE: NamedStatement = {
  name: 'thread_store_append_probe_v1',
  text: `SELECT count(*)::int AS found
           FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::int[], $6::jsonb[], $7::text[])
                  AS p(tenant_id, thread_id, seq, ts, byte_size, payload, raw_line)
           JOIN thread_store.thread_items i ON i.tenant_id = p.tenant_id AND i.thread_id = p.thread_id AND i.seq = p.seq
          WHERE i.ts = p.ts AND i.byte_size = p.byte_size
            AND i.payload IS NOT DISTINCT FROM p.payload AND i.raw_line IS NOT DISTINCT FROM p.raw_line`,
};
/** PROBE for a one-tenant batch, $8 the tenant (routed to its shard on Citus). */
const PROBE_ROUTED: NamedStatement = {
  name: 'thread_store_append_probe_routed_v1',
  text: `${PROBE.text} AND i.tenant_id = $8::uuid`,
};

/** The probe of `threads`, and how many rows it must find for the batch to have committed (0: nothing to probe). */
export function commitProbe(threads: readonly ThreadBatch[], layout: DatabaseLayout = 'single'): { step: PipelineStep; expected: number } {
  const first = threads.filter((t) => t.items.length > 0).map((t) => ({ t, i: t.items[0]! }));
  const routed = layout === 'citus-distributed' ? [onlyTenant(threads)] : [];
  return {
    expected: first.length,
    step: {
      statement: routed.length > 0 ? PROBE_ROUTED : PROBE,
      params: [
        first.map(({ t }) => t.state.tenantId),
        first.map(({ t }) => t.state.threadId),
        first.map(({ i }) => i.seq),
        first.map(({ i }) => i.item.line.timestamp),
        first.map(({ i }) => i.item.byteSize),
        first.map(({ i }) => i.item.payloadJson),
        first.map(({ i }) => i.item.rawLine),
        ...routed,
      ],
    },
  };
}
